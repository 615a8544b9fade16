// Sector faults, one model for both worlds: the faults armed on one node's disk, its latent sector
// errors, and the rates at which it draws faults of its own, within the fault atlas. Told of each
// read and write, it says what the medium does with it (garbled bytes, a lost or misdirected or
// garbled write). It never does IO (the simulated disk and the real faulty-disk layer do) and draws
// only from the randomness it is given, each decision in one named method.
import {
  atlasAllows,
  perfectDisk,
  sectorsOf,
  type DiskFault,
  type DiskFaultRates,
  type DiskFaultResult,
  type FaultAtlas,
} from './disk-faults.js';
import { z } from 'zod';
import type { Json, NodeId } from './types.js';

/** The randomness faults draw from (a Prng: the simulator's disk stream, or a real one). */
export interface FaultDraws {
  chance(p: number): boolean;
  int(min: number, max: number): number;
}

/** Whether a drawn fault of `kind` on `file` may happen (the simulator's fault decisions); false: it does not, its draws still made. */
export type FaultDecision = (kind: string, file: string) => boolean;

/** A fault that is not applied at once: armed, it waits for the operations it matches. */
export type ArmedFault = Exclude<DiskFault, { kind: 'corrupt' }>;

/** The faults a disk holds (armed, with their uses left, and latent), as a file keeps them across a restart. */
export const heldFaultsSchema = z.object({
  armed: z.array(
    z.object({
      kind: z.enum(['corrupt-read', 'corrupt-write', 'misdirect', 'lost-write']),
      file: z.string(),
      first: z.int().min(0),
      count: z.int().min(1),
      left: z.int().min(1),
      to: z.int().min(0).optional(),
    }),
  ),
  /** file -> its sectors with a latent error. */
  latent: z.record(z.string(), z.array(z.int().min(0))),
});
export type HeldFaults = z.infer<typeof heldFaultsSchema>;

/** An armed fault as held in memory: a held one (the schema above is the one list of its fields), `to` always present. */
type Armed = Omit<HeldFaults['armed'][number], 'to'> & { to: number | undefined };

/** What the medium does with one write: land `data` at `offset` (maybe elsewhere, maybe garbled), or lose it. */
export interface WritePlan {
  lost: boolean;
  offset: number;
  data: Uint8Array;
  /** What happened, for the trace (empty: a clean write). */
  faults: Record<string, Json>[];
}

export class SectorFaults {
  private rates: DiskFaultRates = perfectDisk;
  private atlas: FaultAtlas | undefined;
  private armed: Armed[] = [];
  /** file -> its sectors with a latent error: every read of them is garbled until a write heals them. */
  private readonly latent = new Map<string, Set<number>>();
  /** Bumped whenever what held() returns may have changed: equal counts, equal held(). */
  private heldVersion = 0;

  constructor(
    readonly node: NodeId,
    private readonly draws: FaultDraws,
    private readonly allow: FaultDecision = () => true,
  ) {}

  get sectorBytes(): number {
    return this.rates.sectorBytes;
  }

  /** A count that changes whenever what it holds may have changed (so a keeper of held() need not compare it whole). */
  get version(): number {
    return this.heldVersion;
  }

  configure(rates: DiskFaultRates, atlas: FaultAtlas | undefined): void {
    this.rates = rates;
    this.atlas = atlas;
  }

  /** Arm a fault (or, for a latent read error, mark its sectors now). */
  arm(fault: ArmedFault): DiskFaultResult {
    const sectors = sectorsOf(fault.offset, fault.length, this.sectorBytes);
    this.heldVersion++;
    if (fault.kind === 'corrupt-read' && fault.latent === true) {
      for (let s = sectors.first; s < sectors.first + sectors.count; s++) this.latentOf(fault.file).add(s);
    } else {
      this.armed.push({ kind: fault.kind, file: fault.file, ...sectors, left: fault.count ?? 1, to: fault.kind === 'misdirect' ? fault.to : undefined });
    }
    return { kind: fault.kind, file: fault.file, offset: fault.offset, corrupted: 0, sectors };
  }

  /** Whether any fault is armed or latent (none: no operation can change what it holds). */
  holdsFaults(): boolean {
    if (this.armed.length > 0) return true;
    for (const sectors of this.latent.values()) if (sectors.size > 0) return true;
    return false;
  }

