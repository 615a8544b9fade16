// Unit tests of the Paxos acceptor and proposer (labs/paxos) on an in-process FakeEnv network:
// the acceptor's rules and durability (reply only after fsync; state survives a restart), and the
// proposer's rounds (majority, highest v_a, oldinstance, breakpoints 3 and 4, setn, a refusal's n_h).
import { expect } from 'chai';
import { type Paxos, startPaxos } from '../labs/paxos/paxos.js';
import { PAXOS_LOG_FILE, PAXOS_WITNESS_FILE } from '../labs/paxos/paxos-log.js';
import { paxosAccept, paxosDecide, paxosPrepare } from '../labs/paxos/protocol.js';
import { StorageCorrupt } from '../src/storage/storage-corrupt.js';
import { classicTiming } from '../src/timing.js';
import { FakeEnv, FakeNet, MemoryDisk } from './fixtures/paxos-memory.js';

interface TestNode {
  env: FakeEnv;
  paxos: Paxos;
  commits: [number, string][];
}

async function boot(net: FakeNet, me: string, disk = new MemoryDisk()): Promise<TestNode> {
  const env = new FakeEnv(me, net, disk);
  const paxos = await startPaxos(env, classicTiming);
  const commits: [number, string][] = [];
  paxos.acceptor.serve((instance, value) => commits.push([instance, value]));
  return { env, paxos, commits };
}

async function cluster(n: number): Promise<{ net: FakeNet; nodes: TestNode[]; ids: string[] }> {
  const net = new FakeNet();
  const ids = Array.from({ length: n }, (_, i) => `n${i}`);
  const nodes: TestNode[] = [];
  for (const id of ids) nodes.push(await boot(net, id));
  return { net, nodes, ids };
}

