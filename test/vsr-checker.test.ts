// The VSR state checker and its sequential model on hand-made replica snapshots: it passes replicas
// that agree, and fails each kind of divergence with a message naming the replica and the op
// (prefixes that disagree, a broken hash chain, a state unlike the model's, a lost ack, a stale recovery).
import { expect } from 'chai';
import { SequentialModel } from '../tester/vsr/model.js';
import { StateChecker, type CommittedHeader, type ReplicaSnapshot } from '../tester/vsr/state-checker.js';
import { KvStore } from '../src/apps/kv.js';
import type { Json } from '../src/env/types.js';

const ops: Json[] = [
  { f: 'put', key: 'k0', value: 'a' },
  { f: 'append', key: 'k0', value: 'b' },
  { f: 'put', key: 'k1', value: 'c' },
  { f: 'append', key: 'k0', value: 'd' },
];

/** The headers of a chain over `ops`, each parent the previous checksum. */
function chain(operations: Json[], salt = ''): CommittedHeader[] {
  let parent = 'root';
  return operations.map((operation, i) => {
    const header = { op: i + 1, view: 0, checksum: `sum${salt}${i + 1}`, parent, requests: [{ client: `c${i % 2}`, request: Math.floor(i / 2) + 1, operation }] };
    parent = header.checksum;
    return header;
  });
}

/** A replica that executed `commit` ops of `headers`, with the KV state they give (or `state`). */
function replica(headers: CommittedHeader[], commit: number, extra: Partial<ReplicaSnapshot> = {}): ReplicaSnapshot {
  const kv = new KvStore();
  for (const h of headers.slice(0, commit)) for (const r of h.requests) kv.execute(r.operation, { client: r.client, time: 0 });
  const state = JSON.stringify(kv.snapshot());
  return { status: 'normal', view: 0, op: headers.length, commit, opCheckpoint: 0, header: (op) => headers[op - 1], appState: () => state, ...extra };
}

