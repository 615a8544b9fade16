// Trace lines as the simulator writes them and the reader reads them back: the hand-written
// formatter gives the bytes of JSON.stringify in the fixed key order, the recorder's chunked hash
// equals the hash of its JSONL, and the reader round-trips a real run and names bad lines.
import { createHash } from 'node:crypto';
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
  if (e.msg) ordered.msg = { id: e.msg.id, from: e.msg.from, to: e.msg.to, method: e.msg.method, type: e.msg.type, summary: e.msg.summary };
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

  it('hashes in chunks to the same digest as hashing the JSONL', () => {
    const recorder = new TraceRecorder();
    for (let i = 0; i < 5000; i++) recorder.emit({ t: i, node: `n${i % 3}`, kind: 'log', detail: { what: 'x'.repeat(i % 50) } });
    const early = recorder.digest();
    expect(early).to.equal(createHash('sha256').update(recorder.jsonl()).digest('hex'));
    recorder.emit({ t: 1, node: 'n0', kind: 'log' });
    expect(recorder.digest()).to.equal(createHash('sha256').update(recorder.jsonl()).digest('hex'));
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