const nap = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('paxos: acceptor', () => {
  it('promises only above n_h, and answers with what it accepted', async () => {
    const { nodes } = await cluster(1);
    const a = nodes[0]!;
    expect(await a.env.handle(paxosPrepare, { instance: 1, n: { n: 1, m: 'n1' } })).to.deep.equal({ oldinstance: false, accept: true, n_a: { n: 0, m: 'n0' }, v_a: null });
    expect((await a.env.handle(paxosPrepare, { instance: 1, n: { n: 1, m: 'n1' } })).accept, 'equal n').to.equal(false);
    expect((await a.env.handle(paxosPrepare, { instance: 1, n: { n: 1, m: 'n0' } })).accept, 'same round, lower id').to.equal(false);
    expect(await a.env.handle(paxosAccept, { instance: 1, n: { n: 1, m: 'n1' }, v: 'x' })).to.equal(true);
    expect(await a.env.handle(paxosPrepare, { instance: 1, n: { n: 1, m: 'n2' } })).to.deep.equal({ oldinstance: false, accept: true, n_a: { n: 1, m: 'n1' }, v_a: 'x' });
    expect(a.paxos.acceptor.state()).to.deep.equal({ instance_h: 0, n_h: { n: 1, m: 'n2' }, n_a: { n: 1, m: 'n1' }, v_a: 'x' });
  });

  it('accepts at or above n_h, only for instance_h + 1', async () => {
    const { nodes } = await cluster(1);
    const a = nodes[0]!;
    await a.env.handle(paxosPrepare, { instance: 1, n: { n: 3, m: 'n1' } });
    expect(await a.env.handle(paxosAccept, { instance: 1, n: { n: 2, m: 'n2' }, v: 'low' })).to.equal(false);
    expect(await a.env.handle(paxosAccept, { instance: 2, n: { n: 9, m: 'n2' }, v: 'future' })).to.equal(false);
    expect(await a.env.handle(paxosAccept, { instance: 1, n: { n: 3, m: 'n1' }, v: 'x' })).to.equal(true);
    expect(a.paxos.acceptor.state().v_a).to.equal('x');
  });

  it('answers oldinstance with the decided value, and starts the next instance afresh', async () => {
    const { nodes } = await cluster(1);
    const a = nodes[0]!;
    await a.env.handle(paxosAccept, { instance: 1, n: { n: 1, m: 'n1' }, v: 'x' });
    await a.env.handle(paxosDecide, { instance: 1, v: 'x' });
    expect(a.commits).to.deep.equal([[1, 'x']]);
    const old = await a.env.handle(paxosPrepare, { instance: 1, n: { n: 7, m: 'n1' } });
    expect(old).to.include({ oldinstance: true, accept: false, v_a: 'x' });
    expect(a.paxos.acceptor.state()).to.deep.equal({ instance_h: 1, n_h: { n: 0, m: 'n0' }, n_a: { n: 0, m: 'n0' }, v_a: null });
    await a.env.handle(paxosDecide, { instance: 1, v: 'other' });
    await a.env.handle(paxosDecide, { instance: 3, v: 'gap' });
    expect(a.commits, 'old and out-of-order decides are ignored').to.deep.equal([[1, 'x']]);
  });

  it('refuses prepares for an instance past instance_h + 1 (it is behind), promising nothing', async () => {
    const { nodes } = await cluster(1);
    const a = nodes[0]!;
    expect(await a.env.handle(paxosPrepare, { instance: 3, n: { n: 5, m: 'n1' } })).to.include({ oldinstance: false, accept: false });
    expect(a.paxos.acceptor.state().n_h).to.deep.equal({ n: 0, m: 'n0' });
  });

  it('replies to prepare and accept only once n_h / n_a, v_a are fsynced', async () => {
    const disk = new MemoryDisk();
    const a = await boot(new FakeNet(), 'n0', disk);
    let release = (): void => undefined;
    disk.fsyncGate = new Promise((resolve) => (release = resolve));
    let answered = false;
    const reply = a.env.handle(paxosPrepare, { instance: 1, n: { n: 1, m: 'n1' } }).then(() => (answered = true));
    await nap();
    expect(answered, 'answered before its promise was durable').to.equal(false);
    release();
    await reply;
    disk.fsyncGate = new Promise((resolve) => (release = resolve));
    answered = false;
    const accepted = a.env.handle(paxosAccept, { instance: 1, n: { n: 1, m: 'n1' }, v: 'x' }).then(() => (answered = true));
    await nap();
    expect(answered, 'answered before its acceptance was durable').to.equal(false);
    release();
    await accepted;
    const restarted = await boot(new FakeNet(), 'n0', disk.afterCrash());
    expect(restarted.paxos.acceptor.state()).to.deep.equal({ instance_h: 0, n_h: { n: 1, m: 'n1' }, n_a: { n: 1, m: 'n1' }, v_a: 'x' });
  });

  it('restarts from its disk with its decided values and the round in progress', async () => {
    const disk = new MemoryDisk();
    const a = await boot(new FakeNet(), 'n0', disk);
    await a.env.handle(paxosDecide, { instance: 1, v: 'n0' });
    await a.env.handle(paxosDecide, { instance: 2, v: 'n0 n1' });
    await a.env.handle(paxosPrepare, { instance: 3, n: { n: 4, m: 'n1' } });
    await a.env.handle(paxosAccept, { instance: 3, n: { n: 4, m: 'n1' }, v: 'n0 n1 n2' });
    const b = await boot(new FakeNet(), 'n0', disk.afterCrash());
    expect(b.paxos.acceptor.state()).to.deep.equal(a.paxos.acceptor.state());
    expect([1, 2].map((i) => b.paxos.acceptor.value(i))).to.deep.equal(['n0', 'n0 n1']);
  });

  it('refuses to restart on an emptied or removed paxos.log once it promised (never a new acceptor\'s amnesia), naming the file', async () => {
    for (const lose of [(d: MemoryDisk) => d.set(PAXOS_LOG_FILE, new Uint8Array()), (d: MemoryDisk) => d.files.delete(PAXOS_LOG_FILE)]) {
      const disk = new MemoryDisk();
      const a = await boot(new FakeNet(), 'n0', disk);
      await a.env.handle(paxosPrepare, { instance: 1, n: { n: 7, m: 'n1' } });
      const after = disk.afterCrash();
      lose(after);
      const error = await boot(new FakeNet(), 'n0', after).then(() => null, (e: unknown) => e);
      expect(error).to.be.instanceOf(StorageCorrupt);
      expect((error as Error).message).to.include(`record log ${PAXOS_LOG_FILE}: it holds no record`).and.include(PAXOS_WITNESS_FILE);
    }
    const fresh = await boot(new FakeNet(), 'n0', new MemoryDisk());
    expect(fresh.paxos.acceptor.state().instance_h, 'a node with no log starts new').to.equal(0);
  });
});

