// The two-ring journal's in-memory state and its writes (TB 0.8.1 journal.zig): per slot the header
// the replica believes, the dirty and faulty bits (faulty ⊆ dirty) and the checksum of the valid
// prepare physically in the slot. Writes are commands and completions, as Lab 3's engine does IO:
// writePrepare → (prepare written) onPrepareWritten → (header sector written) onHeaderWritten.
// It never does IO itself. Lab 4 wires it into the engine and driver in place of Lab 3's log.
import { assert } from '../../../src/assert.js';
import type { Entry } from '../protocol.js';
import {
  encodeHeaderCell,
  encodePrepare,
  headerOk,
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

/** Step 1: take the entry into memory (dirty) and write its prepare cell. */
export function writePrepare(j: JournalState, entry: Entry): JournalWrite {
  const { op, checksum } = entry.header;
  assert(journalAccepts(j, op), `journal: op ${op} ≥ op_checkpoint ${j.op_checkpoint} + slot_count ${j.layout.slot_count}`);
  const slot = slotFor(j.layout, op);
  j.headers[slot] = entry.header;
  j.dirty[slot] = true;
  return { kind: 'journal_write', ring: 'prepare', slot, checksum, offset: prepareOffset(j.layout, slot), bytes: encodePrepare(j.layout, entry) };
}

/**
 * Step 2: the prepare is durable. If the slot still holds that header (a view change may have
 * replaced it meanwhile), remember the prepare and write its header sector; else nothing.
 */
export function onPrepareWritten(j: JournalState, slot: number, checksum: string): JournalWrite | null {
  j.prepare_checksums[slot] = checksum;
  j.prepare_inhabited[slot] = true;
  if (j.headers[slot]!.checksum !== checksum) return null;
  const sector = headerSector(j.layout, slot);
  return { kind: 'journal_write', ring: 'header', slot, checksum, offset: sector.offset, bytes: headerSectorBytes(j, slot) };
}

/** Step 3: the header sector is durable. True if the slot is now clean with that header (the engine's `written`). */
export function onHeaderWritten(j: JournalState, slot: number, checksum: string): boolean {
  if (j.headers[slot]!.checksum !== checksum || j.prepare_checksums[slot] !== checksum) return false;
  j.dirty[slot] = false;
  j.faulty[slot] = false;
  return true;
}

/**
 * The bytes of the header sector that holds `slot`, rebuilt from memory (TB rewrites the whole
 * sector). `slot` gets its header: its prepare is durable. Every other slot gets its header from
 * memory (a reserved one for a slot that never held a prepare, e.g. on the first wrap) unless it is
 * faulty: then an invalid cell, so it is still faulty after a crash (never @D turned into @J).
 */
export function headerSectorBytes(j: JournalState, slot: number): Uint8Array {
  const { first } = headerSector(j.layout, slot);
  const bytes = new Uint8Array(j.layout.sector_bytes);
  for (let i = 0; i < headersPerSector(j.layout); i++) {
    const s = first + i;
    // BEGIN SOLUTION
    // STUDENT: const cell = encodeHeaderCell(j.headers[s]!); // TODO: what must a faulty slot's header cell hold?
    const cell = encodeHeaderCell(s !== slot && j.faulty[s] ? null : j.headers[s]!);
    // END SOLUTION
    bytes.set(cell, i * HEADER_CELL_BYTES);
  }
  return bytes;
}

/** The journal's invariants (run after recovery and after every completion). */
export function assertJournalInvariants(j: JournalState): void {
  const { slot_count } = j.layout;
  for (const array of [j.headers, j.dirty, j.faulty, j.prepare_checksums, j.prepare_inhabited]) assert(array.length === slot_count, 'journal: an array not of slot_count');
  for (let slot = 0; slot < slot_count; slot++) {
    assert(!j.faulty[slot] || j.dirty[slot], `journal: slot ${slot} is faulty but not dirty`);
    assert(headerOk(j.layout, slot, j.headers[slot]!), `journal: slot ${slot} holds a header that is not ok for it`);
    assert(j.prepare_inhabited[slot] === (j.prepare_checksums[slot] !== null), `journal: slot ${slot}: prepare_inhabited disagrees with prepare_checksums`);
  }
}
