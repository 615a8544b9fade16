// What a node's start has made in its --dir so far, so that a start that fails takes back exactly
// that: the paths that did not exist before it (never one that did: a restarting node's disk and
// trace stay as they were), newest first, each after what was made after it has let go of it.
import { lstatSync, rmdirSync, rmSync } from 'node:fs';

export class StartDebris {
  private readonly undo: (() => void)[] = [];

  /** `path`, to be taken back if the start fails, unless something is there already. */
  path(path: string): string {
    if (!exists(path)) this.undo.push(() => remove(path));
    return path;
  }

  /** Run `step` if the start fails, before anything noted earlier is taken back (e.g. close a file it made). */
  step(step: () => void): void {
    this.undo.push(step);
  }

  /** The start failed: undo what it made, newest first. */
  takeBack(): void {
    for (const step of this.undo.splice(0).reverse()) step();
  }
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** A file this start made goes; a directory only while empty (what else is in it is not this start's). */
function remove(path: string): void {
  try {
    if (lstatSync(path).isDirectory()) rmdirSync(path);
    else rmSync(path);
  } catch {
    // Gone already, or no longer empty: the start's own error is what the user must see.
  }
}
