// The two-ring journal's bytes (TigerBeetle 0.8.1 src/vsr/journal.zig): one file holding a header
// ring (slot_count fixed-size header cells, packed into sectors) and then a prepare ring
// (slot_count sector-aligned cells, each a prepare: its header and body); an op lives in slot
// op % slot_count of both. It owns the layout, the encoding of cells and `headerOk`; it never does
// IO and never decides what a slot's contents mean (recovery.ts does). Headers are Lab 3's
// (protocol.ts: encoding, checksum, body checksum), plus the reserved header of an unused slot.
import { z } from 'zod';
import type { Json } from '../../../src/env/types.js';
import { assert } from '../../../src/assert.js';
import { checksum } from '../../../src/engine/checksum.js';
import { canonicalJson, shapedJson } from '../../../src/json.js';
import { json } from '../../../src/env/json-value.js';
import { cellJson, entryHeaderJson, HEADER } from '../canonical.js';
import { entryValid, headerSchema, headerValid, rootEntry, type Entry, type Header } from '../protocol.js';

/** The journal file's name on a replica's disk. */
export const JOURNAL_FILE = 'vsr.journal';

/** Bytes of one header cell in the header ring: a Lab 3 header's canonical text fits with room to spare. */
export const HEADER_CELL_BYTES = 1024;

/**
 * A reserved header: the header of a slot that holds no prepare. Its `op` is the slot's index, so
 * a reserved header written to (or read from) the wrong slot fails `headerOk`: misdirection shows.
 */
export const reservedSchema = z.strictObject({
  command: z.literal('reserved'),
  checksum: z.string(),
  cluster: z.number().int().nonnegative(),
  op: z.number().int().nonnegative(),
});
export type ReservedHeader = z.infer<typeof reservedSchema>;

/** What a journal cell may hold: a prepare's header (Lab 3's) or a reserved one. */
export type JournalHeader = Header | ReservedHeader;
const journalHeaderSchema = z.union([headerSchema, reservedSchema]);
/** A prepare cell: a prepare (Lab 3's entry) or a reserved header with a null body. */
const prepareCellSchema = z.strictObject({ header: journalHeaderSchema, body: json() });
export type PrepareCell = z.infer<typeof prepareCellSchema>;

export function isReserved(h: JournalHeader): h is ReservedHeader {
  return 'command' in h;
}

export function reservedHeader(cluster: number, slot: number): ReservedHeader {
  return Object.freeze({ command: 'reserved', checksum: reservedChecksum(cluster, slot), cluster, op: slot });
}

/** Reserved headers' checksums, by cluster and slot: a pure function of both, asked for every slot at every invariant check. */
const reservedChecksums = new Map<number, string[]>();

/** The checksum of the reserved header of `cluster`'s slot `op` (reservedHeader's, without making the header). */
export function reservedChecksum(cluster: number, op: number): string {
  let byOp = reservedChecksums.get(cluster);
  if (byOp === undefined) {
    byOp = [];
    reservedChecksums.set(cluster, byOp);
  }
  return (byOp[op] ??= checksum({ command: 'reserved', cluster, op }));
}

export interface JournalLayout {
  cluster: number;
  /** Slots in each ring: a multiple of the headers that fill one sector. */
  slot_count: number;
  sector_bytes: number;
  /** Bytes of one prepare cell: a multiple of sector_bytes (the largest prepare the journal holds). */
  prepare_cell_bytes: number;
}

export function headersPerSector(layout: JournalLayout): number {
  return layout.sector_bytes / HEADER_CELL_BYTES;
}

export function headerRingBytes(layout: JournalLayout): number {
  return layout.slot_count * HEADER_CELL_BYTES;
}

/** The exact size of a journal file of this layout. */
export function journalBytes(layout: JournalLayout): number {
  return headerRingBytes(layout) + layout.slot_count * layout.prepare_cell_bytes;
}

export function checkLayout(layout: JournalLayout): void {
  const { slot_count, sector_bytes, prepare_cell_bytes } = layout;
  assert(sector_bytes >= HEADER_CELL_BYTES && sector_bytes % HEADER_CELL_BYTES === 0, `journal: sector_bytes ${sector_bytes} must be a multiple of ${HEADER_CELL_BYTES}`);
  assert(slot_count >= 2 && slot_count % headersPerSector(layout) === 0, `journal: slot_count ${slot_count} must fill whole header sectors (${headersPerSector(layout)} each)`);
  assert(prepare_cell_bytes >= sector_bytes && prepare_cell_bytes % sector_bytes === 0, `journal: prepare_cell_bytes ${prepare_cell_bytes} must be a multiple of sector_bytes`);
}

