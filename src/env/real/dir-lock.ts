// One node process per data directory: the node's pid in <dir>/node.pid, taken at start. A second
// node on a directory whose pid file names a live process is refused (two writers would corrupt its
// disk); a pid file left by a node that died (kill -9) is taken over. It never deletes data.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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

/** Claim `dir` for this process, or throw naming the live node process that holds it. */
export function claimDir(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, PID_FILE);
  try {
    writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
    return;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const holder = Number(readFileSync(file, 'utf8').trim());
  if (Number.isSafeInteger(holder) && holder > 0 && holder !== process.pid && alive(holder)) {
    throw new Error(`--dir ${dir} is in use by node process ${holder} (${file}): two nodes on one data directory would corrupt its disk`);
  }
  writeFileSync(file, `${process.pid}\n`);
}
