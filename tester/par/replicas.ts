// The tester's adapter onto Lab 4's journal: a replica's journal state (in memory) next to its
// journal file (on its simulated disk), for the journal checks after every nemesis step of the
// VOPR. It never changes a replica or a disk.
import type { LabNode } from '../../src/lab.js';
import { isReserved, JOURNAL_FILE, slotFor } from '../../labs/vsr/journal/format.js';
import type { JournalState } from '../../labs/vsr/journal/journal.js';
import { replicaState } from '../../labs/vsr/lab.js';
import { ScenarioFailure } from '../scenario.js';
import { labNodeOf, simOf } from '../sim-cluster.js';
import type { VsrRun } from '../vsr/observer.js';
import type { VoprStorage } from '../vsr/vopr.js';
import { checkJournals, checkMemory, VerifiedCells, type JournalCheckCounts, type JournalOnDisk } from './journal-check.js';

/** The journal of a node of the `par` lab, or null for a node without one (Lab 3's log). */
export function journalOf(node: LabNode): JournalState | null {
  return 'journal' in node && typeof node.journal === 'function' ? (node.journal as () => JournalState | null)() : null;
}

/** Whether `journal`'s slot for `op` holds op `op` (a reserved header carries its slot, not an op, in `op`). */
export function holdsOp(journal: JournalState, op: number): boolean {
  const h = journal.headers[slotFor(journal.layout, op)]!;
  return !isReserved(h) && h.op === op;
}

/** Whether replica `index` is up and holds ops 1..op clean in its journal (each durable, prepare and header). */
export function cleanThrough(run: VsrRun, index: number, op: number): boolean {
  const node = labNodeOf(run, index);
  const journal = node === null ? null : journalOf(node);
  if (journal === null) return false;
  for (let o = 1; o <= op; o++) if (!holdsOp(journal, o) || journal.dirty[slotFor(journal.layout, o)]) return false;
  return true;
}

/** Every live replica's journal, in memory and as its disk holds it (a live replica without a journal is a failure). */
export function journalsOnDisk(run: VsrRun): JournalOnDisk[] {
  const sim = simOf(run);
  const disks: JournalOnDisk[] = [];
  for (const i of run.all) {
    const id = run.cluster.id(i);
    const node = sim.labNode(id);
    const state = node === null ? null : replicaState(node);
    if (node === null || state === null) continue;
    const journal = journalOf(node);
    if (journal === null) throw new ScenarioFailure(`${id}: a live replica shows no journal to check (the VOPR with storage faults needs the par lab)`);
    const disk = sim.disk(id);
    disks.push({ replica: id, journal, medium: disk.medium(JOURNAL_FILE), damaged: disk.damaged(JOURNAL_FILE), diskSectorBytes: disk.faults.sectorBytes, commit_min: state.commit_min, op_checkpoint: state.op_checkpoint });
  }
  return disks;
}

/** The VOPR's storage side for Lab 4: the journal checks (the full memory pass at the end), with what they covered noted at the end. */
export function journalStorage(): VoprStorage {
  const total: JournalCheckCounts = { slots: 0, damaged: 0, chained: 0 };
  const verified = new VerifiedCells();
  return {
    check(run: VsrRun, final = false): void {
      const disks = journalsOnDisk(run);
      if (final) disks.forEach(checkMemory);
      const counts = checkJournals(disks, (op) => run.checker?.checksumAt(op), verified);
      total.slots += counts.slots;
      total.damaged += counts.damaged;
      total.chained += counts.chained;
    },
    summary: () => `journal checks: ${total.slots} clean slots compared with their prepares (${total.damaged} skipped as damaged), ${total.chained} executed ops' headers compared`,
  };
}
