// The commands that open a failure artifact: its trace in the viewer, its clients' history in the
// checker, as every failing test's output and every failures/ folder's notes print them. Text
// only: it never opens anything.
import { isAbsolute, join, relative } from 'node:path';

/** `target` relative to the current folder when it lies inside it, quoted when it has a space. */
function shownPath(target: string): string {
  const rel = isAbsolute(target) ? relative(process.cwd(), target) : target;
  const shown = rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : target;
  return /\s/.test(shown) ? JSON.stringify(shown) : shown;
}

/** `npx rsmlab view DIR`. */
export function viewCommand(target: string): string {
  return `npx rsmlab view ${shownPath(target)}`;
}

/** The file a failed run's clients' history is kept in, in its failure folder. */
export const HISTORY_FILE = 'history.jsonl';

/** `npx rsmlab check DIR/history.jsonl --model MODEL`: the linearizability check of a failed run's history. */
export function checkCommand(folder: string, model: string): string {
  return `npx rsmlab check ${shownPath(join(folder, HISTORY_FILE))} --model ${model}`;
}
