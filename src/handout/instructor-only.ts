// The files only instructors get: the mutant corpora (each mutant is the reference with one bug, so
// together they show the solution) and the tests built on them. The hand-out, the Gradescope bundle
// and every grading tree leave them out; this list is the one place that names them.
import { sep } from 'node:path';

export const INSTRUCTOR_ONLY: readonly string[] = ['tester/paxos/mutants.ts', 'tester/rsm/mutants.ts', 'tester/vsr/mutants.ts', 'tester/par/mutants.ts', 'test/mutants.test.ts'];

/** Whether `rel` (a path relative to the repo, in the platform's separators) is instructor-only. */
export function instructorOnly(rel: string): boolean {
  return INSTRUCTOR_ONLY.includes(rel.split(sep).join('/'));
}