describe('vsr state checker', () => {
  it('passes replicas that commit the same chain at their own pace, and counts its checks', () => {
    const c = new StateChecker();
    const h = chain(ops);
    c.check('p0', replica(h, 2));
    c.check('p1', replica(h, 1));
    c.check('p0', replica(h, 4));
    c.check('p1', replica(h, 4));
    c.acked({ client: 'c1', request: 2, op: 4 });
    c.checkNoAckLost('p1', 4);
    expect(c.committed).to.equal(4);
    expect(c.steps).to.equal(4);
  });

  it('fails when committed prefixes disagree, naming both replicas and the op', () => {
    const c = new StateChecker();
    c.check('p0', replica(chain(ops), 3));
    expect(() => c.check('p1', replica(chain(ops, 'x'), 2))).to.throw(/committed prefixes disagree at op 1:[\s\S]*p1: [\s\S]*p0 \(first to commit it\)/);
  });

  it('fails when a parent is not the previous checksum (a broken hash chain)', () => {
    const c = new StateChecker();
    const h = chain(ops);
    h[2] = { ...h[2]!, parent: 'elsewhere' };
    expect(() => c.check('p0', replica(h, 3))).to.throw(/hash chain broken at op 3 on p0/);
  });

  it('fails when a replica\'s app state differs from the sequential model\'s (an op executed twice)', () => {
    const c = new StateChecker();
    const h = chain(ops);
    const twice = replica([...h.slice(0, 2), h[1]!, ...h.slice(2)], 3);
    expect(() => c.check('p2', { ...replica(h, 3), appState: twice.appState })).to.throw(/p2: app state after 3 committed ops differs from the sequential model's/);
  });

  it('the model runs a repeated request once, as the client table does', () => {
    const m = new SequentialModel();
    m.apply([{ client: 'c0', request: 1, operation: { f: 'append', key: 'k', value: 'x' } }]);
    m.apply([{ client: 'c0', request: 1, operation: { f: 'append', key: 'k', value: 'x' } }]);
    m.apply([{ client: 'c0', request: 2, operation: null }]);
    expect(m.stateAt(3)).to.equal('[["k","x"]]');
  });

  it('fails an ack for an op nobody committed, or for another request, and an acked op missing at the end', () => {
    const c = new StateChecker();
    c.check('p0', replica(chain(ops), 2));
    expect(() => c.acked({ client: 'c0', request: 2, op: 3 })).to.throw(/no replica has committed op 3/);
    expect(() => c.acked({ client: 'c0', request: 9, op: 1 })).to.throw(/acked as op 1, but op 1 is .*c0#1/);
    c.acked({ client: 'c1', request: 1, op: 2 });
    expect(() => c.checkNoAckLost('p1', 1)).to.throw(/an acked op was lost/);
  });

  describe('batches: one op, several requests run in order', () => {
    const x = { f: 'append', key: 'k', value: 'x' };
    const y = { f: 'append', key: 'k', value: 'y' };
    const batch: CommittedHeader = { op: 1, view: 0, checksum: 'sum1', parent: 'root', requests: [{ client: 'c0', request: 1, operation: x }, { client: 'c1', request: 1, operation: y }] };
    /** A replica that committed `headers`, its app having run `ran` (each the KV op of a request). */
    const ranAs = (headers: CommittedHeader[], ran: Json[]): ReplicaSnapshot => {
      const kv = new KvStore();
      for (const op of ran) kv.execute(op, { client: 'c', time: 0 });
      const state = JSON.stringify(kv.snapshot());
      return { status: 'normal', view: 0, op: headers.length, commit: headers.length, opCheckpoint: 0, header: (op) => headers[op - 1], appState: () => state };
    };

    it('passes a replica that ran the batch in order, and acks of each of its requests as its op', () => {
      const c = new StateChecker();
      c.check('p0', ranAs([batch], [x, y]));
      c.acked({ client: 'c0', request: 1, op: 1 });
      c.acked({ client: 'c1', request: 1, op: 1 });
      expect(() => c.acked({ client: 'c2', request: 1, op: 1 })).to.throw(/c2#1 was acked as op 1, but op 1 is op 1 view 0 batch c0#1,c1#1/);
    });

    it('fails an ack for a request its op carries twice', () => {
      const twice: CommittedHeader = { ...batch, requests: [batch.requests[0]!, batch.requests[0]!] };
      const c = new StateChecker();
      c.check('p0', ranAs([twice], [x]));
      expect(() => c.acked({ client: 'c0', request: 1, op: 1 })).to.throw(/c0#1 was acked as op 1, but op 1 is op 1 view 0 batch c0#1,c0#1/);
    });

    it('fails a replica that ran the batch\'s requests out of order', () => {
      expect(() => new StateChecker().check('p1', ranAs([batch], [y, x]))).to.throw(/p1: app state after 1 committed ops differs from the sequential model's/);
    });

    it('fails a replica that ran a batched request again when it came back (its client table kept only the batch\'s first request)', () => {
      const again: CommittedHeader = { op: 2, view: 0, checksum: 'sum2', parent: 'sum1', requests: [{ client: 'c1', request: 1, operation: y }] };
      expect(() => new StateChecker().check('p2', ranAs([batch, again], [x, y, y]))).to.throw(/p2: app state after 2 committed ops differs from the sequential model's/);
    });
  });

  it('fails a commit number that goes back without a restart, and allows it after one', () => {
    const c = new StateChecker();
    const h = chain(ops);
    c.check('p0', replica(h, 3));
    expect(() => c.check('p0', replica(h, 2))).to.throw(/commit went back from 3 to 2 without a restart/);
    c.restarted('p0');
    c.check('p0', replica(h, 2, { status: 'recovering' }));
  });

  /** A checker that saw p0 normal in `view` with ops 1..4 of `h` committed, then p2 restart and recover. */
  function restartedWhileNormal(h: CommittedHeader[], view: number): StateChecker {
    const c = new StateChecker();
    c.check('p0', replica(h, 4, { view }));
    c.restarted('p2');
    c.check('p2', replica(h, 0, { status: 'recovering', op: 0 }));
    return c;
  }

  it('fails a replica that comes back from a restart older than the cluster was when it restarted', () => {
    const h = chain(ops);
    const c = restartedWhileNormal(h, 1);
    expect(() => c.check('p2', replica(h, 2, { view: 1, op: 2 }))).to.throw(/p2 came back normal in view 1 at op 2, but when it restarted view 1 was normal and 4 ops were committed: it adopted stale state/);
    // In a newer view that holds fewer ops than were committed: the view change may have dropped them, and the failure says which.
    const d = restartedWhileNormal(h, 1);
    expect(() => d.check('p2', replica(h, 2, { view: 2, op: 2 }))).to.throw(/p2 came back normal in view 2 at op 2, but when it restarted view 1 was normal and 4 ops were committed: view 2 holds no op past 2: the view change that started it dropped committed ops 3\.\.4 \(check the log the new primary chose\), or it adopted stale state/);
  });

  it('fails a replica that comes back from a restart normal in an older view than was normal when it restarted, even holding every committed op', () => {
    const h = chain(ops);
    const c = restartedWhileNormal(h, 2);
    expect(() => c.check('p2', replica(h, 4, { view: 1, op: 4 }))).to.throw(/p2 came back normal in view 1 at op 4, but when it restarted view 2 was normal and 4 ops were committed: it adopted stale state/);
  });

  it('takes a replica back from a restart through a state sync whose log starts before ops committed while it was down (Lab 4: it repairs them)', () => {
    const c = new StateChecker();
    const h = chain(ops);
    c.check('p0', replica(h, 4, { view: 1 }));
    c.restarted('p2');
    c.check('p2', replica(h, 0, { status: 'recovering', op: 1, opCheckpoint: 1 }));
    c.check('p2', replica(h, 2, { status: 'view_change', view: 1, op: 2, opCheckpoint: 2 }));
    expect(() => c.check('p2', replica(h, 2, { view: 1, op: 2, opCheckpoint: 2 }))).to.not.throw();
    c.restarted('p2');
    c.check('p2', replica(h, 2, { status: 'recovering', op: 2, opCheckpoint: 2 }));
    expect(() => c.check('p2', replica(h, 2, { view: 1, op: 2, opCheckpoint: 2 })), 'no newer checkpoint: checked as before').to.throw(/p2 came back normal in view 1 at op 2, but when it restarted view 1 was normal and 4 ops were committed/);
  });
});
