// The journal checks of Lab 4's VOPR (TigerBeetle's JournalChecker): each replica's journal read
// from its (simulated) disk against what the replica believes. At the end of a run its memory
// keeps the journal's invariants in every slot (the driver checks only the slots each batch wrote,
// recovery all of them: the full pass, which recomputes every header's checksum, catches a slot
// broken outside both). A clean slot holding a prepare has,
// on the medium, that header in the header ring and a valid prepare with the same header in the
// prepare ring (the redundant header equals its prepare's); and the hash chains agree: the header a
// replica holds for an op it has executed is the canonical one and the same on every replica.
// Sectors the simulator damaged since their last faithful write are skipped (the replica cannot
// know of them until it reads them). It throws ScenarioFailure at the first violation; it never
// changes a replica or a disk.
import { ScenarioFailure } from '../scenario.js';
import { Buffer } from 'node:buffer';
import { InvariantViolation } from '../../src/assert.js';
import { sectorsOf } from '../../src/env/disk-faults.js';
import {
  decodeHeader,
  decodePrepare,
  headerOffset,
  HEADER_CELL_BYTES,
  isReserved,
  journalBytes,
  prepareOffset,
  prepareOk,
  type JournalHeader,
} from '../../labs/vsr/journal/format.js';
import { assertJournalInvariants, type JournalState } from '../../labs/vsr/journal/journal.js';

/** One replica's journal, in memory and on its disk. */
export interface JournalOnDisk {
  replica: string;
  journal: JournalState;
  /** The journal file as reads see it, with no read fault. */
  medium: Uint8Array;
  /** Disk sectors of the journal file damaged since a faithful write last covered them. */
  damaged: ReadonlySet<number>;
  diskSectorBytes: number;
  /** Ops the replica has executed (commit_min): their headers are settled history. */
  commit_min: number;
  /**
   * Lab 4: the replica's op_checkpoint (default 0): ops before it are outside its log, and a slot
   * may still hold such an op from before a rebuild (an uncommitted one its snapshot replaced).
   */
  op_checkpoint?: number;
}

/** What the checks covered, for a test's evidence that they ran. */
export interface JournalCheckCounts {
  /** Clean slots holding a prepare whose two copies on the medium were compared. */
  slots: number;
  /** Clean slots skipped because a sector of theirs is damaged. */
  damaged: number;
  /** Executed ops whose header was compared with the canonical one or another replica's. */
  chained: number;
}

function brief(h: JournalHeader | null): string {
  if (h === null) return 'nothing that decodes';
  return isReserved(h) ? `a reserved header for slot ${h.op}` : `op ${h.op} view ${h.view} checksum ${h.checksum.slice(0, 12)}`;
}

function touchesDamage(d: JournalOnDisk, offset: number, length: number): boolean {
  if (d.damaged.size === 0) return false;
  const { first, count } = sectorsOf(offset, length, d.diskSectorBytes);
  for (let s = first; s < first + count; s++) if (d.damaged.has(s)) return true;
  return false;
}

/**
 * Cells already found to hold a slot's header and prepare, by replica and slot: a cell whose text
 * (up to its terminating zero, all a decoder reads) is byte for byte the same needs no second
 * decoding. The VOPR keeps one per run: most clean slots do not change between two checks.
 */
export class VerifiedCells {
  private readonly cells = new Map<string, { checksum: string; header: Uint8Array; prepare: Uint8Array }>();

  /** Whether `header` and `prepare` are the cells found to hold `checksum` at this slot last time. */
  same(replica: string, slot: number, checksum: string, header: Uint8Array, prepare: Uint8Array): boolean {
    const known = this.cells.get(`${replica}/${slot}`);
    return known !== undefined && known.checksum === checksum && sameText(known.header, header) && sameText(known.prepare, prepare);
  }

  remember(replica: string, slot: number, checksum: string, header: Uint8Array, prepare: Uint8Array): void {
    this.cells.set(`${replica}/${slot}`, { checksum, header: text(header).slice(), prepare: text(prepare).slice() });
  }
}

/** A cell's text with its terminating zero (the whole cell if it has none). */
function text(cell: Uint8Array): Uint8Array {
  const end = cell.indexOf(0);
  return end < 0 ? cell : cell.subarray(0, end + 1);
}

function sameText(known: Uint8Array, cell: Uint8Array): boolean {
  return cell.length >= known.length && Buffer.compare(known, cell.subarray(0, known.length)) === 0;
}

/** The journal's invariants over every slot of the replica's memory (faulty ⊆ dirty, headers ok for their slots, prepare_inhabited ⇔ a checksum). */
export function checkMemory(d: JournalOnDisk): void {
  try {
    assertJournalInvariants(d.journal);
  } catch (e) {
    if (e instanceof InvariantViolation) throw new ScenarioFailure(`${d.replica}: ${e.message}`);
    throw e;
  }
}

