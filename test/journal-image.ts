// The disk-image harness for Lab 4's journal: build a journal file image with given slot contents
// (a chain of prepares written as a replica writes them, then any header or prepare cell replaced
// by another entry, a reserved header, garbage, a torn prefix, or another slot's cell), put it on
// a simulated node's disk, start the node on it (recovery runs as the node's boot, through
// env.disk), and report each slot's case and decision, or the node's refusal to start.
import { SimWorld } from '../src/env/sim/world.js';
import type { Env } from '../src/env/types.js';
import type { LabNode } from '../src/lab.js';
import { headerChecksum, rootEntry, type Entry, type HeaderFields } from '../labs/vsr/protocol.js';
import {
  encodeHeaderCell,
  encodePrepare,
  formatImage,
  headerOffset,
  HEADER_CELL_BYTES,
  JOURNAL_FILE,
  prepareOffset,
  reservedHeader,
  slotFor,
  type JournalLayout,
} from '../labs/vsr/journal/format.js';
import { openJournal, type Recovered, type RecoveryOptions } from '../labs/vsr/journal/recovery.js';
import { assertJournalInvariants, onHeaderWritten, onPrepareWritten, writePrepare, type JournalState, type JournalWrite } from '../labs/vsr/journal/journal.js';
import { assert } from '../src/assert.js';
import { bodyChecksum } from './vsr-helpers.js';

export const CLUSTER = 7;

/** 16 slots, 4 header cells per 4 KiB sector, one sector per prepare. */
export const LAYOUT: JournalLayout = { cluster: CLUSTER, slot_count: 16, sector_bytes: 4096, prepare_cell_bytes: 4096 };

/** Ops 0..count of one hash chain (op 0 is the cluster's root), every prepare of `view`; `pad` lengthens each body. */
export function chain(count: number, view = 0, cluster = CLUSTER, pad = ''): Entry[] {
  const entries = [rootEntry(cluster)];
  for (let op = 1; op <= count; op++) entries.push(entryAfter(entries[op - 1]!, view, pad));
  return entries;
}

/** The prepare after `parent` in `view` (a different prepare for the same op when the view differs). */
export function entryAfter(parent: Entry, view: number, pad = ''): Entry {
  const op = parent.header.op + 1;
  const body = { put: `k${op}`, value: `v${op}${pad}` };
  const fields: HeaderFields = {
    checksum_body: bodyChecksum(body),
    parent: parent.header.checksum,
    cluster: parent.header.cluster,
    view,
    op,
    commit: op - 1,
    timestamp: 1000 + op,
    client: 'c1',
    request: op,
    operation: 'request',
    replica: view % 3,
  };
  return { header: { ...fields, checksum: headerChecksum(fields) }, body };
}

/** What a test puts in a cell: an entry's header / prepare, a reserved one (for `slot`, default its own), garbage, or raw bytes. */
export type Cell = { entry: Entry } | { reserved_for?: number } | 'garbage' | { torn: Entry } | { bytes: Uint8Array };

export interface SlotContents {
  header?: Cell;
  prepare?: Cell;
}

/** The image: formatted, then `written` entries written in order as a replica does (prepare, then header), then `slots` replaced. */
export function buildImage(layout: JournalLayout, written: Entry[], slots: Record<number, SlotContents> = {}): Uint8Array {
  const image = formatImage(layout);
  for (const entry of written) {
    const slot = slotFor(layout, entry.header.op);
    image.set(encodePrepare(layout, entry), prepareOffset(layout, slot));
    image.set(encodeHeaderCell(entry.header), headerOffset(slot));
  }
  for (const [key, contents] of Object.entries(slots)) {
    const slot = Number(key);
    if (contents.header) image.set(headerCell(layout, slot, contents.header), headerOffset(slot));
    if (contents.prepare) image.set(prepareCell(layout, slot, contents.prepare), prepareOffset(layout, slot));
  }
  return image;
}

function headerCell(layout: JournalLayout, slot: number, cell: Cell): Uint8Array {
  if (cell === 'garbage') return garbage(HEADER_CELL_BYTES, slot);
  if ('entry' in cell) return encodeHeaderCell(cell.entry.header);
  if ('bytes' in cell) return cell.bytes;
  if ('torn' in cell) return encodeHeaderCell(cell.torn.header).slice(0, 64);
  return encodeHeaderCell(reservedHeader(layout.cluster, cell.reserved_for ?? slot));
}

