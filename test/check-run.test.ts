// The `check` command as the CLI calls it (runCheck): exit codes, text and --json output, and
// clear errors for unreadable or malformed files. Files are written to a fresh temp directory.
// handout: framework test (passes without the lab solutions)
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HistoryBuilder } from '../src/check/builder.js';
import { formatHistoryEvent, type HistoryEvent } from '../src/check/history.js';
import { judgeEvents } from '../src/check/judge.js';
import { runCheck } from '../src/check/run.js';

describe('check: runCheck', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rsmlab-check-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const file = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const jsonl = (name: string, h: HistoryBuilder): string => file(name, h.build().map((l) => formatHistoryEvent(l.event)).join('\n') + '\n');

  it('exits 0 for a linearizable history and says so', async () => {
    const path = jsonl('ok.jsonl', new HistoryBuilder().invoke(0, 'write', 1).ok(0).invoke(1, 'read').ok(1, 1));
    const r = await runCheck(path, { model: 'register' });
    expect(r.exitCode).to.equal(0);
    expect(r.output).to.match(/^linearizable: 2 ops of the register model in 1 partition, 1 linearizable\n\(jsonl, \d+ ms\)$/);
  });

  it('exits 1 for a stale read, and --json carries the verdict, counts and the failing op', async () => {
    const path = jsonl('stale.jsonl', new HistoryBuilder().invoke(0, 'put', 'v', 'k').ok(0).invoke(1, 'get', null, 'k').ok(1, ''));
    const text = await runCheck(path, { model: 'kv' });
    expect(text.exitCode).to.equal(1);
    expect(text.output).to.contain('#1 process 1: get("k") → ""  (lines 3–4)   ← returned, so it must come next');
    const r = await runCheck(path, { model: 'kv', json: true });
    expect(r.exitCode).to.equal(1);
    const data = JSON.parse(r.output) as Record<string, unknown>;
    expect(data).to.include({ verdict: 'not linearizable', model: 'kv', format: 'jsonl', operations: 2, partitions: 1, linearizablePartitions: 0 });
    expect(data.elapsedMs).to.be.a('number');
    expect(data.details).to.deep.equal([
      {
        key: 'k',
        verdict: 'not linearizable',
        ops: [
          { id: 0, process: 0, op: 'put("k", "v")', call: 1, ret: 2, line: 1, retLine: 2 },
          { id: 1, process: 1, op: 'get("k") → ""', call: 3, ret: 4, line: 3, retLine: 4 },
        ],
        linearized: [0],
        states: ['""', '"v"'],
        failing: [1],
        visited: 1,
      },
    ]);
  });

  it('exits 2 with unknown when the time budget is zero', async () => {
    const path = jsonl('budget.jsonl', new HistoryBuilder().invoke(0, 'write', 1).ok(0));
    const r = await runCheck(path, { model: 'register', timeoutMs: 0, json: true });
    expect(r.exitCode).to.equal(2);
    expect(JSON.parse(r.output)).to.include({ verdict: 'unknown' });
  });

  it('detects the Jepsen log and EDN formats, and honours an explicit format', async () => {
    const log = file('etcd.log', 'INFO  jepsen.util - 0\t:invoke\t:write\t1\nINFO  jepsen.util - 0\t:ok\t:write\t1\nINFO  jepsen.util - 1\t:invoke\t:read\tnil\nINFO  jepsen.util - 1\t:ok\t:read\tnil\n');
    const r = await runCheck(log, { model: 'register', json: true });
    expect(JSON.parse(r.output)).to.include({ verdict: 'not linearizable', format: 'jepsen' });
    const edn = file('kv.edn', '{:process 0, :type :invoke, :f :get, :key "a", :value nil}\n{:process 0, :type :ok, :f :get, :key "a", :value ""}\n');
    expect(JSON.parse((await runCheck(edn, { model: 'kv', json: true })).output)).to.include({ verdict: 'linearizable', format: 'edn' });
    const wrong = await runCheck(edn, { model: 'kv', format: 'jsonl' });
    expect(wrong.exitCode).to.equal(2);
    expect(wrong.error).to.match(/kv\.edn: line 1: not JSON/);
  });

  it('checks mutual exclusion for locks and exits 1 on a double grant', async () => {
    const path = jsonl('locks.jsonl', new HistoryBuilder().invoke('c1', 'acquire', null, 'L').ok('c1', true).invoke('c2', 'acquire', null, 'L').ok('c2', true));
    const r = await runCheck(path, { model: 'lock' });
    expect(r.exitCode).to.equal(1);
    expect(r.output).to.contain('mutual exclusion violated on lock "L": held by c1 from t=2 (line 2), never released; and by c2 from t=4 (line 4), never released');
    const data = JSON.parse((await runCheck(path, { model: 'lock', json: true })).output) as { mutualExclusion: { ok: boolean } };
    expect(data.mutualExclusion.ok).to.equal(false);
  });

  it('exits 2 naming the line of a malformed file, a missing file, or an unknown model', async () => {
    const bad = file('bad.jsonl', '{"process":0,"type":"invoke","f":"read","value":null,"time":1}\n{"process":0,"type":"ok"}\n');
    const r = await runCheck(bad, { model: 'register' });
    expect(r.exitCode).to.equal(2);
    expect(r.error).to.match(/bad\.jsonl: line 2: bad history event/);
    const json = JSON.parse((await runCheck(bad, { model: 'register', json: true })).output) as { verdict: string; error: string };
    expect(json.verdict).to.equal('error');
    expect(json.error).to.contain('line 2');
    const missing = await runCheck(join(dir, 'absent.jsonl'), { model: 'register' });
    expect(missing).to.deep.include({ exitCode: 2 });
    expect(missing.error).to.match(/^cannot read .*absent\.jsonl/);
    const model = await runCheck(bad, { model: 'queue' as 'kv' });
    expect(model.error).to.equal("unknown model 'queue' (expected register, kv, lock)");
  });

  it('exits 2 on an empty or blank file: no operations prove nothing', async () => {
    for (const [name, text] of [['empty.jsonl', ''], ['blank.jsonl', '\n  \n']] as const) {
      const r = await runCheck(file(name, text), { model: 'kv' });
      expect(r.exitCode, name).to.equal(2);
      expect(r.error).to.match(/no operations in the history/);
      expect(r.output).to.equal('');
    }
  });
});