/** A clean slot's redundant header equals its prepare's header, both as the replica holds them. */
export function checkRedundantHeaders(d: JournalOnDisk, counts: JournalCheckCounts, verified?: VerifiedCells): void {
  const { journal: j } = d;
  const { layout } = j;
  if (d.medium.length !== journalBytes(layout)) throw new ScenarioFailure(`${d.replica}: its journal file has ${d.medium.length} bytes, not ${journalBytes(layout)}`);
  for (let slot = 0; slot < layout.slot_count; slot++) {
    const held = j.headers[slot]!;
    if (j.dirty[slot] || isReserved(held)) continue;
    const h = headerOffset(slot);
    const p = prepareOffset(layout, slot);
    if (touchesDamage(d, h, HEADER_CELL_BYTES) || touchesDamage(d, p, layout.prepare_cell_bytes)) {
      counts.damaged++;
      continue;
    }
    counts.slots++;
    const headerCell = d.medium.subarray(h, h + HEADER_CELL_BYTES);
    const prepareCell = d.medium.subarray(p, p + layout.prepare_cell_bytes);
    if (verified?.same(d.replica, slot, held.checksum, headerCell, prepareCell)) continue;
    const header = decodeHeader(headerCell);
    if (header === null || header.checksum !== held.checksum) {
      throw new ScenarioFailure(`${d.replica}: slot ${slot} is clean with op ${held.op} (checksum ${held.checksum.slice(0, 12)}), but its header ring holds ${brief(header)}`);
    }
    const prepare = decodePrepare(prepareCell);
    if (prepare === null || !prepareOk(layout, slot, prepare) || prepare.header.checksum !== held.checksum) {
      const what = prepare === null ? 'nothing that decodes' : prepareOk(layout, slot, prepare) ? brief(prepare.header) : `an invalid prepare (${brief(prepare.header)})`;
      throw new ScenarioFailure(`${d.replica}: slot ${slot} is clean with op ${held.op}, its header ring agrees, but its prepare ring holds ${what}: the redundant header does not match its prepare`);
    }
    verified?.remember(d.replica, slot, held.checksum, headerCell, prepareCell);
  }
}

/**
 * The hash chains agree: for every op a replica has executed whose slot it still holds clean, its
 * header is the canonical op's (when the state checker knows it) and the same as every other
 * replica's clean header for that executed op.
 */
export function checkChains(disks: readonly JournalOnDisk[], canonical: (op: number) => string | undefined, counts: JournalCheckCounts): void {
  const seen = new Map<number, { checksum: string; replica: string }>();
  for (const d of disks) {
    const { journal: j } = d;
    for (let slot = 0; slot < j.layout.slot_count; slot++) {
      const held = j.headers[slot]!;
      if (j.dirty[slot] || isReserved(held) || held.op > d.commit_min || held.op === 0 || held.op < (d.op_checkpoint ?? 0)) continue;
      counts.chained++;
      const want = canonical(held.op);
      if (want !== undefined && want !== held.checksum) {
        throw new ScenarioFailure(`${d.replica}: executed op ${held.op}, but its journal holds it clean as ${brief(held)}, not the canonical op (checksum ${want.slice(0, 12)})`);
      }
      const other = seen.get(held.op);
      if (other !== undefined && other.checksum !== held.checksum) {
        throw new ScenarioFailure(`hash chains disagree at executed op ${held.op}: ${d.replica} holds ${brief(held)}, ${other.replica} holds checksum ${other.checksum.slice(0, 12)}`);
      }
      seen.set(held.op, { checksum: held.checksum, replica: d.replica });
      const next = j.headers[(slot + 1) % j.layout.slot_count]!;
      const nextSlot = (slot + 1) % j.layout.slot_count;
      if (!j.dirty[nextSlot] && !isReserved(next) && next.op === held.op + 1 && next.op <= d.commit_min && next.parent !== held.checksum) {
        throw new ScenarioFailure(`${d.replica}: its journal's hash chain breaks between executed ops ${held.op} and ${next.op} (parent ${next.parent.slice(0, 12)}, checksum ${held.checksum.slice(0, 12)})`);
      }
    }
  }
}

/** Both disk checks over every replica given (`verified`: cells checked before, kept by the caller). Returns what they covered. */
export function checkJournals(disks: readonly JournalOnDisk[], canonical: (op: number) => string | undefined = () => undefined, verified?: VerifiedCells): JournalCheckCounts {
  const counts: JournalCheckCounts = { slots: 0, damaged: 0, chained: 0 };
  for (const d of disks) checkRedundantHeaders(d, counts, verified);
  checkChains(disks, canonical, counts);
  return counts;
}
