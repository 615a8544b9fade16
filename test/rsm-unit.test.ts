// Unit tests of the RSM lab's small parts and of its tester checks on hand-made inputs: who is
// primary, the async mutex and condition, and each check failing on a bad history or status.
import { expect } from 'chai';
import type { NodeId } from '../src/env/types.js';
import type { HistoryEvent } from '../src/check/history.js';
import { primaryOf } from '../labs/config/primary.js';
import { Mutex } from '../labs/rsm/mutex.js';
import { Condition } from '../labs/rsm/condition.js';
import { STATUS_TEXT_BYTES } from '../src/status-text.js';
import { digestSnapshot, summarizeSnapshot, type RsmStatus, type SyncRecord } from '../labs/rsm/status.js';
import { SyncLedger, checkAckedKept, checkHistory, checkPrimary, checkReplicasEqual, settled, type RsmObserved } from '../tester/rsm/checks.js';
import { ScenarioFailure } from '../tester/scenario.js';

function lookup(views: NodeId[][]): (vid: number) => NodeId[] | undefined {
  return (vid) => views[vid - 1];
}

describe('rsm: primaryOf (set_primary)', () => {
  it('the founder is primary of view 1 and stays while it is a member', () => {
    const views = [['n0'], ['n0', 'n1'], ['n0', 'n1', 'n2'], ['n0', 'n1']];
    expect([1, 2, 3, 4].map((v) => primaryOf(lookup(views), v))).to.deep.equal(['n0', 'n0', 'n0', 'n0']);
  });

  it('a departed primary is replaced by the first survivor of the previous view in join order, not the lowest-numbered', () => {
    // n0 rejoined last in view 5; when n1 (primary since view 4) leaves, n2 joined before n0 and takes over.
    const views = [['n0'], ['n0', 'n1'], ['n0', 'n1', 'n2'], ['n1', 'n2'], ['n1', 'n2', 'n0'], ['n2', 'n0']];
    expect(primaryOf(lookup(views), 4)).to.equal('n1');
    expect(primaryOf(lookup(views), 6)).to.equal('n2');
  });

  it('refuses to name a primary through a view it does not know', () => {
    expect(() => primaryOf(lookup([['n0'], ['n0', 'n1']]), 3)).to.throw(/view 3 is unknown/);
  });
});

describe('rsm: Mutex and Condition', () => {
  it('a mutex runs critical sections one at a time, in arrival order', async () => {
    const mutex = new Mutex();
    const log: string[] = [];
    const section = (name: string) => mutex.run(async () => {
      log.push(`${name}+`);
      await Promise.resolve();
      await Promise.resolve();
      log.push(`${name}-`);
    });
    await Promise.all([section('a'), section('b'), section('c')]);
    expect(log).to.deep.equal(['a+', 'a-', 'b+', 'b-', 'c+', 'c-']);
  });

  it('a mutex is released when a critical section throws', async () => {
    const mutex = new Mutex();
    await mutex.run(async () => Promise.reject(new Error('boom'))).catch(() => undefined);
    expect(await mutex.run(async () => 'next')).to.equal('next');
  });

  it('notifyAll wakes every waiter, and a notify with nobody waiting is lost', async () => {
    const cond = new Condition();
    cond.notifyAll();
    let woken = 0;
    const waiters = [cond.wait(), cond.wait()].map((w) => w.then(() => woken++));
    await Promise.resolve();
    expect(woken).to.equal(0);
    cond.notifyAll();
    await Promise.all(waiters);
    expect(woken).to.equal(2);
  });
});

function status(over: Partial<RsmStatus>): RsmStatus {
  const base: RsmStatus = {
    vid: 3,
    members: ['n0', 'n1', 'n2'],
    views: [
      { vid: 1, members: ['n0'] },
      { vid: 2, members: ['n0', 'n1'] },
      { vid: 3, members: ['n0', 'n1', 'n2'] },
    ],
    acceptor: { instance_h: 3, n_h: { n: 0, m: 'n0' }, n_a: { n: 0, m: 'n0' }, v_a: null },
    proposer: { running: false, my_n: { n: 0, m: 'n0' } },
    dropped: null,
    joining: false,
    app: 'kv',
    vid_commit: 3,
    primary: 'n0',
    inviewchange: false,
    insync: false,
    joined: true,
    myvs: { vid: 3, seqno: 5 },
    last_myvs: { vid: 3, seqno: 4 },
    executed: 4,
    snapshot: '{"app":"kv","clients":[],"state":[]}',
    snapshotBytes: 36,
    snapshotHash: 'aaaa',
    lastSeqs: [],
    syncs: [],
  };
  return { ...base, ...over };
}

function sync(vid: number, hash: string, seqno = 0): SyncRecord {
  return { vid, last: { vid: vid - 1, seqno }, hash };
}

