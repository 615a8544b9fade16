// The simulated disk of one node: named files in memory that outlive the node's crashes, with the
// faults of one model for both worlds (src/env/sector-faults.ts). IO takes time: every operation
// takes effect in program order when it is issued (as the page cache would) and completes as a
// scheduled event after a seeded latency, one after another; an fsync makes durable only when it
// completes. Writes are volatile until then: at a crash each is kept, lost, or torn at a sector
// boundary. It never touches fs. File semantics follow src/env/real/disk.ts.
import type { Disk, Json, NodeId } from '../types.js';
import { checkFileName } from '../real/disk.js';
import { perfectDisk, sectorsOf, type DiskFaultRates, type FaultAtlas } from '../disk-faults.js';
import { SectorFaults, type ArmedFault, type FaultDecision, type WritePlan } from '../sector-faults.js';
import type { Prng } from '../../random.js';
import { SimEvent } from './event-queue.js';
import { runAs, type GuardedCode } from './guard.js';
import { made, newPromise } from './promises.js';
import { carve } from '../../slab.js';

/** A latency range in ms: each operation takes a uniform integer in [min, max]. */
export type LatencyRange = readonly [number, number];

/** A simulated disk's settings: its fault rates and sector size (both worlds' model), and how long IO takes. */
export interface DiskFaults extends DiskFaultRates {
  latencyMs: { read: LatencyRange; write: LatencyRange; fsync: LatencyRange };
}

/** A perfect disk whose IO takes a little time: fsync is the slow one, as on real hardware. */
export const noDiskFaults: DiskFaults = { ...perfectDisk, latencyMs: { read: [0, 2], write: [0, 1], fsync: [2, 20] } };

/** A growable byte array. */
class Bytes {
  private buf: Uint8Array;
  length = 0;

  constructor(from?: Bytes) {
    this.buf = from ? from.buf.slice(0, Math.max(16, from.length)) : new Uint8Array(64);
    this.length = from?.length ?? 0;
  }

