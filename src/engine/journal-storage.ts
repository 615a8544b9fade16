// Lab 4's storage: the two-ring journal (labs/vsr/journal) on the replica's disk. At start it opens
// and recovers the journal (one that outlived its superblock is refused: the journal's format ends
// with the superblock's first copy), traces what recovery decided, and hands the engine its log:
// every op up to the journal's head, a faulty one as a placeholder (corruption never shortens the log). It
// carries the engine's writes out as journal writes, pipelined: a batch's prepare cells share one
// fsync with the header sectors of the batch before it (whose prepare cells are durable already), so
// a header sector never goes out before the prepare it describes is durable (prepares queued while a
// flush writes join its fsync, header sectors never: they wait for theirs); and it reports an entry
// durable only once its slot is clean (TB has_prepare): after its header sector's fsync, the second
// fsync it waits for. It never decides what to write and never repairs: the engine does.
import type { Env } from '../env/types.js';
import { StorageCorrupt } from '../storage/storage-corrupt.js';
import { refusingCorrupt, type EngineStorage } from './storage.js';
import { faultyEntry, type Checkpoint, type Durable } from '../../labs/vsr/state.js';
import { rootEntry, type Entry } from '../../labs/vsr/protocol.js';
import { entryTexts } from '../../labs/vsr/canonical.js';
import { headerOffset, headersPerSector, isReserved, JOURNAL_FILE, keepHeaderText, slotFor, type JournalLayout } from '../../labs/vsr/journal/format.js';
import {
  assertSlotInvariants,
  hasPrepare,
  headerSectorBytes,
  onHeaderWritten,
  prepareWritten,
  writePrepare,
  writeTruncation,
  type JournalState,
  type JournalWrite,
} from '../../labs/vsr/journal/journal.js';
import { openJournal, type OpenedJournal, type Recovered, type RecoveryBends } from '../../labs/vsr/journal/recovery.js';
import { refuseLostSuperblock, viewChanged } from './superblock.js';

/** The journal's shape: slots per ring, and bytes per sector and per prepare cell. */
export type JournalShape = Omit<JournalLayout, 'cluster'>;

/**
 * 1,024 slots (a checkpoint every 512 ops lets the ring wrap), 4 KiB sectors of four headers,
 * one sector per prepare: a 5 MiB file. A request whose prepare does not fit a cell is refused.
 */
export const JOURNAL_SHAPE: JournalShape = { slot_count: 1024, sector_bytes: 4096, prepare_cell_bytes: 4096 };

/** Bytes of a prepare cell a prepare's body may take (Lab 4's VsrConfig.body_bytes_max): the rest holds the header and the cell's framing. */
export function opBytesMax(shape: JournalShape): number {
  return shape.prepare_cell_bytes - 1024;
}

type Queued = Written | { truncate: number };

/** An entry queued or written, the replica it came from (null: made here), and its body's canonical text (its prepare cell is encoded from it). */
interface Written {
  entry: Entry;
  from: number | null;
  body: string;
}

/** Bytes to write at an offset of the journal file. */
type Write = { offset: number; bytes: Uint8Array };

/**
 * A batch whose prepare cells are durable: the slots that landed, each with the checksum it was
 * written for (not the writes: their bytes are views into `cells`, overwritten by the next flush),
 * and the entries written (by checksum).
 */
interface Batch {
  slots: number[];
  checksums: string[];
  entries: Map<string, Written>;
}

export class JournalStorage implements EngineStorage {
  private unwritten: Queued[] = [];
  /** The last batch: its prepare cells durable, its header sectors not yet written. */
  private landed: Batch | null = null;
  fsyncs = 0;
  /**
   * A flush's prepare cells, side by side (see room), so consecutive ops' cells go out as one write
   * with no copy and no 4 KiB array per op for the garbage collector.
   */
  private cells: Uint8Array = new Uint8Array(0);
  /** A flush's header sectors, side by side (reused as `cells` is). */
  private sectors: Uint8Array = new Uint8Array(0);
  /** By slot: dirty or faulty when recovered and not yet clean (its first clean write is traced as repaired). */
  private readonly unrepaired: boolean[];

  private constructor(
    private readonly env: Env,
    readonly journal: JournalState,
  ) {
    this.unrepaired = journal.dirty.slice();
  }

