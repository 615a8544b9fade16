// The RSM lab's scenarios of the real world (rsm_tester.pl tests 8-16 and our own, all but the
// simulator-only lost-join) once each with real node processes over WebSocket JSON-RPC, at the
// scaled-down real timing (tester/run.ts), two at a time (each mostly waits on its nodes' timers:
// about half a core). A failure shows the runner's table: the seed, the replay command and the
// artifacts folder (traces, node logs, history).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { runCheck } from '../src/check/run.js';
import { rsmStatusSchema, type RsmStatus } from '../labs/rsm/status.js';
import { RealCluster } from '../tester/real-cluster.js';
import { rsmScenarios } from '../tester/rsm/scenarios.js';
import { runLoad } from '../tester/rsm/run-load.js';
import { settled } from '../tester/rsm/checks.js';
import { formatTable } from '../tester/report.js';
import { defaultTiming } from '../tester/run.js';
import { runsIn } from '../tester/scenario.js';
import { runSuite } from '../tester/suite.js';

describe('rsm scenarios with real processes', function () {
  this.timeout(600_000);
  const ids = rsmScenarios.filter((s) => runsIn(s, 'real')).map((s) => s.id);

  // One fixed seed: it picks the scenarios' random kill times, so a failure can be rerun.
  it(`scenarios ${ids.join(', ')} pass once each`, async () => {
    const result = await runSuite({ lab: 'rsm', world: 'real', seeds: [1], only: ids, jobs: 2, seedTimeoutMs: 120_000, artifactsDir: join(tmpdir(), 'rsmlab-rsm-real-failures') });
    expect(result.outcomes.map((o) => `${o.id}: ${o.status}`), formatTable(result)).to.deep.equal(ids.map((id) => `${id}: passed`));
  });
});

describe('rsmlab load against a live cluster', function () {
  this.timeout(60_000);

  it('drives kv clients through the RSM client library and writes a linearizable JSONL history', async () => {
    const timing = defaultTiming('real');
    const cluster = new RealCluster({ lab: 'rsm', nodes: 3, timing, app: 'kv' });
    const dir = mkdtempSync(join(tmpdir(), 'rsm-load-'));
    try {
      for (let i = 0; i < 3; i++) await cluster.start(i, { first: 0 });
      await settledStatuses(cluster, 3);
      const history = join(dir, 'history.jsonl');
      const members = [0, 1, 2].map((i) => cluster.id(i));
      const result = await runLoad({ members, clients: 4, ops: 25, app: 'kv', history, timing, seed: 7 });
      expect(result.counts).to.deep.equal({ invoke: 100, ok: 100, fail: 0, info: 0 });
      expect(readFileSync(history, 'utf8').trim().split('\n')).to.have.length(200);
      const verdict = await runCheck(history, { model: 'kv' });
      expect(verdict.exitCode, verdict.output).to.equal(0);
      const hashes = (await settledStatuses(cluster, 3)).map((s) => s.snapshotHash);
      expect(new Set(hashes).size, `replica snapshots ${hashes.join(' ')}`).to.equal(1);
      // A second load on the same cluster: its history alone is checked from empty keys, which k0..k2
      // are not any more. With keys of its own (what `rsmlab load` asks for) it checks; with the
      // first load's keys, only both histories together do.
      const again = async (ownNames: boolean): Promise<number> => {
        const second = join(dir, `second-${ownNames}.jsonl`);
        await runLoad({ members, clients: 4, ops: 25, app: 'kv', history: second, timing, seed: 8, ownNames });
        return (await runCheck(second, { model: 'kv' })).exitCode;
      };
      expect(await again(true), 'its own keys: checkable alone').to.equal(0);
      expect(await again(false), 'the shared keys: not checkable alone').to.equal(1);
    } finally {
      await cluster.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Poll until all `n` nodes are in the same view (at least view n), out of their view change, at the same last viewstamp. */
async function settledStatuses(cluster: RealCluster, n: number): Promise<RsmStatus[]> {
  for (let tries = 0; tries < 200; tries++) {
    const parsed = await Promise.all(Array.from({ length: n }, async (_, i) => rsmStatusSchema.safeParse(await cluster.status(i))));
    const statuses = parsed.flatMap((p) => (p.success ? [p.data] : []));
    const vid = statuses[0]?.vid_commit ?? 0;
    if (statuses.length === n && vid >= n && settled(statuses, vid)) return statuses;
    await cluster.sleep(50);
  }
  throw new Error(`the cluster did not settle in view ${n} or later`);
}
