// The replicated apps: every KV and lock op, bad input changing nothing (incl. generated garbage),
// canonical snapshots and exact restore, lock leases, and the exactly-once layer across restore.
// handout: framework test (passes without the lab solutions)
import { expect } from 'chai';
import fc from 'fast-check';
import type { Json } from '../src/env/types.js';
import { createStateMachine, type AppName, type AppResult, type StateMachine } from '../src/apps/app.js';
import { ExactlyOnce } from '../src/apps/exactly-once.js';
import { KvStore } from '../src/apps/kv.js';
import { LockService } from '../src/apps/lock.js';
import { canonicalJson } from '../src/json.js';
import { classicTiming } from '../src/timing.js';

const LEASE = 1000;
const FC = { seed: 20240611, numRuns: 300 };

function at(time: number, client = 'c1') {
  return { client, time };
}

/** The value of an ok result; an error result fails the test with its text. */
function valueOf(result: AppResult): Json {
  if (!result.ok) throw new Error(`expected ok, got error: ${result.error}`);
  return result.value;
}

function text(sm: { snapshot(): Json }): string {
  return canonicalJson(sm.snapshot());
}

/** A lock service with 'a' held by c1 (since t=0) and 'b' held by c2 (since t=10). */
function lockedService(): LockService {
  const locks = new LockService(LEASE);
  locks.execute({ f: 'acquire', lock: 'a' }, at(0, 'c1'));
  locks.execute({ f: 'acquire', lock: 'b' }, at(10, 'c2'));
  return locks;
}

function kvWith(entries: [string, string][]): KvStore {
  const kv = new KvStore();
  for (const [key, value] of entries) kv.execute({ f: 'put', key, value }, at(0));
  return kv;
}

// Op generators that are mostly valid, with the same few keys/locks/clients so ops interact.
const name = fc.constantFrom('a', 'b', '10', '9', '__proto__');
const kvOpArb = fc.oneof(
  fc.record({ f: fc.constant('get'), key: name }),
  fc.record({ f: fc.constant('put'), key: name, value: fc.constantFrom('', 'x', 'y') }),
  fc.record({ f: fc.constant('append'), key: name, value: fc.constantFrom('', 'x', 'y') }),
  fc.record({ f: fc.constant('cas'), key: name, from: fc.constantFrom('', 'x', 'xy'), to: fc.constantFrom('', 'y') }),
);
const lockOpArb = fc.record({ f: fc.constantFrom('acquire', 'release', 'renew'), lock: name });
const stepArb = (op: fc.Arbitrary<object>) =>
  fc.record({ op, client: fc.constantFrom('c1', 'c2', 'c3'), dt: fc.integer({ min: 0, max: LEASE / 2 }) });

function run(sm: StateMachine, steps: { op: object; client: string; dt: number }[]): Json[] {
  let time = 0;
  return steps.map((s) => {
    time += s.dt;
    return canonicalJson(sm.execute(s.op, at(time, s.client)));
  });
}