  /**
   * Open and recover the journal, trace it (vsr.journal.recovered, one vsr.journal.slot per fix, vsr
   * or cut slot), and build the engine's durable log. A refusal (wrong size, foreign cluster, n=1
   * with a faulty slot, a lost superblock: refuseLostSuperblock) is traced as vsr.storage.refused and
   * thrown: the node does not start. `formatting`: the caller must finish the journal's format (the
   * superblock's first copy, of view 0) before the replica does anything else. `bends`: a test's
   * broken recovery (none: the reference's).
   */
  static async open(env: Env, layout: JournalLayout, replica_count: number, superblock: Durable['superblock'], checkpoint: Checkpoint | null, bends: RecoveryBends = {}): Promise<{ storage: JournalStorage; durable: Durable; formatting: boolean }> {
    const op_checkpoint = checkpoint?.op ?? 0;
    const ranBefore = checkpoint !== null ? `its checkpoint of op ${checkpoint.op} is on disk` : superblock !== null ? `its superblock holds view ${superblock.view}` : null;
    const recovered = await refusingCorrupt(env, async () => refuseAhead(await openJournal(env.disk, { layout, replica_count, op_checkpoint, ...bends }, ranBefore)));
    const formatting = superblock === null;
    if (formatting) await refusingCorrupt(env, () => refuseLostJournalSuperblock(env, recovered, checkpoint));
    const storage = new JournalStorage(env, recovered.journal);
    const durable: Durable = { superblock: viewChanged(superblock), ...(checkpoint !== null && { checkpoint }), ...journalLog(recovered, checkpoint?.entry ?? rootEntry(layout.cluster)) };
    traceRecovered(env, recovered);
    // Ops whose prepare is intact but whose slot is not clean (fix) are written again before any ack;
    // so is a faulty root (slot 0 holds op 0 until the ring first wraps, and the root is the cluster's).
    if (recovered.journal.faulty[0] && op_checkpoint === 0) storage.write(rootEntry(layout.cluster));
    const faulty = durable.faulty ?? [];
    for (let op = durable.log_durable! + 1; op <= op_checkpoint + durable.entries.length && !faulty.includes(op); op++) storage.write(durable.entries[op - op_checkpoint - 1]!);
    return { storage, durable, formatting };
  }

  /** The checkpoint of `op` is durable: the ring takes ops up to op + slot_count − 1 (slots of ops before `op` are free). */
  checkpointed(op: number): void {
    this.journal.op_checkpoint = op;
  }

  /** Whether writes wait to be flushed. */
  get pending(): boolean {
    return this.unwritten.length > 0 || this.landed !== null;
  }

  /**
   * Whether writes wait for a flush that has not started. The next flush takes them all, unless one
   * under way takes them first (joinArrived): then the flush asked for them finds them landed.
   */
  get queued(): boolean {
    return this.unwritten.length > 0;
  }

  write(entry: Entry, from: number | null = null): boolean {
    // Now, while canonical.ts still holds the texts the entry's making or checking built, not at the flush.
    keepHeaderText(entry);
    this.unwritten.push({ entry, from, body: entryTexts(entry).body });
    return this.unwritten.length === 1;
  }

  truncate(op: number): boolean {
    this.unwritten.push({ truncate: op });
    return this.unwritten.length === 1;
  }

  /**
   * Whether the last batch's header sectors wait for a flush that nothing has asked for: no write
   * is queued (a queued write had its flush asked for when it was queued). The driver flushes then.
   */
  get headersWaiting(): boolean {
    return this.landed !== null && this.unwritten.length === 0;
  }

  /**
   * Carry out a batch, pipelined (TB writes prepares, then their headers): the header sectors of
   * the previous batch (whose prepare cells are durable) and this batch's prepare cells go out
   * together with one fsync (with the prepares queued meanwhile: joinArrived); the previous batch's
   * entries are then clean (returned: durable), and this batch's header sectors wait for the next
   * flush (headersWaiting). A batch that rewrites a slot of the previous one, or truncates, first
   * finishes the previous one on its own fsync, so that no header sector is ever written beside a
   * prepare it describes. (Plain loops and arrays only ever pushed to: this runs for every batch,
   * and V8 deoptimized it for each new array shape.)
   */
  async flush(): Promise<Entry[]> {
    const queued = this.unwritten;
    this.unwritten = [];
    const durable: Entry[] = [];
    if (this.landed !== null && this.rewrites(this.landed.slots, queued)) await this.finish(this.takeLanded()!, durable);
    const previous = this.takeLanded();
    // The previous batch's header sectors, from memory before this batch changes it; then this batch's prepare cells.
    const writes = previous === null ? [] : this.headerWrites(previous.slots);
    const prepares: JournalWrite[] = [];
    const entries = this.writePrepares(queued, prepares);
    for (const w of prepares) writes.push(w);
    await this.writeAll(writes);
    const joined = await this.joinArrived(previous, prepares, entries);
    if (writes.length > 0 || joined) await this.sync();
    if (previous !== null) this.clean(previous, durable);
    this.land(prepares, entries);
    return durable.filter((e) => e.header.op > 0).sort((a, b) => a.header.op - b.header.op);
  }

