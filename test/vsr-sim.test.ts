// The VSR lab end to end in the simulator: a workload through the client library against three
// replica engines under their driver, with the primary crashed and restarted mid-run.
import { expect } from 'chai';
import { SimCluster } from '../tester/sim-cluster.js';
import { runWorkload } from '../src/workload/workload.js';
import { vsrInvoker } from '../labs/vsr/client.js';
import { vsrStatusSchema, type VsrStatus } from '../labs/vsr/status.js';
import { kvVerdict } from './vsr-helpers.js';

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
});
