// The one command that opens a failure artifact in the trace viewer, as every failing test's
// output and every failures/ folder's notes print it. Text only: it never opens anything.
import { isAbsolute, relative } from 'node:path';

/** `npx rsmlab view DIR`, with DIR relative to the current folder when it lies inside it. */
export function viewCommand(target: string): string {
  const rel = isAbsolute(target) ? relative(process.cwd(), target) : target;
  const shown = rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : target;
  return `npx rsmlab view ${/\s/.test(shown) ? JSON.stringify(shown) : shown}`;
}