  /**
   * The prepares queued while this flush's writes went out (a backup's next prepares, often, while
   * it writes the header sectors its acks wait for) join its fsync: their prepare cells are written
   * now (onto `prepares` and `entries`), unless they truncate or rewrite a slot this flush writes.
   * Once per flush, so the fsync is never put off for long. The flush the driver asked for them then
   * finds them landed. True if any joined.
   */
  private async joinArrived(previous: Batch | null, prepares: JournalWrite[], entries: Map<string, Written>): Promise<boolean> {
    const arrived = this.unwritten;
    if (arrived.length === 0) return false;
    const slots = previous === null ? [] : previous.slots.slice();
    for (const w of prepares) slots.push(w.slot);
    if (this.rewrites(slots, arrived)) return false;
    this.unwritten = [];
    const first = prepares.length;
    for (const [checksum, written] of this.writePrepares(arrived, prepares)) entries.set(checksum, written);
    await this.writeAll(prepares.slice(first));
    return true;
  }

  private takeLanded(): Batch | null {
    const landed = this.landed;
    this.landed = null;
    return landed;
  }

  /** Whether `queued` truncates, or rewrites one of `slots` (the landed batch's, whose header sectors must then go out first, alone). */
  private rewrites(slots: readonly number[], queued: readonly Queued[]): boolean {
    const { layout } = this.journal;
    for (const q of queued) if ('truncate' in q || slots.includes(slotFor(layout, q.entry.header.op))) return true;
    return false;
  }

  /** The prepare-cell writes of `queued`, in order, into `prepares` (each entry's cell encoded in `cells`); the entries written, by checksum. */
  private writePrepares(queued: readonly Queued[], prepares: JournalWrite[]): Map<string, Written> {
    const j = this.journal;
    const entries = new Map<string, Written>();
    const cellBytes = j.layout.prepare_cell_bytes;
    const cells = (this.cells = room(this.cells, queued.length * cellBytes));
    let cell = 0;
    for (const q of queued) {
      if ('truncate' in q) {
        for (const w of writeTruncation(j, q.truncate)) prepares.push(w);
      } else {
        prepares.push(writePrepare(j, q.entry, cells.subarray(cell * cellBytes, ++cell * cellBytes), q.body));
        entries.set(q.entry.header.checksum, q);
      }
    }
    return entries;
  }

  /** This batch's prepares are durable: its slots that still hold what was written wait for their header sectors (the landed batch). */
  private land(prepares: readonly JournalWrite[], entries: Map<string, Written>): void {
    const j = this.journal;
    const slots: number[] = [];
    const checksums: string[] = [];
    for (const w of prepares) {
      if (!prepareWritten(j, w.slot, w.checksum)) continue;
      slots.push(w.slot);
      checksums.push(w.checksum);
    }
    for (const w of prepares) assertSlotInvariants(j, w.slot);
    if (slots.length > 0) this.landed = { slots, checksums, entries };
  }

  /** The header sectors holding `slots`, each once, in file order, built side by side in `sectors`. */
  private headerWrites(slots: readonly number[]): Write[] {
    const j = this.journal;
    const { layout } = j;
    const perSector = headersPerSector(layout);
    const firsts: number[] = [];
    for (const slot of slots) firsts.push(slot - (slot % perSector));
    firsts.sort((a, b) => a - b);
    let count = 0;
    for (let i = 0; i < firsts.length; i++) if (i === 0 || firsts[i] !== firsts[i - 1]) firsts[count++] = firsts[i]!;
    const bytes = layout.sector_bytes;
    const sectors = (this.sectors = room(this.sectors, count * bytes));
    const writes: Write[] = [];
    for (let i = 0; i < count; i++) writes.push({ offset: headerOffset(firsts[i]!), bytes: headerSectorBytes(j, firsts[i]!, slots, sectors.subarray(i * bytes, (i + 1) * bytes)) });
    return writes;
  }

