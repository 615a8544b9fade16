// One node process per data directory: the node's pid in <dir>/node.pid, taken at start and removed
// at a clean exit. A second node on a directory whose pid file names a live rsmlab node is refused
// (two writers would corrupt its disk); a pid file left by a node that died (kill -9), or whose pid
// now names another program (a reboot, a container), is taken over. It never deletes data.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

/** Claim `dir` for this process, or throw naming the live node process that holds it. */
export function claimDir(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, PID_FILE);
  if (!createdFresh(file)) {
    const holder = Number(readFileSync(file, 'utf8').trim());
    if (Number.isSafeInteger(holder) && holder > 0 && holder !== process.pid && alive(holder) && runsANode(holder)) {
      throw new Error(`--dir ${dir} is in use by node process ${holder} (${file}): two nodes on one data directory would corrupt its disk`);
    }
    writeFileSync(file, `${process.pid}\n`);
  }
  process.once('exit', () => release(file));
}

/** Write this process's pid to `file` if no such file exists; false if one does. */
function createdFresh(file: string): boolean {
  try {
    writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    return false;
  }
}

/** Remove the pid file at exit if it still names this process (a node that took it over since keeps it). */
function release(file: string): void {
  try {
    if (Number(readFileSync(file, 'utf8').trim()) === process.pid) rmSync(file);
  } catch {
    // Gone already, or the directory was removed with the node's data.
  }
}
