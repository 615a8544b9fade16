// Damaging one slot of a live Lab 4 (`par`) replica's journal, for an instructor in class: it finds
// the slot's header cell or prepare cell from the journal layout the replica reports in its status
// and labs/vsr/journal/format.ts, and XORs those bytes with noise on the medium through the one
// fault-and-control interface (so it works in both worlds). It never decides what the damage means:
// the replica's recovery does, when it next starts.
import { z } from 'zod';
import { HEADER_CELL_BYTES, headerOffset, JOURNAL_FILE, prepareOffset, journalBytes, type JournalLayout } from '../../labs/vsr/journal/format.js';
import type { NodeId } from '../env/types.js';
import type { FaultControl, FaultStatus } from './fault-control.js';
import type { JournalCorruption } from './journal-corruption.js';

/** The lab whose replicas keep the two-ring journal. */
export const JOURNAL_LAB = 'par';

export interface JournalCorrupted extends JournalCorruption {
  node: NodeId;
  file: string;
  /** The damaged byte range of the journal file. */
  offset: number;
  length: number;
  /** Bytes changed (all of them: XOR with non-zero noise). */
  corrupted: number;
  slot_count: number;
}

const uint = z.number().int().nonnegative();
/** The part of a `par` replica's status this needs: its journal's layout. */
const journalStatusSchema = z.object({
  journal: z.object({ cluster: uint, slot_count: uint, sector_bytes: uint, prepare_cell_bytes: uint }),
});

/** The journal layout a live `par` replica reports, or a clear error for any other node. */
export function journalLayoutOf(status: FaultStatus): JournalLayout {
  if (!status.alive) throw new Error(`${status.node} is not running: corrupt damages a live replica's journal`);
  if (status.lab !== JOURNAL_LAB) throw new Error(`${status.node} runs lab '${status.lab}', not '${JOURNAL_LAB}': only a Lab 4 replica keeps the two-ring journal (${JOURNAL_FILE})`);
  const parsed = journalStatusSchema.safeParse(status.state);
  if (!parsed.success) throw new Error(`${status.node} runs lab '${JOURNAL_LAB}' but reports no journal layout in its status (still starting?)`);
  return parsed.data.journal;
}

/**
 * The bytes that hold `slot` in `ring`: its whole header cell, or the first sector of its prepare
 * cell (where the prepare's own header begins). Damage to either makes that copy fail its checksum.
 */
export function cellRange(layout: JournalLayout, { slot, ring }: JournalCorruption): { offset: number; length: number } {
  if (!Number.isInteger(slot) || slot < 0 || slot >= layout.slot_count) {
    throw new Error(`no slot ${slot}: the journal has slots 0..${layout.slot_count - 1} (op k lives in slot k % ${layout.slot_count})`);
  }
  return ring === 'header' ? { offset: headerOffset(slot), length: HEADER_CELL_BYTES } : { offset: prepareOffset(layout, slot), length: layout.sector_bytes };
}

/** Damage `slot`'s cell in `ring` of live replica `node`'s journal, durably (the XOR is on the medium and fsynced). */
export async function corruptJournal(control: FaultControl, node: NodeId, corruption: JournalCorruption): Promise<JournalCorrupted> {
  const layout = journalLayoutOf(await control.status(node));
  const { offset, length } = cellRange(layout, corruption);
  const file = (await control.diskFiles(node)).find((f) => f.name === JOURNAL_FILE);
  if (file === undefined) throw new Error(`${node} has no ${JOURNAL_FILE} on its disk yet`);
  if (file.size !== journalBytes(layout)) throw new Error(`${node}'s ${JOURNAL_FILE} is ${file.size} bytes, not the ${journalBytes(layout)} of its layout: refusing to guess where slot ${corruption.slot} is`);
  const result = await control.diskFault(node, { kind: 'corrupt', file: JOURNAL_FILE, offset, length });
  return { node, file: JOURNAL_FILE, ...corruption, offset, length, corrupted: result.corrupted, slot_count: layout.slot_count };
}