describe('rsm tester checks', () => {
  it('the sync ledger accepts equal states per view and names the nodes that disagree', () => {
    const ledger = new SyncLedger();
    ledger.observe({ name: 'p0', status: status({ syncs: [sync(2, 'h2'), sync(3, 'h3')] }) });
    ledger.observe({ name: 'p1', status: status({ syncs: [sync(3, 'h3')] }) });
    expect(ledger.views).to.equal(2);
    expect(() => ledger.observe({ name: 'p2', status: status({ syncs: [sync(3, 'other')] }) })).to.throw(ScenarioFailure, /replicas disagree after the sync of view 3: p2 .* p0/);
    expect(() => ledger.observe({ name: 'p2', status: status({ syncs: [sync(2, 'h2', 9)] }) })).to.throw(ScenarioFailure, /view 2/);
  });

  it('settled replicas must hold the same snapshot', () => {
    const a: RsmObserved = { name: 'p0', status: status({}) };
    const b: RsmObserved = { name: 'p1', status: status({ snapshot: '{"app":"kv","clients":[],"state":[["k","v"]]}', snapshotHash: 'bbbb' }) };
    expect(() => checkReplicasEqual([a, { ...a, name: 'p2' }])).to.not.throw();
    expect(() => checkReplicasEqual([a, b])).to.throw(ScenarioFailure, /replica state differs at 3.4: p0 aaaa .* p1 bbbb/);
  });

  it('a snapshot past the status bound is compared and shown by its digest and size, its text left out', () => {
    const big = (hash: string): RsmObserved => ({ name: 'p1', status: status({ snapshot: null, snapshotBytes: 70_000_000, snapshotHash: hash }) });
    expect(() => checkReplicasEqual([big('cccc'), { ...big('cccc'), name: 'p2' }])).to.not.throw();
    expect(() => checkReplicasEqual([{ name: 'p0', status: status({}) }, big('cccc')])).to.throw(ScenarioFailure, /p0 aaaa = \{"app":"kv","clients":\[\],"state":\[\]\}, p1 cccc = \(70000000 bytes\)$/);
  });

  it('acknowledged requests are checked against lastSeqs, the duplicate table without its results', () => {
    const kept: RsmObserved = { name: 'p1', status: status({ snapshot: null, lastSeqs: [['c1', 3]] }) };
    expect(() => checkAckedKept([kept], [{ client: 'c1', seq: 3 }])).to.not.throw();
    expect(() => checkAckedKept([kept], [{ client: 'c1', seq: 4 }])).to.throw(ScenarioFailure, /p1: acknowledged request 4 of client c1 is lost: its exactly-once table holds seq 3/);
    expect(() => checkAckedKept([kept], [{ client: 'c2', seq: 1 }])).to.throw(ScenarioFailure, /holds nothing for that client/);
  });

  it('a status carries the snapshot text up to STATUS_TEXT_BYTES of UTF-8, past that its size and digest alone', () => {
    const frame = '{"app":"kv","clients":[],"state":[["k",""]]}'.length;
    const of = (value: string) => ({ app: 'kv', clients: [], state: [['k', value]] });
    const at = of('é'.repeat((STATUS_TEXT_BYTES - frame) / 2)); // two bytes a character: counted in bytes, not characters
    expect(summarizeSnapshot(at)).to.deep.equal({ snapshot: digestSnapshot(at).text, snapshotBytes: STATUS_TEXT_BYTES, snapshotHash: digestSnapshot(at).hash });
    const past = of(`${'é'.repeat((STATUS_TEXT_BYTES - frame) / 2)}x`);
    expect(summarizeSnapshot(past)).to.deep.equal({ snapshot: null, snapshotBytes: STATUS_TEXT_BYTES + 1, snapshotHash: digestSnapshot(past).hash });
  });

  it('settled needs the same view, no view change and the same last viewstamp everywhere', () => {
    expect(settled([status({}), status({})], 3)).to.equal(true);
    expect(settled([status({}), status({ inviewchange: true })], 3)).to.equal(false);
    expect(settled([status({}), status({ last_myvs: { vid: 3, seqno: 3 } })], 3)).to.equal(false);
    expect(settled([status({})], 4)).to.equal(false);
  });

  it('a node naming another primary than the view history does is caught', () => {
    expect(() => checkPrimary([{ name: 'p1', status: status({ primary: 'n0' }) }])).to.not.throw();
    expect(() => checkPrimary([{ name: 'p1', status: status({ primary: 'n1' }) }])).to.throw(ScenarioFailure, /primary of view 3 is n1, but the view history names n0/);
  });

  const ev = (process: string, type: HistoryEvent['type'], f: string, key: string, value: HistoryEvent['value'], time: number): HistoryEvent => ({ process, type, f, key, value, time });

  it('a kv history that lost an acknowledged write is not linearizable', () => {
    const good = [ev('c0', 'invoke', 'put', 'k', 'x', 0), ev('c0', 'ok', 'put', 'k', null, 1), ev('c1', 'invoke', 'get', 'k', null, 2), ev('c1', 'ok', 'get', 'k', 'x', 3)];
    expect(() => checkHistory('kv', good)).to.not.throw();
    const lost = [...good.slice(0, 3), ev('c1', 'ok', 'get', 'k', '', 3)];
    expect(() => checkHistory('kv', lost)).to.throw(ScenarioFailure, /NOT linearizable/);
  });

  it('two clients holding one lock at once violate mutual exclusion', () => {
    const grant = (c: string, t: number): HistoryEvent[] => [ev(c, 'invoke', 'acquire', 'l0', c, t), ev(c, 'ok', 'acquire', 'l0', { granted: true, owner: c }, t + 1)];
    const release = (c: string, t: number): HistoryEvent[] => [ev(c, 'invoke', 'release', 'l0', c, t), ev(c, 'ok', 'release', 'l0', null, t + 1)];
    expect(() => checkHistory('lock', [...grant('c0', 0), ...release('c0', 5), ...grant('c1', 10), ...release('c1', 15)])).to.not.throw();
    expect(() => checkHistory('lock', [...grant('c0', 0), ...grant('c1', 2), ...release('c0', 5), ...release('c1', 15)])).to.throw(ScenarioFailure, /violates lock mutual exclusion/);
  });
});
