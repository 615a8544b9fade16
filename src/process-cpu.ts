// The CPU time another process has used so far, read from /proc (Linux): for benchmark figures that
// hold under load, and for telling a stuck worker (it burns CPU) from a starved one (it gets none).
// It only reads; it never starts, stops or judges a process.
import { readFileSync } from 'node:fs';

/** /proc reports user and system time in USER_HZ ticks, 100 per second on Linux. */
const USER_HZ = 100;

/** User + system CPU ms of process `pid` so far, or undefined where /proc cannot tell (not Linux, exited). */
export function processCpuMs(pid: number): number | undefined {
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
