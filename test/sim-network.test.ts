// The simulated network: seeded loss, duplication and reordering (exact counts per seed, rates
// near the setting), per-node faults, and partitions: a node cut now (from everyone, or from the
// other nodes only), one armed for its next partitionPoint(), symmetric node sets, one-way links, and healing.
// handout: framework test (passes without the lab solutions)
import { expect } from 'chai';
import { isRpcError, type Env, type NodeId } from '../src/env/types.js';
import { ping } from '../labs/echo/lab.js';
import { SimCluster } from '../tester/sim-cluster.js';
import type { SimClusterOptions } from '../tester/sim-cluster.js';
import { events, get, probeCluster, tell } from './fixtures/sim-probe.js';

/** Send `count` notices from a client to p0 at one instant; the order and number in which p0 got them. */
async function blast(options: Partial<SimClusterOptions>, count: number): Promise<{ got: number[]; cluster: SimCluster }> {
  const got: number[] = [];
  const cluster = await probeCluster((env) => env.on(tell, ({ n }) => got.push(n)), { nodes: 1, ...options });
  const client = cluster.clientEnv('c');
  for (let n = 0; n < count; n++) client.send('p0', tell, { n });
  await cluster.sleep(1000);
  return { got, cluster };
}

/** Whether a call from `from` (a node index, or a client name) to `to` gets its reply within 100 ms. */
async function reaches(cluster: SimCluster, from: string | number, to: NodeId): Promise<boolean> {
  const env = typeof from === 'number' ? envs.get(cluster.id(from))! : cluster.clientEnv(from);
  let outcome: unknown;
  env.call(to, get, { key: 'x' }, { timeoutMs: 100 }).then(
    () => (outcome = true),
    (e: unknown) => (outcome = isRpcError(e, 'timeout') ? false : e),
  );
  await cluster.sleep(101);
  if (typeof outcome !== 'boolean') throw new Error(`unexpected outcome ${String(outcome)}`);
  return outcome;
}

const envs = new Map<NodeId, Env>();

