// PAR's targeted-corruption sweep (tester/par/sweep.ts) on Lab 4's reference and on broken variants,
// every combination a seed of the `sweep` scenario run on every core (so each failure prints its
// replay command). The reference runs one combination per class of combinations that differ only
// by renaming replicas (816 of the 4,096; `npx rsmlab test par --world sim --only sweep --seeds
// 4096` runs them all); every one must end in a correct recovery or, when an op lost every copy, in
// unavailability without data loss. The broken variants run every combination that corrupts one op
// (28), and must lose data where PAR says they do: truncating a corrupt op where it keeps intact
// copies elsewhere; nacking an unreadable one where no copy is left (the cluster must stay
// unavailable, and instead discards committed ops). Each prints its counts as PAR's Table 4 does.
import { expect } from 'chai';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSuite } from '../tester/suite.js';
import { COMBINATIONS, corruptCopies, describeMask, emptyTable, formatTable, recoverable, representatives, SWEEP, type SweepOutcome, type SweepTable } from '../tester/par/sweep.js';

interface Sweep {
  table: SweepTable;
  /** Each combination's outcome, by mask. */
  outcomes: Map<number, SweepOutcome>;
  /** Failing combinations' messages (each names its replay command's seed: mask + 1). */
  failures: Map<number, string>;
}

/** Run the `sweep` scenario of lab `par` (or a variant of it) on every combination in `masks`. */
async function sweep(masks: number[], labModule?: string): Promise<Sweep> {
  const result = await runSuite({
    lab: 'par',
    world: 'sim',
    seeds: masks.map((m) => m + 1),
    only: ['sweep'],
    jobs: availableParallelism(),
    seedTimeoutMs: 120_000,
    shrinkMs: 0,
    artifactsDir: join(tmpdir(), 'rsmlab-par-sweep-failures'),
    ...(labModule === undefined ? {} : { variant: { labModule } }),
  });
  const outcome = result.outcomes[0]!;
  expect(outcome.totalSeeds).to.equal(masks.length);
  const failures = new Map((outcome.failures ?? []).map((f) => [f.seed - 1, f.message]));
  const table = emptyTable();
  const outcomes = new Map<number, SweepOutcome>();
  for (const mask of masks) {
    const message = failures.get(mask);
    const got = message === undefined ? (recoverable(mask) ? 'recovered' : 'unavailable') : /, got (recovered|unavailable|data loss|stalled): /.exec(message)?.[1];
    if (got === undefined) throw new Error(`${describeMask(mask)} ended in neither outcome of the sweep (seed ${mask + 1}): ${message}`);
    const outcome = got as SweepOutcome;
    outcomes.set(mask, outcome);
    table[recoverable(mask) ? 'recoverable' : 'unrecoverable'][outcome]++;
  }
  return { table, outcomes, failures };
}

/** Every combination that corrupts copies of exactly one of the swept ops: 4 ops × 7 sets of replicas. */
function oneOpCorrupt(): number[] {
  const masks: number[] = [];
  for (let mask = 1; mask < COMBINATIONS; mask++) if (Array.from({ length: SWEEP.ops }, (_, k) => corruptCopies(mask, k).length > 0).filter(Boolean).length === 1) masks.push(mask);
  return masks;
}

describe('PAR targeted-corruption sweep (Table 4)', function () {
  this.timeout(900_000);

  it('the reference: every combination up to renaming replicas recovers correctly, or stays unavailable without data loss when an op lost every copy', async () => {
    const masks = representatives();
    expect(masks.length).to.equal(816);
    const { table, failures } = await sweep(masks);
    console.log(formatTable(`reference, ${masks.length} combinations (one per renaming class of the 4,096)`, table));
    const shown = [...failures].slice(0, 3).map(([mask, message]) => `seed ${mask + 1}: ${message}`);
    expect(failures.size, shown.join('\n')).to.equal(0);
    expect(table.recoverable.recovered).to.equal(441);
    expect(table.unrecoverable.unavailable).to.equal(375);
  });

  it('"truncate on corruption" (PAR Fig. 2) loses committed ops where a corrupt op keeps intact copies', async () => {
    const masks = oneOpCorrupt();
    expect(masks.length).to.equal(28);
    const { table, outcomes, failures } = await sweep(masks, 'dist/test/fixtures/par-broken.js#truncateOnCorruptionLab');
    console.log(formatTable(`truncate on corruption, the ${masks.length} combinations that corrupt one op`, table));
    const lost = masks.filter((m) => outcomes.get(m) === 'data loss');
    console.log(`  data loss at: ${lost.map((m) => describeMask(m)).join('\n               ')}\n  e.g. ${failures.get(lost[0]!)?.split('\n')[0]}`);
    // Truncating on two replicas of three leaves a quorum that forgot the op: committed history is rewritten.
    const twoCopies = masks.filter((m) => Array.from({ length: SWEEP.ops }, (_, k) => corruptCopies(m, k).length).includes(2));
    // 3 of the 12 lose data today (which depends on who leads after the power loss); every one that does, one of the 4 where no copy is left.
    expect(twoCopies.filter((m) => outcomes.get(m) === 'data loss').length, 'two corrupt copies of one op: data loss').to.be.at.least(3);
    expect(lost.filter((m) => !recoverable(m)).length, 'no copy left: data loss (the truncated cluster goes on)').to.be.at.least(3);
  });

  it('"nack when unreadable" (a guaranteed prepare nacked) loses committed ops where an op lost every copy: available where it must stay unavailable', async () => {
    const masks = oneOpCorrupt();
    const { table, outcomes, failures } = await sweep(masks, 'dist/test/fixtures/par-broken.js#nackWhenUnreadableLab');
    console.log(formatTable(`nack when unreadable, the ${masks.length} combinations that corrupt one op`, table));
    const lost = masks.filter((m) => outcomes.get(m) === 'data loss');
    console.log(`  data loss at: ${lost.map((m) => describeMask(m)).join('\n               ')}\n  e.g. ${failures.get(lost[0]!)?.split('\n')[0]}`);
    // Every copy of the op unreadable: its holders nack it, the new primary discards it with what follows, and commits over it.
    expect(lost.filter((m) => recoverable(m)), 'data loss only where an op lost every copy').to.deep.equal([]);
    expect(lost.length, 'of the 4 combinations where one op lost every copy (all 4 today)').to.be.at.least(3);
  });
});