describe('apps: KV store', () => {
  it('get of a missing key reads ""; put then get reads the value; put answers null', () => {
    const kv = new KvStore();
    expect(kv.execute({ f: 'get', key: 'k' }, at(0))).to.deep.equal({ ok: true, value: '' });
    expect(kv.execute({ f: 'put', key: 'k', value: 'v1' }, at(0))).to.deep.equal({ ok: true, value: null });
    expect(kv.execute({ f: 'get', key: 'k' }, at(0))).to.deep.equal({ ok: true, value: 'v1' });
    expect(kv.execute({ f: 'put', key: 'k', value: 'v2' }, at(0))).to.deep.equal({ ok: true, value: null });
    expect(kv.execute({ f: 'get', key: 'k' }, at(0))).to.deep.equal({ ok: true, value: 'v2' });
  });

  it('append concatenates (onto "" for a missing key) and answers null', () => {
    const kv = new KvStore();
    expect(kv.execute({ f: 'append', key: 'k', value: 'x' }, at(0))).to.deep.equal({ ok: true, value: null });
    expect(kv.execute({ f: 'append', key: 'k', value: 'y' }, at(0))).to.deep.equal({ ok: true, value: null });
    expect(kv.execute({ f: 'get', key: 'k' }, at(0))).to.deep.equal({ ok: true, value: 'xy' });
  });

  it('cas swaps only when the current value equals from, and answers whether it swapped', () => {
    const kv = kvWith([['k', 'a']]);
    expect(kv.execute({ f: 'cas', key: 'k', from: 'b', to: 'c' }, at(0))).to.deep.equal({ ok: true, value: false });
    expect(kv.execute({ f: 'get', key: 'k' }, at(0))).to.deep.equal({ ok: true, value: 'a' });
    expect(kv.execute({ f: 'cas', key: 'k', from: 'a', to: 'c' }, at(0))).to.deep.equal({ ok: true, value: true });
    expect(kv.execute({ f: 'get', key: 'k' }, at(0))).to.deep.equal({ ok: true, value: 'c' });
    expect(kv.execute({ f: 'cas', key: 'new', from: '', to: 'n' }, at(0))).to.deep.equal({ ok: true, value: true });
    expect(kv.execute({ f: 'get', key: 'new' }, at(0))).to.deep.equal({ ok: true, value: 'n' });
  });

  it('a key set to "" is the same state as a missing key', () => {
    const kv = kvWith([['k', 'v']]);
    kv.execute({ f: 'put', key: 'k', value: '' }, at(0));
    expect(text(kv)).to.equal(text(new KvStore()));
    expect(text(kv)).to.equal('[]');
  });

  it('bad ops and bad args answer a clear error and change nothing', () => {
    const bad: [unknown, string][] = [
      [{ f: 'delete', key: 'k' }, "kv: bad op (f: Invalid discriminator value. Expected 'get' | 'put' | 'append' | 'cas')"],
      [{ f: 'put', key: 'k' }, 'kv: bad op (value: Invalid input: expected string, received undefined)'],
      [{ f: 'put', key: 7, value: 'v' }, 'kv: bad op (key: Invalid input: expected string, received number)'],
      [{ f: 'get', key: 'k', extra: 1 }, 'kv: bad op ((params): Unrecognized key: "extra")'],
      [{ f: 'cas', key: 'k', from: 'a' }, 'kv: bad op (to: Invalid input: expected string, received undefined)'],
      [null, 'kv: bad op ((params): Invalid input: expected object, received null)'],
      ['get k', 'kv: bad op ((params): Invalid input: expected object, received string)'],
    ];
    const kv = kvWith([['k', 'v']]);
    const before = text(kv);
    for (const [op, error] of bad) {
      expect(kv.execute(op, at(0)), JSON.stringify(op)).to.deep.equal({ ok: false, error });
      expect(text(kv)).to.equal(before);
    }
  });
});