export function slotFor(layout: JournalLayout, op: number): number {
  return op % layout.slot_count;
}

export function headerOffset(slot: number): number {
  return slot * HEADER_CELL_BYTES;
}

export function prepareOffset(layout: JournalLayout, slot: number): number {
  return headerRingBytes(layout) + slot * layout.prepare_cell_bytes;
}

/** The header sector that holds `slot`'s header: its first slot and its byte offset in the file. */
export function headerSector(layout: JournalLayout, slot: number): { first: number; offset: number } {
  const first = slot - (slot % headersPerSector(layout));
  return { first, offset: headerOffset(first) };
}

/** The cells' UTF-8 encoder (one for all). */
const utf8 = new TextEncoder();

/** Slots of a HeaderMemo: ops a ring of up to 4,096 slots holds at once map to distinct slots. */
const HEADER_MEMO = 4096;

/**
 * What was worked out once from a header, kept by op in a direct-mapped table (op mod HEADER_MEMO):
 * a hit is the same header object, which is never changed once made (frozen), so it still holds.
 */
class HeaderMemo<T> {
  private readonly headers: (JournalHeader | null)[] = Array.from({ length: HEADER_MEMO }, () => null);
  private readonly values: (T | undefined)[] = Array.from({ length: HEADER_MEMO }, () => undefined);

  get(h: JournalHeader): T | undefined {
    const at = h.op % HEADER_MEMO;
    return this.headers[at] === h ? this.values[at] : undefined;
  }

  set(h: JournalHeader, value: T): void {
    const at = h.op % HEADER_MEMO;
    this.headers[at] = h;
    this.values[at] = value;
  }
}

/**
 * Headers' canonical texts, kept by op (a reserved header's op is its slot) in a direct-mapped
 * cache: a header's text goes into its prepare cell and (once per batch that writes its sector) its
 * header sector. A hit is the same header object, and a header is never changed once made: one made
 * by makeEntry or found valid is frozen (protocol.ts), and a reserved one is frozen here. Not a
 * WeakMap by header: the ring's headers die at every checkpoint, and a weak table that keeps losing
 * keys costs the garbage collector, and each lookup, several times this array's.
 */
const headerTexts = new HeaderMemo<string>();

/** A header's canonical text; a prepare's `entry` given, from the texts canonical.ts keeps of it (its seal or check made them). */
function headerText(h: JournalHeader, entry?: Entry): string {
  const kept = headerTexts.get(h);
  if (kept !== undefined) return kept;
  const text = isReserved(h) ? canonicalJson(h as unknown as Json) : entry !== undefined ? entryHeaderJson(entry) : (shapedJson(h as unknown as Json, HEADER) ?? canonicalJson(h as unknown as Json));
  headerTexts.set(h, text);
  return text;
}

/**
 * Keep the text of a prepare's header for its cells while canonical.ts still holds the entry's
 * texts: the journal storage calls it as a write is queued, right after the entry was made or
 * checked, so a batch's cells are encoded later without encoding any header again.
 */
export function keepHeaderText(entry: Entry): void {
  headerText(entry.header, entry);
}

/**
 * A cell of `bytes` holding `text` (UTF-8) padded with zero bytes: a new one, or `into` (a caller's
 * buffer of exactly `bytes`, overwritten whole). A text that does not fit is a bug in the caller.
 */
function encodeCell(text: string, bytes: number, into?: Uint8Array): Uint8Array {
  assert(into === undefined || into.length === bytes, () => `journal: a cell buffer of ${into!.length} bytes for a cell of ${bytes}`);
  const cell = into ?? new Uint8Array(bytes);
  const { read, written } = utf8.encodeInto(text, cell);
  assert(read === text.length, () => `journal: a cell of ${utf8.encode(text).length} bytes does not fit in ${bytes}`);
  if (into !== undefined) cell.fill(0, written);
  return cell;
}

