// The workload generator against an in-memory replicated app (ExactlyOnce over a StateMachine) on
// a fake virtual clock: histories are well-formed, deterministic per seed, linearizable when the
// app is right (also with lost replies and unknown outcomes), and not when the app is broken.
// handout: framework test (passes without the lab solutions)
import { expect } from 'chai';
import { createStateMachine, type AppName, type AppResult } from '../src/apps/app.js';
import { ExactlyOnce } from '../src/apps/exactly-once.js';
import { checkOperations } from '../src/check/check.js';
import { parseHistory, type HistoryEvent } from '../src/check/history.js';
import type { Model } from '../src/check/model.js';
import { kvModel } from '../src/check/models/kv.js';
import { lockModel } from '../src/check/models/lock.js';
import { pairOperations } from '../src/check/operation.js';
import type { Json } from '../src/env/types.js';
import { seededRandom } from '../src/random.js';
import { classicTiming } from '../src/timing.js';
import { acquireUntilGranted } from '../src/workload/acquire.js';
import { runWorkload, type Invoker, type WorkloadOptions, type WorkloadResult } from '../src/workload/workload.js';

/** Virtual time: sleep() parks a timer; run() fires timers in (time, order) order whenever all else is idle. */
class FakeClock {
  private time = 0;
  private order = 0;
  private timers: { at: number; order: number; fire: () => void }[] = [];

  now(): number {
    return this.time;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((fire) => this.timers.push({ at: this.time + ms, order: this.order++, fire }));
  }

  async run<T>(work: Promise<T>): Promise<T> {
    let settled = false;
    const done = work.finally(() => (settled = true));
    for (;;) {
      await new Promise<void>((idle) => setImmediate(idle));
      if (settled) return done;
      const next = this.timers.reduce((a, b) => (b.at < a.at || (b.at === a.at && b.order < a.order) ? b : a), this.timers[0]!);
      if (next === undefined) throw new Error('fake clock: deadlock (work pending, no timer)');
      this.timers = this.timers.filter((t) => t !== next);
      this.time = next.at;
      next.fire();
    }
  }
}

interface Faults {
  /** Probability a reply is lost and the client library retries the same seq (exactly-once must dedupe). */
  lostReply?: number;
  /** Probability the library gives up on a request (rejects: unknown outcome); half before, half after it ran. */
  giveUp?: number;
}

/**
 * The RSM as the workload sees it, in memory: a client library per client name (own seqs, random
 * network delays, retries of the same seq) in front of one ExactlyOnce app stamped with the clock.
 */
function memoryInvoker(apply: (client: string, seq: number, op: Json, time: number) => AppResult, clock: FakeClock, random: () => number, faults: Faults): Invoker {
  const delay = () => clock.sleep(1 + Math.floor(random() * 5));
  return (client) => {
    let seq = 0;
    return async (op) => {
      seq++;
      const giveUp = random() < (faults.giveUp ?? 0) ? (random() < 0.5 ? 'before' : 'after') : null;
      await delay();
      if (giveUp === 'before') throw new Error('client library: timed out');
      let result = apply(client, seq, op, clock.now());
      while (random() < (faults.lostReply ?? 0)) {
        await delay();
        result = apply(client, seq, op, clock.now());
      }
      await delay();
      if (giveUp === 'after') throw new Error('client library: timed out');
      return result;
    };
  };
}

function exactlyOnceApply(app: AppName, leaseMs = classicTiming.lockLeaseMs) {
  const eo = new ExactlyOnce(createStateMachine(app, { ...classicTiming, lockLeaseMs: leaseMs }));
  return (client: string, seq: number, op: Json, time: number) => eo.apply({ client, seq, op, time });
}

type Run = Omit<WorkloadOptions, 'invoker' | 'clock' | 'random' | 'write'> & { seed: number; faults?: Faults; apply?: ReturnType<typeof exactlyOnceApply> };

async function run(o: Run): Promise<WorkloadResult & { jsonl: string }> {
  const clock = new FakeClock();
  const random = seededRandom(o.seed);
  const apply = o.apply ?? exactlyOnceApply(o.app);
  let jsonl = '';
  const result = await clock.run(
    runWorkload({ ...o, clock, random, invoker: memoryInvoker(apply, clock, random, o.faults ?? {}), write: (line) => (jsonl += line) }),
  );
  return { ...result, jsonl };
}

function verdict<S, I, O>(model: Model<S, I, O>, jsonl: string): string {
  const paired = pairOperations(model, parseHistory(jsonl));
  return checkOperations(model, paired.ops, { maxSteps: 5_000_000, timeoutMs: 3_600_000 }).verdict;
}

