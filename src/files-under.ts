// The files under a folder, found by one recursive walk: what the tools that copy or pack a tree use
// (the hand-out, the autograder bundle, grading trees) and the tests that compare trees. It reads;
// it never writes, moves or deletes a file.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Every file under `path`, recursively, in readdir order, symlinks followed; `path` itself if it is a file. */
export function filesUnder(path: string): string[] {
  return statSync(path).isDirectory() ? readdirSync(path).flatMap((name) => filesUnder(join(path, name))) : [path];
}

/** Every file under folder `root` with its bytes, by its path relative to `root`. */
export function bytesUnder(root: string): Map<string, Buffer> {
  return new Map(filesUnder(root).map((path) => [relative(root, path), readFileSync(path)]));
}