describe('apps: lock service', () => {
  it('grants a free lock, refuses a held one (naming the owner), and frees it on release', () => {
    const locks = new LockService(LEASE);
    expect(locks.execute({ f: 'acquire', lock: 'a' }, at(0, 'c1'))).to.deep.equal({ ok: true, value: { granted: true, owner: 'c1' } });
    expect(locks.execute({ f: 'acquire', lock: 'a' }, at(1, 'c2'))).to.deep.equal({ ok: true, value: { granted: false, owner: 'c1' } });
    expect(locks.execute({ f: 'release', lock: 'a' }, at(2, 'c1'))).to.deep.equal({ ok: true, value: null });
    expect(locks.execute({ f: 'acquire', lock: 'a' }, at(3, 'c2'))).to.deep.equal({ ok: true, value: { granted: true, owner: 'c2' } });
    expect(text(locks)).to.equal('[["a",{"expires":1003,"owner":"c2"}]]');
  });

  it('an acquire by the holder is granted again and renews the lease', () => {
    const locks = lockedService();
    expect(locks.execute({ f: 'acquire', lock: 'a' }, at(500, 'c1'))).to.deep.equal({ ok: true, value: { granted: true, owner: 'c1' } });
    expect(valueOf(locks.execute({ f: 'acquire', lock: 'a' }, at(1200, 'c2')))).to.deep.equal({ granted: false, owner: 'c1' });
  });

  it('release or renew of a lock one does not hold is an error and changes nothing', () => {
    const locks = lockedService();
    const before = text(locks);
    expect(locks.execute({ f: 'release', lock: 'a' }, at(20, 'c2'))).to.deep.equal({
      ok: false,
      error: "lock: release of 'a' by c2: not held (it is held by c1)",
    });
    expect(locks.execute({ f: 'renew', lock: 'z' }, at(20, 'c2'))).to.deep.equal({
      ok: false,
      error: "lock: renew of 'z' by c2: not held (it is free)",
    });
    expect(text(locks)).to.equal(before);
  });

  it('a lease expires leaseMs after its last renewal; the lock is then free and its old owner cannot release it', () => {
    const locks = lockedService();
    expect(valueOf(locks.execute({ f: 'acquire', lock: 'a' }, at(LEASE - 1, 'c3')))).to.deep.equal({ granted: false, owner: 'c1' });
    expect(valueOf(locks.execute({ f: 'acquire', lock: 'a' }, at(LEASE, 'c3')))).to.deep.equal({ granted: true, owner: 'c3' });
    expect(locks.execute({ f: 'release', lock: 'a' }, at(LEASE + 1, 'c1'))).to.deep.equal({
      ok: false,
      error: "lock: release of 'a' by c1: not held (it is held by c3)",
    });
  });

  it('any successful request of the owner renews all its leases; an error renews nothing', () => {
    const locks = lockedService();
    // c2 holds b until 1010. A successful request of c2 at 900 (a refused acquire) extends b to 1900.
    locks.execute({ f: 'acquire', lock: 'a' }, at(900, 'c2'));
    expect(valueOf(locks.execute({ f: 'acquire', lock: 'b' }, at(1500, 'c3')))).to.deep.equal({ granted: false, owner: 'c2' });
    // c1's failed release at 900 renewed nothing: a expired at 1000.
    const other = lockedService();
    other.execute({ f: 'release', lock: 'b' }, at(900, 'c1'));
    expect(valueOf(other.execute({ f: 'acquire', lock: 'a' }, at(1000, 'c3')))).to.deep.equal({ granted: true, owner: 'c3' });
  });

  it('renew extends a held lease and never shortens it when time runs backwards', () => {
    const locks = lockedService();
    expect(locks.execute({ f: 'renew', lock: 'a' }, at(800, 'c1'))).to.deep.equal({ ok: true, value: null });
    expect(locks.execute({ f: 'renew', lock: 'a' }, at(100, 'c1'))).to.deep.equal({ ok: true, value: null });
    expect(valueOf(locks.execute({ f: 'acquire', lock: 'a' }, at(50, 'c1')))).to.deep.equal({ granted: true, owner: 'c1' });
    expect(valueOf(locks.execute({ f: 'acquire', lock: 'a' }, at(1799, 'c2')))).to.deep.equal({ granted: false, owner: 'c1' });
    expect(valueOf(locks.execute({ f: 'acquire', lock: 'a' }, at(1800, 'c2')))).to.deep.equal({ granted: true, owner: 'c2' });
  });

  it('bad ops and bad args answer a clear error and change nothing', () => {
    const bad: [unknown, string][] = [
      [{ f: 'steal', lock: 'a' }, "lock: bad op (f: Invalid discriminator value. Expected 'acquire' | 'release' | 'renew')"],
      [{ f: 'acquire', lock: '' }, 'lock: bad op (lock: Too small: expected string to have >=1 characters)'],
      [{ f: 'acquire' }, 'lock: bad op (lock: Invalid input: expected string, received undefined)'],
      [[], 'lock: bad op ((params): Invalid input: expected object, received array)'],
    ];
    const locks = lockedService();
    const before = text(locks);
    for (const [op, error] of bad) {
      expect(locks.execute(op, at(20, 'c1')), JSON.stringify(op)).to.deep.equal({ ok: false, error });
      expect(text(locks)).to.equal(before);
    }
  });

  it('createStateMachine takes the lease from timing.lockLeaseMs', () => {
    const locks = createStateMachine('lock', { ...classicTiming, lockLeaseMs: 50 });
    locks.execute({ f: 'acquire', lock: 'a' }, at(0, 'c1'));
    expect(valueOf(locks.execute({ f: 'acquire', lock: 'a' }, at(49, 'c2')))).to.deep.equal({ granted: false, owner: 'c1' });
    expect(valueOf(locks.execute({ f: 'acquire', lock: 'a' }, at(50, 'c2')))).to.deep.equal({ granted: true, owner: 'c2' });
    expect(createStateMachine('kv').name).to.equal('kv');
  });
});

