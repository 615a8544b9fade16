// The simulated disk of one node: named files in memory that outlive the node's crashes. Writes are
// volatile until fsync: at a crash, unsynced writes are lost (by default), or partly kept or torn as
// the run's disk faults say; instructors can corrupt bytes on the medium. It never touches fs.
// Semantics follow src/env/real/disk.ts (file names, missing files, remove is durable at once).
import type { Disk, Json } from '../types.js';
import { checkFileName } from '../real/disk.js';
import type { Prng } from '../../random.js';

export interface DiskFaults {
  /** Probability that each unsynced write reached the medium before a crash (0: only fsynced data survives). */
  unsyncedKept: number;
  /** Probability that a file's last unsynced write is torn at a crash: a prefix survives, and half the time the rest of its range is garbage. */
  torn: number;
}

export const noDiskFaults: DiskFaults = { unsyncedKept: 0, torn: 0 };

/** A growable byte array. */
class Bytes {
  private buf: Uint8Array;
  length = 0;

  constructor(from?: Bytes) {
    this.buf = from ? from.buf.slice(0, Math.max(16, from.length)) : new Uint8Array(64);
    this.length = from?.length ?? 0;
  }

  slice(offset: number, length: number): Uint8Array {
    const start = Math.min(offset, this.length);
    return this.buf.slice(start, Math.min(this.length, start + length));
  }

  write(offset: number, data: Uint8Array): void {
    this.resize(Math.max(this.length, offset + data.length));
    this.buf.set(data, offset);
  }

  /** Shrink, or grow with zeros. */
  resize(size: number): void {
    if (size > this.buf.length) {
      const next = new Uint8Array(Math.max(size, this.buf.length * 2));
      next.set(this.buf.subarray(0, this.length));
      this.buf = next;
    } else if (size < this.length) {
      this.buf.fill(0, size, this.length);
    }
    this.length = size;
  }

  xor(offset: number, mask: Uint8Array): void {
    for (let i = 0; i < mask.length && offset + i < this.length; i++) this.buf[offset + i]! ^= mask[i]!;
  }
}

const SLAB_BYTES = 1 << 16;
let slab = new Uint8Array(0);
let slabUsed = 0;

/**
 * A private copy of written bytes. Small copies are carved out of shared 64 KiB slabs: one
 * ArrayBuffer per slab rather than one per write (a backing store each costs the GC far more).
 */
function copyOf(data: Uint8Array): Uint8Array {
  if (data.length > SLAB_BYTES >> 4) return data.slice();
  if (slabUsed + data.length > slab.length) {
    slab = new Uint8Array(SLAB_BYTES);
    slabUsed = 0;
  }
  const copy = slab.subarray(slabUsed, slabUsed + data.length);
  copy.set(data);
  slabUsed += data.length;
  return copy;
}

/** A change not yet fsynced: a write of bytes at an offset, or a new size. */
type Change = { offset: number; data: Uint8Array } | { size: number };

function apply(bytes: Bytes, change: Change): void {
  if ('size' in change) bytes.resize(change.size);
  else bytes.write(change.offset, change.data);
}

class SimFile {
  /** What reads see: the medium plus every unsynced change. */
  current = new Bytes();
  /** What an fsync made durable; null while the file has never been fsynced. */
  durable: Bytes | null = null;
  unsynced: Change[] = [];

  change(c: Change): void {
    apply(this.current, c);
    this.unsynced.push(c);
  }

  fsync(): void {
    if (this.unsynced.length === 0) return;
    this.durable ??= new Bytes();
    for (const c of this.unsynced) apply(this.durable, c);
    this.unsynced = [];
  }
}

/** What a crash did to one file's unsynced writes (for the trace). */
export interface CrashEffect {
  file: string;
  unsynced: number;
  kept: number;
  /** Bytes of the torn last write that survived, if it was torn. */
  tornAt?: number;
  garbage?: boolean;
}

export class SimDisk {
  private readonly files = new Map<string, SimFile>();

  private file(name: string): SimFile | undefined {
    checkFileName(name);
    return this.files.get(name);
  }

  private fileForWrite(name: string): SimFile {
    let f = this.file(name);
    if (f === undefined) {
      f = new SimFile();
      this.files.set(name, f);
    }
    return f;
  }

  read(name: string, offset = 0, length?: number): Uint8Array {
    const f = this.file(name);
    if (f === undefined) return new Uint8Array(0);
    return f.current.slice(offset, length ?? f.current.length);
  }

  write(name: string, offset: number, data: Uint8Array): void {
    if (!Number.isInteger(offset) || offset < 0) throw new Error(`disk.write: bad offset ${offset}`);
    this.fileForWrite(name).change({ offset, data: copyOf(data) });
  }

  append(name: string, data: Uint8Array): void {
    const f = this.fileForWrite(name);
    f.change({ offset: f.current.length, data: copyOf(data) });
  }

  truncate(name: string, size: number): void {
    if (!Number.isInteger(size) || size < 0) throw new Error(`disk.truncate: bad size ${size}`);
    this.fileForWrite(name).change({ size });
  }

