// What a mutant is: a plausible student bug, kept as a small marked variant of the reference lab
// (a subclass that overrides one method), with the class of bug it belongs to. The corpora live in
// tester/<lab>/mutants.ts; the hand-out never ships them (they would show the solution).
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
  | 'missed await';

export interface Mutant {
  /** Stable id, e.g. 'amnesiac-accept'. */
  id: string;
  area: MutantArea;
  /** The bug, as a student would have written it. */
  bug: string;
  /** The lab built with the broken class (simulator only). */
  lab: Lab;
}
