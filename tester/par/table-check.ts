// Lab 4's recovery table against the one in handouts/lab4-par.md (vsr-par.md §2): each case @A–@N,
// given a representative input (under every comparison it leaves free), must be the one case that
// matches and decide as the handout says, with several replicas and with one; and each of the 128
// combinations of the inputs must be matched by exactly one case. Pure: it reads a table, never a disk.
import { caseDecision, caseMatches, comparisons, type CaseName, type Decision, type RecoveryCase, type SlotFacts } from '../../labs/vsr/journal/recovery-table.js';

const F = false;
const T = true;

/** The handout's table, transcribed apart from the lab's: a representative input of each case, and its decisions (n>1, n=1). */
export const TABLE_SPEC: [CaseName, Omit<SlotFacts, 'compare'> & { compare?: SlotFacts['compare'] }, Decision, Decision][] = [
  ['@A', { header_ok: F, header_reserved: F, prepare_ok: F, prepare_reserved: F, prepare_op_max: F }, 'vsr', 'vsr'],
  ['@B', { header_ok: T, header_reserved: T, prepare_ok: F, prepare_reserved: F, prepare_op_max: F }, 'vsr', 'vsr'],
  ['@C', { header_ok: T, header_reserved: F, prepare_ok: F, prepare_reserved: F, prepare_op_max: F }, 'vsr', 'vsr'],
  ['@D', { header_ok: F, header_reserved: F, prepare_ok: T, prepare_reserved: T, prepare_op_max: F }, 'vsr', 'vsr'],
  ['@E', { header_ok: F, header_reserved: F, prepare_ok: T, prepare_reserved: F, prepare_op_max: F }, 'vsr', 'fix'],
  ['@F', { header_ok: F, header_reserved: F, prepare_ok: T, prepare_reserved: F, prepare_op_max: T }, 'fix', 'fix'],
  ['@G', { header_ok: T, header_reserved: T, prepare_ok: T, prepare_reserved: F, prepare_op_max: F }, 'vsr', 'fix'],
  ['@H', { header_ok: T, header_reserved: T, prepare_ok: T, prepare_reserved: F, prepare_op_max: T }, 'fix', 'fix'],
  ['@I', { header_ok: T, header_reserved: F, prepare_ok: T, prepare_reserved: T, prepare_op_max: F }, 'vsr', 'vsr'],
  ['@J', { header_ok: T, header_reserved: T, prepare_ok: T, prepare_reserved: T, prepare_op_max: F }, 'nil', 'nil'],
  ['@K', { header_ok: T, header_reserved: F, prepare_ok: T, prepare_reserved: F, prepare_op_max: T, compare: 'header_op_lower' }, 'fix', 'fix'],
  ['@L', { header_ok: T, header_reserved: F, prepare_ok: T, prepare_reserved: F, prepare_op_max: F, compare: 'header_op_higher' }, 'vsr', 'vsr'],
  ['@M', { header_ok: T, header_reserved: F, prepare_ok: T, prepare_reserved: F, prepare_op_max: T, compare: 'same_op_differs' }, 'vsr', 'vsr'],
  ['@N', { header_ok: T, header_reserved: F, prepare_ok: T, prepare_reserved: F, prepare_op_max: F, compare: 'same_checksum' }, 'eql', 'eql'],
];

/** Every point of the table's input space: 2^5 booleans × 4 comparisons = 128. */
export function inputSpace(): SlotFacts[] {
  const space: SlotFacts[] = [];
  for (let bits = 0; bits < 32; bits++) {
    for (const compare of comparisons) {
      space.push({ header_ok: !!(bits & 1), header_reserved: !!(bits & 2), prepare_ok: !!(bits & 4), prepare_reserved: !!(bits & 8), prepare_op_max: !!(bits & 16), compare });
    }
  }
  return space;
}

/** Where `cases` disagrees with the handout's table: each case's representative inputs must give that case and its decisions. */
export function tableMismatches(cases: readonly RecoveryCase[]): string[] {
  const problems: string[] = [];
  for (const [name, facts, many, single] of TABLE_SPEC) {
    for (const compare of facts.compare ? [facts.compare] : comparisons) {
      const matching = cases.filter((c) => caseMatches(c, { ...facts, compare }));
      if (matching.length !== 1) {
        problems.push(`${name}/${compare}: ${matching.length} cases match`);
        continue;
      }
      const got = matching[0]!;
      const want = `${name} ${many}/${single}`;
      const saw = `${got.name} ${caseDecision(got, 3)}/${caseDecision(got, 1)}`;
      if (saw !== want) problems.push(`${name}/${compare}: want ${want}, got ${saw}`);
    }
  }
  return problems;
}

/** Inputs matched by no case or by more than one. */
export function coverageProblems(cases: readonly RecoveryCase[]): string[] {
  return inputSpace().flatMap((facts) => {
    const n = cases.filter((c) => caseMatches(c, facts)).length;
    return n === 1 ? [] : [`${JSON.stringify(facts)}: ${n} cases`];
  });
}
