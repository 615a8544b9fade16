// The real world's faulty-disk layer: a node's file disk with the sector faults of the one model both
// worlds share (src/env/sector-faults.ts), armed through the control plane so that an instructor can
// corrupt, garble, misdirect or lose a live node's IO in class. Armed faults live in the node process
// (a restart forgets them; what they did to the files stays). It never decides protocol behaviour and
// reaches files only through RealDisk.
import { randomInt } from 'node:crypto';
import { sectorsOf, type DiskFault, type DiskFaultResult } from '../disk-faults.js';
import { SectorFaults } from '../sector-faults.js';
import type { Disk, Json, NodeId } from '../types.js';
import { Prng } from '../../random.js';
import type { RealDisk } from './disk.js';

export class FaultyDisk implements Disk {
  readonly faults: SectorFaults;
  /** Appends that must find the end of the file one after another. */
  private appending: Promise<void> = Promise.resolve();

  constructor(
    readonly disk: RealDisk,
    node: NodeId,
    /** Told of every fault an operation meets (the node's trace). */
    private readonly onFault: (detail: Record<string, Json>) => void = () => undefined,
  ) {
    this.faults = new SectorFaults(node, new Prng(randomInt(2 ** 47)));
  }

  /** Apply (`corrupt`: XOR on the medium now) or arm (every other kind) a disk fault. */
  async diskFault(fault: DiskFault): Promise<DiskFaultResult> {
    if (fault.kind !== 'corrupt') return this.faults.arm(fault);
    const corrupted = await this.disk.corrupt(fault.file, fault.offset, fault.length);
    return { kind: 'corrupt', file: fault.file, offset: fault.offset, corrupted, sectors: sectorsOf(fault.offset, fault.length, this.faults.sectorBytes) };
  }

  async read(file: string, offset = 0, length?: number): Promise<Uint8Array> {
    const bytes = await this.disk.read(file, offset, length);
    this.noted(this.faults.read(file, offset, bytes));
    return bytes;
  }

  async write(file: string, offset: number, data: Uint8Array): Promise<void> {
    const plan = this.faults.write(file, offset, data);
    this.noted(plan.faults);
    const end = offset + data.length;
    if ((plan.lost || plan.offset !== offset) && end > (await this.disk.size(file))) await this.disk.truncate(file, end); // the metadata made it, the data did not
    if (!plan.lost) await this.disk.write(file, plan.offset, plan.data);
  }

  /** A plain append (O_APPEND) while no write fault can strike; else a write at the end, one append at a time. */
  append(file: string, data: Uint8Array): Promise<void> {
    if (this.faults.perfectWrites()) return this.disk.append(file, data);
    const done = this.appending.then(async () => this.write(file, await this.disk.size(file), data));
    this.appending = done.catch(() => undefined);
    return done;
  }

  truncate(file: string, size: number): Promise<void> {
    return this.disk.truncate(file, size);
  }

  size(file: string): Promise<number> {
    return this.disk.size(file);
  }

  fsync(file: string): Promise<void> {
    return this.disk.fsync(file);
  }

  list(): Promise<string[]> {
    return this.disk.list();
  }

  async remove(file: string): Promise<void> {
    await this.disk.remove(file);
    this.faults.forget(file);
  }

  files(): Promise<{ name: string; size: number }[]> {
    return this.disk.files();
  }

  private noted(faults: Record<string, Json>[]): void {
    for (const fault of faults) this.onFault(fault);
  }
}
