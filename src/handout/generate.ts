// Writes the student distribution: the repository's tree with every solution region in labs/
// replaced by its stub (src/handout/strip.ts), the students' README in place of the instructors',
// and only the framework tests that pass without the solutions (so the hand-out's `npm test`
// passes; the labs' scenarios are `npm run lab1`, `lab2`). It copies; it never edits the reference tree.
import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { filesUnder } from '../files-under.js';
import { stripSolutions } from './strip.js';
import { instructorOnly } from './instructor-only.js';

/** What a student gets: the framework, the labs, the tester, the write-ups, and how to build them (less what instructor-only.ts names). */
const DISTRIBUTED = ['bin', 'src', 'labs', 'tester', 'test', 'bench', 'handouts', 'package.json', 'package-lock.json', 'tsconfig.json', '.mocharc.cjs', '.gitignore'];

/** The hand-out's README.md (for students: what to edit, how to test, replay and view). */
export const STUDENT_README = 'handouts/student-README.md';

/**
 * A test file that carries this line runs in the hand-out too: it tests the framework and passes
 * on the stubs. Every other test file stays out of the hand-out (it needs the reference labs).
 */
export const HANDOUT_TEST_MARKER = '// handout: framework test (passes without the lab solutions)';

/** Whether `rel` goes into the hand-out: test files only with the marker; support files under test/ always. */
function distributed(rel: string, text: () => string): boolean {
  if (!/^test[/\\].*\.test\.ts$/.test(rel)) return true;
  return text().split('\n').some((line) => line.trim() === HANDOUT_TEST_MARKER);
}

export interface HandoutSummary {
  out: string;
  files: number;
  /** Lab files that had solution regions, with how many each. */
  stripped: Record<string, number>;
}

export function generateHandout(repo: string, out: string): HandoutSummary {
  if (existsSync(out) && readdirSync(out).length > 0) throw new Error(`${out} is not empty: choose a new folder for the handout`);
  const summary: HandoutSummary = { out, files: 0, stripped: {} };
  for (const entry of DISTRIBUTED.filter((e) => existsSync(join(repo, e)))) {
    for (const file of filesUnder(join(repo, entry))) {
      const rel = relative(repo, file);
      if (instructorOnly(rel)) continue;
      if (!distributed(rel, () => readFileSync(file, 'utf8'))) continue;
      const target = join(out, rel);
      mkdirSync(dirname(target), { recursive: true });
      summary.files++;
      if (!rel.endsWith('.ts')) {
        cpSync(file, target);
        continue;
      }
      const { text, regions } = stripSolutions(rel, readFileSync(file, 'utf8'));
      if (regions > 0) summary.stripped[rel] = regions;
      writeFileSync(target, text);
    }
  }
  cpSync(join(repo, STUDENT_README), join(out, 'README.md'));
  summary.files++;
  return summary;
}