/** The value a cell's text encodes, or null if it is not one (never throws on any bytes). */
function decodeCell<T>(cell: Uint8Array, schema: z.ZodType<T>): T | null {
  const end = cell.indexOf(0);
  try {
    const parsed = schema.safeParse(JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(end < 0 ? cell : cell.subarray(0, end))));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/**
 * A header cell: the header's canonical text, or (null) an invalid cell of zeros, which never
 * decodes; in `into` if given (HEADER_CELL_BYTES of a caller's buffer: its place in a header sector).
 */
export function encodeHeaderCell(header: JournalHeader | null, into?: Uint8Array): Uint8Array {
  if (header !== null) return encodeCell(headerText(header), HEADER_CELL_BYTES, into);
  assert(into === undefined || into.length === HEADER_CELL_BYTES, () => `journal: a cell buffer of ${into!.length} bytes for a header cell`);
  return into === undefined ? new Uint8Array(HEADER_CELL_BYTES) : into.fill(0);
}

export function decodeHeader(cell: Uint8Array): JournalHeader | null {
  return decodeCell(cell, journalHeaderSchema);
}

/**
 * A prepare cell: the cell's canonical text (canonical.ts's cellJson, as an entry's), its header's
 * text made once; in `into` if given (prepare_cell_bytes of a caller's buffer: a batch's cells side
 * by side). `bodyText` is canonicalJson(cell.body) if the caller kept it (the journal storage does,
 * from the entry's making or checking), so a batch's body is not encoded again for its cell.
 */
export function encodePrepare(layout: JournalLayout, cell: PrepareCell, into?: Uint8Array, bodyText = canonicalJson(cell.body)): Uint8Array {
  return encodeCell(cellJson(bodyText, headerText(cell.header, cell as Entry)), layout.prepare_cell_bytes, into);
}

export function decodePrepare(cell: Uint8Array): PrepareCell | null {
  return decodeCell(cell, prepareCellSchema);
}

/**
 * TB's header_ok: the checksum is valid, the cluster is ours, and the header belongs in `slot`
 * (a prepare's op maps to it, a reserved header names it). A foreign cluster's valid header is
 * not ok here; recovery refuses the whole file for it (see recovery.ts).
 */
export function headerOk(layout: JournalLayout, slot: number, h: JournalHeader | null): boolean {
  return h !== null && checksumValid(h) && headerInSlot(layout, slot, h);
}

/** header_ok but the checksum: the cluster is ours and the header belongs in `slot`. */
export function headerInSlot(layout: JournalLayout, slot: number, h: JournalHeader): boolean {
  if (h.cluster !== layout.cluster) return false;
  return isReserved(h) ? h.op === slot : slotFor(layout, h.op) === slot;
}

/**
 * Prepare headers found valid here, kept by op as headerTexts are (a hit is the same frozen header):
 * the journal asks this of each slot it writes, twice, and protocol.ts's weak set of valid headers
 * is slow to search once the ring's headers start dying at checkpoints.
 */
const validHeaders = new HeaderMemo<true>();

/** Whether the header carries its checksum (a prepare header made or checked before: a set lookup, protocol.ts's headerValid). */
export function checksumValid(h: JournalHeader): boolean {
  if (isReserved(h)) return h.checksum === reservedChecksum(h.cluster, h.op);
  if (validHeaders.get(h) === true) return true;
  const valid = headerValid(h as Header);
  if (valid) validHeaders.set(h, true);
  return valid;
}

/** A prepare cell is ok if its header is ok and (for a prepare) its body matches checksum_body. */
export function prepareOk(layout: JournalLayout, slot: number, cell: PrepareCell | null): boolean {
  if (cell === null || !headerOk(layout, slot, cell.header)) return false;
  return isReserved(cell.header) ? cell.body === null : entryValid(cell as Entry);
}

/** A freshly formatted journal: the root prepare in slot 0, reserved headers and prepares elsewhere (TB vsr.zig format). */
export function formatImage(layout: JournalLayout): Uint8Array {
  checkLayout(layout);
  const image = new Uint8Array(journalBytes(layout));
  const root = rootEntry(layout.cluster);
  for (let slot = 0; slot < layout.slot_count; slot++) {
    const header: JournalHeader = slot === 0 ? root.header : reservedHeader(layout.cluster, slot);
    image.set(encodeHeaderCell(header), headerOffset(slot));
    image.set(encodePrepare(layout, { header, body: slot === 0 ? root.body : null }), prepareOffset(layout, slot));
  }
  return image;
}
