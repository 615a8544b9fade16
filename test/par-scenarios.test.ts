// Lab 4's storage scenarios (vsr-par.md §7: 13, 14, 16-19) on the `par` reference in the simulator,
// each on seeds 1..5 dealt to one worker per core, and the checks bite: PAR's "truncate on
// corruption" replica fails the scenarios where a corrupt op keeps its successors (16, 17, 18),
// with the check that names what it cut off.
import { expect } from 'chai';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { findScenario } from '../tester/index.js';
import { runScenario } from '../tester/run.js';
import { formatTable } from '../tester/report.js';
import { runSuite } from '../tester/suite.js';
import { truncateOnCorruptionLab } from './fixtures/par-broken.js';

const SEEDS = [1, 2, 3, 4, 5];
const IDS = ['13', '14', '16', '17', '18', '19'];

describe('par: storage scenarios 13, 14, 16-19 in the simulator', function () {
  this.timeout(600_000);

  it(`scenarios ${IDS.join(', ')} pass on seeds 1..${SEEDS.length} each`, async () => {
    const result = await runSuite({ lab: 'par', world: 'sim', seeds: SEEDS, only: IDS, jobs: availableParallelism(), seedTimeoutMs: 120_000, shrinkMs: 0, artifactsDir: join(tmpdir(), 'rsmlab-par-failures') });
    expect(result.outcomes.map((o) => `${o.id}: ${o.passedSeeds}/${o.totalSeeds}`), formatTable(result)).to.deep.equal(IDS.map((id) => `${id}: ${SEEDS.length}/${SEEDS.length}`));
  });

  for (const id of ['16', '17', '18']) {
    it(`"truncate on corruption" fails scenario ${id} on every seed of 1..${SEEDS.length}: the corrupt op's successors are cut off`, async () => {
      const s = await findScenario('par', id);
      for (const seed of SEEDS) {
        const r = await runScenario(s, { world: 'sim', seed, lab: truncateOnCorruptionLab, quiet: true });
        expect(r.error, `seed ${seed}`).to.match(/^ScenarioFailure: p2 right after its restart: .*expected faulty ops [\d,]+ .*and its log's head at op \d+ or later, got faulty \[\] and head op \d+$/);
      }
    });
  }
});
