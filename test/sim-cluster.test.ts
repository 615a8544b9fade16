// SimCluster, the Cluster of the simulated world: node ids, a lab by name or by value, the node
// lifecycle and status, clients inside the world, client trace events, and the world's counters.
// handout: framework test (passes without the lab solutions)
import { expect } from 'chai';
import { ping } from '../labs/echo/lab.js';
import { SimCluster } from '../tester/sim-cluster.js';
import { events, probeLab } from './fixtures/sim-probe.js';

describe('sim cluster', () => {
  it('names nodes p0, p1, ... as the test titles do and maps them back', () => {
    const cluster = new SimCluster({ lab: 'echo', seed: 1, nodes: 3 });
    expect(cluster.world).to.equal('sim');
    expect([0, 1, 2].map((i) => cluster.id(i))).to.deep.equal(['p0', 'p1', 'p2']);
    expect(['p2', 'p3', 'p02', 'x'].map((id) => cluster.indexOf(id))).to.deep.equal([2, -1, -1, -1]);
    expect(() => cluster.id(3)).to.throw(/no node 3/);
    expect(cluster.timing.heartbeatMs).to.equal(3000);
  });

  it('loads a lab by name, starts, stops and restarts nodes through `first`', async () => {
    const cluster = new SimCluster({ lab: 'echo', seed: 1, nodes: 2 });
    await cluster.start(1, { first: 1 });
    expect(cluster.alive(1)).to.equal(true);
    expect(cluster.alive(0)).to.equal(false);
    expect(await cluster.status(0)).to.equal(null);
    expect(await cluster.status(1)).to.deep.equal({ pings: 0, notes: 0, count: 0, synced: 0 });
    let error: unknown;
    await cluster.start(1).catch((e: unknown) => (error = e));
    expect(String(error)).to.contain('p1 is already running');
    await cluster.kill(1);
    await cluster.start(1);
    const starts = (await events(cluster, 'start')).map((e) => e.detail);
    expect(starts).to.deep.equal([
      { lab: 'echo', first: 'p1', restarted: false },
      { lab: 'echo', first: 'p0', restarted: true },
    ]);
  });

  it('passes first, timing and app to the lab', async () => {
    const seen: unknown[] = [];
    const cluster = new SimCluster({
      lab: probeLab((env, options) => void seen.push([env.me, options.first, options.timing.rpcTimeoutMs, options.app])),
      seed: 1,
      nodes: 2,
      app: 'kv',
      timing: { heartbeatMs: 1, rpcTimeoutMs: 2, joinRetryMs: 3, joinTimeoutMs: 4, clientTimeoutMs: 5, clientBusyRetryMs: 6, retryMs: 7, lockLeaseMs: 8 },
    });
    await cluster.start(1, { first: 0 });
    expect(seen).to.deep.equal([['p1', 'p0', 2, 'kv']]);
  });

  it('gives clients an env inside the world, and traces their operations', async () => {
    const cluster = new SimCluster({ lab: 'echo', seed: 1, nodes: 1 });
    await cluster.start(0);
    const client = cluster.clientEnv('w1');
    expect(client.me).to.equal('client:w1');
    cluster.recordClient('w1', { op: 'invoke', f: 'ping' });
    const reply = await client.call('p0', ping, { text: 'hi' }, { timeoutMs: 100 });
    cluster.recordClient('w1', { op: 'ok', value: reply.text });
    await client.sleep(10);
    const ops = (await events(cluster, 'client')).map((e) => [e.node, e.detail]);
    expect(ops).to.deep.equal([
      ['client:w1', { op: 'invoke', f: 'ping' }],
      ['client:w1', { op: 'ok', value: 'hi' }],
    ]);
    expect(await client.disk.list().catch((e: Error) => e.message)).to.equal('client:w1 is a client and has no disk');
    expect(() => client.serve(ping, () => ({ text: '', count: 0 }))).to.throw('client:w1: clients do not serve');
    const stats = cluster.stats;
    expect(stats).to.include({ sent: 2, delivered: 2, dropped: 0 });
    expect(stats.events).to.be.greaterThan(3);
    expect(cluster.traceHash()).to.match(/^[0-9a-f]{32}$/);
    await cluster.close();
    expect(await cluster.sleep(1).catch((e: Error) => e.message)).to.equal('the simulation is closed');
  });
});