describe('check: runCheck on a history of failed ops only', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rsmlab-check-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 2 when every op failed: no op took effect, which proves nothing (as an empty file)', async () => {
    const path = join(dir, 'all-failed.jsonl');
    writeFileSync(path, new HistoryBuilder().invoke(0, 'get', null, 'k').fail(0).invoke(1, 'put', 'v', 'k').fail(1).build().map((l) => formatHistoryEvent(l.event)).join('\n') + '\n');
    const r = await runCheck(path, { model: 'kv' });
    expect(r.exitCode).to.equal(2);
    expect(r.error).to.match(/every one failed/);
    expect(r.output).to.equal('');
  });
});

describe('check: judgeEvents', () => {
  const events = (h: HistoryBuilder): HistoryEvent[] => h.build().map((l) => l.event);

  it('judges a history held in memory, numbering events as lines', () => {
    const ok = judgeEvents('register', events(new HistoryBuilder().invoke(0, 'write', 1).ok(0).invoke(1, 'read').ok(1, 1)));
    expect(ok.verdict).to.equal('linearizable');
    expect(ok.mutex).to.equal(undefined);
    const stale = judgeEvents('register', events(new HistoryBuilder().invoke(0, 'write', 1).ok(0).invoke(1, 'read').ok(1, null)));
    expect(stale.verdict).to.equal('not linearizable');
    expect(stale.text).to.contain('#1 process 1: read() → null  (lines 3–4)');
  });

  it('adds mutual exclusion for locks, and its violation decides the verdict', () => {
    const j = judgeEvents('lock', events(new HistoryBuilder().invoke('c1', 'acquire', null, 'L').ok('c1', true).invoke('c2', 'acquire', null, 'L').ok('c2', true)));
    expect(j.verdict).to.equal('not linearizable');
    expect(j.mutex?.ok).to.equal(false);
    expect(j.text).to.contain('mutual exclusion violated on lock "L"');
  });
});
