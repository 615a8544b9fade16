// The simulator's step observer (the hook Lab 3's state checker runs on): it sees the world after
// every step, with each started node's LabNode, and a throw from it fails the run with its message.
// handout: framework test (passes without the lab solutions)
import { expect } from 'chai';
import { ping } from '../labs/echo/lab.js';
import { SimCluster } from '../tester/sim-cluster.js';

describe('sim step observer', () => {
  it('runs after every step and sees the started nodes\' LabNodes', async () => {
    const cluster = new SimCluster({ lab: 'echo', seed: 3, nodes: 2 });
    const pings: number[] = [];
    cluster.sim.observeSteps(() => {
      const node = cluster.labNode(1);
      if (node !== null) pings.push((node.status() as { pings: number }).pings);
    });
    await cluster.start(0);
    await cluster.start(1);
    const client = cluster.clientEnv('w');
    for (let i = 0; i < 3; i++) await client.call(cluster.id(1), ping, { text: 'hi' }, { timeoutMs: 100 });
    expect(pings.length).to.be.greaterThan(3);
    expect(pings.at(-1)).to.equal(3);
    expect(cluster.labNode(1)).to.not.equal(null);
    await cluster.kill(1);
    expect(cluster.labNode(1)).to.equal(null);
  });

  it('a throw from the observer fails the run with its message and the seed', async () => {
    const cluster = new SimCluster({ lab: 'echo', seed: 4, nodes: 1 });
    await cluster.start(0);
    cluster.sim.observeSteps(() => {
      if (cluster.sim.now >= 50) throw new Error('invariant broken at 50 ms');
    });
    await cluster.sleep(50);
    let error: unknown;
    await cluster.sleep(10).catch((e: unknown) => (error = e));
    expect(String(error)).to.match(/simulation failed at t=\d+ ms \(seed 4\): invariant broken at 50 ms/);
  });
});
