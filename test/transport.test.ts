// The real transport, in-process on loopback: two RealEnvs calling and sending to each other,
// timeouts, fast unreachable, reconnect after restart, schema checks at both ends, handler
// errors, partitions, loss/dup faults, client envs, the trace of a call; and the real disk.
// handout: framework test (passes without the lab solutions)
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { method, notice } from '../src/env/method.js';
import { isRpcError, type NodeId } from '../src/env/types.js';
import { LabError, RealEnv } from '../src/env/real/env.js';
import { RealDisk } from '../src/env/real/disk.js';
import { FaultyDisk } from '../src/env/real/faulty-disk.js';
import { releasePorts, reservePortPairs } from '../src/env/real/ports.js';
import { TraceRecorder } from '../src/trace/recorder.js';
import { MAX_FRAME_BYTES } from '../src/wire/frame.js';
import type { TraceEvent } from '../src/trace/event.js';

const add = method('t.add', z.object({ a: z.number(), b: z.number() }), z.object({ sum: z.number(), from: z.string() }));
const addLoose = method('t.add', z.object({ a: z.unknown(), b: z.unknown() }), z.object({ sum: z.number(), from: z.string() }));
const fail = method('t.fail', z.object({}), z.object({}));
const hang = method('t.hang', z.object({}), z.object({}));
const badResult = method('t.badResult', z.object({}), z.object({ n: z.number() }));
const badResultServed = method('t.badResult', z.object({}), z.object({ n: z.string() }));
const tick = notice('t.tick', z.object({ n: z.int() }));
const boom = notice('t.boom', z.object({}));
const echo = method('t.echo', z.object({ text: z.string() }), z.object({ text: z.string() }));
const big = method('t.big', z.object({ chars: z.int() }), z.object({ text: z.string() }));
const note = notice('t.note', z.object({ text: z.string() }));
let labels = 0;
const labelled = notice('t.labelled', z.object({ kinds: z.array(z.string()) }), ({ kinds }) => (labels++, kinds.join('+')));

interface Ticks {
  seen: { n: number; from: NodeId }[];
}

async function failure(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    (v) => {
      throw new Error(`expected a failure, got ${JSON.stringify(v)}`);
    },
    (e: unknown) => e,
  );
}

function until(check: () => boolean, attempts = 200): Promise<void> {
  return new Promise((resolve, reject) => {
    let left = attempts;
    const poll = (): void => {
      if (check()) resolve();
      else if (--left === 0) reject(new Error('condition never held'));
      else setTimeout(poll, 10);
    };
    poll();
  });
}

function events(trace: TraceRecorder): TraceEvent[] {
  return trace
    .jsonl()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as TraceEvent);
}

