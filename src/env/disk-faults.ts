// The disk-fault model, declared once for both worlds: the sector, the kinds of sector fault (an
// instructor's or a scenario's targeted fault, or a rate the simulator draws from), and the fault
// atlas that bounds which sectors of which node may ever be faulty. Schemas are zod because these
// cross the wire (the control plane). Declarations and pure sector arithmetic only: no IO, no draws.
import { z } from 'zod';
import type { NodeId } from './types.js';

/** Sectors are 4 KiB unless a disk is configured otherwise: the unit of every sector fault. */
export const DEFAULT_SECTOR_BYTES = 4096;

/** The smallest sector a disk may have; storage formats may rely on it (src/storage/record-log.ts). */
export const MIN_SECTOR_BYTES = 512;

/** A sector size: a power of two from 512 bytes to 1 MiB. */
export const sectorBytesSchema = z
  .int()
  .min(MIN_SECTOR_BYTES)
  .max(1 << 20)
  .refine((n) => (n & (n - 1)) === 0, 'the sector size must be a power of two');

/** A file of a node's disk: a plain name. */
export const fileNameSchema = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/, "a plain file name: letters, digits, '.', '_' and '-', no leading '.'");
const probability = z.number().min(0).max(1);

/**
 * A byte position in a file: within its first GiB (our files are MiBs), so a fault never sends a
 * write where the filesystem refuses it (EFBIG), which would kill the node instead of testing it.
 */
const position = z.int().min(0).max(1 << 30);
/** Bytes [offset, offset + length) of one file; a fault covers every sector this range touches. */
const range = {
  file: fileNameSchema,
  offset: position,
  length: z.int().min(1).max(1 << 30),
};
/** How many matching operations an armed fault hits before it is spent (default 1). */
const count = z.int().min(1).max(1_000_000).optional();

/**
 * A targeted disk fault, applied to one node's disk (the control plane's `disk_fault`, the Cluster's
 * diskFault, the simulator's world.diskFault). Each kind:
 * - `corrupt`: now, on the medium: XOR the bytes of the range with random non-zero bytes.
 * - `corrupt-read`: reads of the range's sectors return corrupt bytes; the medium is intact.
 *   Transient (latent false): the next `count` reads that touch the range. Latent: a latent sector
 *   error, every read until a write to that sector heals it.
 * - `corrupt-write`: the next `count` writes that touch the range land with one of its sectors garbled.
 * - `misdirect`: the next `count` writes that touch the range land at another offset (`to`, or a
 *   drawn sector-aligned one), leaving the intended bytes as they were.
 * - `lost-write`: the next `count` writes that touch the range are acknowledged and never reach the
 *   medium (a write past the end still grows the file, with zeros: the metadata made it, the data did not).
 */
export const diskFaultSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('corrupt'), ...range }),
  z.strictObject({ kind: z.literal('corrupt-read'), ...range, latent: z.boolean().optional(), count }),
  z.strictObject({ kind: z.literal('corrupt-write'), ...range, count }),
  z.strictObject({ kind: z.literal('misdirect'), ...range, to: position.optional(), count }),
  z.strictObject({ kind: z.literal('lost-write'), ...range, count }),
]);
export type DiskFault = z.infer<typeof diskFaultSchema>;
export type DiskFaultKind = DiskFault['kind'];
export const diskFaultKinds: readonly DiskFaultKind[] = ['corrupt', 'corrupt-read', 'corrupt-write', 'misdirect', 'lost-write'];

/** What a targeted fault did when it was applied or armed (the control plane's reply, the trace's detail). */
export const diskFaultResultSchema = z.object({
  kind: z.enum(['corrupt', 'corrupt-read', 'corrupt-write', 'misdirect', 'lost-write']),
  file: z.string(),
  offset: z.int(),
  /** `corrupt`: bytes changed now (bytes past the end of the file are skipped). Others: 0, the fault is armed. */
  corrupted: z.int(),
  /** The sectors [first, first + count) the fault covers. */
  sectors: z.object({ first: z.int(), count: z.int() }),
});
export type DiskFaultResult = z.infer<typeof diskFaultResultSchema>;

/**
 * A disk's fault settings: its sector size, what a crash does to writes not yet fsynced, and the
 * rates at which the simulator draws sector faults on its own (each per operation, each bounded by
 * the fault atlas). All rates 0 (the default) is a perfect disk.
 */
