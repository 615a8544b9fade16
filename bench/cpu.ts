// CPU time of the processes a benchmark drives, for figures that hold under load (wall-clock ratios
// on a shared machine do not): this process from process.cpuUsage(), others from /proc (Linux).
// It measures; it never starts, stops or judges a process.
import { processCpuMs } from '../src/process-cpu.js';

/** CPU ms used by this process and by each of `pids` while `work` ran, in that order: undefined if any could not be read. */
export async function cpuMsEach(pids: readonly (number | undefined)[], work: () => Promise<void>): Promise<number[] | undefined> {
  const before = pids.map((pid) => (pid === undefined ? undefined : processCpuMs(pid)));
  const own = process.cpuUsage();
  await work();
  const ownUs = process.cpuUsage(own);
  const each = [(ownUs.user + ownUs.system) / 1000];
  for (let i = 0; i < pids.length; i++) {
    const pid = pids[i];
    const start = before[i];
    const end = pid === undefined ? undefined : processCpuMs(pid);
    if (start === undefined || end === undefined) return undefined;
    each.push(end - start);
  }
  return each;
}
