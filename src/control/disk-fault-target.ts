// Whether a disk fault names something it can strike on a node's disk, checked the same way for
// every kind and in both worlds (the real control plane, server.ts; the simulator's, sim-control.ts):
// a file the node has and, for `corrupt` (applied at once), a byte of it. It never applies a fault.
import type { DiskFault, DiskFile } from './fault-control.js';

/**
 * Throws a clear error unless `fault` names one of `files` (the node's disk) and, for `corrupt`, an
 * offset inside it. The armed kinds may cover sectors past the end: a write there may come later.
 */
export function checkDiskFaultTarget(fault: DiskFault, files: readonly DiskFile[]): void {
  const size = files.find((f) => f.name === fault.file)?.size;
  if (size === undefined) throw new Error(`no file '${fault.file}' on this node's disk (disk-files lists them)`);
  if (fault.kind === 'corrupt' && fault.offset >= size) throw new Error(`offset ${fault.offset} is past the end of '${fault.file}' (${size} bytes)`);
}
