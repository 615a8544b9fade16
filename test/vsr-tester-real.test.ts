// Lab 3's scenarios once each with real replica processes over WebSocket JSON-RPC, real files with
// fsync and real signals, at the tests' scaled-down timing, two at a time (they mostly wait). A
// failure shows the runner's table: the seed, the replay command and the artifacts folder.
import { expect } from 'chai';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatTable } from '../tester/report.js';
import { runSuite } from '../tester/suite.js';
import { rmSync } from 'node:fs';
import { recoveredFirst, scenario, vsrScenarios } from '../tester/vsr/scenarios.js';
import { runsIn, type Scenario } from '../tester/scenario.js';
import type { RealCluster } from '../tester/real-cluster.js';
import { findScenario } from '../tester/index.js';
import { runScenario } from '../tester/run.js';
import { drawSwarm } from '../tester/vsr/swarm.js';

describe('vsr scenarios with real processes', function () {
  this.timeout(600_000);
  // The VOPR runs in the real world too (rsmlab test vsr --world real); here the named scenarios and
  // the batched VOPR (replica processes started with --pipeline-max 1 --batch-max 4).
  const ids = vsrScenarios.filter((s) => runsIn(s, 'real') && s.id !== 'vopr').map((s) => s.id);

  it(`scenarios ${ids.join(', ')} pass once each`, async () => {
    const result = await runSuite({ lab: 'vsr', world: 'real', seeds: [1], only: ids, jobs: 2, seedTimeoutMs: 180_000, artifactsDir: join(tmpdir(), 'rsmlab-vsr-real-failures') });
    expect(result.outcomes.map((o) => `${o.id}: ${o.status}`), formatTable(result)).to.deep.equal(ids.map((id) => `${id}: passed`));
  });

  // Scenario 9's real-world check reads the restarted replica's own trace (its first status may come
  // after its recovery). A replica whose disk is wiped before its restart comes back fresh: normal at
  // once, with no recovery (as a replica that skips the protocol would); the check must say so.
  it('scenario 9\'s real-world check fails a replica that came back without recovering, and passes one that recovered', async () => {
    const restartOf = (wipe: boolean): Scenario => scenario('recovered-first', 3, 'a restarted p2 recovers first', async (run) => {
      await run.startAll();
      run.startLoad({ clients: 1, ops: 5 });
      await run.waitUntil('p2 holds some ops', [2], (s) => s[0]!.op >= 3, 1500);
      await run.crash(2);
      if (wipe) rmSync(join((run.cluster as RealCluster).nodeDir(2), 'disk'), { recursive: true, force: true });
      await run.restart(2);
      await run.waitUntil('p2 normal', [2], (s) => s[0]!.status === 'normal', 1500);
      await recoveredFirst(run, 2);
    });
    const wiped = await runScenario(restartOf(true), { world: 'real', seed: 1, quiet: true });
    expect(wiped.error).to.match(/^ScenarioFailure: a restarted replica must be recovering first, but p2's trace shows it started normal/);
    const kept = await runScenario(restartOf(false), { world: 'real', seed: 1, quiet: true });
    expect(kept.ok, kept.error).to.equal(true);
    expect(kept.notes).to.include("p2's trace: it restarted recovering, then normal");
  });

  it('the VOPR passes a seed with a power cut, and every restarted replica process gets the phase\'s link faults back (seed 4)', async () => {
    const r = await runScenario(await findScenario('vsr', 'vopr'), { world: 'real', seed: 4, quiet: true });
    expect(r.ok, `${r.error}\n${r.notes.join('\n')}`).to.equal(true);
    const swarm = drawSwarm(4);
    const lossy = JSON.stringify({ loss: swarm.loss / 2, dup: swarm.dup / 2, delayMs: swarm.maxDelayMs });
    const cut = r.notes.indexOf('power cut: every replica at once');
    expect(cut, r.notes.join('\n')).to.be.greaterThan(0);
    // The crashes of the replicas still up (real timing decides which are), then every restart, each followed by its faults.
    const restarts = r.notes.indexOf('restart p0', cut);
    expect(r.notes.slice(cut + 1, restarts).every((n) => /^crash p\d \(kill -9\)$/.test(n)), r.notes.join('\n')).to.equal(true);
    expect(r.notes.slice(restarts, restarts + 6)).to.deep.equal([0, 1, 2].flatMap((i) => [`restart p${i}`, `p${i} has its link faults back: ${lossy}`]));
    // After the heal: the calm network's (none), to a restarted core replica too.
    const calm = r.notes.findIndex((n) => n.startsWith('liveness: core'));
    expect(calm, r.notes.join('\n')).to.be.greaterThan(cut);
    for (const note of r.notes.slice(calm).filter((n) => n.includes('link faults back'))) expect(note).to.match(/: \{"loss":0,"dup":0,"delayMs":0\}$/);
  });
});