  /** The bytes in place (no copy): valid until the next change. */
  view(): Uint8Array {
    return this.buf.subarray(0, this.length);
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

/** A private copy of written bytes (its own; the writer may reuse `data` at once). */
function copyOf(data: Uint8Array): Uint8Array {
  const copy = carve(data.length);
  copy.set(data);
  return copy;
}

/** A change not yet fsynced: a write of bytes at an offset, or a new size. */
type Change = { offset: number; data: Uint8Array } | { size: number };

function apply(bytes: Bytes, change: Change): void {
  if ('size' in change) bytes.resize(change.size);
  else bytes.write(change.offset, change.data);
}

/**
 * A change not yet fsynced, and how to take it back: the file's length before it, and the bytes it
 * overwrote (from `at`; null if it overwrote none, as an append).
 */
interface Unsynced {
  readonly change: Change;
  readonly length: number;
  readonly at: number;
  readonly old: Uint8Array | null;
}

/**
 * One file. What an fsync made durable is not kept as bytes of its own: it is `current` with the
 * unsynced changes taken back, last first (durable()), which costs nothing per write or fsync of an
 * append (a copy per fsync was the simulated disk's main cost). Only a corruption of the medium under
 * unsynced changes keeps it apart (`diverged`): the changes' bytes stay whole while both copies are
 * corrupted, so taking them back no longer gives it.
 */
class SimFile {
  /** What reads see: the medium plus every unsynced change. */
  current = new Bytes();
  /** Whether an fsync ever made anything durable (false: a crash that keeps nothing removes the file). */
  synced = false;
  /** What an fsync made durable, while it is not `current` with the unsynced changes taken back; else null. */
  diverged: Bytes | null = null;
  unsynced: Unsynced[] = [];
  /** Changes ever made durable or settled by a crash: unsynced[i] is change number `settled + i`. */
  settled = 0;

  change(c: Change): void {
    const length = this.current.length;
    const at = 'size' in c ? c.size : c.offset;
    const end = 'size' in c ? length : Math.min(length, c.offset + c.data.length);
    const old = this.diverged === null && end > at ? this.current.slice(at, end - at) : null;
    apply(this.current, c);
    this.unsynced.push({ change: c, length, at, old });
  }

  /** Make durable the changes before change number `upTo` (all of them by default). */
  fsync(upTo = this.settled + this.unsynced.length): void {
    const n = upTo - this.settled;
    if (n <= 0) return;
    this.synced = true;
    if (this.diverged !== null) for (let i = 0; i < n; i++) apply(this.diverged, this.unsynced[i]!.change);
    if (n === this.unsynced.length) this.unsynced = []; // (setting length to 0 is a runtime call, dearer than a new array)
    else this.unsynced.splice(0, n);
    this.settled = upTo;
  }

  /** A copy of what an fsync made durable (empty if nothing was). */
  durable(): Bytes {
    if (this.diverged !== null) return new Bytes(this.diverged);
    const bytes = new Bytes(this.current);
    for (let i = this.unsynced.length - 1; i >= 0; i--) {
      const u = this.unsynced[i]!;
      if (u.old !== null) bytes.write(u.at, u.old);
      bytes.resize(u.length);
    }
    return bytes;
  }

  /** XOR `mask` into the medium at `offset`: into what reads see and what an fsync made durable. */
  xor(offset: number, mask: Uint8Array): void {
    if (this.diverged === null && this.unsynced.length > 0) this.diverged = this.durable();
    this.current.xor(offset, mask);
    this.diverged?.xor(offset, mask);
  }

  /** A crash left `medium` on the disk: it is what reads see and what is durable. */
  settle(medium: Bytes): void {
    this.current = medium;
    this.synced = true;
    this.diverged = null;
    this.settled += this.unsynced.length;
    this.unsynced = [];
  }
}

/** What a crash did to one file's unsynced writes (for the trace). */
export interface CrashEffect {
  file: string;
  unsynced: number;
  /** Changes that reached the medium whole. */
  kept: number;
  /** Writes of which only a prefix of sectors reached the medium. */
  torn: number;
}

/** What became of one unsynced change at a crash. */
type Fate = { kind: 'kept' } | { kind: 'lost' } | { kind: 'torn'; change: Change };

export class SimDisk {
  private readonly files = new Map<string, SimFile>();
  /** The node's sector faults: armed, latent and drawn (configured by the world). */
  readonly faults: SectorFaults;
  /** Faults the operations met since the world last took them, to trace them. */
  private noted: Record<string, Json>[] = [];
  /** file -> sectors whose medium is not what their last writer wrote (see `damaged`). */
  private readonly damage = new Map<string, Set<number>>();
  /** Its settings (configure()): the fault rates its SectorFaults apply, what a crash does to unsynced writes, IO latencies. */
  private config: DiskFaults = noDiskFaults;

  /**
   * `allow(kind, file)`: whether a drawn fault may happen (a fault decision, src/env/sim/decisions.ts);
   * false gives it its benign outcome, the draws behind it still made.
   */
  constructor(
    node: NodeId = 'disk',
    draws?: Prng,
    private readonly allow: FaultDecision = () => true,
  ) {
    this.faults = new SectorFaults(node, draws ?? { chance: () => false, int: (min) => min }, allow);
  }

  private file(name: string): SimFile | undefined {
    const f = this.files.get(name);
    if (f === undefined) checkFileName(name); // a file's name was checked when it was made
    return f;
  }

  private fileForWrite(name: string): SimFile {
    let f = this.file(name);
    if (f === undefined) {
      f = new SimFile();
      this.files.set(name, f);
    }
    return f;
  }

  /** The faults the operations since the last call met (to trace them). */
  takeNoted(): Record<string, Json>[] {
    const noted = this.noted;
    if (noted.length > 0) this.noted = [];
    return noted;
  }

  read(name: string, offset = 0, length?: number): Uint8Array {
    const f = this.file(name);
    if (f === undefined) return new Uint8Array(0);
    const bytes = f.current.slice(offset, length ?? f.current.length);
    this.note(this.faults.read(name, offset, bytes));
    return bytes;
  }

  write(name: string, offset: number, data: Uint8Array): void {
    if (!Number.isInteger(offset) || offset < 0) throw new Error(`disk.write: bad offset ${offset}`);
    const f = this.fileForWrite(name);
    if (this.damage.size === 0 && this.faults.perfectWrites()) return f.change({ offset, data: copyOf(data) }); // what the plan below comes to, without one
    const plan = this.faults.write(name, offset, data);
    this.note(plan.faults);
    if (plan.faults.length > 0 || this.damage.size > 0) this.trackDamage(name, offset, data.length, plan);
    const end = offset + data.length;
    if ((plan.lost || plan.offset !== offset) && end > f.current.length) f.change({ size: end }); // the metadata made it, the data did not
    if (!plan.lost) f.change({ offset: plan.offset, data: copyOf(plan.data) });
  }

  append(name: string, data: Uint8Array): void {
    this.write(name, this.size(name), data);
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

  /** Where an fsync issued now stops: it makes durable the changes made so far, and no later one. */
  fsyncMark(name: string): number {
    const f = this.file(name);
    return f === undefined ? 0 : f.settled + f.unsynced.length;
  }

  /** An fsync issued at `mark` completes. */
  fsyncTo(name: string, mark: number): void {
    this.files.get(name)?.fsync(mark);
  }

  list(): string[] {
    return [...this.files.keys()].sort();
  }

  /** Removing a name is durable at once (the real disk fsyncs the directory). */
  remove(name: string): void {
    this.file(name);
    this.files.delete(name);
    this.faults.forget(name);
    this.damage.delete(name);
  }

  /**
   * What reads of `name` would see with no read fault (for checkers in the simulator only: no
   * draw, nothing traced), as a view of the file's bytes: valid until the next change to the
   * file, never to be written to. Empty if there is no such file.
   */
  medium(name: string): Uint8Array {
    const f = this.file(name);
    return f === undefined ? new Uint8Array(0) : f.current.view();
  }

  /**
   * The sectors of `name` that faults damaged since a faithful write last covered them whole: a
   * garbled, lost or misdirected write (both where it was meant to land and where it landed), or
   * bytes corrupted on the medium. A checker comparing the medium with what a node believes it
   * wrote skips them (TigerBeetle's testing storage keeps the same set). Never drawn from.
   */
  damaged(name: string): ReadonlySet<number> {
    return this.damage.get(name) ?? noSectors;
  }

  private trackDamage(name: string, offset: number, length: number, plan: WritePlan): void {
    const S = this.faults.sectorBytes;
    const damage = this.damage.get(name) ?? new Set<number>();
    const meant = sectorsOf(offset, length, S);
    if (plan.faults.length === 0) {
      // A faithful write heals the sectors it covers whole.
      const from = Math.ceil(offset / S);
      const to = Math.floor((offset + length) / S);
      for (let s = from; s < to; s++) damage.delete(s);
    } else {
      for (let s = meant.first; s < meant.first + meant.count; s++) damage.add(s);
      const landed = sectorsOf(plan.offset, length, S);
      if (!plan.lost) for (let s = landed.first; s < landed.first + landed.count; s++) damage.add(s);
    }
    if (damage.size > 0) this.damage.set(name, damage);
    else this.damage.delete(name);
  }

  /** Whether any write is not yet fsynced (tests, status). */
  dirty(name: string): boolean {
    return (this.file(name)?.unsynced.length ?? 0) > 0;
  }

  /** Arm a sector fault on this disk. */
  arm(fault: ArmedFault): ReturnType<SectorFaults['arm']> {
    checkFileName(fault.file);
    return this.faults.arm(fault);
  }

  /** Set its fault rates, sector size and IO latencies (also what its crashes do), and the fault atlas. */
  configure(config: DiskFaults, atlas: FaultAtlas | undefined): void {
    this.config = config;
    this.faults.configure(config, atlas);
  }

  /** How long its operations take. */
  get latencyMs(): DiskFaults['latencyMs'] {
    return this.config.latencyMs;
  }

  /** The node crashed: each file becomes what reached its medium, as the configured rates say. Returns what happened to unsynced writes. */
  crash(prng: Prng): CrashEffect[] {
    const effects: CrashEffect[] = [];
    for (const [name, f] of [...this.files].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (f.unsynced.length > 0) effects.push(this.settle(name, f, prng));
    }
    return effects;
  }

  private settle(name: string, f: SimFile, prng: Prng): CrashEffect {
    const effect: CrashEffect = { file: name, unsynced: f.unsynced.length, kept: 0, torn: 0 };
    const reached: Change[] = [];
    for (const { change: c } of f.unsynced) {
      const fate = crashFate(c, this.config, prng, () => this.allow('torn', name));
      if (fate.kind === 'kept') effect.kept++;
      if (fate.kind === 'torn') effect.torn++;
      if (fate.kind !== 'lost') reached.push(fate.kind === 'torn' ? fate.change : c);
    }
    if (!f.synced && reached.length === 0) {
      this.files.delete(name);
      return effect;
    }
    const medium = f.durable();
    for (const c of reached) apply(medium, c);
    f.settle(medium);
    return effect;
  }

  /** Instructors' fault: XOR `length` bytes from `offset` with random non-zero bytes, on the medium. Returns how many changed. */
  corrupt(name: string, offset: number, length: number, prng: Prng): number {
    const f = this.file(name);
    if (f === undefined) return 0;
    const n = Math.max(0, Math.min(length, f.current.length - offset));
    const mask = new Uint8Array(n);
    for (let i = 0; i < n; i++) mask[i] = prng.int(1, 255);
    f.xor(offset, mask);
    if (n > 0) {
      const damage = this.damage.get(name) ?? new Set<number>();
      const hit = sectorsOf(offset, n, this.faults.sectorBytes);
      for (let s = hit.first; s < hit.first + hit.count; s++) damage.add(s);
      this.damage.set(name, damage);
    }
    return n;
  }

  private note(faults: Record<string, Json>[]): void {
    for (const fault of faults) this.noted.push(fault);
  }
}

/**
 * The crash's decision for one unsynced change: torn at a sector boundary inside it (a prefix of
 * its sectors reached the medium, the rest did not), else kept whole, else lost.
 */
function crashFate(c: Change, config: DiskFaults, prng: Prng, allowTear: () => boolean): Fate {
  let torn: Fate | null = null;
  if ('data' in c && prng.chance(config.torn)) {
    const S = config.sectorBytes;
    const firstBoundary = (Math.floor(c.offset / S) + 1) * S;
    const boundaries = Math.ceil((c.offset + c.data.length - firstBoundary) / S);
    if (boundaries > 0) {
      const cut = firstBoundary + S * prng.int(0, boundaries - 1);
      torn = { kind: 'torn', change: { offset: c.offset, data: c.data.subarray(0, cut - c.offset) } };
    }
  }
  const kept = prng.chance(config.unsyncedKept); // drawn either way, so a vetoed tear shifts no later draw
  if (torn !== null && allowTear()) return torn;
  return kept ? { kind: 'kept' } : { kind: 'lost' };
}

const never = new Promise<never>(() => {});

/** No damaged sectors (shared, never changed). */
const noSectors: ReadonlySet<number> = new Set();

/** The incarnation a NodeDisk belongs to (its SimEnv): IO of a dead one never completes. */
export interface DiskOwner {
  readonly dead: boolean;
  readonly code: GuardedCode | null;
}

/** What a node's disk needs of the world: its clock, IO latencies drawn from the disk stream, and the trace. */
export interface IoHost {
  readonly now: number;
  schedule(event: SimEvent, delayMs: number): void;
  /** A latency in `range`, in ms (one draw). */
  latency(range: LatencyRange): number;
  /** Trace the sector faults an operation met. */
  traceDiskFaults(node: NodeId, faults: Record<string, Json>[]): void;
}

/**
 * An operation waiting for its completion; it is also the event at which its disk completes what is
 * due (one per operation, so every operation's completion is an event of its own in the queue).
 */
class IoOp extends SimEvent {
  constructor(
    private readonly disk: NodeDisk,
    readonly due: number,
    /** The operation's result; for an fsync (`synced` set), its mark (SimDisk.fsyncMark). */
    private readonly value: unknown,
    private readonly error: unknown,
    /** The file an fsync makes durable when it completes. */
    private readonly synced: string | undefined,
    private readonly resolve: (value: unknown) => void,
    private readonly reject: (error: unknown) => void,
  ) {
    super();
  }

  fire(): boolean {
    return this.disk.completeDue();
  }

  complete(): void {
    if (this.error !== null) return this.reject(this.error);
    if (this.synced === undefined) return this.resolve(this.value);
    this.disk.fsynced(this.synced, this.value as number);
    this.resolve(undefined);
  }
}

/** What a Disk call asks of the SimDisk. */
type DiskCall = 'read' | 'write' | 'append' | 'truncate' | 'size' | 'fsync' | 'list' | 'remove';

/**
 * How long `call` takes: a read's, a write's (of data or of metadata) or an fsync's latency range.
 * A switch, not a look-up in a table by name: the name varies at the one site, so the look-up was
 * a megamorphic keyed load (twice: the kind, then its range), once per disk operation.
 */
function latencyOf(call: DiskCall, latency: DiskFaults['latencyMs']): LatencyRange {
  switch (call) {
    case 'read':
    case 'size':
    case 'list':
      return latency.read;
    case 'fsync':
      return latency.fsync;
    case 'write':
    case 'append':
    case 'truncate':
    case 'remove':
      return latency.write;
  }
}

/**
 * The Disk one node incarnation sees. Each operation takes effect on the node's SimDisk when it is
 * issued and completes after a latency, in issue order (one device queue); an fsync makes durable
 * what was written before it, when it completes. Once the incarnation is dead, nothing completes.
 */
export class NodeDisk implements Disk {
  private readonly queue: IoOp[] = [];
  private lastDue = 0;

  constructor(
    private readonly disk: SimDisk,
    private readonly node: NodeId,
    private readonly owner: () => DiskOwner,
    private readonly host: IoHost,
  ) {}

  /** Issue `call` now (its arguments after the file: `a`, `b`, `data`); it completes after a latency. */
  private run(call: DiskCall, file: string, a?: number, b?: number, data?: Uint8Array): Promise<unknown> {
    if (this.owner().dead) return never;
    let value: unknown;
    let error: unknown = null;
    try {
      value = this.perform(call, file, a, b, data);
    } catch (e) {
      error = e;
    }
    const faults = this.disk.takeNoted();
    if (faults.length > 0) this.host.traceDiskFaults(this.node, faults);
    const promise = newPromise<unknown>();
    const { resolve, reject } = made;
    const due = Math.max(this.lastDue, this.host.now + this.host.latency(latencyOf(call, this.disk.latencyMs)));
    this.lastDue = due;
    const io = new IoOp(this, due, value, error, call === 'fsync' ? file : undefined, resolve, reject);
    this.queue.push(io);
    this.host.schedule(io, due - this.host.now);
    return promise;
  }

  /** What `call` does to the SimDisk when it is issued: its result (an fsync's: its mark). */
  private perform(call: DiskCall, file: string, a: number | undefined, b: number | undefined, data: Uint8Array | undefined): unknown {
    switch (call) {
      case 'read':
        return this.disk.read(file, a, b);
      case 'write':
        return this.disk.write(file, a!, data!);
      case 'append':
        return this.disk.append(file, data!);
      case 'truncate':
        return this.disk.truncate(file, a!);
      case 'size':
        return this.disk.size(file);
      case 'fsync':
        return this.disk.fsyncMark(file);
      case 'list':
        return this.disk.list();
      case 'remove':
        return this.disk.remove(file);
    }
  }

  /** Complete every operation due by now, in issue order (an IoOp's event). Returns whether any did. */
  completeDue(): boolean {
    const owner = this.owner();
    if (owner.dead || this.queue.length === 0 || this.queue[0]!.due > this.host.now) return false;
    runAs(owner.code);
    while (this.queue.length > 0 && this.queue[0]!.due <= this.host.now) this.queue.shift()!.complete();
    return true;
  }

  read(file: string, offset?: number, length?: number): Promise<Uint8Array> {
    return this.run('read', file, offset, length) as Promise<Uint8Array>;
  }
  write(file: string, offset: number, data: Uint8Array): Promise<void> {
    return this.run('write', file, offset, undefined, data) as Promise<void>;
  }
  append(file: string, data: Uint8Array): Promise<void> {
    return this.run('append', file, undefined, undefined, data) as Promise<void>;
  }
  truncate(file: string, size: number): Promise<void> {
    return this.run('truncate', file, size) as Promise<void>;
  }
  size(file: string): Promise<number> {
    return this.run('size', file) as Promise<number>;
  }
  fsync(file: string): Promise<void> {
    return this.run('fsync', file) as Promise<void>;
  }

  /** An fsync of `file` issued at `mark` completes (an IoOp's). */
  fsynced(file: string, mark: number): void {
    this.disk.fsyncTo(file, mark);
  }
  list(): Promise<string[]> {
    return this.run('list', '') as Promise<string[]>;
  }
  remove(file: string): Promise<void> {
    return this.run('remove', file) as Promise<void>;
  }
}

/** A crash effect as trace detail. */
export function effectDetail(e: CrashEffect): Record<string, Json> {
  return { fault: 'crash', file: e.file, unsynced: e.unsynced, kept: e.kept, torn: e.torn };
}
