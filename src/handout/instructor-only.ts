// The files only instructors get: the mutant corpora (each mutant is the reference with one bug, so
// together they show the solution), the tests built on them, and the staff's docs (running and
// grading the course, contributing to the framework). The hand-out, the Gradescope bundle and every
// grading tree leave them out; this list is the one place that names them.
import { sep } from 'node:path';

/** The mutant corpora and their test. */
const MUTANTS = ['tester/paxos/mutants.ts', 'tester/rsm/mutants.ts', 'tester/vsr/mutants.ts', 'tester/par/mutants.ts', 'test/mutants.test.ts'];

/** Docs for course staff: they cite the mutants, tests the hand-out lacks and the framework's design notes. */
export const STAFF_DOCS: readonly string[] = ['handouts/instructor.md', 'handouts/grader.md', 'CONTRIBUTING.md'];

export const INSTRUCTOR_ONLY: readonly string[] = [...MUTANTS, ...STAFF_DOCS];

/** Whether `rel` (a path relative to the repo, in the platform's separators) is instructor-only. */
export function instructorOnly(rel: string): boolean {
  return INSTRUCTOR_ONLY.includes(rel.split(sep).join('/'));
}