describe('apps: snapshots', () => {
  for (const app of ['kv', 'lock'] as AppName[]) {
    const ops = app === 'kv' ? kvOpArb : lockOpArb;

    it(`${app}: restore(snapshot()) gives an equal machine that answers the same from then on`, () => {
      fc.assert(
        fc.property(fc.array(stepArb(ops), { maxLength: 30 }), fc.array(stepArb(ops), { maxLength: 30 }), (before, after) => {
          const a = createStateMachine(app, { ...classicTiming, lockLeaseMs: LEASE });
          run(a, before);
          const b = createStateMachine(app, { ...classicTiming, lockLeaseMs: LEASE });
          b.restore(JSON.parse(JSON.stringify(a.snapshot())) as Json);
          expect(text(b)).to.equal(text(a));
          expect(run(b, after)).to.deep.equal(run(a, after));
          expect(text(b)).to.equal(text(a));
        }),
        FC,
      );
    });

    it(`${app}: never throws on garbage ops, and an error result changes nothing`, () => {
      const garbage = fc.oneof(fc.anything(), ops.map((o) => ({ ...o, junk: 1 })), fc.record({ f: fc.oneof(fc.string(), fc.constantFrom('get', 'put', 'append', 'cas', 'acquire', 'release', 'renew')), key: fc.anything(), lock: fc.anything() }));
      fc.assert(
        fc.property(fc.array(stepArb(ops), { maxLength: 10 }), garbage, (setup, op) => {
          const sm = createStateMachine(app, { ...classicTiming, lockLeaseMs: LEASE });
          run(sm, setup);
          const before = text(sm);
          const result = sm.execute(op, at(LEASE * 20, 'c1'));
          if (!result.ok) expect(text(sm)).to.equal(before);
        }),
        FC,
      );
    });
  }

  it('kv: a snapshot after every op (each made from the last) is the one the state gives afresh, and none handed out changes', () => {
    fc.assert(
      fc.property(fc.array(stepArb(kvOpArb), { maxLength: 40 }), (steps) => {
        const kv = new KvStore();
        const taken: { snapshot: Json; text: string }[] = [];
        const take = (): void => {
          const snapshot = kv.snapshot();
          taken.push({ snapshot, text: JSON.stringify(snapshot) });
        };
        take();
        for (const [i, step] of steps.entries()) {
          kv.execute(step.op, at(0, step.client));
          take();
          const fresh = new KvStore();
          run(fresh, steps.slice(0, i + 1));
          expect(taken.at(-1)!.text).to.equal(JSON.stringify(fresh.snapshot()));
        }
        for (const t of taken) expect(JSON.stringify(t.snapshot)).to.equal(t.text);
      }),
      FC,
    );
  });

  it('snapshots are canonical: the same state built in a different order gives the same text', () => {
    const entries: [string, string][] = [['b', '2'], ['10', 'x'], ['9', 'y'], ['__proto__', 'p'], ['a', '1']];
    const one = kvWith(entries);
    const two = kvWith([...entries].reverse());
    expect(text(one)).to.equal(text(two));
    expect(JSON.stringify(one.snapshot())).to.equal('[["10","x"],["9","y"],["__proto__","p"],["a","1"],["b","2"]]');
  });

  it('restore rejects a malformed or non-canonical snapshot and keeps the old state', () => {
    const kv = kvWith([['k', 'v']]);
    const before = text(kv);
    const bad: [Json, string][] = [
      [{ k: 'v' }, 'bad kv snapshot: (params): Invalid input: expected array, received object'],
      [[['b', '1'], ['a', '2']], 'bad kv snapshot: keys not strictly sorted at "a"'],
      [[['a', '1'], ['a', '2']], 'bad kv snapshot: keys not strictly sorted at "a"'],
      [[['a', '']], 'bad kv snapshot: 0.1: Too small: expected string to have >=1 characters'],
    ];
    for (const [snapshot, message] of bad) {
      expect(() => kv.restore(snapshot)).to.throw(message);
      expect(text(kv)).to.equal(before);
    }
    expect(() => new LockService(LEASE).restore([['a', { owner: 'c1' }]])).to.throw('bad lock snapshot: 0.1.expires');
  });
});

