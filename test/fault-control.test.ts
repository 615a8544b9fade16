// The one fault-and-control interface (src/control/fault-control.ts), driven the same way in both
// worlds on the echo lab: every action's effect is read back from status, a named fault point
// kills its node like a breakpoint, and a crashed node restarts from its disk. A link-fault filter
// is checked against the methods the lab serves (and, on a real node still starting, said unchecked).
// handout: framework test (passes without the lab solutions)
import { expect } from 'chai';
import type { Cluster } from '../tester/cluster.js';
import { SimCluster } from '../tester/sim-cluster.js';
import { RealCluster } from '../tester/real-cluster.js';
import { classicTiming, scaleTiming } from '../src/timing.js';
import { ping, note, ECHO_SITES } from '../labs/echo/lab.js';
import { isRpcError } from '../src/env/types.js';
import { observed, type ControlAction } from '../src/control/fault-control.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { releasePorts, reservePortPairs } from '../src/env/real/ports.js';
import { RealDisk } from '../src/env/real/disk.js';
import { FaultyDisk } from '../src/env/real/faulty-disk.js';
import { RealEnv } from '../src/env/real/env.js';
import { TraceRecorder } from '../src/trace/recorder.js';
import { startControlPlane } from '../src/control/server.js';
import { controlCall } from '../src/control/client.js';
import { faults } from '../src/control/protocol.js';

const worlds: Record<string, () => Cluster> = {
  sim: () => new SimCluster({ lab: 'echo', seed: 7, nodes: 2 }),
  real: () => new RealCluster({ lab: 'echo', nodes: 2, timing: scaleTiming(classicTiming, 0.1) }),
};

async function until(cluster: Cluster, what: string, done: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await done()) return;
    await cluster.sleep(25);
  }
  throw new Error(`never: ${what}`);
}