export const diskFaultRatesSchema = z.object({
  sectorBytes: sectorBytesSchema,
  /** At a crash: probability that each write not yet fsynced had reached the medium. */
  unsyncedKept: probability,
  /** At a crash: probability that a write not yet fsynced is torn at a sector boundary (a prefix of its sectors reached the medium). */
  torn: probability,
  /** Per read: probability that one sector it touches reads corrupt. */
  readCorrupt: probability,
  /** Of the read corruptions drawn, the fraction that are latent (sticky until rewritten). */
  latent: probability,
  /** Per write: probability that one of its sectors lands garbled. */
  writeCorrupt: probability,
  /** Per write: probability that it lands at another sector-aligned offset. */
  misdirect: probability,
  /** Per write: probability that it is acknowledged and lost. */
  lostWrite: probability,
});
export type DiskFaultRates = z.infer<typeof diskFaultRatesSchema>;

export const perfectDisk: DiskFaultRates = {
  sectorBytes: DEFAULT_SECTOR_BYTES,
  unsyncedKept: 0,
  torn: 0,
  readCorrupt: 0,
  latent: 0,
  writeCorrupt: 0,
  misdirect: 0,
  lostWrite: 0,
};

/** Sectors [first, first + count) of one file (every file when `file` is absent). */
export const faultAreaSchema = z.object({
  file: fileNameSchema.optional(),
  first: z.int().min(0),
  count: z.int().min(1),
});
export type FaultArea = z.infer<typeof faultAreaSchema>;

/**
 * The fault atlas: for each node, the only sectors that may ever be faulty. A node the atlas does
 * not name has a perfect disk. No atlas at all means any sector of any node may be faulty.
 */
export const faultAtlasSchema = z.object({ nodes: z.record(z.string(), z.array(faultAreaSchema)) });
export type FaultAtlas = z.infer<typeof faultAtlasSchema>;

/** The sectors a byte range touches (an empty range touches none). */
export function sectorsOf(offset: number, length: number, sectorBytes: number): { first: number; count: number } {
  if (length <= 0) return { first: Math.floor(offset / sectorBytes), count: 0 };
  const first = Math.floor(offset / sectorBytes);
  return { first, count: Math.floor((offset + length - 1) / sectorBytes) - first + 1 };
}

/** Whether `atlas` lets sector `sector` of `file` on `node` be faulty (true when there is no atlas). */
export function atlasAllows(atlas: FaultAtlas | undefined, node: NodeId, file: string, sector: number): boolean {
  if (atlas === undefined) return true;
  const areas = atlas.nodes[node] ?? [];
  return areas.some((a) => (a.file === undefined || a.file === file) && sector >= a.first && sector < a.first + a.count);
}

/** The nodes on which sector `sector` of `file` may be faulty (for asserting a bound such as "at most f copies"). */
export function faultyCopies(atlas: FaultAtlas, file: string, sector: number): NodeId[] {
  return Object.keys(atlas.nodes).filter((node) => atlasAllows(atlas, node, file, sector));
}

export interface ChunkAtlasOptions {
  /** The replicas, in order. */
  nodes: readonly NodeId[];
  /** The files the chunks are in (each chunk covers the same sectors of every one); absent: every file. */
  files?: readonly string[];
  /** Sectors per chunk: chunk c is sectors [c * chunkSectors, (c + 1) * chunkSectors). */
  chunkSectors: number;
  /**
   * A chunk that is not one run of sectors: the runs chunk c covers (e.g. a journal's header
   * sector and, elsewhere in the file, its prepares). Given, it replaces `chunkSectors`' layout.
   */
  areas?: (chunk: number) => { first: number; count: number }[];
  /** How many chunks (from sector 0). */
  chunks: number;
  /** Each chunk may be faulty on at most this many replicas (VSR: f, so that a quorum keeps a clean copy). */
  f: number;
}

/**
 * "Every chunk is faulty on at most f replicas": chunk c may be faulty on replicas c, c+1, ...,
 * c+f-1 (mod n), so the faulty copies rotate across the replicas and every replica has some.
 */
export function chunkAtlas(o: ChunkAtlasOptions): FaultAtlas {
  if (!(Number.isInteger(o.f) && o.f >= 0 && o.f < o.nodes.length)) throw new Error(`chunkAtlas: f must be an integer in [0, ${o.nodes.length - 1}], not ${o.f}`);
  if (!(Number.isInteger(o.chunkSectors) && o.chunkSectors > 0)) throw new Error(`chunkAtlas: chunkSectors must be a positive integer, not ${o.chunkSectors}`);
  const nodes: Record<NodeId, FaultArea[]> = Object.fromEntries(o.nodes.map((n) => [n, []]));
  const files = o.files ?? [undefined];
  for (let c = 0; c < o.chunks; c++) {
    for (let j = 0; j < o.f; j++) {
      const node = o.nodes[(c + j) % o.nodes.length]!;
      const runs = o.areas?.(c) ?? [{ first: c * o.chunkSectors, count: o.chunkSectors }];
      for (const file of files) for (const run of runs) nodes[node]!.push({ ...(file === undefined ? {} : { file }), ...run });
    }
  }
  return { nodes };
}