  /** What it holds, armed and latent (a copy). */
  held(): HeldFaults {
    return {
      armed: this.armed.map((a) => ({ kind: a.kind, file: a.file, first: a.first, count: a.count, left: a.left, ...(a.to === undefined ? {} : { to: a.to }) })),
      latent: Object.fromEntries([...this.latent].filter(([, sectors]) => sectors.size > 0).map(([file, sectors]) => [file, [...sectors].sort((a, b) => a - b)])),
    };
  }

  /** Hold `faults` (what held() gave), in place of what it held. */
  hold(faults: HeldFaults): void {
    this.heldVersion++;
    this.armed = faults.armed.map((a) => ({ ...a, to: a.to }));
    this.latent.clear();
    for (const [file, sectors] of Object.entries(faults.latent)) this.latent.set(file, new Set(sectors));
  }

  /** Drop the armed faults and latent errors of `file` (of every file when absent): how many armed faults and latent sectors went. */
  clear(file?: string): number {
    const gone = this.armed.filter((a) => file === undefined || a.file === file).length;
    let sectors = 0;
    for (const [name, set] of this.latent) if (file === undefined || name === file) sectors += set.size;
    this.heldVersion++;
    if (file === undefined) {
      this.armed = [];
      this.latent.clear();
    } else this.forget(file);
    return gone + sectors;
  }

  /** A file was removed: its latent errors and armed faults go with it. */
  forget(file: string): void {
    this.heldVersion++;
    this.latent.delete(file);
    this.armed = this.armed.filter((a) => a.file !== file);
  }

  /** `bytes` were read from `offset` of `file`: garble them (in place) as the faults say. Returns what happened. */
  read(file: string, offset: number, bytes: Uint8Array): Record<string, Json>[] {
    if (bytes.length === 0 || (this.rates.readCorrupt === 0 && this.armed.length === 0 && this.latent.size === 0)) return none;
    const faults: Record<string, Json>[] = [];
    const { first, count } = sectorsOf(offset, bytes.length, this.sectorBytes);
    const garbled = new Set<number>();
    for (const s of this.latent.get(file) ?? []) if (s >= first && s < first + count) garbled.add(s);
    if (garbled.size > 0) faults.push({ fault: 'latent', file, sectors: [...garbled].sort((a, b) => a - b) });
    const armed = this.take('corrupt-read', file, first, count);
    if (armed) {
      const hit = overlap(armed, first, count);
      for (let s = hit.first; s < hit.first + hit.count; s++) garbled.add(s);
      faults.push({ fault: 'corrupt-read', file, first: hit.first, count: hit.count });
    }
    const drawn = this.drawReadFault(file, first, count);
    if (drawn !== null) {
      garbled.add(drawn.sector);
      if (drawn.latent) {
        this.latentOf(file).add(drawn.sector);
        this.heldVersion++;
      }
      faults.push({ fault: 'corrupt-read', file, first: drawn.sector, count: 1, latent: drawn.latent, drawn: true });
    }
    for (const s of garbled) this.garble(bytes, offset, s);
    return faults;
  }

  /** `data` is to be written at `offset` of `file`: what the medium does with it. Heals the latent errors of the sectors it writes. */
  write(file: string, offset: number, data: Uint8Array): WritePlan {
    const plan: WritePlan = { lost: false, offset, data, faults: none };
    if (data.length === 0 || this.perfectWrites()) return plan;
    plan.faults = [];
    const { first, count } = sectorsOf(offset, data.length, this.sectorBytes);
    const latent = this.latent.get(file);
    if (latent) for (let s = first; s < first + count; s++) if (latent.delete(s)) this.heldVersion++;
    const lost = this.take('lost-write', file, first, count) !== null || this.drawWhole('lost-write', this.rates.lostWrite, file, first, count);
    if (lost) {
      plan.lost = true;
      plan.faults.push({ fault: 'lost-write', file, offset, length: data.length });
      return plan;
    }
    const misdirect = this.take('misdirect', file, first, count);
    const to = misdirect ? (misdirect.to ?? this.elsewhere(offset)) : this.drawMisdirect(file, offset, data.length, first, count);
    if (to !== null) {
      plan.offset = to;
      plan.faults.push({ fault: 'misdirect', file, offset, to, length: data.length });
    }
    const armedCorrupt = this.take('corrupt-write', file, first, count);
    const sector = armedCorrupt ? overlap(armedCorrupt, first, count).first : this.drawWriteCorrupt(file, first, count);
    if (sector !== null) {
      plan.data = data.slice();
      this.garble(plan.data, offset, sector);
      plan.faults.push({ fault: 'corrupt-write', file, sector });
    }
    return plan;
  }