for (const [world, make] of Object.entries(worlds)) {
  describe(`fault-and-control interface (${world})`, function () {
    this.timeout(60_000);
    let cluster: Cluster;
    let n0: string;
    let n1: string;

    beforeEach(async () => {
      cluster = make();
      await cluster.start(0);
      await cluster.start(1);
      n0 = cluster.id(0);
      n1 = cluster.id(1);
    });
    afterEach(() => cluster.close());

    it('partition, heal, link faults and breakpoints change exactly what status reports', async () => {
      const c = cluster.control;
      expect(c.world).to.equal(world);
      const before = await c.status(n1);
      expect(before).to.include({ node: n1, alive: true, lab: 'echo', partitioned: false, partitionArmed: false });
      expect(before.sites, 'what the lab reaches').to.deep.equal({ breakpoints: [1], partitionPoint: true, faultPoints: ['echo.ping'] });
      expect(before.state).to.deep.equal({ pings: 0, notes: 0, count: 0, synced: 0 });
      expect(await c.partition(n1)).to.deep.equal({ partitioned: false, partitionArmed: true });
      expect(await c.partition(n1, true)).to.deep.equal({ partitioned: true, partitionArmed: false });
      expect(await c.heal(n1)).to.deep.equal({ partitioned: false, partitionArmed: false });
      expect(await c.netFaults(n1, { loss: 0.25, dup: 0.5 })).to.deep.equal({ loss: 0.25, dup: 0.5, delayMs: 0 });
      expect(await c.netFaults(n1, { delayMs: 3 })).to.deep.equal({ loss: 0.25, dup: 0.5, delayMs: 3 });
      expect(await c.breakpoint(n1, 1)).to.deep.equal({ breakpoints: [1] });
      expect(await c.faultPoint(n1, 'echo.ping')).to.deep.equal({ faultPoints: ['echo.ping'] });
      const after = await c.status(n1);
      expect(after).to.deep.include({ breakpoints: [1], faultPoints: ['echo.ping'], faults: { loss: 0.25, dup: 0.5, delayMs: 3 } });
      expect((await c.status(n0)).faultPoints).to.deep.equal([]);
      await expectRejected(c.faultPoint(n1, 'no spaces allowed'));
    });

    it('a link-fault filter naming a method the lab does not serve is refused, naming the closest one, and the faults stay as they were', async () => {
      const c = cluster.control;
      await c.netFaults(n1, { delayMs: 3, methods: ['echo.ping'] });
      const refused = await c.netFaults(n1, { delayMs: 9, methods: ['echo.pign', 'echo.note'] }).then(() => 'set', (e: unknown) => String(e));
      expect(refused).to.match(/this node's lab \(echo\) serves no method 'echo\.pign' \(did you mean 'echo\.ping'\?\): the faults would strike nothing\. It serves: .*echo\.note.*echo\.ping/);
      expect((await c.status(n1)).faults, 'nothing changed').to.deep.equal({ loss: 0, dup: 0, delayMs: 3, methods: ['echo.ping'] });
      expect(await c.netFaults(n1, { methods: ['echo.note'] }), 'a notice it serves is a method it serves').to.deep.equal({ loss: 0, dup: 0, delayMs: 3, methods: ['echo.note'] });
    });

    it('a peers-only cut, armed or taken, is reported and traced as such, and clients still reach the node; a full cut keeps them out', async () => {
      const c = cluster.control;
      const client = cluster.clientEnv('t');
      const pinged = (text: string): Promise<string> => client.call(n1, ping, { text }, { timeoutMs: 500 }).then((r) => r.text, () => 'no answer');
      expect(await c.partition(n1, false, 'peers')).to.deep.equal({ partitioned: false, partitionArmed: true, peersOnly: true });
      expect(await c.partition(n1, true, 'peers')).to.deep.equal({ partitioned: true, partitionArmed: false, peersOnly: true });
      expect(await c.status(n1)).to.include({ partitioned: true, peersOnly: true });
      expect(await pinged('a')).to.equal('a');
      expect(await c.partition(n1, true)).to.deep.equal({ partitioned: true, partitionArmed: false });
      expect(await pinged('b')).to.equal('no answer');
      expect(await c.heal(n1)).to.deep.equal({ partitioned: false, partitionArmed: false });
      expect(await pinged('c')).to.equal('c');
      const trace = await cluster.traceJsonl();
      expect(trace).to.match(/"kind":"partition","detail":\{"at":"armed","peersOnly":true\}/);
      expect(trace).to.match(/"kind":"partition","detail":\{"at":"now","peersOnly":true\}/);
    });

    it('a named fault point kills its node like a breakpoint; restart brings it back from its disk', async () => {
      const c = cluster.control;
      const client = cluster.clientEnv('t');
      client.send(n1, note, { text: 'x' });
      await until(cluster, 'the note is synced', async () => ((await c.status(n1)).state as { synced: number } | null)?.synced === 1);
      expect(await client.call(n1, ping, { text: 'a' }, { timeoutMs: 1000 })).to.deep.equal({ text: 'a', count: 1 });
      const other = await c.faultPoint(n1, 'echo.other').then(() => 'armed', (e: unknown) => String(e));
      expect(other, 'a point the lab never reaches').to.match(/this node's lab \(echo\) never reaches fault point 'echo\.other'.* It reaches: breakpoints 1; fault points echo\.ping; partitionPoint\(\) yes/);
      expect((await client.call(n1, ping, { text: 'b' }, { timeoutMs: 1000 })).text, 'nothing armed, nothing hit').to.equal('b');
      await c.faultPoint(n1, 'echo.ping');
      const died = await client.call(n1, ping, { text: 'c' }, { timeoutMs: 1000 }).then(() => 'answered', (e: unknown) => (isRpcError(e) ? 'rpc error' : String(e)));
      expect(died).to.equal('rpc error');
      await until(cluster, 'n1 is down', async () => !cluster.alive(1));
      expect(await c.status(n1)).to.include({ alive: false, state: null });
      expect((await c.status(n0)).alive).to.equal(true);
      await c.restart(n1);
      const back = await c.status(n1);
      expect(back).to.deep.include({ alive: true, faultPoints: [], breakpoints: [] });
      expect(back.state).to.deep.include({ pings: 0, count: 1 });
      const trace = await cluster.traceJsonl();
      expect(trace).to.match(/"kind":"breakpoint","detail":\{"point":"echo\.ping","hit":true\}/);
      expect(trace).to.match(/"kind":"crash","detail":\{"reason":"faultPoint","name":"echo\.ping"\}/);
    });

    it('disk faults and crash go through the same interface; observed() reports every action', async () => {
      const actions: ControlAction[] = [];
      const c = observed(cluster.control, (a) => actions.push(a));
      cluster.clientEnv('t').send(n0, note, { text: 'x' });
      await until(cluster, 'the count file exists', async () => (await c.diskFiles(n0)).some((f) => f.name === 'count' && f.size === 8));
      expect(await c.diskFault(n0, { kind: 'corrupt', file: 'count', offset: 0, length: 4 })).to.deep.equal({ kind: 'corrupt', file: 'count', offset: 0, corrupted: 4, sectors: { first: 0, count: 1 } });
      await c.crash(n0, 'SIGKILL');
      expect(cluster.alive(0)).to.equal(false);
      expect((await c.status(n0)).alive).to.equal(false);
      expect(actions.map((a) => a.action)).to.deep.equal(['diskFault', 'crash']);
      expect(actions[1]).to.deep.equal({ action: 'crash', node: n0, args: { signal: 'SIGKILL' } });
    });
  });
}

describe('the real control plane while its lab is starting', function () {
  this.timeout(30_000);

  it('sets a link-fault filter it cannot check yet, with a warning; once the lab serves, a method it does not serve is refused', async () => {
    const [port] = await reservePortPairs(1);
    const dir = mkdtempSync(join(tmpdir(), 'rsmlab-starting-'));
    const disk = new RealDisk(dir);
    await disk.init();
    const env = await RealEnv.listen({ host: '127.0.0.1', port: port!, disk, trace: new TraceRecorder({ keep: false, hash: false }) });
    let started = false;
    const plane = await startControlPlane({ node: env, disk: new FaultyDisk(disk, env.me), lab: 'echo', sites: ECHO_SITES, started: () => started, state: () => null }, '127.0.0.1', port! + 1);
    try {
      const early = await controlCall(env.me, faults, { delayMs: 5, methods: ['echo.pign'] });
      expect(early).to.deep.include({ delayMs: 5, methods: ['echo.pign'] });
      expect(early.warning).to.match(/^the methods were not checked: this node's lab \(echo\) has not started yet/);
      env.serve(ping, ({ text }) => ({ text, count: 0 }));
      started = true;
      const refused = await controlCall(env.me, faults, { methods: ['echo.pign'] }).then(() => 'set', (e: unknown) => String(e));
      expect(refused).to.match(/serves no method 'echo\.pign' \(did you mean 'echo\.ping'\?\)/);
      expect(await controlCall(env.me, faults, { methods: ['echo.ping'] }), 'checked: no warning').to.deep.equal({ loss: 0, dup: 0, delayMs: 5, methods: ['echo.ping'] });
    } finally {
      await plane.close();
      await env.close();
      releasePorts([port!]);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

async function expectRejected(p: Promise<unknown>): Promise<void> {
  const outcome = await p.then(() => 'resolved', () => 'rejected');
  expect(outcome).to.equal('rejected');
}
