// Trace lines as the simulator writes them and the reader reads them back: the hand-written
// formatter gives the bytes of JSON.stringify in the fixed key order, the recorder's hash covers every
// field a line shows (kept or not), and the reader round-trips a real run and names bad lines.
import { expect } from 'chai';
import fc from 'fast-check';
import { formatEvent, messageJson, type TraceEvent } from '../src/trace/event.js';
import { TraceRecorder } from '../src/trace/recorder.js';
import { parseTrace, TraceParseError } from '../src/trace/reader.js';
import { SimCluster } from '../tester/sim-cluster.js';
import { get, probeCluster } from './fixtures/sim-probe.js';

/** The canonical line as the contract defines it: JSON.stringify of the event in key order. */
function reference(e: TraceEvent): string {
  const ordered: Record<string, unknown> = { seq: e.seq, t: e.t, node: e.node, kind: e.kind };
  if (e.msg) ordered.msg = { id: e.msg.id, from: e.msg.from, to: e.msg.to, method: e.msg.method, type: e.msg.type, summary: e.msg.summary, label: e.msg.label };
  if (e.cause !== undefined) ordered.cause = e.cause;
  if (e.detail !== undefined) ordered.detail = e.detail;
  return JSON.stringify(ordered);
}

const message = fc.record({
  id: fc.integer(),
  from: fc.string(),
  to: fc.string(),
  method: fc.string(),
  type: fc.constantFrom('req' as const, 'res' as const, 'notice' as const),
  summary: fc.string({ unit: 'binary' }),
  label: fc.option(fc.string({ unit: 'binary' }), { nil: undefined }),
});

const event: fc.Arbitrary<TraceEvent> = fc.record(
  {
    seq: fc.nat(),
    t: fc.oneof(fc.nat(), fc.double()),
    node: fc.string({ unit: 'binary' }),
    kind: fc.constantFrom('send' as const, 'deliver' as const, 'log' as const, 'client' as const),
    msg: message,
    cause: fc.nat(),
    detail: fc.dictionary(fc.string(), fc.jsonValue()).map((d) => JSON.parse(JSON.stringify(d)) as Record<string, never>),
  },
  { requiredKeys: ['seq', 't', 'node', 'kind'] },
);