describe('paxos: proposer', () => {
  it('decides its value with a majority; every node that accepted learns it', async () => {
    const { net, nodes, ids } = await cluster(3);
    net.down.add('n2');
    expect(await nodes[0]!.paxos.proposer.run(1, ids, 'v0')).to.equal(true);
    expect(nodes.map((n) => n.commits)).to.deep.equal([[[1, 'v0']], [[1, 'v0']], []]);
    expect(nodes[0]!.paxos.proposer.isRunning()).to.equal(false);
  });

  it('proposes the v_a with the highest n_a instead of its own value', async () => {
    const { nodes, ids } = await cluster(3);
    await nodes[0]!.env.handle(paxosAccept, { instance: 1, n: { n: 2, m: 'n2' }, v: 'newer' });
    await nodes[1]!.env.handle(paxosAccept, { instance: 1, n: { n: 1, m: 'n1' }, v: 'older' });
    expect(await nodes[2]!.paxos.proposer.run(1, ids, 'mine')).to.equal(true);
    expect(nodes.map((n) => n.commits)).to.deep.equal([[[1, 'newer']], [[1, 'newer']], [[1, 'newer']]]);
  });

  it('on oldinstance, commits the decided value here and reports no round', async () => {
    const { net, nodes, ids } = await cluster(3);
    net.down.add('n2');
    await nodes[0]!.paxos.proposer.run(1, ids, 'x');
    net.down.delete('n2');
    expect(await nodes[2]!.paxos.proposer.run(1, ids, 'y')).to.equal(false);
    expect(nodes[2]!.commits).to.deep.equal([[1, 'x']]);
  });

  it('decides nothing without a majority', async () => {
    const { net, nodes, ids } = await cluster(3);
    net.down.add('n1').add('n2');
    expect(await nodes[0]!.paxos.proposer.run(1, ids, 'x')).to.equal(false);
    expect(nodes[0]!.commits).to.deep.equal([]);
  });

  it('dies at breakpoint 3 after promises and before any accept', async () => {
    const { nodes, ids } = await cluster(3);
    nodes[0]!.env.armed.add(3);
    let error: unknown;
    await nodes[0]!.paxos.proposer.run(1, ids, 'x').catch((e: unknown) => (error = e));
    expect(String(error)).to.include('breakpoint 3');
    expect(nodes.map((n) => [n.paxos.acceptor.state().n_h.m, n.paxos.acceptor.state().v_a])).to.deep.equal([['n0', null], ['n0', null], ['n0', null]]);
    expect(nodes[1]!.paxos.acceptor.state().n_h.n).to.equal(1);
  });

  it('dies at breakpoint 4 after a majority accepted and before any decide', async () => {
    const { nodes, ids } = await cluster(3);
    nodes[0]!.env.armed.add(4);
    let error: unknown;
    await nodes[0]!.paxos.proposer.run(1, ids, 'x').catch((e: unknown) => (error = e));
    expect(String(error)).to.include('breakpoint 4');
    expect(nodes.map((n) => n.paxos.acceptor.state().v_a)).to.deep.equal(['x', 'x', 'x']);
    expect(nodes.flatMap((n) => n.commits)).to.deep.equal([]);
  });

  it('setn: my_n.n = max(n_h.n, my_n.n) + 1, with m = this node', async () => {
    const { net, nodes, ids } = await cluster(3);
    await nodes[0]!.env.handle(paxosPrepare, { instance: 1, n: { n: 5, m: 'n1' } });
    net.down.add('n1').add('n2');
    await nodes[0]!.paxos.proposer.run(1, ids, 'x');
    expect(nodes[0]!.paxos.proposer.proposal()).to.deep.equal({ n: 6, m: 'n0' });
    await nodes[0]!.paxos.proposer.run(1, ids, 'x');
    expect(nodes[0]!.paxos.proposer.proposal()).to.deep.equal({ n: 7, m: 'n0' });
  });

  it("setn goes above the n_h a refusal named: a node back from an outage catches up in one round, not one per failed round", async () => {
    const { nodes, ids } = await cluster(3);
    // While n0 was away, n1 and n2 promised n 30 (a survivor's failed rounds run n_h up).
    for (const k of [1, 2]) await nodes[k]!.env.handle(paxosPrepare, { instance: 1, n: { n: 30, m: 'n1' } });
    expect(await nodes[0]!.paxos.proposer.run(1, ids, 'x'), 'n 1 is refused').to.equal(false);
    expect(await nodes[0]!.paxos.proposer.run(1, ids, 'x')).to.equal(true);
    expect(nodes[0]!.paxos.proposer.proposal()).to.deep.equal({ n: 31, m: 'n0' });
    expect(nodes.map((n) => n.commits)).to.deep.equal([[[1, 'x']], [[1, 'x']], [[1, 'x']]]);
  });

  it('runs one round at a time', async () => {
    const { nodes, ids } = await cluster(3);
    const first = nodes[0]!.paxos.proposer.run(1, ids, 'x');
    expect(await nodes[0]!.paxos.proposer.run(1, ids, 'y')).to.equal(false);
    expect(await first).to.equal(true);
    expect(nodes[1]!.commits).to.deep.equal([[1, 'x']]);
  });
});
