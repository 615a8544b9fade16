// The VSR lab end to end in the simulator: a workload through the client library against three
// replica engines under their driver, with the primary crashed and restarted mid-run.
import { expect } from 'chai';
import { SimCluster } from '../tester/sim-cluster.js';
import { runWorkload } from '../src/workload/workload.js';
import { vsrInvoker } from '../labs/vsr/client.js';
import { vsrStatusSchema, type VsrStatus } from '../labs/vsr/status.js';
import { kvVerdict } from './vsr-helpers.js';
import { makeVsrLab } from '../labs/vsr/lab.js';
import { step, type EngineCommand, type Event } from '../labs/vsr/engine.js';
import { cloneState, type ReplicaState } from '../labs/vsr/state.js';

async function statuses(cluster: SimCluster, n: number): Promise<(VsrStatus | null)[]> {
  const out: (VsrStatus | null)[] = [];
  for (let i = 0; i < n; i++) {
    const s = await cluster.status(i);
    out.push(s === null ? null : vsrStatusSchema.parse(s));
  }
  return out;
}

describe('vsr: the lab in the simulator', function () {
  this.timeout(60_000);

  it('the simulator\'s control refuses, as a live replica\'s does, a breakpoint, a deferred partition or a fault point the engine never reaches', async () => {
    const cluster = new SimCluster({ lab: 'vsr', seed: 7, nodes: 1, keepTrace: false });
    try {
      await cluster.start(0);
      const p0 = cluster.id(0);
      const refusals = await Promise.all([cluster.control.breakpoint(p0, 2), cluster.control.partition(p0), cluster.control.faultPoint(p0, 'vsr.primary.before-commit')].map((p) => p.then(() => 'armed', (e: unknown) => String(e))));
      expect(refusals[0]).to.match(/this node's lab \(vsr\) never reaches breakpoint 2: arming it would do nothing/);
      expect(refusals[1]).to.match(/never reaches a partitionPoint\(\), so an armed partition would never cut/);
      expect(refusals[2]).to.match(/never reaches fault point 'vsr\.primary\.before-commit' \(did you mean 'vsr\.primary\.before_commit'\?\)/);
      const status = await cluster.control.status(p0);
      expect([status.breakpoints, status.faultPoints, status.partitionArmed], 'nothing armed').to.deep.equal([[], [], false]);
    } finally {
      await cluster.close();
    }
  });

  it('3 replicas, 4 clients, 40 ops each: every replica converges to the same log and state', async () => {
    const cluster = new SimCluster({ lab: 'vsr', seed: 7, nodes: 3, keepTrace: false });
    try {
      for (let i = 0; i < 3; i++) await cluster.start(i);
      const replicas = [0, 1, 2].map((i) => cluster.id(i));
      const done = runWorkload({
        app: 'kv',
        clients: 4,
        opsPerClient: 40,
        invoker: vsrInvoker((c) => cluster.clientEnv(c), { replicas, timing: cluster.timing, giveUpMs: 60_000 }),
        clock: cluster.clientEnv('clock'),
        random: () => 0.5,
      });
      let result: Awaited<typeof done> | undefined;
      void done.then((r) => (result = r));
      for (let t = 0; t < 600 && result === undefined; t++) await cluster.sleep(500);
      expect(result, 'workload finished').to.not.equal(undefined);
      await cluster.sleep(5000);
      const all = (await statuses(cluster, 3)).map((s) => s!);
      expect(all.map((s) => s.status)).to.deep.equal(['normal', 'normal', 'normal']);
      expect(new Set(all.map((s) => s.state_hash)).size).to.equal(1);
      expect(all[0]!.commit_min).to.be.greaterThan(4);
      expect(kvVerdict(result!.history)).to.equal('ok');
    } finally {
      await cluster.close();
    }
  });

  it('a replica state cloned mid-run (during a view change) continues identically on the rest of the run\'s events', async () => {
    const recorded: { event: Event; commands: EngineCommand[] }[] = [];
    let clone: ReplicaState | undefined;
    const lab = makeVsrLab({
      afterStep: (state, event, commands) => {
        if (state.config.replica !== 1) return;
        if (clone !== undefined) recorded.push({ event: structuredClone(event), commands: structuredClone([...commands]) });
        else if (state.status === 'view_change') clone = cloneState(state);
      },
    });
    const cluster = new SimCluster({ lab, seed: 5, nodes: 3, keepTrace: false });
    try {
      for (let i = 0; i < 3; i++) await cluster.start(i);
      const client = cluster.clientEnv('w');
      const replicas = [0, 1, 2].map((i) => cluster.id(i));
      const invoke = vsrInvoker(() => client, { replicas, timing: cluster.timing, giveUpMs: 60_000 })('w');
      await Promise.race([invoke({ f: 'put', key: 'k', value: '1' }), cluster.sleep(5000)]);
      await cluster.kill(0, 'SIGKILL');
      const second = invoke({ f: 'put', key: 'k', value: '2' });
      await cluster.sleep(20_000);
      await second;
      expect(clone, 'replica 1 went through a view change').to.not.equal(undefined);
      expect(recorded.length).to.be.greaterThan(50);
      for (const { event, commands } of recorded) expect(step(clone!, structuredClone(event))).to.deep.equal(commands);
      const live = vsrStatusSchema.parse(await cluster.status(1));
      expect([clone!.view, clone!.op, clone!.commit_min, clone!.status]).to.deep.equal([live.view, live.op, live.commit_min, live.status]);
    } finally {
      await cluster.close();
    }
  });

  /** Run `body` on a 3-replica cluster (seed 3, its trace kept) that committed puts 1..3 of key k and then sat idle a second. */
  async function afterThreePuts(body: (cluster: SimCluster) => Promise<void>): Promise<void> {
    const cluster = new SimCluster({ lab: 'vsr', seed: 3, nodes: 3, keepTrace: true });
    try {
      for (let i = 0; i < 3; i++) await cluster.start(i);
      const client = cluster.clientEnv('w');
      const replicas = [0, 1, 2].map((i) => cluster.id(i));
      const invoke = vsrInvoker(() => client, { replicas, timing: cluster.timing, giveUpMs: 60_000 })('w');
      for (let v = 1; v <= 3; v++) expect(await invoke({ f: 'put', key: 'k', value: `${v}` })).to.deep.include({ ok: true });
      await cluster.sleep(1000);
      await body(cluster);
    } finally {
      await cluster.close();
    }
  }

  it('replicas whose logs were emptied while down refuse to start, and the cluster never comes back without its committed ops', () =>
    afterThreePuts(async (cluster) => {
      for (let i = 0; i < 3; i++) {
        await cluster.kill(i, 'SIGKILL');
        cluster.sim.disk(cluster.id(i)).truncate('vsr.log', 0);
        cluster.sim.disk(cluster.id(i)).fsync('vsr.log');
      }
      for (let i = 0; i < 3; i++) await cluster.start(i).catch(() => undefined);
      await cluster.sleep(5000);
      for (let i = 0; i < 3; i++) expect(cluster.alive(i), `replica ${i} refused to start`).to.equal(false);
      // Traced as every refused start of a VSR replica's storage is (vsr.storage.refused), then the node's death.
      expect(await cluster.traceJsonl()).to.match(/"error":"record log vsr\.log: it holds no record, but vsr\.log\.written exists[^"]*","what":"vsr\.storage\.refused"/);
    }));

  it('a replica whose log\'s last record is garbled drops it as torn, says so, and catches up', () =>
    afterThreePuts(async (cluster) => {
      const size = (await cluster.control.diskFiles(cluster.id(1))).find((f) => f.name === 'vsr.log')!.size;
      await cluster.kill(1, 'SIGKILL');
      await cluster.diskFault(1, { kind: 'corrupt', file: 'vsr.log', offset: size - 1, length: 1 }); // the last record's payload
      await cluster.start(1);
      await cluster.sleep(10_000);
      expect(await cluster.traceJsonl()).to.match(/"detail":\{"file":"vsr\.log","bytes":\d+,"what":"vsr\.log\.torn_tail"\}/);
      const all = (await statuses(cluster, 3)).map((s) => s!);
      expect(all.map((s) => [s.status, s.commit_min])).to.deep.equal([0, 1, 2].map(() => ['normal', all[0]!.commit_min]));
      expect(new Set(all.map((s) => s.state_hash)).size, 'replica 1 caught up to the same state').to.equal(1);
    }));
});
