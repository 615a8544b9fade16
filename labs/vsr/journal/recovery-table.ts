// The journal's recovery decision table (TB 0.8.1 journal.zig L1103-1133, `recovery_cases`): the
// facts read from one slot's header cell and prepare cell, the 14 cases @A–@N over them, and the
// decision each case takes with several replicas and with one. It owns the table as data and the
// lookup; it never reads a disk and never applies a decision (recovery.ts does both).
import { assert } from '../../../src/assert.js';

/** What recovery does with a slot: see recovery.ts `applyDecision`. `cut` never comes from the table: only the torn-tail rule gives it. */
export type Decision = 'eql' | 'nil' | 'fix' | 'vsr' | 'cut';

/**
 * How a valid non-reserved header compares with a valid non-reserved prepare in the same slot:
 * the same checksum; a header of an older op (the prepare was written, its header not yet); a
 * header of a newer op (the prepare is stale or lost); the same op but a different prepare (another view's).
 */
export const comparisons = ['same_checksum', 'header_op_lower', 'header_op_higher', 'same_op_differs'] as const;
export type Comparison = (typeof comparisons)[number];

/** The table's inputs for one slot. Fields that do not apply (e.g. `compare` when a side is invalid) still take some value: the table must not care. */
export interface SlotFacts {
  header_ok: boolean;
  header_reserved: boolean;
  prepare_ok: boolean;
  prepare_reserved: boolean;
  /** The prepare's op is the journal's max: max(op_checkpoint, the highest op of a valid prepare). */
  prepare_op_max: boolean;
  compare: Comparison;
}

export const caseNames = ['@A', '@B', '@C', '@D', '@E', '@F', '@G', '@H', '@I', '@J', '@K', '@L', '@M', '@N'] as const;
export type CaseName = (typeof caseNames)[number];

export interface RecoveryCase {
  name: CaseName;
  /** The inputs this case requires; a field left out is "any". */
  when: Partial<SlotFacts>;
  /** The decision in a cluster of more than one replica, and in a cluster of one. */
  decision_many: Decision;
  decision_one: Decision;
}

// BEGIN SOLUTION
// STUDENT: const caseRows: RecoveryCase[] = []; // TODO: the 14 cases @A–@N of handouts/lab4-par.md, "Recovery at startup"
const caseRows: RecoveryCase[] = [
  { name: '@A', when: { header_ok: false, prepare_ok: false }, decision_many: 'vsr', decision_one: 'vsr' },
  { name: '@B', when: { header_ok: true, header_reserved: true, prepare_ok: false }, decision_many: 'vsr', decision_one: 'vsr' },
  { name: '@C', when: { header_ok: true, header_reserved: false, prepare_ok: false }, decision_many: 'vsr', decision_one: 'vsr' },
  { name: '@D', when: { header_ok: false, prepare_ok: true, prepare_reserved: true }, decision_many: 'vsr', decision_one: 'vsr' },
  { name: '@E', when: { header_ok: false, prepare_ok: true, prepare_reserved: false, prepare_op_max: false }, decision_many: 'vsr', decision_one: 'fix' },
  { name: '@F', when: { header_ok: false, prepare_ok: true, prepare_reserved: false, prepare_op_max: true }, decision_many: 'fix', decision_one: 'fix' },
  { name: '@G', when: { header_ok: true, header_reserved: true, prepare_ok: true, prepare_reserved: false, prepare_op_max: false }, decision_many: 'vsr', decision_one: 'fix' },
  { name: '@H', when: { header_ok: true, header_reserved: true, prepare_ok: true, prepare_reserved: false, prepare_op_max: true }, decision_many: 'fix', decision_one: 'fix' },
  { name: '@I', when: { header_ok: true, header_reserved: false, prepare_ok: true, prepare_reserved: true }, decision_many: 'vsr', decision_one: 'vsr' },
  // Both reserved and both ok for this slot: they name the same slot, so they are identical.
  { name: '@J', when: { header_ok: true, header_reserved: true, prepare_ok: true, prepare_reserved: true }, decision_many: 'nil', decision_one: 'nil' },
  { name: '@K', when: { header_ok: true, header_reserved: false, prepare_ok: true, prepare_reserved: false, compare: 'header_op_lower' }, decision_many: 'fix', decision_one: 'fix' },
  { name: '@L', when: { header_ok: true, header_reserved: false, prepare_ok: true, prepare_reserved: false, compare: 'header_op_higher' }, decision_many: 'vsr', decision_one: 'vsr' },
  { name: '@M', when: { header_ok: true, header_reserved: false, prepare_ok: true, prepare_reserved: false, compare: 'same_op_differs' }, decision_many: 'vsr', decision_one: 'vsr' },
  { name: '@N', when: { header_ok: true, header_reserved: false, prepare_ok: true, prepare_reserved: false, compare: 'same_checksum' }, decision_many: 'eql', decision_one: 'eql' },
];
// END SOLUTION

/** The table, in order @A–@N. */
export const recoveryCases: readonly RecoveryCase[] = caseRows;

export function caseMatches(c: RecoveryCase, facts: SlotFacts): boolean {
  return (Object.keys(c.when) as (keyof SlotFacts)[]).every((k) => c.when[k] === facts[k]);
}

/** The one case that matches `facts` (the table is exhaustive and its cases disjoint: the table test proves it). */
export function recoveryCase(facts: SlotFacts, cases: readonly RecoveryCase[] = recoveryCases): RecoveryCase {
  // The hand-out's empty table: the part to write, named as every stub names its own.
  if (cases.length === 0) throw new Error('TODO: recovery-table.recoveryCase: the table is empty: write caseRows, the 14 cases @A–@N (handouts/lab4-par.md, "Recovery at startup")');
  const matching = cases.filter((c) => caseMatches(c, facts));
  assert(matching.length === 1, `journal: ${matching.length} recovery cases match ${JSON.stringify(facts)}`);
  return matching[0]!;
}

export function caseDecision(c: RecoveryCase, replica_count: number): Decision {
  return replica_count === 1 ? c.decision_one : c.decision_many;
}