  size(name: string): number {
    return this.file(name)?.current.length ?? 0;
  }

  fsync(name: string): void {
    this.file(name)?.fsync();
  }

  list(): string[] {
    return [...this.files.keys()].sort();
  }

  /** Removing a name is durable at once (the real disk fsyncs the directory). */
  remove(name: string): void {
    this.file(name);
    this.files.delete(name);
  }

  /** Whether any write is not yet fsynced (tests, status). */
  dirty(name: string): boolean {
    return (this.file(name)?.unsynced.length ?? 0) > 0;
  }

  /**
   * The node crashed: each file becomes what reached its medium. Returns what happened to unsynced
   * writes. A torn write is a fault decision: `allowTear(file)` false keeps the write whole (or lost).
   */
  crash(faults: DiskFaults, prng: Prng, allowTear: (file: string) => boolean = () => true): CrashEffect[] {
    const effects: CrashEffect[] = [];
    for (const [name, f] of [...this.files].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (f.unsynced.length === 0) continue;
      const effect = this.settle(name, f, faults, prng, allowTear);
      effects.push(effect);
    }
    return effects;
  }

  private settle(name: string, f: SimFile, faults: DiskFaults, prng: Prng, allowTear: (file: string) => boolean): CrashEffect {
    const reached = f.unsynced.filter(() => prng.chance(faults.unsyncedKept));
    const effect: CrashEffect = { file: name, unsynced: f.unsynced.length, kept: reached.length };
    const last = f.unsynced[f.unsynced.length - 1]!;
    const tearing = 'data' in last && last.data.length > 0 && prng.chance(faults.torn);
    const torn = tearing ? tear(last, prng) : undefined;
    if (torn && allowTear(name)) {
      if (reached[reached.length - 1] === last) reached.pop();
      reached.push(torn.change);
      effect.tornAt = torn.kept;
      effect.garbage = torn.garbage;
    }
    if (f.durable === null && reached.length === 0) {
      this.files.delete(name);
      return effect;
    }
    const medium = f.durable ?? new Bytes();
    for (const c of reached) apply(medium, c);
    f.current = medium;
    f.durable = new Bytes(medium);
    f.unsynced = [];
    return effect;
  }

  /** Instructors' fault: XOR `length` bytes from `offset` with random non-zero bytes, on the medium. Returns how many changed. */
  corrupt(name: string, offset: number, length: number, prng: Prng): number {
    const f = this.file(name);
    if (f === undefined) return 0;
    const n = Math.max(0, Math.min(length, f.current.length - offset));
    const mask = new Uint8Array(n);
    for (let i = 0; i < n; i++) mask[i] = prng.int(1, 255);
    f.current.xor(offset, mask);
    f.durable?.xor(offset, mask);
    return n;
  }
}

/** A torn copy of a write: a random prefix survives; with probability 1/2 the rest of its range is garbage. */
function tear(write: { offset: number; data: Uint8Array }, prng: Prng): { change: Change; kept: number; garbage: boolean } {
  const kept = prng.int(0, write.data.length - 1);
  const garbage = prng.chance(0.5);
  const data = garbage ? write.data.slice() : write.data.slice(0, kept);
  if (garbage) for (let i = kept; i < data.length; i++) data[i] = prng.int(0, 255);
  return { change: { offset: write.offset, data }, kept, garbage };
}

const never = new Promise<never>(() => {});

/**
 * The Disk one node incarnation sees: the node's SimDisk while it lives; once it is dead, every call
 * has no effect and never settles (a dead node cannot act).
 */
export class NodeDisk implements Disk {
  constructor(
    private readonly disk: SimDisk,
    private readonly alive: () => boolean,
  ) {}

  private run<T>(op: () => T): Promise<T> {
    if (!this.alive()) return never;
    try {
      return Promise.resolve(op());
    } catch (e) {
      return Promise.reject(e as Error);
    }
  }

  read(file: string, offset?: number, length?: number): Promise<Uint8Array> {
    return this.run(() => this.disk.read(file, offset, length));
  }
  write(file: string, offset: number, data: Uint8Array): Promise<void> {
    return this.run(() => this.disk.write(file, offset, data));
  }
  append(file: string, data: Uint8Array): Promise<void> {
    return this.run(() => this.disk.append(file, data));
  }
  truncate(file: string, size: number): Promise<void> {
    return this.run(() => this.disk.truncate(file, size));
  }
  size(file: string): Promise<number> {
    return this.run(() => this.disk.size(file));
  }
  fsync(file: string): Promise<void> {
    return this.run(() => this.disk.fsync(file));
  }
  list(): Promise<string[]> {
    return this.run(() => this.disk.list());
  }
  remove(file: string): Promise<void> {
    return this.run(() => this.disk.remove(file));
  }
}

/** A crash effect as trace detail. */
export function effectDetail(e: CrashEffect): Record<string, Json> {
  const detail: Record<string, Json> = { fault: 'crash', file: e.file, unsynced: e.unsynced, kept: e.kept };
  if (e.tornAt !== undefined) {
    detail.tornAt = e.tornAt;
    detail.garbage = e.garbage ?? false;
  }
  return detail;
}
