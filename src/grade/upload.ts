// Where the lab code of an upload (a submission folder of rsmlab grade, so a Gradescope upload too)
// is: the student's labs/ folder, at the upload's top or one folder down; else the upload's files,
// if they fit exactly one folder of the hand-out's labs/, placed there. It reads the upload and
// copies it; it never compiles or grades anything.
import { cpSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** What a student must upload: said wherever an upload is not shaped like it. */
export const UPLOAD_INSTRUCTION =
  'Upload your labs/ folder itself, every file in it, so that the paths in your upload read labs/paxos/acceptor.ts, labs/paxos/proposer.ts, …: e.g. a zip made with `zip -r labs.zip labs` in your copy of the hand-out. ' +
  "Only the files you write (the README's table names them) and .ts files you add to labs/ are graded as you upload them (any other file you add is ignored); every other file of labs/ is graded as the hand-out gives it.";

export type Placement =
  /** A labs/ folder (`from`, relative to the upload): graded as it is. */
  | { kind: 'labs'; from: string }
  /** No labs/ folder, but the upload's top entries are those of the hand-out's labs/`at`: laid over the hand-out's labs/. */
  | { kind: 'placed'; at: string; names: string[] }
  /** Nothing to grade, and why. */
  | { kind: 'refused'; reason: string };

type Kind = 'dir' | 'file';

/** A real folder or a real file; symlinks, FIFOs and the like are neither, and are never followed or copied. */
function kindOf(path: string): Kind | undefined {
  const stat = lstatSync(path, { throwIfNoEntry: false });
  return stat?.isDirectory() ? 'dir' : stat?.isFile() ? 'file' : undefined;
}

/** What an upload holds but nobody wrote: hidden files and the __MACOSX folder of a zip made on a Mac. */
function ignored(name: string): boolean {
  return name.startsWith('.') || name === '__MACOSX';
}

/** The names at the top of folder `dir` that are not ignored. */
function topNames(dir: string): string[] {
  return readdirSync(dir).filter((name) => !ignored(name)).sort();
}

/** `labs/` and the path of every folder under it, relative to `root` ('' for `root` itself). */
function foldersOf(root: string, at = ''): string[] {
  const below = readdirSync(join(root, at)).filter((name) => kindOf(join(root, at, name)) === 'dir');
  return [at, ...below.sort().flatMap((name) => foldersOf(root, at ? `${at}/${name}` : name))];
}

const labsPath = (folder: string): string => (folder ? `labs/${folder}/` : 'labs/');

/** Up to six names, then how many more. */
function listed(names: readonly string[]): string {
  const shown = names.slice(0, 6).join(', ');
  return names.length > 6 ? `${shown} and ${names.length - 6} more` : shown;
}

/** The labs/ folder one folder down, or why there is none to take. */
function labsOneDown(upload: string): Placement | undefined {
  const found = topNames(upload).filter((name) => kindOf(join(upload, name)) === 'dir' && kindOf(join(upload, name, 'labs')) === 'dir');
  if (found.length === 1) return { kind: 'labs', from: `${found[0]}/labs` };
  if (found.length > 1) return { kind: 'refused', reason: `it holds ${found.length} labs/ folders (${listed(found.map((f) => `${f}/labs/`))}) and only one can be graded` };
  return undefined;
}

/** The one folder of the hand-out's labs/ (`stubs`) whose entries include every folder and .ts file at the upload's top. */
function labFolderOf(upload: string, stubs: string): Placement {
  const names = topNames(upload);
  if (names.length === 0) return { kind: 'refused', reason: 'the upload is empty' };
  const code = names.filter((name) => kindOf(join(upload, name)) === 'dir' || (name.endsWith('.ts') && kindOf(join(upload, name)) === 'file'));
  if (code.length === 0) return { kind: 'refused', reason: `it holds no labs/ folder and no .ts file (only ${listed(names)})` };
  const fits = foldersOf(stubs).filter((folder) => code.every((name) => kindOf(join(stubs, folder, name)) === kindOf(join(upload, name))));
  if (fits.length === 1) return { kind: 'placed', at: fits[0]!, names: code };
  if (fits.length > 1) return { kind: 'refused', reason: `it holds no labs/ folder, and ${listed(code)} could belong in ${fits.map(labsPath).join(' or ')}` };
  return { kind: 'refused', reason: `it holds no labs/ folder, and ${listed(code)} are not together in any folder of labs/` };
}

/** Where the upload's lab code is; `stubs` is the hand-out's labs/ (as the autograder bundle carries it). */
export function findLabs(upload: string, stubs: string): Placement {
  if (kindOf(join(upload, 'labs')) === 'dir') return { kind: 'labs', from: 'labs' };
  return labsOneDown(upload) ?? labFolderOf(upload, stubs);
}

/** Copies the files findLabs placed to `dest` (the labs/ folder to grade), each where it belongs, real folders and files only; the grading tree adds the rest of labs/ (src/grade/workspace.ts). */
export function placeFiles(placement: Extract<Placement, { kind: 'placed' }>, upload: string, dest: string): void {
  const copy = (from: string, to: string): void => cpSync(from, to, { recursive: true, filter: (path) => kindOf(path) !== undefined });
  mkdirSync(dest, { recursive: true });
  for (const name of placement.names) copy(join(upload, name), join(dest, placement.at, name));
}

/** What a student reads above the tests about how their upload was taken ('' when it was as asked). */
export function placementNote(placement: Exclude<Placement, { kind: 'refused' }>): string {
  if (placement.kind === 'labs') return placement.from === 'labs' ? '' : `Graded the labs/ folder at ${placement.from}/ in your upload.`;
  const graded = placement.names.map((name) => `${labsPath(placement.at)}${name}`);
  return `Your upload has no labs/ folder: graded ${listed(graded)} from it, and the rest of labs/ as the hand-out has it (its stubs throw TODO). ${UPLOAD_INSTRUCTION}`;
}
