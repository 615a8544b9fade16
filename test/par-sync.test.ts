// Lab 4's catch-up versus rebuild (issue 8 §5) on the `par` reference in the simulator, on the
// scenarios' 64-slot ring: the four named scenarios on seeds 1..3 (dealt to one worker per core),
// and the checks bite: a rebuild whose snapshot overwrites ops applied since (the log does not win)
// fails sync-writes on at least 3 of seeds 1..5 (8 of 1..10 when measured), the state checker
// seeing a replica's commit go back; a rebuild declared done once its snapshot is installed (its
// tail short of the target) fails sync-rebuild on every seed of 1..3 (10 of 1..10 measured), the
// rebuild watch seeing it end below its target.
import { expect } from 'chai';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { findScenario } from '../tester/index.js';
import { runScenario } from '../tester/run.js';
import { formatTable } from '../tester/report.js';
import { runSuite } from '../tester/suite.js';
import type { Lab } from '../src/lab.js';
import { doneBeforeTargetLab, snapshotOverAppliedLab } from './fixtures/par-broken.js';

const SEEDS = [1, 2, 3];
const IDS = ['sync-rebuild', 'sync-catch-up', 'sync-writes', 'sync-crash'];

describe('par: catch up or rebuild (scenarios sync-*) in the simulator', function () {
  this.timeout(600_000);

  it(`scenarios ${IDS.join(', ')} pass on seeds 1..${SEEDS.length} each`, async () => {
    const result = await runSuite({ lab: 'par', world: 'sim', seeds: SEEDS, only: IDS, jobs: availableParallelism(), seedTimeoutMs: 120_000, shrinkMs: 0, artifactsDir: join(tmpdir(), 'rsmlab-par-failures') });
    expect(result.outcomes.map((o) => `${o.id}: ${o.passedSeeds}/${o.totalSeeds}`), formatTable(result)).to.deep.equal(IDS.map((id) => `${id}: ${SEEDS.length}/${SEEDS.length}`));
  });

  const mutants: { what: string; lab: Lab; id: string; seeds: number; atLeast: number; check: RegExp }[] = [
    {
      what: 'a rebuild whose snapshot overwrites ops applied since (a late or duplicated chunk installed)',
      lab: snapshotOverAppliedLab,
      id: 'sync-writes',
      seeds: 5,
      atLeast: 3,
      check: /^SimulationFailure: simulation failed at t=\d+ ms \(seed \d+\): p\d: commit went back from (\d+) to (\d+) without a restart$/,
    },
    {
      what: 'a rebuild declared done once its snapshot is installed, before its tail reaches the target',
      lab: doneBeforeTargetLab,
      id: 'sync-rebuild',
      seeds: 3,
      atLeast: 3,
      check: /^SimulationFailure: simulation failed at t=\d+ ms \(seed \d+\): p2: its rebuild from checkpoint (\d+) ended done at op \1, before its tail reached its target op \d+: done means the snapshot whole and the tail at the target$/,
    },
  ];
  for (const m of mutants) {
    it(`${m.what} fails scenario ${m.id} on at least ${m.atLeast} of seeds 1..${m.seeds}`, async () => {
      const s = await findScenario('par', m.id);
      const errors: string[] = [];
      for (let seed = 1; seed <= m.seeds; seed++) {
        const r = await runScenario(s, { world: 'sim', seed, lab: m.lab, quiet: true });
        if (!r.ok) errors.push(r.error ?? '');
      }
      expect(errors.length, errors.join('\n')).to.be.at.least(m.atLeast);
      for (const e of errors) expect(e).to.match(m.check);
    });
  }
});
