// Lab 4's VOPR: Lab 3's VOPR on the `par` lab with storage faults (every sector fault kind of the
// simulated disk, inside the journal fault atlas) and the journal checks after every nemesis step,
// its seeds dealt to one worker per core. A seed replays exactly; the faults land and the checks
// run (a seed's notes and trace say so); a replica whose header ring is addressed off by one is
// caught by the journal checks on every pinned seed, and one whose journal memory breaks an
// invariant in a slot no write touches by the final full pass over every slot.
import { expect } from 'chai';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { findScenario } from '../tester/index.js';
import { runScenario } from '../tester/run.js';
import { formatTable } from '../tester/report.js';
import { runSuite, seedsThrough } from '../tester/suite.js';
import { failsOnEvery } from './fixtures/mutant-rate.js';
import { VOPR } from '../tester/vsr/vopr.js';
import { SYNC_RING } from '../tester/par/scenarios.js';
import { faultyCleanSlotLab, misplacedHeadersLab } from './fixtures/par-broken.js';

/**
 * VOPR seeds in npm test. A seed on the journal costs more than Lab 3's (recovery reads and
 * classifies 1,024 slots at every restart; the journal checks after every nemesis step), so npm
 * test runs 100 and `npx rsmlab test par --world sim --only vopr --seeds 200` runs 1,000.
 */
const VOPR_SEEDS = 100;
/** Seeds of the batched VOPR on the journal (tester/par/scenarios.ts, vopr-batch). */
const BATCH_SEEDS = 60;

describe('par: the VOPR with storage faults', function () {
  this.timeout(900_000);

  it(`passes ${VOPR_SEEDS} seeds on every core: network faults, crashes and sector faults inside the journal fault atlas, the state checker after every step, the journal checks after every nemesis step, a linearizable history, every replica converges`, async () => {
    const seeds = seedsThrough(VOPR_SEEDS / VOPR.seedFactor);
    const result = await runSuite({ lab: 'par', world: 'sim', seeds, only: ['vopr'], jobs: availableParallelism(), seedTimeoutMs: 120_000, shrinkMs: 0, artifactsDir: join(tmpdir(), 'rsmlab-par-failures') });
    expect(result.outcomes[0]!.totalSeeds).to.equal(VOPR_SEEDS);
    expect(result.outcomes[0]!.passedSeeds, formatTable(result)).to.equal(VOPR_SEEDS);
  });

  it(`the batched VOPR passes ${BATCH_SEEDS} seeds on a ${SYNC_RING.slot_count}-slot ring: batch prepares in journal cells, past checkpoints and rebuilds, every seed committing batches`, async () => {
    const result = await runSuite({ lab: 'par', world: 'sim', seeds: seedsThrough(BATCH_SEEDS), only: ['vopr-batch'], jobs: availableParallelism(), seedTimeoutMs: 120_000, shrinkMs: 0, artifactsDir: join(tmpdir(), 'rsmlab-par-failures') });
    expect(result.outcomes[0]!.passedSeeds, formatTable(result)).to.equal(BATCH_SEEDS);
  });

  it('replays a seed exactly, and its sector faults land and its journal checks run', async () => {
    const s = await findScenario('par', 'vopr');
    const [a, b, c] = await Promise.all([3, 3, 4].map((seed) => runScenario(s, { world: 'sim', seed, keepTrace: true })));
    expect(a!.ok && b!.ok && c!.ok, [a, b, c].map((r) => r!.error).join('\n')).to.equal(true);
    expect(a!.traceHash).to.be.a('string').and.equal(b!.traceHash);
    expect(c!.traceHash).to.not.equal(a!.traceHash);
    for (const r of [a!, c!]) {
      expect(r.notes.join('\n')).to.match(/disk: read corrupt [\d.]+ \(latent [\d.]+\), write corrupt/);
      const compared = /journal checks: (\d+) clean slots compared with their prepares \((\d+) skipped as damaged\), (\d+) executed ops' headers compared/.exec(r.notes.join('\n'));
      expect(compared, r.notes.join('\n')).to.not.equal(null);
      expect(Number(compared![1])).to.be.greaterThan(1000);
      expect(Number(compared![3])).to.be.greaterThan(1000);
      const faults = (r.trace ?? '').match(/"fault":"(corrupt-read|corrupt-write|misdirect|lost-write|latent)"/g) ?? [];
      expect(faults.length, `seed ${r.seed}: sector faults in the trace`).to.be.greaterThan(0);
    }
  });

  it('catches a journal invariant broken in a slot no write touches (faulty but clean) by its final full pass over memory, on every seed of 1..2', async () => {
    await failsOnEvery('par', 'vopr', faultyCleanSlotLab, [1, 2], /^ScenarioFailure: p\d: journal: slot 1023 is faulty but not dirty$/);
  });

  it('catches a replica whose header sectors land one sector off (the journal checks) on every seed of 1..5', async () => {
    await failsOnEvery('par', 'vopr', misplacedHeadersLab, [1, 2, 3, 4, 5], /^ScenarioFailure: p\d: slot \d+ is clean with op \d+ \(checksum [0-9a-f]{12}\), but its header ring holds /);
  });
});