  /** Write `batch`'s header sectors alone and fsync; then its slots are clean: its entries durable (onto `durable`, in order), each repair traced. */
  private async finish(batch: Batch, durable: Entry[]): Promise<void> {
    await this.writeAll(this.headerWrites(batch.slots));
    await this.sync();
    this.clean(batch, durable);
  }

  /** `batch`'s header sectors are durable: its slots still holding what was written are clean, their entries durable. */
  private clean(batch: Batch, durable: Entry[]): void {
    const j = this.journal;
    const { slots, checksums, entries } = batch;
    const clean: number[] = [];
    for (let i = 0; i < slots.length; i++) if (onHeaderWritten(j, slots[i]!, checksums[i]!)) clean.push(i);
    for (const slot of slots) assertSlotInvariants(j, slot);
    for (const i of clean) {
      const slot = slots[i]!;
      if (!this.unrepaired[slot]) continue;
      this.unrepaired[slot] = false;
      this.env.log('vsr.journal.repaired', { slot, op: isReserved(j.headers[slot]!) ? null : j.headers[slot]!.op, from: entries.get(checksums[i]!)?.from ?? null });
    }
    for (const i of clean) {
      const written = entries.get(checksums[i]!);
      if (written !== undefined && hasPrepare(j, written.entry.header)) durable.push(written.entry);
    }
  }

  /**
   * Carry out writes, each run of adjacent ones (consecutive slots) as one write: as they lie in
   * memory when their bytes are side by side there too (a flush's prepare cells), else copied. The
   * runs go out together (each awaited IO call waits a turn of a busy node's event loop); a run
   * that overlaps one in flight (an op written twice in a batch) waits for those, so the later wins.
   */
  private async writeAll(writes: readonly Write[]): Promise<void> {
    const inFlight: Promise<void>[] = [];
    const starts: number[] = [];
    const ends: number[] = [];
    let i = 0;
    while (i < writes.length) {
      const first = writes[i]!.bytes;
      const offset = writes[i]!.offset;
      let end = i + 1;
      let length = first.length;
      let sideBySide = true;
      while (end < writes.length && writes[end]!.offset === offset + length) {
        const next = writes[end++]!.bytes;
        sideBySide &&= next.buffer === first.buffer && next.byteOffset === first.byteOffset + length;
        length += next.length;
      }
      if (overlaps(starts, ends, offset, offset + length)) {
        await Promise.all(inFlight);
        inFlight.length = starts.length = ends.length = 0;
      }
      inFlight.push(this.env.disk.write(JOURNAL_FILE, offset, sideBySide ? new Uint8Array(first.buffer, first.byteOffset, length) : joined(writes.slice(i, end), length)));
      starts.push(offset);
      ends.push(offset + length);
      i = end;
    }
    await Promise.all(inFlight);
  }

  private async sync(): Promise<void> {
    this.fsyncs++;
    await this.env.disk.fsync(JOURNAL_FILE);
  }
}

/**
 * `buffer`, or a bigger one if it holds fewer than `bytes` (a flush's cells or sectors: reused, as a
 * flush's writes complete before the next flush starts and a disk keeps no written buffer).
 */
function room(buffer: Uint8Array, bytes: number): Uint8Array {
  return buffer.length >= bytes ? buffer : new Uint8Array(Math.max(bytes, 2 * buffer.length));
}

/** Whether bytes start..end overlap any of the ranges starts[i]..ends[i]. */
function overlaps(starts: readonly number[], ends: readonly number[], start: number, end: number): boolean {
  for (let i = 0; i < starts.length; i++) if (start < ends[i]! && starts[i]! < end) return true;
  return false;
}

/** The writes' bytes one after another, in one new array of `length`. */
function joined(writes: readonly { bytes: Uint8Array }[], length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let at = 0;
  for (const w of writes) {
    bytes.set(w.bytes, at);
    at += w.bytes.length;
  }
  return bytes;
}

/**
 * With no superblock copy on disk: the journal's format is unfinished (returns), or the superblock
 * was lost (refused: refuseLostSuperblock). The format's order: the journal is written and fsynced,
 * then the superblock's first copy (view 0, in SUPERBLOCK_FILES[1]). A checkpoint, or a journal
 * holding an op past the root (a valid header or prepare names it), thus outlived the superblock. A
 * journal exactly as its format left it (formatted now, or a crash cut the format short before the
 * copy was durable) is unfinished, unless the second copy's file exists. Only a restart that finds
 * no superblock lists the disk (one IO), so no other start's schedule moves. The first copy emptied
 * while it was the only one, the journal untouched, reads as a cut format: finishing it forgets
 * nothing, as that copy held view 0.
 */
