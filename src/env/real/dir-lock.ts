// One node process per data directory: the node's pid in <dir>/node.pid, taken at start (atomically,
// by one of any number of racers) and removed at a clean exit. A live rsmlab node's directory is
// refused (two writers would corrupt its disk); a pid file left by a dead node (kill -9), or naming
// another program (a reboot, a container), is taken over. It never deletes data.
import { existsSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const PID_FILE = 'node.pid';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // alive, another user's
  }
}

/** Whether live process `pid` runs an rsmlab node (its command line has the `node` command and a --dir); without /proc, any live process counts. */
function runsANode(pid: number): boolean {
  let args: string[];
  try {
    args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return !existsSync(`/proc/${process.pid}`); // with /proc, gone since kill(0); without it, no telling
  }
  return args.includes('node') && args.includes('--dir');
}

/**
 * Claim `dir` for this process, or throw naming the live node process that holds it.
 *
 * A takeover is atomic among processes that race for one stale node.pid: each file is made whole
 * under a temporary name and linked into place (a link never replaces a name that exists). Who takes
 * over from a dead holder H is decided by one file, node.pid.after-H, that only one process can
 * make; it replaces node.pid only if node.pid still names H, then removes the token. A taker killed
 * half-way leaves its token naming itself, dead: the next process takes over from it the same way.
 */
export function claimDir(dir: string): void {
  mkdirSync(dir, { recursive: true });
  claim(dir);
  process.once('exit', () => release(join(dir, PID_FILE)));
}

/** Give up this process's claim on `dir` now, as a start that failed does before it takes its directory back (an exit does it otherwise). */
export function releaseDir(dir: string): void {
  release(join(dir, PID_FILE));
}

/** Enough for any race of real nodes; only processes that keep dying mid-takeover could exhaust it. */
const MAX_TRIES = 1000;

function claim(dir: string): void {
  for (let tries = 0; tries < MAX_TRIES; tries++) {
    if (placed(dir, PID_FILE)) return;
    const chain = holders(dir);
    if (chain === null) continue; // its holder exited cleanly since: try the free directory again
    const last = chain.at(-1)!;
    if (last !== process.pid && alive(last) && runsANode(last)) {
      throw new Error(`--dir ${dir} is in use by node process ${last} (${join(dir, PID_FILE)}): two nodes on one data directory would corrupt its disk`);
    }
    if (last === process.pid) return won(dir, chain.slice(0, -1)); // our own pid, from a process that had it before us
    if (!placed(dir, takeover(last))) continue; // another process took over from `last` first: look again
    if (sameHolders(holders(dir), [...chain, process.pid])) return won(dir, chain);
    rmSync(join(dir, takeover(last)), { force: true }); // `last` was taken over (and its token removed) since we looked
  }
  throw new Error(`--dir ${dir}: could not claim ${join(dir, PID_FILE)} in ${MAX_TRIES} tries (other processes kept taking it over)`);
}

/** The token of the one process that takes over from dead holder `pid`. */
function takeover(pid: number): string {
  return `${PID_FILE}.after-${pid}`;
}

/** node.pid's pid, then the pid in each takeover token after it, in order; null if there is no node.pid. */
function holders(dir: string): number[] | null {
  const first = pidIn(join(dir, PID_FILE));
  if (first === null) return null;
  const chain = [first];
  for (let next = pidIn(join(dir, takeover(first))); next !== null && !chain.includes(next); next = pidIn(join(dir, takeover(next)))) chain.push(next);
  return chain;
}

function sameHolders(a: number[] | null, b: number[]): boolean {
  return a !== null && a.length === b.length && a.every((pid, i) => pid === b[i]);
}

/** The pid a file names (0 for anything that is not one, a dead holder of no process); null if there is no such file. */
function pidIn(file: string): number | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  const pid = Number(text.trim());
  return Number.isSafeInteger(pid) && pid > 0 ? pid : 0;
}

/** This process took over from the holders in `chain`: node.pid names it, then their tokens go. */
function won(dir: string, chain: readonly number[]): void {
  const temp = whole(dir);
  renameSync(temp, join(dir, PID_FILE));
  for (const pid of chain) rmSync(join(dir, takeover(pid)), { force: true });
}

/** Make `name` in `dir`, holding this process's pid, unless it exists (false). Never a half-written file. */
function placed(dir: string, name: string): boolean {
  const temp = whole(dir);
  try {
    linkSync(temp, join(dir, name));
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    return false;
  } finally {
    rmSync(temp, { force: true });
  }
}

/** This process's pid in a file of its own in `dir`, written whole; returns its path. */
function whole(dir: string): string {
  const temp = join(dir, `${PID_FILE}.${process.pid}.tmp`);
  writeFileSync(temp, `${process.pid}\n`);
  return temp;
}

/** Remove the pid file at exit if it still names this process (a node that took it over since keeps it). */
function release(file: string): void {
  try {
    if (pidIn(file) === process.pid) rmSync(file);
  } catch {
    // The directory was removed with the node's data, or is no longer ours to read.
  }
}
