// Lab 4's catch-up versus rebuild figure: three engines in one process (the par configuration: a
// 1,024-slot ring, checkpoints every 512 ops), messages delivered in order, writes and checkpoints
// durable at once: the engine's own cost, with no disk and no network. A backup kept down for
// 10,000 writes rebuilds (its primary's checkpoint in chunks, then the tail); one down for 100
// writes catches up by repair. Each figure is the median of several runs, in ms from the backup's
// return to its commit_min at the primary's; it reports and never asserts on time.
import { figure, median, type Figure } from './figure.js';
import { count } from './mode.js';
import { JOURNAL_SHAPE } from '../src/engine/journal-storage.js';
import { ParEngines } from '../test/par-engines.js';

const ROUNDS = count(3, 1);
const REBUILD_BEHIND = 10_000;
const CATCH_UP_BEHIND = 100;
/** Distinct keys the writes go to (the snapshot's size). */
const KEYS = 1_000;

/** ms to bring back a backup `behind` writes behind (the others checkpointed on the way), and whether it rebuilt. */
function behindBy(behind: number): { ms: number; rebuilt: boolean } {
  const cluster = new ParEngines(KEYS);
  // Just past a checkpoint, so 100 writes stay within the primary's log and 10,000 wrap the ring many times.
  cluster.write(JOURNAL_SHAPE.slot_count / 2 + 1);
  cluster.down.add(2);
  cluster.write(behind);
  const ms = cluster.catchUp();
  return { ms, rebuilt: cluster.rebuilds > 0 };
}

export function run(): Figure[] {
  const rebuild: number[] = [];
  const catchUp: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const r = behindBy(REBUILD_BEHIND);
    const c = behindBy(CATCH_UP_BEHIND);
    if (!r.rebuilt || c.rebuilt) throw new Error(`bench: ${REBUILD_BEHIND} behind rebuilt: ${r.rebuilt}; ${CATCH_UP_BEHIND} behind rebuilt: ${c.rebuilt}`);
    rebuild.push(r.ms);
    catchUp.push(c.ms);
  }
  return [figure(`par.rebuild_${REBUILD_BEHIND}_behind_vs_catch_up_${CATCH_UP_BEHIND}`, median(rebuild), 'ms', median(catchUp))];
}
