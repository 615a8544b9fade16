// Request batching in the VSR engine (VsrConfig.batch_max > 1), driven by hand on the engine bench:
// writes that arrive together, or find the pipeline full, wait in the primary's queue and go out as
// one `batch` prepare;
// committing it runs each write once, in order, through the client table, and answers each; a
// duplicate (queued, committed, after a view change) is never run again; a queue left behind by a
// view change is answered busy; Lab 4's body bound cuts a batch; the wire refuses a malformed one.
import { expect } from 'chai';
import { cloneState, createState, TICKS } from '../labs/vsr/state.js';
import { step, type Event } from '../labs/vsr/engine.js';
import { makeEntry, parseCheckpoint, type BatchBody, type Message } from '../labs/vsr/protocol.js';
import { canonicalJson } from '../src/json.js';
import { messageProblem } from '../src/engine/driver.js';
import { Bench, type Limits } from './vsr-helpers.js';

const append = (client: string, request: number) => ({ client, request, kind: 'write' as const, op: { f: 'append', key: 'k', value: `${client}.${request}` } });

/** A bench whose clients c0..c{n-1} are registered (ops 1..n), with these limits. */
function registered(n: number, limits: Limits): Bench {
  const b = new Bench(3, {}, limits);
  for (let c = 0; c < n; c++) {
    b.request({ client: `c${c}`, request: 0, kind: 'register' });
    b.settle();
  }
  b.replies = [];
  return b;
}

function batchPrepares(b: Bench): BatchBody[] {
  return b.sentLog.flatMap((m) => (m.command === 'prepare' && m.replica === 0 && m.entry.header.operation === 'batch' ? [m.entry.body as BatchBody] : []));
}

function unique<T>(xs: T[]): T[] {
  return xs.filter((x, i) => xs.findIndex((y) => JSON.stringify(y) === JSON.stringify(x)) === i);
}