/** Per process: invoke, completion, invoke, ... with the same f and key; times never go back. */
function expectWellFormed(history: HistoryEvent[]): void {
  const open = new Map<string | number, HistoryEvent>();
  let time = -Infinity;
  for (const e of history) {
    expect(e.time, 'time order').to.be.at.least(time);
    time = e.time;
    const pending = open.get(e.process);
    if (e.type === 'invoke') {
      expect(pending, `${e.process} invokes twice`).to.equal(undefined);
      open.set(e.process, e);
    } else {
      expect(pending, `${e.process} completes nothing`).to.not.equal(undefined);
      expect([e.f, e.key]).to.deep.equal([pending!.f, pending!.key]);
      open.delete(e.process);
    }
  }
  expect([...open.keys()], 'ops left pending').to.deep.equal([]);
}

function countBy(history: HistoryEvent[], pick: (e: HistoryEvent) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const e of history) counts[pick(e)] = (counts[pick(e)] ?? 0) + 1;
  return counts;
}

/** Workload options that stop the clients once `n` ops were invoked. */
function stopAfterInvokes(n: number): Pick<WorkloadOptions, 'stopped' | 'observe'> {
  let invoked = 0;
  return { stopped: () => invoked >= n, observe: (e) => void (e.type === 'invoke' && invoked++) };
}

/** The client (RSM name) behind a process: "c2/1" -> "c2". */
const clientOf = (e: HistoryEvent) => String(e.process).split('/')[0]!;

describe('workload: KV', () => {
  it('records a well-formed, linearizable history of exactly opsPerClient ops per client, streamed to the writer', async () => {
    const { history, counts, jsonl } = await run({ app: 'kv', clients: 5, opsPerClient: 40, seed: 1 });
    expectWellFormed(history);
    expect(counts).to.deep.equal({ invoke: 200, ok: 200, fail: 0, info: 0 });
    expect(countBy(history.filter((e) => e.type === 'invoke'), clientOf)).to.deep.equal({ c0: 40, c1: 40, c2: 40, c3: 40, c4: 40 });
    expect(parseHistory(jsonl).map((l) => l.event)).to.deep.equal(history);
    expect(Object.keys(countBy(history, (e) => e.f)).sort()).to.deep.equal(['append', 'cas', 'get', 'put']);
    expect(Object.keys(countBy(history, (e) => e.key!)).sort()).to.deep.equal(['k0', 'k1', 'k2']);
    expect(verdict(kvModel, jsonl)).to.equal('linearizable');
  });

  it('writes unique values, records results by type, and some cas swaps', async () => {
    const { history } = await run({ app: 'kv', clients: 3, opsPerClient: 60, seed: 2 });
    const writes = history.filter((e) => e.type === 'invoke' && (e.f === 'put' || e.f === 'append')).map((e) => e.value);
    expect(new Set(writes).size).to.equal(writes.length);
    for (const e of history.filter((x) => x.type === 'ok')) {
      const expected = { get: 'string', put: 'object', append: 'object', cas: 'boolean' }[e.f];
      expect(typeof e.value, `${e.f} result`).to.equal(expected);
    }
    expect(history.some((e) => e.f === 'cas' && e.type === 'ok' && e.value === true)).to.equal(true);
  });

  it('is deterministic for a seed and differs across seeds', async () => {
    const a = await run({ app: 'kv', clients: 3, opsPerClient: 20, seed: 7, thinkMs: 5 });
    const b = await run({ app: 'kv', clients: 3, opsPerClient: 20, seed: 7, thinkMs: 5 });
    const c = await run({ app: 'kv', clients: 3, opsPerClient: 20, seed: 8, thinkMs: 5 });
    expect(a.jsonl).to.equal(b.jsonl);
    expect(a.jsonl).to.not.equal(c.jsonl);
  });

  it('records rejected calls as info, goes on as a new process, and stays linearizable with lost replies', async () => {
    const { history, counts, jsonl } = await run({ app: 'kv', clients: 4, opsPerClient: 50, seed: 3, faults: { lostReply: 0.2, giveUp: 0.1 } });
    expectWellFormed(history);
    expect(counts.info).to.be.greaterThan(0);
    expect(counts.invoke).to.equal(200);
    expect(counts.ok + counts.info).to.equal(200);
    const after = history.findIndex((e) => e.type === 'info');
    const infoProcess = history[after]!.process;
    const next = history.slice(after + 1).find((e) => clientOf(e) === clientOf(history[after]!));
    expect(next?.process).to.equal(`${infoProcess}/1`);
    expect(verdict(kvModel, jsonl)).to.equal('linearizable');
  });

  it('stops starting ops once stopped() holds, and finishes those in flight (a load sized by its scenario, not a count)', async () => {
    const kv = await run({ app: 'kv', clients: 3, opsPerClient: 1000, seed: 6, thinkMs: 5, ...stopAfterInvokes(30) });
    expectWellFormed(kv.history);
    expect(kv.counts.invoke, 'at most one op in flight per client when it stops').to.be.within(30, 32);
    expect(kv.counts.ok).to.equal(kv.counts.invoke);
    const lock = await run({ app: 'lock', clients: 2, opsPerClient: 1000, seed: 6, thinkMs: 5, holdMs: 10, retryMs: 5, ...stopAfterInvokes(20) });
    expectWellFormed(lock.history);
    expect(lock.counts.invoke, 'a cycle (acquire, release) in flight per client finishes').to.be.within(20, 24);
  });

  it('the checker catches a store that serves stale reads (the workload gives it enough to see)', async () => {
    const eo = new ExactlyOnce(createStateMachine('kv'));
    const lagging = new ExactlyOnce(createStateMachine('kv'));
    let applied = 0;
    const staleReads = (client: string, seq: number, op: Json, time: number): AppResult => {
      const result = eo.apply({ client, seq, op, time });
      if (++applied % 10 === 0) lagging.restore(eo.snapshot());
      const read = op as { f: string; key: string };
      return read.f === 'get' ? lagging.app.execute(read, { client, time }) : result;
    };
    const { jsonl } = await run({ app: 'kv', clients: 3, opsPerClient: 40, seed: 4, apply: staleReads });
    expect(verdict(kvModel, jsonl)).to.equal('not linearizable');
  });
});

