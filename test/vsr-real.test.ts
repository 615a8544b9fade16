// The VSR lab with real node processes: `rsmlab load --lab vsr`'s code path drives a live 3-replica
// cluster while its primary is killed with SIGKILL; the history must be linearizable and the two
// survivors must agree on their log and executed state.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { runCheck } from '../src/check/run.js';
import { RealCluster } from '../tester/real-cluster.js';
import { runLoad } from '../tester/rsm/run-load.js';
import { defaultTiming } from '../tester/run.js';
import { statusHeader, vsrStatusSchema, type VsrStatus } from '../labs/vsr/status.js';

async function statuses(cluster: RealCluster, indexes: number[]): Promise<(VsrStatus | null)[]> {
  return Promise.all(indexes.map(async (i) => {
    const s = vsrStatusSchema.safeParse(await cluster.status(i));
    return s.success ? s.data : null;
  }));
}

describe('vsr with real processes', function () {
  this.timeout(120_000);

  it('kill -9 of the primary under load: every op completes, the history is linearizable, the survivors agree', async () => {
    const timing = defaultTiming('real');
    const cluster = new RealCluster({ lab: 'vsr', nodes: 3, timing, app: 'kv' });
    const dir = mkdtempSync(join(tmpdir(), 'vsr-load-'));
    try {
      for (let i = 0; i < 3; i++) await cluster.start(i);
      const history = join(dir, 'history.jsonl');
      const members = [0, 1, 2].map((i) => cluster.id(i));
      const loading = runLoad({ lab: 'vsr', members, clients: 4, ops: 60, app: 'kv', history, timing, seed: 3 });
      for (let tries = 0; tries < 200 && ((await statuses(cluster, [0]))[0]?.commit_max ?? 0) < 20; tries++) await cluster.sleep(25);
      const [before] = await statuses(cluster, [0]);
      expect(before?.primary, 'replica 0 is the primary of view 0').to.equal(0);
      await cluster.kill(0, 'SIGKILL');
      const result = await loading;
      expect(result.counts).to.deep.equal({ invoke: 240, ok: 240, fail: 0, info: 0 });
      const verdict = await runCheck(history, { model: 'kv' });
      expect(verdict.exitCode, verdict.output).to.equal(0);
      let survivors: (VsrStatus | null)[] = [];
      for (let tries = 0; tries < 200; tries++) {
        survivors = await statuses(cluster, [1, 2]);
        const [a, b] = survivors;
        if (a && b && a.commit_min === a.op && b.commit_min === b.op && a.op === b.op) break;
        await cluster.sleep(50);
      }
      const [a, b] = survivors;
      expect(a!.view, 'a view change happened').to.be.greaterThan(0);
      expect([a!.status, b!.status]).to.deep.equal(['normal', 'normal']);
      expect(a!.log).to.deep.equal(b!.log);
      expect(a!.state_hash).to.equal(b!.state_hash);
      // The hash chain: the same header at the old primary's commit_max means the same ops up to it.
      const committed = statusHeader(before!, before!.commit_max);
      expect(committed, 'the old primary reports its commit_max').to.not.equal(undefined);
      expect(statusHeader(a!, before!.commit_max)).to.deep.equal(committed);
    } finally {
      await cluster.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