function prepareCell(layout: JournalLayout, slot: number, cell: Cell): Uint8Array {
  if (cell === 'garbage') return garbage(layout.prepare_cell_bytes, slot);
  if ('entry' in cell) return encodePrepare(layout, cell.entry);
  if ('bytes' in cell) return cell.bytes;
  // A torn write: its first bytes reached the medium, the rest of the cell is zeros (as formatted).
  if ('torn' in cell) return encodePrepare(layout, cell.torn).map((b, i) => (i < 100 ? b : 0));
  const reserved = reservedHeader(layout.cluster, cell.reserved_for ?? slot);
  return encodePrepare(layout, { header: reserved, body: null });
}

/** Bytes no decoder takes: printable noise (deterministic by slot). */
function garbage(length: number, slot: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => 33 + ((i * 7 + slot * 13) % 90));
}

export interface Run {
  /** Recovery's result, or null if the node refused to start. */
  recovered: Recovered | null;
  /** The node's refusal (StorageCorrupt's message), or null. */
  refusal: string | null;
  /** The journal file after the run. */
  file: Uint8Array;
  world: SimWorld;
}

const idle = (): LabNode => ({ status: () => null });

/**
 * Put `image` on node r0's disk (durably), restart r0 on it with recovery as its boot, then run
 * `after` (if given) inside the node on the recovered journal, e.g. journal writes. A refusal is the
 * node's death, as any StorageCorrupt at start is in the simulator.
 */
export async function recoverImage(
  image: Uint8Array,
  options: RecoveryOptions,
  after?: (env: Env, recovered: Recovered) => Promise<void>,
  world = new SimWorld({ seed: 1 }),
): Promise<Run> {
  await world.start('r0', async (env) => {
    await env.disk.write(JOURNAL_FILE, 0, image);
    await env.disk.fsync(JOURNAL_FILE);
    return idle();
  });
  world.crash('r0');
  return restart(world, options, after);
}

/** Restart r0 on whatever its disk holds and recover (see recoverImage). */
export async function restart(world: SimWorld, options: RecoveryOptions, after?: (env: Env, recovered: Recovered) => Promise<void>): Promise<Run> {
  let recovered: Recovered | null = null;
  await world.start('r0', async (env) => {
    recovered = await openJournal(env.disk, options);
    if (after) await after(env, recovered);
    return idle();
  });
  const refusal = world.alive('r0') ? null : refusalOf(world);
  return { recovered, refusal, file: world.disk('r0').read(JOURNAL_FILE), world };
}

function refusalOf(world: SimWorld): string | null {
  const crashes = world.trace
    .jsonl()
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { kind: string; detail: { reason?: string; error?: string } })
    .filter((e) => e.kind === 'crash' && e.detail.reason === 'corrupt disk');
  return crashes.pop()?.detail.error ?? null;
}

/** Carry out a journal write as Lab 3's driver carries out a log write: write, then fsync. */
export async function carryOut(env: Env, write: JournalWrite): Promise<void> {
  await env.disk.write(JOURNAL_FILE, write.offset, write.bytes);
  await env.disk.fsync(JOURNAL_FILE);
}

/** Each slot's "case decision" (e.g. "@N eql"), by slot. */
export function decisions(recovered: Recovered): string[] {
  return recovered.slots.map((s) => `${s.case} ${s.decision}`);
}

/** Write an entry through the journal as the driver does: its prepare, then its header sector; the slot is then clean. */
export async function writeThrough(env: Env, journal: JournalState, entry: Entry): Promise<void> {
  const prepare = writePrepare(journal, entry);
  assert(prepare.ring === 'prepare', 'journal: the prepare is written first');
  await carryOut(env, prepare);
  const header = onPrepareWritten(journal, prepare.slot, prepare.checksum);
  assert(header !== null && header.ring === 'header', 'journal: the header sector follows its prepare');
  await carryOut(env, header);
  assert(onHeaderWritten(journal, header.slot, header.checksum), 'journal: the slot is clean once its header sector is durable');
  assertJournalInvariants(journal);
}
