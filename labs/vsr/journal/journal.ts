// The two-ring journal's in-memory state and its writes (TB 0.8.1 journal.zig): per slot the header
// the replica believes, the dirty and faulty bits (faulty ⊆ dirty) and the checksum of the valid
// prepare physically in the slot. Writes are commands and completions, as Lab 3's engine does IO:
// writePrepare → (prepare written) onPrepareWritten → (header sector written) onHeaderWritten.
// It never does IO itself. Lab 4 wires it into the engine and driver in place of Lab 3's log.
import { assert } from '../../../src/assert.js';
import type { Entry } from '../protocol.js';
import {
  checksumValid,
  encodeHeaderCell,
  encodePrepare,
  headerInSlot,
  isReserved,
  reservedChecksum,
  reservedHeader,
  headersPerSector,
  headerSector,
  HEADER_CELL_BYTES,
  prepareOffset,
  slotFor,
  type JournalHeader,
  type JournalLayout,
} from './format.js';

export interface JournalState {
  layout: JournalLayout;
  replica_count: number;
  /** Ops up to here are checkpointed; the ring accepts no op ≥ op_checkpoint + slot_count. */
  op_checkpoint: number;
  /** By slot: the header the replica holds for it (a reserved one for a slot without a prepare). */
  headers: JournalHeader[];
  /** By slot: the entry is not yet written as `headers` says, or needs repair. */
  dirty: boolean[];
  /** By slot: the entry was written and then lost (corrupt, misdirected, unreadable). Implies dirty. */
  faulty: boolean[];
  /** By slot: the checksum of the valid prepare physically in the slot (even when its header is faulty), or null. */
  prepare_checksums: (string | null)[];
  prepare_inhabited: boolean[];
}

/** A write for the driver: `bytes` at `offset` of the journal file, durable (write + fsync) when it completes. */
export interface JournalWrite {
  kind: 'journal_write';
  ring: 'prepare' | 'header';
  /** The slot being written, and the checksum of the header it is written for (the completion names them back). */
  slot: number;
  checksum: string;
  offset: number;
  bytes: Uint8Array;
}

/** Whether the ring can take `op` now: below op_checkpoint + slot_count (TB refuses any op past the checkpoint's wrap). */
export function journalAccepts(j: JournalState, op: number): boolean {
  return op < j.op_checkpoint + j.layout.slot_count;
}

/** Whether the slot holds `header` durably and clean (TB has_prepare): only then may a prepare_ok go out. */
export function hasPrepare(j: JournalState, header: JournalHeader): boolean {
  const slot = slotFor(j.layout, header.op);
  return j.headers[slot]!.checksum === header.checksum && !j.dirty[slot];
}

/** Step 1: take the entry into memory (dirty) and write its prepare cell (encoded into `into`, from `bodyText`, if given: see encodePrepare). */
export function writePrepare(j: JournalState, entry: Entry, into?: Uint8Array, bodyText?: string): JournalWrite {
  const { op, checksum } = entry.header;
  assert(journalAccepts(j, op), () => `journal: op ${op} ≥ op_checkpoint ${j.op_checkpoint} + slot_count ${j.layout.slot_count}`);
  const slot = slotFor(j.layout, op);
  j.headers[slot] = entry.header;
  j.dirty[slot] = true;
  return { kind: 'journal_write', ring: 'prepare', slot, checksum, offset: prepareOffset(j.layout, slot), bytes: encodePrepare(j.layout, entry, into, bodyText) };
}

/**
 * Truncation: every slot holding a prepare of an op past `op` gets a reserved header and a reserved
 * prepare cell (the prepare first, as any write). The log's end is then durable: a restart never
 * brings back a replaced tail (the reserved pair is @J, a crash between the writes leaves @I: faulty).
 */
export function writeTruncation(j: JournalState, op: number): JournalWrite[] {
  const writes: JournalWrite[] = [];
  j.headers.forEach((h, slot) => {
    if (isReserved(h) || h.op <= op) return;
    const reserved = reservedHeader(j.layout.cluster, slot);
    j.headers[slot] = reserved;
    j.dirty[slot] = true;
    writes.push({ kind: 'journal_write', ring: 'prepare', slot, checksum: reserved.checksum, offset: prepareOffset(j.layout, slot), bytes: encodePrepare(j.layout, { header: reserved, body: null }) });
  });
  return writes;
}

/** Whether the prepare cell of `slot` durably holds what its header in memory says (a reserved header: no prepare). */
export function prepareDurable(j: JournalState, slot: number): boolean {
  const h = j.headers[slot]!;
  return isReserved(h) ? !j.prepare_inhabited[slot] : j.prepare_checksums[slot] === h.checksum;
}

