// The trace viewer's input: every failure of every broken variant's lab prints the one
// `rsmlab view …` command that opens it, and that command (with --html) works as printed; a
// folder's shrunk run opens beside it; the client ops of a trace are checked and tied to their
// trace events; bad input gets a clear error.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { findScenario } from '../tester/index.js';
import { runScenario } from '../tester/run.js';
import { loadArtifact, linearizabilityOf } from '../src/dashboard/artifact.js';
import { parseTrace } from '../src/trace/reader.js';
import { brokenVariants } from './fixtures/broken-variants.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

function rsmlab(args: string[], cwd: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('trace viewer input', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rsmlab-artifact-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const variant of brokenVariants) {
    it(`a failure of the ${variant.name} prints the view command, which opens it as printed`, async () => {
      const scenario = await findScenario(variant.labName, variant.scenario);
      let artifacts: string | undefined;
      let error = '';
      for (let seed = 1; seed <= 40 && artifacts === undefined; seed++) ({ artifacts, error = '' } = await runScenario(scenario, { world: 'sim', seed, lab: variant.lab, artifactsDir: join(dir, 'failures') }));
      expect(artifacts, 'a failing seed').to.be.a('string');
      // What failed, as the report says it, for the viewer's first panel.
      const { failure } = loadArtifact(artifacts!);
      expect(error).to.not.equal('');
      expect(failure.startsWith(error), failure).to.equal(true);
      const command = /^see it: (npx rsmlab view \S+)$/m.exec(readFileSync(join(artifacts!, 'notes.txt'), 'utf8'))?.[1];
      expect(command, 'notes.txt names the view command').to.be.a('string');
      const args = command!.replace(/^npx rsmlab /, '').split(' ');
      const out = join(dir, `${variant.name.replace(/\W/g, '-')}.html`);
      const r = rsmlab([...args, '--html', out], repo);
      expect(r.status, r.stderr).to.equal(0);
      const html = readFileSync(out, 'utf8');
      expect(html).to.include(JSON.stringify(artifacts!.split('/').at(-1))).and.include(JSON.stringify(failure).slice(1, -1).replace(/</g, '\\u003c'));
      expect(html).to.not.match(/<script[^>]+src=|<link[^>]+href=/);
    });
  }

  it('opens a folder with its shrunk run beside the original', () => {
    const scenarioDir = join(dir, 'with-shrunk');
    const trace = '{"seq":0,"t":0,"node":"p0","kind":"start","detail":{}}\n';
    mkdirSync(join(scenarioDir, 'shrunk'), { recursive: true });
    writeFileSync(join(scenarioDir, 'trace.jsonl'), trace);
    writeFileSync(join(scenarioDir, 'notes.txt'), 'replay: x\n');
    cpSync(join(scenarioDir, 'trace.jsonl'), join(scenarioDir, 'shrunk', 'trace.jsonl'));
    writeFileSync(join(scenarioDir, 'shrunk', 'notes.txt'), 'replay: x --veto shrunk/veto.json\n');
    writeFileSync(join(scenarioDir, 'shrunk', 'failure.txt'), 'ScenarioFailure: the shrunk run\'s own\n');
    const data = loadArtifact(scenarioDir);
    expect(data.notes).to.equal('replay: x\n');
    expect(data.failure, 'a folder without failure.txt says nothing failed').to.equal('');
    expect(data.traces.map((t) => t.name)).to.deep.equal(['trace.jsonl', 'shrunk/trace.jsonl (after shrinking)']);
    // each trace carries its own run's notes and failure: the page shows the shrunk run's when it is the one shown
    expect(data.traces.map((t) => [t.notes, t.failure])).to.deep.equal([
      ['replay: x\n', ''],
      ['replay: x --veto shrunk/veto.json\n', "ScenarioFailure: the shrunk run's own"],
    ]);
  });

  it('checks the client ops of a trace and ties each to its trace events', () => {
    const lines = [
      { seq: 0, t: 0, node: 'client:a', kind: 'client', detail: { type: 'invoke', f: 'put', key: 'k', value: 'x' } },
      { seq: 1, t: 1, node: 'client:a', kind: 'client', detail: { type: 'ok', f: 'put', key: 'k', value: null } },
      { seq: 2, t: 2, node: 'p0', kind: 'log', detail: { what: 'noise' } },
      { seq: 3, t: 3, node: 'client:b', kind: 'client', detail: { type: 'invoke', f: 'get', key: 'k', value: null } },
      { seq: 4, t: 4, node: 'client:b', kind: 'client', detail: { type: 'ok', f: 'get', key: 'k', value: 'y' } },
    ];
    const lin = linearizabilityOf(parseTrace(lines.map((l) => JSON.stringify(l)).join('\n')))!;
    expect(lin.model).to.equal('kv');
    expect(lin.verdict).to.equal('not linearizable');
    expect(lin.ops.map((o) => [o.process, o.seq, o.retSeq, o.status])).to.deep.equal([
      ['a', 0, 1, 'linearized'],
      ['b', 3, 4, 'failing'],
    ]);
    expect(linearizabilityOf(parseTrace(JSON.stringify(lines[2])))).to.equal(null);
  });

  it('refuses bad input with a clear error, exit 2', () => {
    const empty = join(dir, 'empty.jsonl');
    writeFileSync(empty, '');
    const garbage = join(dir, 'garbage.jsonl');
    writeFileSync(garbage, '{"seq":0}\nnot json\n');
    const badNames = join(dir, 'bad-names');
    mkdirSync(badNames, { recursive: true });
    writeFileSync(join(badNames, 'trace.jsonl'), '{"seq":0,"t":0,"node":"p0","kind":"start","detail":{}}\n');
    writeFileSync(join(badNames, 'nodes.json'), '{"127.0.0.1:7000": 0}\n');
    for (const [target, message] of [
      [empty, /the trace is empty/],
      [badNames, /nodes\.json: not a map of node address to name/],
      [garbage, /trace line 1/],
      [join(dir, 'missing'), /no such file or folder/],
      [dir, /no trace\.jsonl in this folder/],
    ] as const) {
      const r = rsmlab(['view', target, '--html', join(dir, 'never.html')], repo);
      expect(r.status, target).to.equal(2);
      expect(r.stderr).to.match(message);
    }
  });
});