describe('real transport (two RealEnvs on loopback)', function () {
  let ports: number[];
  let dir: string;
  let a: RealEnv;
  let b: RealEnv;
  let ticks: Ticks;
  /** Lab errors of the nodes: in a node process each would crash it (test/lab-errors.test.ts). */
  let crashes: LabError[];

  async function startNode(port: number, name: string, served: Ticks): Promise<RealEnv> {
    const crash = (e: LabError): void => void crashes.push(e);
    const env = await RealEnv.listen({ host: '127.0.0.1', port, disk: new RealDisk(join(dir, name)), trace: new TraceRecorder(), crash });
    env.serve(add, ({ a: x, b: y }, from) => ({ sum: x + y, from }));
    env.serve(fail, () => {
      throw new Error('boom');
    });
    env.serve(hang, () => new Promise<Record<string, never>>(() => undefined));
    env.serve(badResultServed, () => ({ n: 'not a number' }));
    env.serve(echo, ({ text }) => ({ text }));
    env.serve(big, ({ chars }) => ({ text: 'x'.repeat(chars) }));
    env.on(tick, ({ n }, from) => served.seen.push({ n, from }));
    env.on(note, ({ text }) => served.seen.push({ n: text.length, from: 'note' }));
    env.on(labelled, ({ kinds }) => served.seen.push({ n: kinds.length, from: 'labelled' }));
    env.on(boom, () => {
      throw new RangeError('boom in a notice');
    });
    return env;
  }

  beforeEach(async function () {
    ports = await reservePortPairs(3);
    dir = mkdtempSync(join(tmpdir(), 'rsmlab-transport-'));
    ticks = { seen: [] };
    crashes = [];
    a = await startNode(ports[0]!, 'a', { seen: [] });
    b = await startNode(ports[1]!, 'b', ticks);
  });

  afterEach(async function () {
    await a.close();
    await b.close();
    releasePorts(ports);
    rmSync(dir, { recursive: true, force: true });
  });

  it('calls and serves, telling the handler who called', async function () {
    expect(await a.call(b.me, add, { a: 2, b: 3 }, { timeoutMs: 2000 })).to.deep.equal({ sum: 5, from: a.me });
    expect(await b.call(a.me, add, { a: -1, b: 1 }, { timeoutMs: 2000 })).to.deep.equal({ sum: 0, from: b.me });
    const many = await Promise.all([...Array(50).keys()].map((i) => a.call(b.me, add, { a: i, b: i }, { timeoutMs: 2000 })));
    expect(many.map((r) => r.sum)).to.deep.equal([...Array(50).keys()].map((i) => 2 * i));
  });

  it('delivers one-way notices in order, with the sender, traced with one message id', async function () {
    for (let n = 0; n < 5; n++) a.send(b.me, tick, { n });
    await until(() => ticks.seen.length === 5);
    expect(ticks.seen).to.deep.equal([0, 1, 2, 3, 4].map((n) => ({ n, from: a.me })));
    const sent = events(a.trace).filter((e) => e.kind === 'send' && e.msg?.method === 't.tick');
    const delivered = events(b.trace).filter((e) => e.kind === 'deliver' && e.msg?.method === 't.tick');
    expect(delivered.map((e) => e.msg)).to.deep.equal(sent.map((e) => e.msg));
    expect(sent[4]!.msg).to.include({ type: 'notice', summary: '{"n":4}' });
  });

  it('times out a call with no reply', async function () {
    const e = await failure(a.call(b.me, hang, {}, { timeoutMs: 50 }));
    expect(isRpcError(e, 'timeout'), String(e)).to.equal(true);
  });

  it('fails fast as unreachable when nobody listens (no waiting for the timeout)', async function () {
    this.timeout(10_000); // a call that waited for its 10-minute timeout would fail this test
    const e = await failure(a.call(`127.0.0.1:${ports[2]}`, add, { a: 1, b: 1 }, { timeoutMs: 600_000 }));
    expect(isRpcError(e, 'unreachable'), String(e)).to.equal(true);
    const bad = await failure(a.call('n7', add, { a: 1, b: 1 }, { timeoutMs: 600_000 }));
    expect(isRpcError(bad, 'unreachable'), String(bad)).to.equal(true);
  });

  it("gives a failed call's RpcError the frames of the lab code awaiting it, and keeps its fields", async function () {
    const unserved = method('t.unserved', z.object({}), z.object({}));
    async function labAwaitsCall(): Promise<unknown> {
      return await a.call(b.me, hang, {}, { timeoutMs: 30 });
    }
    async function labAwaitsEach(): Promise<unknown> {
      return await Promise.all(a.callEach([b.me, `127.0.0.1:${ports[2]}`], add, { a: 1, b: 1 }, { timeoutMs: 2000 }));
    }
    async function labAwaitsAnswer(): Promise<unknown> {
      return await b.call(a.me, unserved, {}, { timeoutMs: 2000 });
    }
    const timedOut = await failure(labAwaitsCall());
    expect(isRpcError(timedOut, 'timeout'), String(timedOut)).to.equal(true);
    expect((timedOut as Error).stack).to.match(/^RpcError: t\.hang to [^\n]+: timeout[^\n]*\n(\s+at [^\n]+\n)*\s+at async labAwaitsCall \([^)]*transport\.test\./);
    const unreachable = await failure(labAwaitsEach());
    expect(isRpcError(unreachable, 'unreachable'), String(unreachable)).to.equal(true);
    expect((unreachable as Error).stack).to.match(/\n\s+at async labAwaitsEach \(/);
    const answered = await failure(labAwaitsAnswer());
    expect(answered).to.include({ kind: 'remote', peer: a.me, method: 't.unserved', code: -32601 });
    expect((answered as Error).message).to.match(/^t\.unserved to [^:]+:\d+: remote \(-32601: Method not found: t\.unserved\)$/);
    expect((answered as Error).stack).to.match(/\n\s+at async labAwaitsAnswer \(/);
  });

  it('fails calls in flight as unreachable when the peer dies, and reconnects after it restarts', async function () {
    this.timeout(10_000);
    const inFlight = a.call(b.me, hang, {}, { timeoutMs: 600_000 });
    await until(() => events(b.trace).some((e) => e.kind === 'deliver' && e.msg?.method === 't.hang'));
    await b.close();
    const e = await failure(inFlight);
    expect(isRpcError(e, 'unreachable'), String(e)).to.equal(true);
    const down = await failure(a.call(b.me, add, { a: 1, b: 2 }, { timeoutMs: 600_000 }));
    expect(isRpcError(down, 'unreachable'), String(down)).to.equal(true);
    b = await startNode(ports[1]!, 'b', ticks);
    expect(await a.call(b.me, add, { a: 1, b: 2 }, { timeoutMs: 2000 })).to.deep.equal({ sum: 3, from: a.me });
  });

  it('rejects params that fail the schema: at the caller (Error) and at the receiver (remote -32602)', async function () {
    const local = await failure(a.call(b.me, add, { a: 1, b: 'x' as unknown as number }, { timeoutMs: 2000 }));
    expect(isRpcError(local)).to.equal(false);
    expect(String(local)).to.match(/invalid params for t\.add: b:/);
    const remote = await failure(a.call(b.me, addLoose, { a: 1, b: 'x' }, { timeoutMs: 2000 }));
    expect(isRpcError(remote, 'remote'), String(remote)).to.equal(true);
    expect(String(remote)).to.match(/-32602: Invalid params for t\.add: b: /);
  });

  it('carries frames of several MiB; refuses one over MAX_FRAME_BYTES at its sender: a call at once, a notice dropped and traced, a reply as a server error', async function () {
    // Bounds for a starved host (this test builds and checks 64 MiB strings; it took over 30 s at load 12), never a speed claim.
    this.timeout(180_000);
    const large = 'y'.repeat(3 << 20);
    expect(await a.call(b.me, echo, { text: large }, { timeoutMs: 60_000 })).to.deep.equal({ text: large });
    const over = 'z'.repeat(MAX_FRAME_BYTES);
    const call = await failure(a.call(b.me, echo, { text: over }, { timeoutMs: 600_000 }));
    expect(isRpcError(call), 'refused locally, not a network failure').to.equal(false);
    expect(String(call)).to.match(/t\.echo to .* not sent: a frame of \d+ bytes is over the 64 MiB frame limit/);
    const said: string[] = [];
    const stderr = console.error;
    console.error = (line: string) => void said.push(line);
    try {
      a.send(b.me, note, { text: over });
      a.send(b.me, note, { text: over });
    } finally {
      console.error = stderr;
    }
    expect(said, 'said once per method and peer').to.have.length(1);
    expect(said[0]).to.match(/^rsmlab: .*: t\.note to .* not sent: a frame of \d+ bytes is over the 64 MiB frame limit \(said once/);
    a.send(b.me, note, { text: large });
    await until(() => ticks.seen.length === 1);
    expect(ticks.seen, 'only the frame that fits arrived').to.deep.equal([{ n: large.length, from: 'note' }]);
    const dropped = events(a.trace).filter((e) => e.kind === 'drop' && e.msg?.method === 't.note');
    expect(dropped, 'each refusal traced').to.have.length(2);
    for (const drop of dropped) expect(drop.detail?.reason).to.match(/^a frame of \d+ bytes is over the 64 MiB frame limit$/);
    const reply = await failure(a.call(b.me, big, { chars: MAX_FRAME_BYTES }, { timeoutMs: 60_000 }));
    expect(isRpcError(reply, 'remote'), String(reply)).to.equal(true);
    expect(String(reply)).to.match(/-32000: result not sent: a frame of \d+ bytes is over the 64 MiB frame limit/);
    const refused = events(b.trace).filter((e) => e.kind === 'drop' && e.msg?.method === 't.big');
    expect(refused.map((e) => e.msg?.type), 'the refused result traced as a drop').to.deep.equal(['res']);
    expect(refused[0]!.detail?.reason).to.match(/^a frame of \d+ bytes is over the 64 MiB frame limit$/);
    expect(await a.call(b.me, add, { a: 1, b: 2 }, { timeoutMs: 2000 }), 'the link still works').to.deep.equal({ sum: 3, from: a.me });
  });

  it('rejects a reply that fails the result schema at the caller', async function () {
    const e = await failure(a.call(b.me, badResult, {}, { timeoutMs: 2000 }));
    expect(isRpcError(e, 'remote'), String(e)).to.equal(true);
    expect(String(e)).to.match(/reply does not match its schema: n: /);
  });

  it('crashes the node (no reply, never a remote error) when a handler or a notice handler throws', async function () {
    const e = await failure(a.call(b.me, fail, {}, { timeoutMs: 300 }));
    expect(isRpcError(e, 'timeout'), String(e)).to.equal(true);
    a.send(b.me, boom, {});
    await until(() => crashes.length === 2);
    expect(crashes.map((c) => c.message.split('\n')[0])).to.deep.equal([`${b.me}: handler t.fail threw: Error: boom`, `${b.me}: notice t.boom threw: RangeError: boom in a notice`]);
    expect(crashes[0]!.message).to.match(/\n\s+at .*transport\.test\.js/);
  });

  it('partitions: nothing leaves or arrives until healed; an armed partition cuts at partitionPoint', async function () {
    a.partition(true);
    const out = await failure(a.call(b.me, add, { a: 1, b: 1 }, { timeoutMs: 100 }));
    expect(isRpcError(out, 'timeout'), String(out)).to.equal(true);
    const inn = await failure(b.call(a.me, add, { a: 1, b: 1 }, { timeoutMs: 100 }));
    expect(isRpcError(inn, 'timeout'), String(inn)).to.equal(true);
    a.heal();
    expect((await b.call(a.me, add, { a: 1, b: 1 }, { timeoutMs: 2000 })).sum).to.equal(2);
    a.partition(false);
    expect((await a.call(b.me, add, { a: 2, b: 2 }, { timeoutMs: 2000 })).sum).to.equal(4);
    a.partitionPoint();
    expect(a.links.partitioned).to.equal(true);
    const cut = await failure(a.call(b.me, add, { a: 1, b: 1 }, { timeoutMs: 100 }));
    expect(isRpcError(cut, 'timeout'), String(cut)).to.equal(true);
    expect(events(a.trace).filter((e) => e.kind === 'drop').map((e) => e.detail?.reason)).to.include('partition');
  });

  it('a peers-only partition cuts node links both ways and spares clients: a client still calls the node, and its reply comes back', async function () {
    a.partition(true, true);
    const out = await failure(a.call(b.me, add, { a: 1, b: 1 }, { timeoutMs: 100 }));
    expect(isRpcError(out, 'timeout'), String(out)).to.equal(true);
    const inn = await failure(b.call(a.me, add, { a: 1, b: 1 }, { timeoutMs: 100 }));
    expect(isRpcError(inn, 'timeout'), String(inn)).to.equal(true);
    const c = RealEnv.client('reader');
    try {
      expect(await c.call(a.me, add, { a: 2, b: 5 }, { timeoutMs: 2000 })).to.deep.equal({ sum: 7, from: c.me });
    } finally {
      await c.close();
    }
    expect(a.links.cuts(a.me), 'its links to itself').to.equal(false);
    a.heal();
    expect((await b.call(a.me, add, { a: 1, b: 1 }, { timeoutMs: 2000 })).sum).to.equal(2);
    expect(events(a.trace).filter((e) => e.kind === 'partition').map((e) => e.detail)).to.deep.equal([{ at: 'now', peersOnly: true }]);
  });

  it('applies loss and duplication faults to the node\'s links', async function () {
    a.setFaults({ loss: 1 });
    const lost = await failure(a.call(b.me, add, { a: 1, b: 1 }, { timeoutMs: 100 }));
    expect(isRpcError(lost, 'timeout'), String(lost)).to.equal(true);
    expect(events(a.trace).some((e) => e.kind === 'drop' && e.detail?.reason === 'loss')).to.equal(true);
    a.setFaults({ loss: 0 });
    b.setFaults({ dup: 1 });
    a.send(b.me, tick, { n: 7 });
    await until(() => ticks.seen.length === 2);
    expect(ticks.seen).to.deep.equal([
      { n: 7, from: a.me },
      { n: 7, from: a.me },
    ]);
    expect((await a.call(b.me, add, { a: 1, b: 1 }, { timeoutMs: 2000 })).sum).to.equal(2); // the duplicate reply is ignored
  });

  it('faults with methods strike only those methods\' messages; [] strikes every message again', async function () {
    a.setFaults({ loss: 1, methods: [tick.name] });
    expect((await a.call(b.me, add, { a: 2, b: 2 }, { timeoutMs: 2000 })).sum, 'a call of another method').to.equal(4);
    a.send(b.me, tick, { n: 8 });
    expect(events(a.trace).filter((e) => e.kind === 'drop' && e.detail?.reason === 'loss').map((e) => e.msg?.method)).to.deep.equal([tick.name]);
    a.setFaults({ methods: [] });
    const lost = await failure(a.call(b.me, add, { a: 1, b: 1 }, { timeoutMs: 100 }));
    expect(isRpcError(lost, 'timeout'), String(lost)).to.equal(true);
    a.setFaults({ loss: 0 });
    expect((await a.call(b.me, add, { a: 1, b: 1 }, { timeoutMs: 2000 })).sum).to.equal(2);
    expect(ticks.seen.filter((t) => t.n === 8), 'the struck notice').to.deep.equal([]);
  });

  it('serves client envs, which are named client:<name> and cannot serve', async function () {
    const c = RealEnv.client('alice');
    try {
      expect(await c.call(b.me, add, { a: 1, b: 1 }, { timeoutMs: 2000 })).to.deep.equal({ sum: 2, from: 'client:alice' });
      expect(() => c.serve(add, () => ({ sum: 0, from: '' }))).to.throw('clients do not serve');
      expect(() => c.on(tick, () => undefined)).to.throw('clients do not serve');
    } finally {
      await c.close();
    }
  });

  it('a closed client env is dead: its calls never settle, its sends and timers do nothing, it traces nothing', async function () {
    const trace = new TraceRecorder();
    const c = RealEnv.client('ghost', { trace });
    expect(await c.call(b.me, add, { a: 1, b: 2 }, { timeoutMs: 2000 })).to.deep.equal({ sum: 3, from: 'client:ghost' });
    await c.close();
    const traced = trace.length;
    let fired = false;
    c.setTimer(1, () => (fired = true));
    c.send(b.me, tick, { n: 99 });
    const outcome = await Promise.race([c.call(b.me, add, { a: 1, b: 1 }, { timeoutMs: 20 }).then(() => 'settled', () => 'settled'), new Promise((r) => setTimeout(() => r('pending'), 100))]);
    expect(outcome).to.equal('pending');
    expect(fired).to.equal(false);
    expect(ticks.seen).to.deep.equal([]);
    expect(trace.length).to.equal(traced);
  });

  it('callEach: one request per peer with the same params, replies in the peers\' order, each failing alone; bad params reject all, nothing sent', async function () {
    const dead = `127.0.0.1:${ports[2]}`;
    const replies = a.callEach([b.me, dead, b.me], add, { a: 2, b: 5 }, { timeoutMs: 2000 });
    expect(replies).to.have.length(3);
    const settled = await Promise.allSettled(replies);
    expect(settled.map((r) => r.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled']);
    expect((settled[0] as PromiseFulfilledResult<unknown>).value).to.deep.equal({ sum: 7, from: a.me });
    expect(isRpcError((settled[1] as PromiseRejectedResult).reason, 'unreachable')).to.equal(true);
    const sent = events(a.trace).filter((e) => e.kind === 'send' && e.msg?.method === 't.add');
    expect(sent.map((e) => [e.msg?.to, e.msg?.summary])).to.deep.equal([b.me, dead, b.me].map((to) => [to, '{"a":2,"b":5}']));
    expect(new Set(sent.map((e) => e.msg?.id)).size, 'a message id each').to.equal(3);
    const bad = await Promise.allSettled(a.callEach([b.me, b.me], add, { a: 'x', b: 1 } as never, { timeoutMs: 2000 }));
    expect(bad.map((r) => r.status === 'rejected' && !isRpcError(r.reason) && /invalid params for t\.add/.test(String(r.reason)))).to.deep.equal([true, true]);
    expect(events(a.trace).filter((e) => e.kind === 'send' && e.msg?.method === 't.add')).to.have.length(3);
  });

  it('sendEach: one notice per peer with the same params, each traced with its own id; bad params throw, nothing sent', async function () {
    a.sendEach([b.me, 'n7', b.me], tick, { n: 9 });
    await until(() => ticks.seen.length === 2);
    expect(ticks.seen).to.deep.equal([{ n: 9, from: a.me }, { n: 9, from: a.me }]);
    const sent = events(a.trace).filter((e) => e.kind === 'send' && e.msg?.method === 't.tick');
    expect(sent.map((e) => [e.msg?.to, e.msg?.summary])).to.deep.equal([b.me, 'n7', b.me].map((to) => [to, '{"n":9}']));
    expect(new Set(sent.map((e) => e.msg?.id)).size, 'a message id each').to.equal(3);
    expect(events(a.trace).filter((e) => e.kind === 'drop' && e.msg?.to === 'n7')).to.have.length(1);
    expect(() => a.sendEach([b.me, b.me], tick, { n: 'x' } as never)).to.throw(/invalid params for t\.tick/);
    expect(events(a.trace).filter((e) => e.kind === 'send' && e.msg?.method === 't.tick')).to.have.length(3);
  });

  it('traces a notice\'s label on its send (send and sendEach), computed once; the receiver\'s deliver line has none', async function () {
    labels = 0;
    a.send(b.me, labelled, { kinds: ['prepare'] });
    a.sendEach([b.me, b.me], labelled, { kinds: ['start_view_change', 'do_view_change'] });
    await until(() => ticks.seen.length === 3);
    const sent = events(a.trace).filter((e) => e.kind === 'send' && e.msg?.method === 't.labelled');
    expect(sent.map((e) => e.msg?.label)).to.deep.equal(['prepare', 'start_view_change+do_view_change', 'start_view_change+do_view_change']);
    expect(labels, 'once per send and per sendEach').to.equal(2);
    const delivered = events(b.trace).filter((e) => e.kind === 'deliver' && e.msg?.method === 't.labelled');
    expect(delivered.map((e) => [e.msg?.id, e.msg?.label])).to.deep.equal(sent.map((e) => [e.msg?.id, undefined]));
  });

  it('traces a call as send/deliver at both ends with one message id', async function () {
    await a.call(b.me, add, { a: 4, b: 5 }, { timeoutMs: 2000 });
    const atA = events(a.trace).filter((e) => e.msg?.method === 't.add');
    const atB = events(b.trace).filter((e) => e.msg?.method === 't.add');
    expect(atA.map((e) => [e.kind, e.msg?.type])).to.deep.equal([
      ['send', 'req'],
      ['deliver', 'res'],
    ]);
    expect(atB.map((e) => [e.kind, e.msg?.type])).to.deep.equal([
      ['deliver', 'req'],
      ['send', 'res'],
    ]);
    const ids = new Set([...atA, ...atB].map((e) => e.msg?.id));
    expect(ids.size).to.equal(1);
    expect(atA[0]!.msg).to.include({ from: a.me, to: b.me, summary: '{"a":4,"b":5}' });
    expect(atB[0]!.msg).to.include({ from: a.me, to: b.me, summary: '{"a":4,"b":5}' });
    expect(atB[1]!.msg).to.include({ from: b.me, to: a.me, summary: `{"sum":9,"from":"${a.me}"}` });
    expect(atA[1]!.msg).to.include({ from: b.me, to: a.me, summary: `{"sum":9,"from":"${a.me}"}` });
  });
});

describe('real disk', function () {
  let dir: string;
  let disk: RealDisk;

  beforeEach(async function () {
    dir = mkdtempSync(join(tmpdir(), 'rsmlab-disk-'));
    disk = new RealDisk(join(dir, 'disk'));
    await disk.init();
  });

  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  const bytes = (...xs: number[]): Uint8Array => new Uint8Array(xs);

  it('reads, writes, appends, truncates, fsyncs, lists and removes files', async function () {
    expect(await disk.read('log')).to.deep.equal(bytes());
    expect(await disk.size('log')).to.equal(0);
    await disk.append('log', bytes(1, 2, 3));
    await disk.append('log', bytes(4));
    await disk.write('log', 1, bytes(9, 9));
    await disk.fsync('log');
    expect(await disk.read('log')).to.deep.equal(bytes(1, 9, 9, 4));
    expect(await disk.read('log', 2)).to.deep.equal(bytes(9, 4));
    expect(await disk.read('log', 1, 2)).to.deep.equal(bytes(9, 9));
    await disk.write('meta', 2, bytes(7));
    expect(await disk.read('meta')).to.deep.equal(bytes(0, 0, 7));
    await disk.truncate('log', 2);
    expect(await disk.size('log')).to.equal(2);
    expect(await disk.list()).to.deep.equal(['log', 'meta']);
    await disk.remove('meta');
    await disk.remove('meta');
    expect(await disk.list()).to.deep.equal(['log']);
    expect(await disk.files()).to.deep.equal([{ name: 'log', size: 2 }]);
  });

  it('writes an open file within the call, through the faulty layer too while no write fault can strike', async function () {
    // What a node's order of IO relies on: a log's fsync starts before the prepares queued after its write leave (src/env/real/disk.ts).
    await disk.write('log', 0, bytes(1)); // opens it
    const faulty = new FaultyDisk(disk, 'n0');
    const onDisk = (): number[] => [...readFileSync(join(dir, 'disk', 'log'))];
    const order: string[] = [];
    const written = [disk.write('log', 1, bytes(2)).then(() => order.push('disk')), faulty.write('log', 2, bytes(3)).then(() => order.push('faulty'))];
    void Promise.resolve().then(() => order.push('a job queued after them'));
    expect(onDisk()).to.deep.equal([1, 2, 3]);
    await Promise.all(written);
    expect(order).to.deep.equal(['disk', 'faulty', 'a job queued after them']);
    await disk.remove('log');
    await disk.write('log', 0, bytes(4)); // a new file: never the removed one's descriptor
    expect(onDisk()).to.deep.equal([4]);
  });

  it('refuses file names that could leave the directory', async function () {
    for (const name of ['../x', '/etc/passwd', '.hidden', 'a/b', '', '..', 'x\0y']) {
      const e = await failure(disk.write(name, 0, bytes(1)));
      expect(String(e), name).to.match(/bad file name/);
    }
  });

  it('corrupts exactly the asked bytes (instructors\' disk fault)', async function () {
    await disk.write('f', 0, bytes(0, 0, 0, 0, 0));
    expect(await disk.corrupt('f', 1, 2)).to.equal(2);
    const after = await disk.read('f');
    expect([after[0], after[3], after[4]]).to.deep.equal([0, 0, 0]);
    expect(after[1]).to.not.equal(0);
    expect(after[2]).to.not.equal(0);
    expect(await disk.corrupt('f', 4, 10)).to.equal(1);
  });
});