describe('apps: exactly-once', () => {
  function kvOnce(): ExactlyOnce {
    return new ExactlyOnce(createStateMachine('kv'));
  }
  const append = (client: string, seq: number, value: string, time = 0) => ({ client, seq, op: { f: 'append', key: 'k', value }, time });
  const get = (client: string, seq: number) => ({ client, seq, op: { f: 'get', key: 'k' }, time: 0 });

  it('a retried seq returns the cached result and does not execute again', () => {
    const eo = kvOnce();
    expect(eo.apply(append('c1', 1, 'x'))).to.deep.equal({ ok: true, value: null });
    expect(eo.apply(append('c1', 1, 'x'))).to.deep.equal({ ok: true, value: null });
    expect(eo.apply(get('c1', 2))).to.deep.equal({ ok: true, value: 'x' });
    // A retry of seq 2 returns the value read then, even after the key changed.
    eo.apply(append('c2', 1, 'y'));
    expect(eo.apply(get('c1', 2))).to.deep.equal({ ok: true, value: 'x' });
    expect(eo.apply(get('c2', 2))).to.deep.equal({ ok: true, value: 'xy' });
    expect(eo.lastSeq('c1')).to.equal(2);
  });

  it('an older seq is an error and changes nothing; gaps in seqs are allowed', () => {
    const eo = kvOnce();
    eo.apply(append('c1', 1, 'x'));
    eo.apply(append('c1', 5, 'y'));
    const before = canonicalJson(eo.snapshot());
    expect(eo.apply(append('c1', 3, 'z'))).to.deep.equal({
      ok: false,
      error: 'exactly-once: request 3 of c1 is older than its last request 5; its reply is gone',
    });
    expect(canonicalJson(eo.snapshot())).to.equal(before);
    expect(valueOf(eo.apply(get('c1', 6)))).to.equal('xy');
  });

  it('a malformed request is an error and changes nothing', () => {
    const eo = kvOnce();
    const before = canonicalJson(eo.snapshot());
    expect(eo.apply({ client: '', seq: 1, op: {}, time: 0 }).ok).to.equal(false);
    expect(eo.apply({ client: 'c1', seq: 1.5, op: {}, time: 0 })).to.deep.equal({ ok: false, error: 'exactly-once: seq must be a non-negative integer, got 1.5' });
    expect(eo.apply({ client: 'c1', seq: 1, op: {}, time: Number.NaN })).to.deep.equal({ ok: false, error: 'exactly-once: time must be a finite number, got NaN' });
    expect(canonicalJson(eo.snapshot())).to.equal(before);
  });

  it('the duplicate table travels in the snapshot: a retry after restore on another replica is not re-executed', () => {
    const primary = kvOnce();
    primary.apply(append('c1', 1, 'x'));
    primary.apply(append('c2', 1, 'y'));
    const snapshot = JSON.parse(JSON.stringify(primary.snapshot())) as Json;
    const backup = kvOnce();
    backup.restore(snapshot);
    expect(canonicalJson(backup.snapshot())).to.equal(canonicalJson(primary.snapshot()));
    expect(backup.apply(append('c1', 1, 'x'))).to.deep.equal({ ok: true, value: null });
    expect(backup.apply(get('c3', 1))).to.deep.equal({ ok: true, value: 'xy' });
    expect(canonicalJson(snapshot)).to.equal(
      '{"app":"kv","clients":[["c1",{"result":{"ok":true,"value":null},"seq":1}],["c2",{"result":{"ok":true,"value":null},"seq":1}]],"state":[["k","xy"]]}',
    );
  });

  it('restore refuses a snapshot of another app or with a bad table, keeping its state', () => {
    const eo = kvOnce();
    eo.apply(append('c1', 1, 'x'));
    const before = canonicalJson(eo.snapshot());
    const locks = new ExactlyOnce(createStateMachine('lock'));
    expect(() => eo.restore(locks.snapshot())).to.throw("it is of app 'lock', this is 'kv'");
    expect(() => eo.restore({ app: 'kv', clients: [['c1', { seq: -1, result: { ok: true, value: 1 } }]], state: [] })).to.throw(
      'bad exactly-once table snapshot',
    );
    expect(() => eo.restore({ app: 'kv', clients: [], state: [['k', 1]] })).to.throw('bad kv snapshot');
    expect(canonicalJson(eo.snapshot())).to.equal(before);
  });
});