describe('sim trace lines', () => {
  it('formats every event exactly as JSON.stringify in the fixed key order', () => {
    fc.assert(fc.property(event, (e) => formatEvent(e) === reference(e)), { numRuns: 2000 });
  });

  it('uses a message\'s own JSON when it carries one', () => {
    const msg = { id: 1, from: 'a', to: 'b', method: 'm', type: 'req' as const, summary: '{"x":"y"}' };
    const carried = { ...msg, json: messageJson(msg) };
    expect(formatEvent({ seq: 0, t: 1, node: 'a', kind: 'send', msg: carried })).to.equal(reference({ seq: 0, t: 1, node: 'a', kind: 'send', msg }));
  });

  it('hashes the same events to the same digest whether lines are kept or not, and a digest taken early changes nothing', () => {
    const kept = new TraceRecorder();
    const quiet = new TraceRecorder({ keep: false });
    const late = new TraceRecorder({ keep: false });
    const early: string[] = [];
    for (let i = 0; i < 5000; i++) {
      for (const r of [kept, quiet, late]) {
        r.emit({ t: i, node: `n${i % 3}`, kind: 'log', detail: { what: 'x'.repeat(i % 50) } });
        if (i % 7 === 0) r.absorbDiskOp(`n${i % 3}`, 'write', 'log', i, 3, new Uint8Array([i & 0xff, 1, 2]));
      }
      if (i % 999 === 0) early.push(kept.digest(), quiet.digest());
    }
    expect(kept.digest()).to.match(/^[0-9a-f]{32}$/);
    expect(quiet.digest()).to.equal(kept.digest());
    expect(late.digest()).to.equal(kept.digest());
    expect(new Set(early).size).to.equal(early.length / 2); // kept and quiet agree at every point, and every point differs
    expect(quiet.jsonl()).to.equal('');
    expect(kept.jsonl().split('\n')).to.have.length(5001);
  });

  it('gives different digests to events that differ in any field their lines show', () => {
    fc.assert(
      fc.property(event, event, (a, b) => {
        const [x, y] = [new TraceRecorder({ keep: false }), new TraceRecorder({ keep: false })];
        x.emit(a);
        y.emit(b);
        return (x.digest() === y.digest()) === (formatEvent({ ...a, seq: 0 }) === formatEvent({ ...b, seq: 0 }));
      }),
      { numRuns: 2000 },
    );
    const msg = { id: 1, from: 'p0', to: 'p1', method: 'paxos.prepare', type: 'req' as const, summary: '{"instance":1}' };
    const base: TraceEvent = { seq: 0, t: 5, node: 'p0', kind: 'send', msg, cause: 2, detail: { reason: 'loss' } };
    const variants: TraceEvent[] = [
      base,
      { ...base, t: 6 },
      { ...base, t: 5.5 },
      { ...base, t: 2 ** 40 },
      { ...base, node: 'p1' },
      { ...base, kind: 'deliver' },
      { ...base, cause: 3 },
      { ...base, cause: undefined },
      { ...base, detail: { reason: 'partition' } },
      { ...base, detail: undefined },
      { ...base, msg: undefined },
      ...(['id', 'from', 'to', 'method', 'type', 'summary'] as const).map((k) => ({ ...base, msg: { ...msg, [k]: k === 'id' ? 2 : k === 'type' ? 'res' : `${msg[k]}x` } })),
      { ...base, msg: { ...msg, label: 'prepare' } },
      { ...base, msg: { ...msg, label: 'commit' } },
      { ...base, msg: { ...msg, label: '' } },
    ];
    const digests = variants.map((e) => {
      const r = new TraceRecorder({ keep: false });
      r.emit(e);
      return r.digest();
    });
    expect(new Set(digests).size).to.equal(variants.length);
  });

  it('records a lab\'s log line as a log event with detail {...fields, what}, hashing its fields and what', () => {
    const kept = new TraceRecorder();
    const quiet = new TraceRecorder({ keep: false });
    for (const r of [kept, quiet]) {
      r.emitLog(3, 'p0', 'paxos.commit', { instance: 1, value: 'v1' });
      r.emitLog(4, 'p1', 'tick', undefined);
    }
    expect(kept.jsonl()).to.equal(
      `${formatEvent({ seq: 0, t: 3, node: 'p0', kind: 'log', detail: { instance: 1, value: 'v1', what: 'paxos.commit' } })}\n` +
        `${formatEvent({ seq: 1, t: 4, node: 'p1', kind: 'log', detail: { what: 'tick' } })}\n`,
    );
    expect(quiet.digest()).to.equal(kept.digest());
    const digest = (t: number, node: string, what: string, fields?: Record<string, string | number>): string => {
      const r = new TraceRecorder({ keep: false });
      r.emitLog(t, node, what, fields);
      return r.digest();
    };
    const variants = [digest(3, 'p0', 'a', { x: 1 }), digest(4, 'p0', 'a', { x: 1 }), digest(3, 'p1', 'a', { x: 1 }), digest(3, 'p0', 'b', { x: 1 }), digest(3, 'p0', 'a', { x: 2 }), digest(3, 'p0', 'a')];
    expect(new Set(variants).size).to.equal(variants.length);
  });

  it('hashes a deliver\'s message in full unless it is the very object its cause hashed', () => {
    const msg = { id: 7, from: 'p0', to: 'p1', method: 'm', type: 'req' as const, summary: 'x'.repeat(100) };
    const digest = (deliverMsg: typeof msg): string => {
      const r = new TraceRecorder({ keep: false });
      const send = r.emit({ t: 0, node: 'p0', kind: 'send', msg });
      r.emit({ t: 1, node: 'p1', kind: 'deliver', msg: deliverMsg, cause: send });
      return r.digest();
    };
    // The mark stands for the very object the cause hashed; any other object is hashed in full.
    expect(digest(msg)).to.not.equal(digest({ ...msg, summary: `${msg.summary}y` }));
    expect(digest({ ...msg })).to.not.equal(digest({ ...msg, id: 8 }));
  });

  it('hashes what lines only summarize (absorbed) without keeping it', () => {
    const lines = new TraceRecorder();
    const full = new TraceRecorder();
    for (const r of [lines, full]) r.emit({ t: 0, node: 'p0', kind: 'log' });
    full.absorb('a message text', new Uint8Array([1, 2, 3]));
    expect(full.jsonl()).to.equal(lines.jsonl());
    expect(full.absorbed).to.equal(1);
    expect(full.digest()).to.not.equal(lines.digest());
    const other = new TraceRecorder();
    other.emit({ t: 0, node: 'p0', kind: 'log' });
    other.absorb('a message text', new Uint8Array([1, 2, 4]));
    expect(other.digest()).to.not.equal(full.digest());
  });

  it('gives different hashes to runs that differ only past the 160 characters a message line shows', async () => {
    const run = async (tail: string): Promise<{ jsonl: string; hash: string }> => {
      const cluster = await probeCluster((env) => env.serve(get, ({ key }) => ({ value: key.length })), { nodes: 1, seed: 9 });
      await cluster.clientEnv('c').call('p0', get, { key: `${'k'.repeat(300)}${tail}` }, { timeoutMs: 100 });
      const result = { jsonl: await cluster.traceJsonl(), hash: cluster.traceHash() };
      await cluster.close();
      return result;
    };
    const [a, b, again] = [await run('a'), await run('b'), await run('a')];
    expect(b.jsonl).to.equal(a.jsonl);
    expect(b.hash).to.not.equal(a.hash);
    expect(again.hash).to.equal(a.hash);
  });

  it('gives different hashes to runs that differ only in the bytes a node writes to its disk', async () => {
    const run = async (byte: number): Promise<{ jsonl: string; hash: string }> => {
      const cluster = await probeCluster((env) => env.disk.append('log', new Uint8Array([7, byte])), { nodes: 1, seed: 9 });
      await cluster.sleep(1);
      const result = { jsonl: await cluster.traceJsonl(), hash: cluster.traceHash() };
      await cluster.close();
      return result;
    };
    const [a, b] = [await run(1), await run(2)];
    expect(b.jsonl).to.equal(a.jsonl);
    expect(b.hash).to.not.equal(a.hash);
  });

  it('reads a simulated run back to the same lines', async () => {
    const cluster = new SimCluster({ lab: 'paxos', seed: 5, nodes: 3 });
    for (let i = 0; i < 3; i++) await cluster.start(i);
    await cluster.kill(1);
    await cluster.sleep(20_000);
    const jsonl = await cluster.traceJsonl();
    const events = parseTrace(jsonl);
    expect(events.map((e) => e.seq)).to.deep.equal(events.map((_, i) => i));
    expect(new Set(events.map((e) => e.kind))).to.include.members(['start', 'send', 'deliver', 'timer', 'crash', 'log']);
    expect(`${events.map(formatEvent).join('\n')}\n`).to.equal(jsonl);
  });

  it('names the line of a bad event', () => {
    const good = formatEvent({ seq: 0, t: 0, node: 'n0', kind: 'start' });
    expect(() => parseTrace(`${good}\n\n{"seq":1,"t":0,"node":"n0","kind":"nap"}\n`)).to.throw(TraceParseError, /^trace line 3: kind: /);
    expect(() => parseTrace(`${good}\nnot json\n`)).to.throw(TraceParseError, /^trace line 2: not JSON/);
  });
});