describe('sim network', () => {
  it('loses messages at the configured rate, the same ones for the same seed', async () => {
    const a = await blast({ seed: 11, net: { loss: 0.3 } }, 2000);
    const b = await blast({ seed: 11, net: { loss: 0.3 } }, 2000);
    const c = await blast({ seed: 12, net: { loss: 0.3 } }, 2000);
    expect(a.got.length).to.be.within(1300, 1500);
    expect(b.got).to.deep.equal(a.got);
    expect(c.got).to.not.deep.equal(a.got);
    expect(a.cluster.stats.dropped).to.equal(2000 - a.got.length);
  });

  it('duplicates messages at the configured rate', async () => {
    const { got } = await blast({ seed: 5, net: { dup: 0.2 } }, 2000);
    expect(got.length).to.be.within(2300, 2500);
    expect(new Set(got).size).to.equal(2000);
  });

  it('reorders messages sent at one instant by their random delays', async () => {
    const { got } = await blast({ seed: 5, net: { minDelayMs: 1, maxDelayMs: 10 } }, 200);
    expect([...got].sort((x, y) => x - y)).to.deep.equal(Array.from({ length: 200 }, (_, i) => i));
    expect(got).to.not.deep.equal([...got].sort((x, y) => x - y));
  });

  it('changes the run\'s settings at run time, and traces them', async () => {
    const { got, cluster } = await blast({ seed: 2 }, 0);
    const client = cluster.clientEnv('c');
    expect(cluster.sim.configureNet({ loss: 1 })).to.deep.equal({ minDelayMs: 1, maxDelayMs: 10, loss: 1, dup: 0 });
    client.send('p0', tell, { n: 1 });
    cluster.sim.configureNet({ loss: 0, minDelayMs: 20, maxDelayMs: 20 });
    client.send('p0', tell, { n: 2 });
    await cluster.sleep(19);
    expect(got).to.deep.equal([]);
    await cluster.sleep(2);
    expect(got).to.deep.equal([2]);
    expect(() => cluster.sim.configureNet({ maxDelayMs: 5 })).to.throw('maxDelayMs 5 < minDelayMs 20');
    const faults = (await events(cluster, 'faults')).map((e) => [e.node, e.detail]);
    expect(faults).to.deep.equal([
      ['*', { minDelayMs: 1, maxDelayMs: 10, loss: 1, dup: 0 }],
      ['*', { minDelayMs: 20, maxDelayMs: 20, loss: 0, dup: 0 }],
    ]);
  });

  it('applies per-node faults on top of the run settings, and traces them', async () => {
    const { got, cluster } = await blast({ seed: 2, net: { minDelayMs: 4, maxDelayMs: 4 } }, 0);
    await cluster.faults(0, { delayMs: 100 });
    const client = cluster.clientEnv('c');
    const t0 = cluster.sim.now;
    client.send('p0', tell, { n: 1 });
    await cluster.sleep(103);
    expect(got).to.deep.equal([]);
    await cluster.sleep(2);
    expect(got).to.deep.equal([1]);
    const [delivered] = await events(cluster, 'deliver');
    expect(delivered!.t).to.equal(t0 + 104);
    await cluster.faults(0, { delayMs: 0, loss: 1 });
    client.send('p0', tell, { n: 2 });
    await cluster.sleep(50);
    expect(got).to.deep.equal([1]);
    const faults = await events(cluster, 'faults');
    expect(faults.map((e) => e.detail)).to.deep.equal([
      { loss: 0, dup: 0, delayMs: 100 },
      { loss: 1, dup: 0, delayMs: 0 },
    ]);
  });

  it('per-node faults with methods strike only those methods\' messages (requests and their replies), and [] every message again', async () => {
    envs.clear();
    const got: number[] = [];
    const cluster = await probeCluster((env) => {
      env.on(tell, ({ n }) => got.push(n));
      env.serve(get, () => ({ value: 1 }));
    }, { nodes: 1, seed: 3, net: { minDelayMs: 4, maxDelayMs: 4 } });
    const client = cluster.clientEnv('c');
    /** How long a probe.get takes there and back, in world ms (up to 1000). */
    const roundTrip = async (): Promise<number> => {
      const t0 = cluster.sim.now;
      let took = -1;
      void client.call('p0', get, { key: 'x' }, { timeoutMs: 1000 }).then(() => (took = cluster.sim.now - t0));
      await cluster.sleep(1000);
      return took;
    };
    await cluster.faults(0, { delayMs: 100, methods: [tell.name] });
    expect(await roundTrip()).to.equal(8);
    client.send('p0', tell, { n: 1 });
    await cluster.sleep(103);
    expect(got).to.deep.equal([]);
    await cluster.sleep(2);
    expect(got).to.deep.equal([1]);
    await cluster.faults(0, { methods: [get.name, tell.name] });
    expect(await roundTrip()).to.equal(208);
    await cluster.faults(0, { methods: [] });
    expect(await roundTrip()).to.equal(208);
    const faults = await events(cluster, 'faults');
    expect(faults.map((e) => e.detail)).to.deep.equal([
      { loss: 0, dup: 0, delayMs: 100, methods: [tell.name] },
      { loss: 0, dup: 0, delayMs: 100, methods: [get.name, tell.name] },
      { loss: 0, dup: 0, delayMs: 100 },
    ]);
  });

  describe('partitions', () => {
    async function cluster(): Promise<SimCluster> {
      envs.clear();
      return probeCluster((env) => {
        envs.set(env.me, env);
        env.serve(get, () => ({ value: 1 }));
      });
    }

    it('cuts a node from every node and client now, and heals it', async () => {
      const c = await cluster();
      await c.partition(0, true);
      expect(await reaches(c, 'c', 'p0')).to.equal(false);
      expect(await reaches(c, 0, 'p1')).to.equal(false);
      expect(await reaches(c, 1, 'p0')).to.equal(false);
      expect(await reaches(c, 0, 'p0')).to.equal(false); // like the seed's set_reachable(false)
      expect(await reaches(c, 1, 'p2')).to.equal(true);
      await c.heal(0);
      expect(await reaches(c, 'c', 'p0')).to.equal(true);
      expect(await reaches(c, 0, 'p1')).to.equal(true);
      const cuts = await events(c, 'partition', 'heal');
      expect(cuts.map((e) => [e.kind, e.node, e.detail])).to.deep.equal([
        ['partition', 'p0', { at: 'now' }],
        ['heal', 'p0', {}],
      ]);
    });

    it('cuts a node from the other nodes only (peers): its clients still reach it, it reaches itself; heal and death end the cut', async () => {
      const c = await cluster();
      expect(await c.control.partition('p0', true, 'peers')).to.deep.equal({ partitioned: true, partitionArmed: false, peersOnly: true });
      expect(await reaches(c, 'c', 'p0')).to.equal(true);
      expect(await reaches(c, 0, 'p1')).to.equal(false);
      expect(await reaches(c, 1, 'p0')).to.equal(false);
      expect(await reaches(c, 0, 'p0')).to.equal(true);
      expect(await reaches(c, 1, 'p2')).to.equal(true);
      expect(await c.control.heal('p0')).to.deep.equal({ partitioned: false, partitionArmed: false });
      expect(await reaches(c, 0, 'p1')).to.equal(true);
      await c.partition(1, true, 'peers');
      await c.kill(1);
      expect((await c.control.status('p1')).partitioned, 'a cut is its process\'s, as in the real world').to.equal(false);
      const cuts = await events(c, 'partition', 'heal');
      expect(cuts.map((e) => [e.kind, e.node, e.detail])).to.deep.equal([
        ['partition', 'p0', { at: 'now', peersOnly: true }],
        ['heal', 'p0', {}],
        ['partition', 'p1', { at: 'now', peersOnly: true }],
      ]);
    });

    it('blocks one direction of a link only', async () => {
      const c = await cluster();
      c.sim.block('p0', 'p1');
      expect(await reaches(c, 0, 'p1')).to.equal(false); // the request is lost
      expect(await reaches(c, 1, 'p0')).to.equal(false); // the request arrives, the reply is lost
      const delivered = (await events(c, 'deliver')).filter((e) => (e.msg as { to: string }).to === 'p0');
      expect(delivered).to.have.length(1);
      expect(await reaches(c, 2, 'p1')).to.equal(true);
      c.sim.unblock('p0', 'p1');
      expect(await reaches(c, 0, 'p1')).to.equal(true);
    });

    it('splits node sets symmetrically', async () => {
      const c = await cluster();
      c.sim.split([['p0', 'p1'], ['p2']]);
      expect(await reaches(c, 0, 'p1')).to.equal(true);
      expect(await reaches(c, 1, 'p0')).to.equal(true);
      expect(await reaches(c, 0, 'p2')).to.equal(false);
      expect(await reaches(c, 2, 'p1')).to.equal(false);
      expect(await reaches(c, 'c', 'p2')).to.equal(true);
      c.sim.healAll();
      expect(await reaches(c, 2, 'p1')).to.equal(true);
    });

    it('arms a cut that takes effect at the node\'s next partitionPoint()', async () => {
      const c = new SimCluster({ lab: 'echo', seed: 4, nodes: 2 });
      await c.start(0);
      await c.start(1);
      await c.partition(1);
      const client = c.clientEnv('c');
      expect(await client.call('p0', ping, { text: 'a' }, { timeoutMs: 100 })).to.deep.equal({ text: 'a', count: 0 });
      const cut = await client.call('p1', ping, { text: 'b' }, { timeoutMs: 100 }).catch((e: unknown) => e);
      expect(isRpcError(cut, 'timeout')).to.equal(true);
      expect(await c.status(1)).to.include({ pings: 1 });
      const later = await client.call('p1', ping, { text: 'c' }, { timeoutMs: 100 }).catch((e: unknown) => e);
      expect(isRpcError(later, 'timeout')).to.equal(true);
      expect(await c.status(1)).to.include({ pings: 1 });
      const marks = (await events(c, 'partition')).map((e) => e.detail);
      expect(marks).to.deep.equal([{ at: 'armed' }, { at: 'partitionPoint' }]);
      await c.heal(1);
      expect(await client.call('p1', ping, { text: 'd' }, { timeoutMs: 100 })).to.deep.equal({ text: 'd', count: 0 });
    });
  });
});