describe('workload: lock', () => {
  it('acquires (retrying until granted), holds and releases: well-formed, mutually exclusive, linearizable', async () => {
    const { history, counts, jsonl } = await run({ app: 'lock', clients: 4, opsPerClient: 10, seed: 5, holdMs: 10, retryMs: 5 });
    expectWellFormed(history);
    expect(counts).to.deep.equal({ invoke: 80, ok: 80, fail: 0, info: 0 });
    expect(countBy(history.filter((e) => e.type === 'invoke'), (e) => `${clientOf(e)} ${e.f}`)).to.deep.equal(
      Object.fromEntries(['c0', 'c1', 'c2', 'c3'].flatMap((c) => [[`${c} acquire`, 10], [`${c} release`, 10]])),
    );
    for (const e of history.filter((x) => x.type === 'ok' && x.f === 'acquire')) expect(e.value).to.deep.equal({ granted: true, owner: clientOf(e) });
    expectMutualExclusion(history);
    expect(verdict(lockModel, jsonl)).to.equal('linearizable');
  });

  it('after an unknown outcome releases the lock once more, and stays linearizable', async () => {
    const { history, counts, jsonl } = await run({ app: 'lock', clients: 4, opsPerClient: 15, seed: 6, faults: { lostReply: 0.2, giveUp: 0.1 } });
    expectWellFormed(history);
    expect(counts.info).to.be.greaterThan(0);
    const info = history.findIndex((e) => e.type === 'info');
    const next = history.slice(info + 1).find((e) => clientOf(e) === clientOf(history[info]!));
    expect([next?.f, next?.key]).to.deep.equal(['release', history[info]!.key]);
    expect(verdict(lockModel, jsonl)).to.equal('linearizable');
  });

  it('the checker catches a lock service whose leases end while clients hold their locks', async () => {
    const { history, jsonl } = await run({ app: 'lock', clients: 4, opsPerClient: 10, seed: 5, holdMs: 10, retryMs: 5, apply: exactlyOnceApply('lock', 3) });
    expect(history.some((e) => e.f === 'release' && e.type === 'fail')).to.equal(true);
    expect(verdict(lockModel, jsonl)).to.equal('not linearizable');
  });
});

/** Between an acquire's ok and its release's invoke, no one else is granted the same lock. */
function expectMutualExclusion(history: HistoryEvent[]): void {
  const holder = new Map<string, string>();
  for (const e of history) {
    if (e.f === 'acquire' && e.type === 'ok') {
      expect(holder.get(e.key!), `${e.key} granted to ${e.process} while held`).to.equal(undefined);
      holder.set(e.key!, String(e.process));
    }
    if (e.f === 'release' && e.type === 'invoke') holder.delete(e.key!);
  }
}

describe('workload: acquireUntilGranted', () => {
  it('asks again after each refusal with capped exponential backoff, and returns the grant', async () => {
    const pauses: number[] = [];
    const sent: Json[] = [];
    let refusals = 6;
    const result = await acquireUntilGranted(
      async (op) => {
        sent.push(op);
        return { ok: true, value: refusals-- > 0 ? { granted: false, owner: 'x' } : { granted: true, owner: 'me' } };
      },
      'l0',
      { retryMs: 20, random: () => 0.5, sleep: async (ms) => void pauses.push(ms) },
    );
    expect(result).to.deep.equal({ ok: true, value: { granted: true, owner: 'me' } });
    expect(pauses).to.deep.equal([20, 40, 80, 160, 160, 160]);
    expect(sent).to.have.length(7);
    expect(sent[0]).to.deep.equal({ f: 'acquire', lock: 'l0' });
  });

  it('stops at an error result', async () => {
    const result = await acquireUntilGranted(async () => ({ ok: false, error: 'nope' }), 'l0', { retryMs: 1, random: () => 0, sleep: async () => {} });
    expect(result).to.deep.equal({ ok: false, error: 'nope' });
  });
});