/**
 * Step 2 without its header write: remember the durable prepare; true if the slot still holds that
 * header (its header sector is then due). A batch's driver builds each sector once for all its slots.
 */
export function prepareWritten(j: JournalState, slot: number, checksum: string): boolean {
  const reserved = reservedChecksum(j.layout.cluster, slot) === checksum;
  j.prepare_checksums[slot] = reserved ? null : checksum;
  j.prepare_inhabited[slot] = !reserved;
  return j.headers[slot]!.checksum === checksum;
}

/**
 * Step 2: the prepare (or the reserved cell) is durable. If the slot still holds that header (a
 * view change may have replaced it meanwhile), remember the prepare and write its header sector;
 * else nothing.
 */
export function onPrepareWritten(j: JournalState, slot: number, checksum: string): JournalWrite | null {
  if (!prepareWritten(j, slot, checksum)) return null;
  const sector = headerSector(j.layout, slot);
  return { kind: 'journal_write', ring: 'header', slot, checksum, offset: sector.offset, bytes: headerSectorBytes(j, slot) };
}

/** Step 3: the header sector is durable. True if the slot is now clean with that header (the engine's `written`). */
export function onHeaderWritten(j: JournalState, slot: number, checksum: string): boolean {
  if (j.headers[slot]!.checksum !== checksum || !prepareDurable(j, slot)) return false;
  j.dirty[slot] = false;
  j.faulty[slot] = false;
  return true;
}

/**
 * The bytes of the header sector that holds `slot`, rebuilt from memory (TB rewrites the whole
 * sector). The slots `written` (`slot`, and any other of the sector whose prepare was just made
 * durable in the same batch) get their header. Every other slot gets its header from memory (a
 * reserved one for a slot that never held a prepare, e.g. on the first wrap) unless it is faulty:
 * then an invalid cell, so it is still faulty after a crash (never @D turned into @J). Built in
 * `into` if given (sector_bytes of a caller's buffer: a batch's sectors side by side).
 */
export function headerSectorBytes(j: JournalState, slot: number, written: readonly number[] = [slot], into?: Uint8Array): Uint8Array {
  const { first } = headerSector(j.layout, slot);
  assert(into === undefined || into.length === j.layout.sector_bytes, () => `journal: a sector buffer of ${into!.length} bytes`);
  const bytes = into ?? new Uint8Array(j.layout.sector_bytes);
  for (let i = 0; i < headersPerSector(j.layout); i++) {
    const s = first + i;
    // BEGIN SOLUTION
    // STUDENT: void written;
    // STUDENT: const header = j.headers[s]!; // TODO: what must a faulty slot's header cell hold (and a slot `written` in this batch)?
    const header = j.faulty[s] && !written.includes(s) ? null : j.headers[s]!;
    // END SOLUTION
    encodeHeaderCell(header, bytes.subarray(i * HEADER_CELL_BYTES, (i + 1) * HEADER_CELL_BYTES));
  }
  return bytes;
}

/** The journal's invariants (run after recovery; after a batch of writes, assertSlotInvariants for the slots it wrote). */
export function assertJournalInvariants(j: JournalState): void {
  const { slot_count } = j.layout;
  for (const array of [j.headers, j.dirty, j.faulty, j.prepare_checksums, j.prepare_inhabited]) assert(array.length === slot_count, 'journal: an array not of slot_count');
  for (let slot = 0; slot < slot_count; slot++) assertSlotInvariants(j, slot);
}

/**
 * One slot's invariants: faulty ⊆ dirty, its header ours, in its slot and carrying its checksum,
 * prepare_inhabited ⇔ a prepare checksum. The checksum check is a set lookup for a header made by
 * makeEntry or checked where it came in (recovery's reads, the driver's wire checks: protocol.ts's
 * headerValid) and a hash for any other, such as an engine's header changed without its checksum.
 */
export function assertSlotInvariants(j: JournalState, slot: number): void {
  assert(!j.faulty[slot] || j.dirty[slot], () => `journal: slot ${slot} is faulty but not dirty`);
  assert(headerInSlot(j.layout, slot, j.headers[slot]!), () => `journal: slot ${slot} holds a header that is not ok for it`);
  assert(checksumValid(j.headers[slot]!), () => `journal: slot ${slot} holds a header that fails its checksum`);
  assert(j.prepare_inhabited[slot] === (j.prepare_checksums[slot] !== null), () => `journal: slot ${slot}: prepare_inhabited disagrees with prepare_checksums`);
}
