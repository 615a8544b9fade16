// The real world's faulty-disk layer: a node's file disk with the sector faults of the one model both
// worlds share (src/env/sector-faults.ts), armed through the control plane so that an instructor can
// corrupt, garble, misdirect or lose a live node's IO in class. Armed and latent faults are the disk's,
// as in the simulator: kept in the disk's hidden file .faults.json, they outlive a restart until spent
// or healed. It never decides protocol behaviour and reaches the lab's files only through RealDisk.
import { randomInt } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sectorsOf, type DiskFault, type DiskFaultResult } from '../disk-faults.js';
import { heldFaultsSchema, SectorFaults } from '../sector-faults.js';
import type { Disk, Json, NodeId } from '../types.js';
import { Prng } from '../../random.js';
import type { RealDisk } from './disk.js';

/** Where a disk keeps its faults: a name RealDisk never lists and lab code cannot use (a leading '.'). */
export const FAULTS_FILE = '.faults.json';

export class FaultyDisk implements Disk {
  readonly faults: SectorFaults;
  /** Appends that must find the end of the file one after another. */
  private appending: Promise<void> = Promise.resolve();
  /** What FAULTS_FILE holds. */
  private kept: string;
  /** The faults' version when FAULTS_FILE was last brought up to date. */
  private keptVersion: number;

  constructor(
    readonly disk: RealDisk,
    node: NodeId,
    /** Told of every fault an operation meets (the node's trace). */
    private readonly onFault: (detail: Record<string, Json>) => void = () => undefined,
  ) {
    this.faults = new SectorFaults(node, new Prng(randomInt(2 ** 47)));
    this.kept = this.load();
    this.keptVersion = this.faults.version;
  }

  /** Apply (`corrupt`: XOR on the medium now) or arm (every other kind) a disk fault. */
  async diskFault(fault: DiskFault): Promise<DiskFaultResult> {
    if (fault.kind !== 'corrupt') return this.keep(this.faults.arm(fault));
    const corrupted = await this.disk.corrupt(fault.file, fault.offset, fault.length);
    return { kind: 'corrupt', file: fault.file, offset: fault.offset, corrupted, sectors: sectorsOf(fault.offset, fault.length, this.faults.sectorBytes) };
  }

  /** Drop the armed faults and latent errors of `file` (of every file when absent): how many went. */
  async clearFaults(file?: string): Promise<number> {
    return this.keep(this.faults.clear(file));
  }

  async read(file: string, offset = 0, length?: number): Promise<Uint8Array> {
    const bytes = await this.disk.read(file, offset, length);
    this.noted(this.keep(this.faults.read(file, offset, bytes)));
    return bytes;
  }

  /**
   * A write as the medium takes it. While no write fault can strike it is the file's own write,
   * not one more async step around it: the log's fsync after it then starts a job sooner (RealDisk).
   */
  write(file: string, offset: number, data: Uint8Array): Promise<void> {
    return this.faults.perfectWrites() ? this.disk.write(file, offset, data) : this.faultyWrite(file, offset, data);
  }

  private async faultyWrite(file: string, offset: number, data: Uint8Array): Promise<void> {
    const plan = this.keep(this.faults.write(file, offset, data));
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

  /** Zeros written ahead take no fault: no lab data lands in them until a write (which may) does. */
  preallocate(file: string, size: number): Promise<void> {
    return this.disk.preallocate(file, size);
  }

  list(): Promise<string[]> {
    return this.disk.list();
  }

  async remove(file: string): Promise<void> {
    await this.disk.remove(file);
    this.faults.forget(file);
    this.keep(undefined);
  }

  files(): Promise<{ name: string; size: number }[]> {
    return this.disk.files();
  }

  /** The faults FAULTS_FILE held (a restart's), now held again; a file that is not theirs stops the node with the reason. */
  private load(): string {
    const path = join(this.disk.dir, FAULTS_FILE);
    if (!existsSync(path)) return '';
    const text = readFileSync(path, 'utf8');
    let held;
    try {
      held = heldFaultsSchema.parse(JSON.parse(text));
    } catch (e) {
      throw new Error(`${path} does not hold a disk's faults (remove it to clear them): ${e instanceof Error ? e.message : String(e)}`);
    }
    this.faults.hold(held);
    return text;
  }

  /**
   * Write what the faults hold now to FAULTS_FILE when it changed (whole, by a rename; the file goes
   * once nothing is held), before the IO they decided happens. Returns `result`. An IO that changed
   * nothing they hold (their version is as kept) costs no serialising.
   */
  private keep<T>(result: T): T {
    if (this.faults.version === this.keptVersion) return result;
    this.keptVersion = this.faults.version;
    const text = this.faults.holdsFaults() ? JSON.stringify(this.faults.held()) : '';
    if (text === this.kept) return result;
    const path = join(this.disk.dir, FAULTS_FILE);
    if (text === '') rmSync(path, { force: true });
    else {
      writeFileSync(`${path}.new`, text);
      renameSync(`${path}.new`, path);
    }
    this.kept = text;
    return result;
  }

  private noted(faults: Record<string, Json>[]): void {
    for (const fault of faults) this.onFault(fault);
  }
}
