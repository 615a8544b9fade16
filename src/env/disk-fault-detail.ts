// The `disk` trace details of targeted disk faults (src/env/disk-faults.ts), built here once for
// both worlds: the simulator's world and a real node's control plane record the same detail for
// the same fault. Pure: it never applies a fault nor writes a trace.
import type { DiskFault } from './disk-faults.js';
import type { Json } from './types.js';

/** A `corrupt` fault applied now: the range asked for and how many bytes it changed. */
export function corruptDetail(range: { file: string; offset: number; length: number }, corrupted: number): Record<string, Json> {
  return { fault: 'corrupt', file: range.file, offset: range.offset, length: range.length, corrupted };
}

/** Any other kind of fault, armed: the fault as given. */
export function armedDetail(fault: DiskFault): Record<string, Json> {
  return { ...fault, fault: 'armed' };
}

/** The armed faults and latent errors of `file` (of every file when absent) dropped: how many went. */
export function clearedDetail(file: string | undefined, cleared: number): Record<string, Json> {
  return { fault: 'cleared', ...(file === undefined ? {} : { file }), cleared };
}
