// What a mutant is: a plausible student bug, kept as a small marked variant of the reference lab
// (a subclass that overrides one method; for Labs 3 and 4, the reference engine bent by a hook),
// with the class of bug it belongs to. The corpora live in tester/<lab>/mutants.ts; the hand-out
// never ships them (they would show the solution).
import type { Lab } from '../../src/lab.js';

/** Where a bug sits, as the issue spreads them: persistence, quorums, values, ordering, ... */
export type MutantArea =
  | 'persistence'
  | 'quorum'
  | 'choosing a value'
  | 'comparison'
  | 'ordering'
  | 'state transfer'
  | 'exactly-once'
  | 'view change'
  | 'framework point'
  | 'missed await'
  | 'recovery'
  | 'reads';

export interface Mutant {
  /** Stable id, e.g. 'amnesiac-accept'. */
  id: string;
  area: MutantArea;
  /** The bug, as a student would have written it. */
  bug: string;
  /** The lab built with the broken class (simulator only). */
  lab: Lab;
  /**
   * Scenarios to try before the lab's gate order: the ones written to catch this bug. Only the order
   * changes (a catch by any scenario counts, and every scenario is still tried until one catches);
   * without it a mutant that only a late scenario catches first runs every earlier one on every seed.
   */
  catchers?: string[];
}

/** The scenarios to try for `mutant`, in order: its catchers that `scenarios` holds, then the rest of `scenarios`. */
export function scenarioOrder(mutant: Mutant, scenarios: readonly string[]): string[] {
  const first = (mutant.catchers ?? []).filter((id) => scenarios.includes(id));
  return [...first, ...scenarios.filter((id) => !first.includes(id))];
}