describe('vsr engine: request batching', () => {
  it('writes that find the pipeline full wait, then go out as one batch prepare; each runs once, in order, and gets its own reply', () => {
    const b = registered(6, { pipeline_max: 1, batch_max: 4 });
    for (let c = 0; c <= 5; c++) b.request(append(`c${c}`, 1));
    // c0 took the pipeline's one slot (op 7); c1..c4 wait (1 x 4 at most); c5 finds the queue full.
    expect(b.states[0]!.op).to.equal(7);
    expect(b.states[0]!.queue.map((q) => q.client)).to.deep.equal(['c1', 'c2', 'c3', 'c4']);
    expect(b.replies.map((r) => [r.client, r.reply.status])).to.deep.equal([['c5', 'busy']]);
    b.settle();
    expect(unique(batchPrepares(b)).map((body) => body.requests.map((r) => `${r.client}#${r.request}`))).to.deep.equal([['c1#1', 'c2#1', 'c3#1', 'c4#1']]);
    const oks = b.replies.filter((r) => r.reply.status === 'ok').map((r) => [r.client, r.request, r.reply.status === 'ok' && r.reply.op]);
    expect(oks).to.deep.equal([['c0', 1, 7], ['c1', 1, 8], ['c2', 1, 8], ['c3', 1, 8], ['c4', 1, 8]]);
    b.tick(TICKS.commit);
    for (const s of b.states) {
      expect(s.commit_min).to.equal(8);
      expect(s.app).to.deep.equal([['k', 'c0.1c1.1c2.1c3.1c4.1']]);
      expect(s.clients.filter((row) => row.request === 1).map((row) => [row.client, row.op])).to.deep.equal([['c0', 7], ['c1', 8], ['c2', 8], ['c3', 8], ['c4', 8]]);
    }
  });

  it('writes that arrive together share prepares: a full batch as soon as a slot is free, the rest queued; only a full queue answers busy', () => {
    const b = registered(9, { pipeline_max: 1, batch_max: 4 });
    b.requests([0, 1, 2, 3, 4, 5].map((c) => append(`c${c}`, 1)));
    // c0..c3 fill a batch in the free slot (op 10); c4, c5 wait in the queue (1 x 4 at most).
    expect(b.states[0]!.op).to.equal(10);
    expect(unique(batchPrepares(b)).map((body) => body.requests.map((r) => r.client))).to.deep.equal([['c0', 'c1', 'c2', 'c3']]);
    expect(b.states[0]!.queue.map((q) => q.client)).to.deep.equal(['c4', 'c5']);
    expect(b.replies).to.deep.equal([]);
    // The slot is taken: the next arrivals queue until the queue is full, then are answered busy.
    b.requests([6, 7, 8].map((c) => append(`c${c}`, 1)));
    expect(b.states[0]!.queue.map((q) => q.client)).to.deep.equal(['c4', 'c5', 'c6', 'c7']);
    expect(b.replies.map((r) => [r.client, r.reply.status])).to.deep.equal([['c8', 'busy']]);
    b.settle();
    b.tick(TICKS.commit);
    expect(unique(batchPrepares(b)).map((body) => body.requests.map((r) => r.client))).to.deep.equal([['c0', 'c1', 'c2', 'c3'], ['c4', 'c5', 'c6', 'c7']]);
    for (const s of b.states) expect(s.app).to.deep.equal([['k', 'c0.1c1.1c2.1c3.1c4.1c5.1c6.1c7.1']]);
  });

  it('a duplicate is never run twice: not while queued, not once its batch committed, not after a view change', () => {
    const b = registered(4, { pipeline_max: 1, batch_max: 4 });
    for (let c = 0; c <= 3; c++) b.request(append(`c${c}`, 1));
    b.request(append('c2', 1)); // a retransmission while queued: it waits with the first, no second place
    expect(b.states[0]!.queue.map((q) => q.client)).to.deep.equal(['c1', 'c2', 'c3']);
    b.settle();
    b.tick(TICKS.commit);
    const ok = (client: string) => b.replies.filter((r) => r.client === client && r.reply.status === 'ok').map((r) => r.reply);
    expect(ok('c2')).to.deep.equal([{ status: 'ok', view: 0, request: 1, op: 6, result: { ok: true, value: null } }]);
    // Once committed: the cached reply, and no new op.
    b.replies = [];
    b.request(append('c3', 1));
    expect(b.states[0]!.op).to.equal(6);
    expect(ok('c3')).to.deep.equal([{ status: 'ok', view: 0, request: 1, op: 6, result: { ok: true, value: null } }]);
    // After a view change the new primary's client table holds every request of the batch.
    b.down.add(0);
    b.tick(3 * TICKS.normal);
    expect(b.states[1]!.status).to.equal('normal');
    expect(b.states[1]!.view).to.equal(1);
    b.replies = [];
    b.request(append('c1', 1), 1);
    b.request(append('c2', 2), 1);
    b.settle();
    b.tick(TICKS.commit);
    expect(ok('c1').map((r) => r.status === 'ok' && r.op)).to.deep.equal([6]);
    expect(b.states[2]!.app).to.deep.equal([['k', 'c0.1c1.1c2.1c3.1c2.2']]);
  });

  it('a primary that leaves normal status answers its queued writes busy, and its queue is empty', () => {
    const b = registered(3, { pipeline_max: 1, batch_max: 4 });
    for (let c = 0; c <= 2; c++) b.request(append(`c${c}`, 1));
    expect(b.states[0]!.queue).to.have.length(2);
    b.inbox = [];
    b.run(0, { kind: 'message', message: { command: 'start_view_change', cluster: 7, replica: 1, view: 1 } satisfies Message });
    expect(b.states[0]!.status).to.equal('view_change');
    expect(b.states[0]!.queue).to.deep.equal([]);
    expect(b.replies.map((r) => [r.client, r.reply.status])).to.deep.equal([['c1', 'busy'], ['c2', 'busy']]);
  });

  it('a batch is cut to what its body bound holds (Lab 4: a journal prepare cell); the rest waits for the next slot', () => {
    const item = (c: string) => canonicalJson({ client: c, request: 1, op: append(c, 1).op });
    // Room for two writes in one body, not three.
    const bound = `{"requests":[${item('c1')},${item('c2')}]}`.length;
    const b = registered(5, { pipeline_max: 1, batch_max: 4, body_bytes_max: bound });
    for (let c = 0; c <= 4; c++) b.request(append(`c${c}`, 1));
    b.settle();
    const batches = unique(batchPrepares(b));
    expect(batches.map((body) => body.requests.map((r) => r.client))).to.deep.equal([['c1', 'c2'], ['c3', 'c4']]);
    for (const body of batches) expect(canonicalJson(body).length).to.be.at.most(bound);
    expect(b.replies.filter((r) => r.reply.status === 'ok')).to.have.length(5);
  });

  it('a new view whose pipeline holds more than pipeline_max ops (a whole cluster restarted: no replica knew them committed) queues a request until it drains', () => {
    const b = registered(2, { pipeline_max: 1, batch_max: 4 });
    b.request(append('c0', 1));
    b.settle();
    // Power loss on every replica: each comes back with its log (ops 1..3) and commit_max 0, and
    // with nobody normal to answer a recovery, they change views; replica 1 leads view 1.
    b.states.forEach((s, i) => {
      b.states[i] = createState(s.config, { superblock: { view: 0, log_view: 0 }, entries: s.log.slice(1) });
      b.run(i, { kind: 'nonce', nonce: `again-${i}` });
    });
    b.inbox = [];
    const primary = b.states[1]!;
    for (let t = 0; t < 100 * TICKS.recovery && !(primary.status === 'normal' && primary.view > 0); t++) {
      b.states.forEach((_, i) => b.run(i, { kind: 'tick' }));
      while ((b.inbox.length > 0 || b.writes.length > 0) && !(primary.status === 'normal' && primary.view > 0)) {
        b.flushWrites();
        const m = b.inbox.shift();
        if (m !== undefined) b.run(m.to, { kind: 'message', message: m.message });
      }
    }
    expect([primary.status, primary.view, primary.pipeline.length]).to.deep.equal(['normal', 1, 3]);
    // A new client's register now finds the pipeline (3 ops, pipeline_max 1) full: it waits, then commits once.
    b.replies = [];
    b.request({ client: 'c2', request: 0, kind: 'register' }, 1);
    expect(primary.queue.map((q) => q.client)).to.deep.equal(['c2']);
    b.settle();
    b.tick(TICKS.commit);
    expect(b.replies.filter((r) => r.client === 'c2').map((r) => [r.reply.status, r.reply.status === 'ok' && r.reply.op])).to.deep.equal([['ok', 4]]);
    for (const s of b.states) expect([s.commit_min, s.clients.map((row) => row.client), s.app]).to.deep.equal([4, ['c0', 'c1', 'c2'], [['k', 'c0.1']]]);
  });

  it('a primary with requests queued is plain data: a clone (and a JSON round trip) goes on exactly like it', () => {
    const b = registered(4, { pipeline_max: 1, batch_max: 4 });
    for (let c = 0; c <= 3; c++) b.request(append(`c${c}`, 1));
    const primary = b.states[0]!;
    expect(primary.queue).to.have.length(3);
    expect(JSON.parse(JSON.stringify(primary))).to.deep.equal(primary);
    const twin = cloneState(primary);
    // The pipeline's op commits (the primary's write, a backup's prepare_ok): the queue goes out as one batch.
    const { op, checksum } = primary.log.at(-1)!.header;
    const events: Event[] = [
      { kind: 'written', op, checksum },
      { kind: 'message', message: { command: 'prepare_ok', cluster: 7, replica: 1, view: 0, op, checksum } },
    ];
    for (const e of events) expect(step(twin, structuredClone(e))).to.deep.equal(step(primary, structuredClone(e)));
    expect(twin).to.deep.equal(primary);
    expect(primary.log.at(-1)!.header.operation).to.equal('batch');
  });

  it('batch_max 1 (the default) queues nothing: a full pipeline answers busy', () => {
    const b = registered(3, { pipeline_max: 1 });
    for (let c = 0; c <= 2; c++) b.request(append(`c${c}`, 1));
    expect(b.states[0]!.queue).to.deep.equal([]);
    expect(b.replies.map((r) => [r.client, r.reply.status])).to.deep.equal([['c1', 'busy'], ['c2', 'busy']]);
  });

  it('the wire drops a batch prepare whose body is not two or more writes, or whose header names a client', () => {
    const header = { parent: '0'.repeat(32), cluster: 7, view: 0, op: 1, commit: 0, timestamp: 0, client: '', request: 0, operation: 'batch' as const, replica: 0 };
    const write = { client: 'c0', request: 1, op: { f: 'put', key: 'k', value: 'v' } };
    const prepare = (entry: ReturnType<typeof makeEntry>): Message => ({ command: 'prepare', cluster: 7, replica: 0, view: 0, entry });
    expect(messageProblem(prepare(makeEntry(header, { requests: [write, { ...write, client: 'c1' }] })), 7)).to.equal(null);
    expect(messageProblem(prepare(makeEntry(header, { requests: [write] })), 7)).to.match(/not a batch of writes/);
    expect(messageProblem(prepare(makeEntry(header, { requests: [write, { ...write, request: 0 }] })), 7)).to.match(/not a batch of writes/);
    expect(messageProblem(prepare(makeEntry({ ...header, client: 'c0' }, { requests: [write, { ...write, client: 'c1' }] })), 7)).to.match(/names a client/);
  });

  it("Lab 4's other ways in refuse a malformed batch too: a headers message's batch header that names a client, a snapshot whose prepare is a malformed batch", () => {
    const header = { parent: '0'.repeat(32), cluster: 7, view: 0, op: 1, commit: 0, timestamp: 0, client: '', request: 0, operation: 'batch' as const, replica: 0 };
    const write = { client: 'c0', request: 1, op: { f: 'put', key: 'k', value: 'v' } };
    const good = makeEntry(header, { requests: [write, { ...write, client: 'c1' }] });
    const headers = (h: typeof good.header): Message => ({ command: 'headers', cluster: 7, replica: 0, view: 0, headers: [h] });
    expect(messageProblem(headers(good.header), 7)).to.equal(null);
    expect(messageProblem(headers(makeEntry({ ...header, client: 'c0', request: 1 }, { requests: [write, { ...write, client: 'c1' }] }).header), 7)).to.match(/impossible header/);
    const snapshot = (entry: typeof good) => canonicalJson({ op: 1, entry, app: [], clients: [] } as never);
    expect(parseCheckpoint(snapshot(good), 7)).to.not.equal(null);
    expect(parseCheckpoint(snapshot(makeEntry(header, { requests: [write] })), 7)).to.equal(null);
    expect(parseCheckpoint(snapshot(makeEntry({ ...header, client: 'c0' }, { requests: [write, { ...write, client: 'c1' }] })), 7)).to.equal(null);
  });
});
