// Lab 4's checkpoints (issue 8 §1): the ring wraps past checkpoints with crashes and restarts on a
// small ring (64 slots), with the state checker after every step and the journal checks; the
// checkpoint's two copies on disk (a torn newest copy falls back to the older one, two corrupt
// copies refuse to start), and a journal newer than its checkpoint is refused, never cut back.
import { expect } from 'chai';
import { runScenario } from '../tester/run.js';
import { scenario } from '../tester/vsr/scenarios.js';
import { checkpointsWrapTheRing } from '../tester/par/sync-scenarios.js';
import { makeVsrLab } from '../labs/vsr/lab.js';

/** A small ring: the cluster wraps it several times in a short run. */
export const SMALL_RING = { slot_count: 64, sector_bytes: 4096, prepare_cell_bytes: 4096 };
const SEEDS = [1, 2, 3];

describe('par: checkpoints bound the ring', function () {
  this.timeout(300_000);

  it(`a par cluster on a ${SMALL_RING.slot_count}-slot ring commits 4 rings of writes with crashes and restarts; every replica restarts from its checkpoint; the state checker and journal checks hold (seeds ${SEEDS.join(', ')})`, async () => {
    const s = scenario('checkpoints', 3, 'checkpoints wrap the ring', (run) => checkpointsWrapTheRing(run), 1, { name: 'par', worlds: ['sim'] });
    const lab = makeVsrLab({ storage: 'journal', journal: SMALL_RING });
    for (const seed of SEEDS) {
      const r = await runScenario(s, { world: 'sim', seed, lab });
      expect(r.ok, `seed ${seed}: ${r.error}\n${r.notes.join('\n')}`).to.equal(true);
    }
  });
});
