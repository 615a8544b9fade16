// The paths a command writes at its end (reports, artifacts), checked before it runs: a long run
// must not end in a raw ENOENT or EISDIR, its results lost. It only checks; it never creates or writes.
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** `path` (given as `flag`) is a file this command may write: not a folder, in a folder that exists. */
export function checkOutputFile(flag: string, path: string): void {
  if (existsSync(path) && statSync(path).isDirectory()) throw new Error(`${flag} ${path} is a folder; it names the file to write`);
  const folder = dirname(resolve(path));
  if (!existsSync(folder) || !statSync(folder).isDirectory()) throw new Error(`${flag} ${path}: there is no folder ${folder} to write it in`);
}

/** `path` (given as `flag`) is a folder this command may create or fill: absent, or a folder. */
export function checkOutputFolder(flag: string, path: string): void {
  if (existsSync(path) && !statSync(path).isDirectory()) throw new Error(`${flag} ${path} is a file, not a folder`);
}