async function refuseLostJournalSuperblock(env: Env, recovered: OpenedJournal, checkpoint: Checkpoint | null): Promise<void> {
  const op = opPastFormat(recovered);
  const outlived = checkpoint !== null ? `its checkpoint of op ${checkpoint.op} is on disk` : op !== null ? `journal ${JOURNAL_FILE} holds op ${op}` : null;
  await refuseLostSuperblock(env.disk, outlived, recovered.formatted);
  if (!recovered.formatted) env.log('vsr.journal.format_finished', { file: JOURNAL_FILE });
}

/** The highest op past the root that a valid header or prepare of the journal names, or null: it holds only what its format wrote. */
function opPastFormat(recovered: Recovered): number | null {
  let op = recovered.op_max;
  for (const named of recovered.header_ops) if (named !== null && named > op) op = named;
  return op > 0 ? op : null;
}

/**
 * A journal holding an op the ring could not take after this checkpoint (op ≥ op_checkpoint +
 * slot_count) was written after a newer checkpoint than the one read: refused, never cut back.
 */
function refuseAhead<R extends Recovered>(recovered: R): R {
  const { op_checkpoint, layout } = recovered.journal;
  if (recovered.op_max >= op_checkpoint + layout.slot_count) {
    throw new StorageCorrupt(`journal ${JOURNAL_FILE}: it holds op ${recovered.op_max}, past checkpoint ${op_checkpoint} + ${layout.slot_count} slots: the checkpoint read is older than the journal; refusing to start`);
  }
  return recovered;
}

/**
 * The engine's log from the recovered journal, from the checkpoint's op (its prepare, `anchor`, is
 * the log's first entry) on: op k is in slot k mod slot_count. From op_checkpoint + 1 up: a clean or
 * fixed prepare that chains to the op before it, or a faulty slot (a placeholder). The log ends
 * before the first slot that holds neither: a reserved slot, an older wrap's op, or an older prepare
 * that does not chain (never acknowledged: its header could not have been written before its
 * parent's prepare). Faulty slots at the end are kept: they may hold ops this replica acknowledged.
 */
function journalLog(recovered: Recovered, anchor: Entry): { entries: Entry[]; faulty: number[]; inhabited: Entry[]; log_durable: number } {
  const j = recovered.journal;
  const entries: Entry[] = [];
  const faulty: number[] = [];
  const inhabited: Entry[] = [];
  let parent: Entry | null = anchor;
  let log_durable = anchor.header.op;
  for (let op = anchor.header.op + 1; op < anchor.header.op + j.layout.slot_count; op++) {
    const slot = slotFor(j.layout, op);
    const h = j.headers[slot]!;
    if (j.faulty[slot]) {
      faulty.push(op);
      entries.push(faultyEntry(j.layout.cluster, op));
      const copy = recovered.prepares[slot] ?? null;
      if (copy !== null && copy.header.op === op) inhabited.push(copy);
      parent = null;
      continue;
    }
    const prepare = recovered.prepares[slot] ?? null;
    if (isReserved(h) || h.op !== op || prepare === null || prepare.header.checksum !== h.checksum) break;
    if (parent !== null && prepare.header.parent !== parent.header.checksum) break;
    entries.push(prepare);
    parent = prepare;
    if (log_durable === op - 1 && faulty.length === 0 && !j.dirty[slot]) log_durable = op;
  }
  return { entries, faulty, inhabited, log_durable };
}

function traceRecovered(env: Env, recovered: Recovered): void {
  const counts = { eql: 0, nil: 0, fix: 0, vsr: 0, cut: 0 };
  for (const s of recovered.slots) counts[s.decision]++;
  const faulty = recovered.journal.faulty.flatMap((f, slot) => (f ? [slot] : []));
  env.log('vsr.journal.recovered', { slot_count: recovered.journal.layout.slot_count, op_max: recovered.op_max, counts, faulty });
  for (const s of recovered.slots) {
    if (s.decision !== 'fix' && s.decision !== 'vsr' && s.decision !== 'cut') continue;
    const h = recovered.journal.headers[s.slot]!;
    // A vsr slot still names its op if either copy is intact (@C's header, @E's prepare); a cut slot's op never reached it.
    const named = s.decision === 'vsr' ? recovered.header_ops[s.slot] : null;
    const op = isReserved(h) ? (named ?? recovered.prepares[s.slot]?.header.op ?? null) : h.op;
    env.log('vsr.journal.slot', { slot: s.slot, op, case: s.case, decision: s.decision });
  }
}