  // ---- decisions: each draw in one place --------------------------------------------------------

  /** Whether a read of sectors [first, first+count) reads one of them corrupt, which, and whether the error is latent. */
  private drawReadFault(file: string, first: number, count: number): { sector: number; latent: boolean } | null {
    if (!this.draws.chance(this.rates.readCorrupt)) return null;
    const sector = first + this.draws.int(0, count - 1);
    if (!this.allowed(file, sector)) return null;
    const latent = this.draws.chance(this.rates.latent);
    return this.allow('corrupt-read', file) ? { sector, latent } : null;
  }

  /** Whether a write of sectors [first, first+count) suffers a fault `kind` of rate `p` that touches all of them. */
  private drawWhole(kind: string, p: number, file: string, first: number, count: number): boolean {
    if (!this.draws.chance(p)) return false;
    for (let s = first; s < first + count; s++) if (!this.allowed(file, s)) return false;
    return this.allow(kind, file);
  }

  /** Whether a write at `offset` is misdirected, and where it lands. */
  private drawMisdirect(file: string, offset: number, length: number, first: number, count: number): number | null {
    if (!this.draws.chance(this.rates.misdirect)) return null;
    const to = this.elsewhere(offset);
    const target = sectorsOf(to, length, this.sectorBytes);
    for (let s = first; s < first + count; s++) if (!this.allowed(file, s)) return null;
    for (let s = target.first; s < target.first + target.count; s++) if (!this.allowed(file, s)) return null;
    return this.allow('misdirect', file) ? to : null;
  }

  /** Whether a write lands with one of its sectors garbled, and which. */
  private drawWriteCorrupt(file: string, first: number, count: number): number | null {
    if (!this.draws.chance(this.rates.writeCorrupt)) return null;
    const sector = first + this.draws.int(0, count - 1);
    return this.allowed(file, sector) && this.allow('corrupt-write', file) ? sector : null;
  }

  /** XOR the part of sector `sector` that `bytes` (read or written at `offset`) hold with non-zero noise. */
  private garble(bytes: Uint8Array, offset: number, sector: number): void {
    const from = Math.max(0, sector * this.sectorBytes - offset);
    const to = Math.min(bytes.length, (sector + 1) * this.sectorBytes - offset);
    for (let i = from; i < to; i++) bytes[i]! ^= this.draws.int(1, 255);
  }

  /** No write can meet a fault: nothing armed, no latent error to heal, no write fault rate (the fast path). */
  perfectWrites(): boolean {
    return this.armed.length === 0 && this.latent.size === 0 && this.rates.lostWrite === 0 && this.rates.misdirect === 0 && this.rates.writeCorrupt === 0;
  }

  // ---- bookkeeping --------------------------------------------------------------------------

  /** The misdirected place of a write at `offset`: one sector before it, or one after when there is none before. */
  private elsewhere(offset: number): number {
    return offset >= this.sectorBytes ? offset - this.sectorBytes : offset + this.sectorBytes;
  }

  private allowed(file: string, sector: number): boolean {
    return atlasAllows(this.atlas, this.node, file, sector);
  }

  /** The first armed fault of `kind` on `file` that overlaps sectors [first, first+count), spending one of its uses. */
  private take(kind: ArmedFault['kind'], file: string, first: number, count: number): Armed | null {
    const i = this.armed.findIndex((a) => a.kind === kind && a.file === file && overlap(a, first, count).count > 0);
    if (i < 0) return null;
    const armed = this.armed[i]!;
    this.heldVersion++;
    if (--armed.left === 0) this.armed.splice(i, 1);
    return armed;
  }

  private latentOf(file: string): Set<number> {
    let set = this.latent.get(file);
    if (set === undefined) {
      set = new Set();
      this.latent.set(file, set);
    }
    return set;
  }
}

/** No faults met (shared, never changed). */
const none: Record<string, Json>[] = [];

/** The sectors an armed fault and an operation's sectors [first, first+count) have in common. */
function overlap(a: { first: number; count: number }, first: number, count: number): { first: number; count: number } {
  const from = Math.max(a.first, first);
  const to = Math.min(a.first + a.count, first + count);
  return { first: from, count: Math.max(0, to - from) };
}
