// CPU time of the processes a benchmark drives, for figures that hold under load (wall-clock ratios
// on a shared machine do not): this process from process.cpuUsage(), others from /proc (Linux).
// It measures; it never starts, stops or judges a process.
import { readFileSync } from 'node:fs';

/** /proc reports user and system time in USER_HZ ticks, 100 per second on Linux. */
const USER_HZ = 100;

/** User + system CPU ms of process `pid` so far, or undefined where /proc cannot tell (not Linux, exited). */
function childCpuMs(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Fields after the command name (which may hold spaces) in parentheses: utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return Number.isFinite(ticks) ? (ticks * 1000) / USER_HZ : undefined;
}

/** CPU ms used by this process and by each of `pids` while `work` ran, in that order: undefined if any could not be read. */
export async function cpuMsEach(pids: readonly (number | undefined)[], work: () => Promise<void>): Promise<number[] | undefined> {
  const before = pids.map((pid) => (pid === undefined ? undefined : childCpuMs(pid)));
  const own = process.cpuUsage();
  await work();
  const ownUs = process.cpuUsage(own);
  const each = [(ownUs.user + ownUs.system) / 1000];
  for (let i = 0; i < pids.length; i++) {
    const pid = pids[i];
    const start = before[i];
    const end = pid === undefined ? undefined : childCpuMs(pid);
    if (start === undefined || end === undefined) return undefined;
    each.push(end - start);
  }
  return each;
}
