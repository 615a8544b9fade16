// Which files of labs/ the students write: those of the reference with solution regions, the same
// rule by which the hand-out turns a file into a stub (src/handout/strip.ts); every other file of
// labs/ the hand-out gives as it is. A tree of stubs (the Gradescope bundle) has no regions left to
// tell them by, so it carries their list. It reads trees; it never changes a lab file.
import { existsSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { z } from 'zod';
import { filesUnder } from '../files-under.js';
import { stripSolutions } from './strip.js';

/** The list of the students' files a tree of stubs carries at its root (JSON: their paths). */
export const STUDENT_FILES = 'student-files.json';

/** The files of `repo`'s labs/ that have solution regions, as sorted 'labs/…' paths. */
function withSolutions(repo: string): string[] {
  return filesUnder(join(repo, 'labs'))
    .map((file) => relative(repo, file).split(sep).join('/'))
    .filter((rel) => rel.endsWith('.ts') && stripSolutions(rel, readFileSync(join(repo, rel), 'utf8')).regions > 0)
    .sort();
}

/**
 * The files students write in `repo` ('labs/…' paths, sorted): from its STUDENT_FILES if it carries
 * one, else those with solution regions. A tree with neither cannot tell them from the given files.
 */
export function studentFiles(repo: string): string[] {
  const list = join(repo, STUDENT_FILES);
  const files = existsSync(list) ? z.array(z.string()).parse(JSON.parse(readFileSync(list, 'utf8'))) : withSolutions(repo);
  if (files.length === 0) throw new Error(`${join(repo, 'labs')} has no solution regions (and ${repo} no ${STUDENT_FILES}): the files students write cannot be told from those the hand-out gives`);
  return files;
}
