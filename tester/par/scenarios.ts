// Lab 4's graded scenarios (`par`: Lab 3's engine on the two-ring journal): Lab 3's scenarios on the
// journal, the VOPR with storage faults inside the journal fault atlas and the journal checks, and
// PAR's targeted-corruption sweep (one combination per seed). Written against the Cluster interface
// like Lab 3's; they throw ScenarioFailure and never read the clock, print or exit.
import { JOURNAL_SHAPE, type JournalShape } from '../../src/engine/journal-storage.js';
import type { JournalLayout } from '../../labs/vsr/journal/format.js';
import { BATCH_ENGINE, scenario, voprBatch, VOPR_BATCH, vsrScenarios } from '../vsr/scenarios.js';
import { VOPR, vopr } from '../vsr/vopr.js';
import { journalAtlas } from './atlas.js';
import { journalStorage } from './replicas.js';
import { COMBINATIONS, SWEEP, sweepScenario } from './sweep.js';
import {
  corruptCommittedPrepareIsRepaired,
  corruptHeaderSector,
  corruptionPastTornTail,
  faultyHeaderPrepareForwarded,
  faultySlotStaysFaulty,
  guaranteedPrepareNotNacked,
  uncommittedFaultyOpWaitsForNacks,
  misdirectedPrepare,
  prepareWithoutHeaderIsFixed,
  singleReplicaRefuses,
  tornTailIsCut,
  truncationLosesCommittedOps,
  uncommittedTailDiscarded,
} from './storage-scenarios.js';
import { RING_VOPR, ringVopr } from './ring-vopr.js';
import { coverageProblems, tableMismatches } from './table-check.js';
import { recoveryCases } from '../../labs/vsr/journal/recovery-table.js';
import { ScenarioFailure, type Scenario } from '../scenario.js';
import type { VsrRun } from '../vsr/observer.js';
import { briefPartitionCatchesUp, crashMidRebuild, crashResumesRebuild, partitionedRebuilds, writesDuringRebuild } from './sync-scenarios.js';

/** The reference's journal layout (the cluster id takes no part in where cells are). */
export const PAR_LAYOUT: JournalLayout = { cluster: 0, ...JOURNAL_SHAPE };

const nodes = (n: number): string[] => Array.from({ length: n }, (_, i) => `p${i}`);

/** Faults only in the journal file, each chunk faulty on at most qr−1 = 1 of the VOPR's 3 replicas. */
const VOPR_ATLAS = journalAtlas({ layout: PAR_LAYOUT, nodes: nodes(VOPR.replicas), quorum_replication: Math.floor(VOPR.replicas / 2) + 1, diskSectorBytes: 4096 });

/** Lab 4's own scenarios damage the simulated disk and read replicas' journals in place: simulator only. */
const par = { name: 'par', worlds: ['sim'] as const };

/** Lab 4's rebuild scenarios on a 64-slot ring (checkpoints every 32 ops): the ring wraps past a cut-off replica within a short run. */
export const SYNC_RING: JournalShape = { ...JOURNAL_SHAPE, slot_count: 64 };
const parSync = { ...par, engine: { slot_count: SYNC_RING.slot_count } };

/**
 * The batched VOPR's clients on the journal: 16, not Lab 3's 12. The primary's prepares leave as its
 * write starts, so the one op in flight commits sooner and fewer writes queue behind it: with 12,
 * seed 14 (a calm run) committed no batch at all.
 */
const PAR_BATCH_CLIENTS = 16;

/** The small-ring VOPR's atlas: the same bound on the 64-slot ring's 16 chunks. */
const RING_ATLAS = journalAtlas({ layout: { ...PAR_LAYOUT, ...SYNC_RING }, nodes: nodes(VOPR.replicas), quorum_replication: Math.floor(VOPR.replicas / 2) + 1, diskSectorBytes: 4096 });

/**
 * The lab's recovery table against the handout's: a wrong decision for a case the other scenarios'
 * disks rarely reach (@L: a header of a newer op over a prepare) would otherwise pass them all.
 * It reads the table as the lab loaded it; no replica runs.
 */
async function recoveryTableAsSpecified(run: VsrRun): Promise<void> {
  const problems = [...tableMismatches(recoveryCases), ...coverageProblems(recoveryCases)];
  if (problems.length > 0) throw new ScenarioFailure(`the recovery table disagrees with handouts/lab4-par.md in ${problems.length} ${problems.length === 1 ? 'place' : 'places'}: ${problems.slice(0, 4).join('; ')}${problems.length > 4 ? '; …' : ''}`);
  run.note(`the 14 cases decide as the handout's table says; each of the 128 input combinations matches exactly one`);
}

export const parScenarios: Scenario[] = [
  ...vsrScenarios.filter((s) => s.id !== 'vopr' && s.id !== 'vopr-batch').map((s) => ({ ...s, lab: 'par' })),
  scenario('table', 1, "the recovery table (recovery-table.ts): each case @A–@N decides as handouts/lab4-par.md's table says, and each of the 128 combinations of its inputs is matched by exactly one case", recoveryTableAsSpecified, 1, par),
  scenario('13', 3, 'a crash tears the tail prepare before its fsync: recovery cuts it (head N−1, nothing faulty, no remote repair)', tornTailIsCut, 1, par),
  scenario('14', 3, 'a crash after the prepare is durable, before its header sector: recovery fixes the slot from the prepare', prepareWithoutHeaderIsFixed, 1, par),
  scenario('16', 3, "a bit flip in committed op 5's prepare: faulty (vsr), repaired from the cluster, ops after it kept", corruptCommittedPrepareIsRepaired, 1, par),
  scenario('17', 3, 'one corrupt header sector, prepares intact: the max op fixed, the others faulty and repaired; nothing lost', corruptHeaderSector, 1, par),
  scenario('18', 3, "a misdirected prepare (op 5 into slot 3's cell): both slots faulty and repaired, op 5 never taken as op 3", misdirectedPrepare, 1, par),
  scenario('19', 1, 'a cluster of one with a corrupt committed prepare refuses to start, its journal untouched (never truncated)', singleReplicaRefuses, 1, par),
  scenario('20', 3, "acked op 9 on p0, p2 only, p2's prepare write lost; p0 down; p2's header sector of slots 8-11 garbled: op 8 fixed, 9-11 faulty; a crash right after op 8's rewrite leaves 9-11 faulty (@D, not @J); stall, then repaired from p0", faultySlotStaysFaulty, 1, par),
  scenario('21', 3, "acked ops 10, 11 only on p0, p2; p0 down; p2's header of op 10 garbled, its prepare intact: asked for op 10 by checksum, p2 sends it (never a nack), the cluster recovers without p0", faultyHeaderPrepareForwarded, 1, par),
  scenario('22', 3, 'ops 7-9 prepared with commit_max 6, only 9 reaches p1 (which learns their headers but holds none), none p2; p0 crashes: view 1 starts at op 6, 7-9 discarded; retried, each write executes once', uncommittedTailDiscarded, 1, par),
  scenario('23', 5, 'n=5: uncommitted op 10 on p0, p1 only; p0 down, p1 corrupt: the cluster waits while p4 is cut off, then discards op 10 by the nack rule and goes on', uncommittedFaultyOpWaitsForNacks, 1, par),
  scenario('24', 3, 'an acked op whose only readable copy is on a crashed replica: the others (one lacks it, one cannot read it) stall rather than nack it; back with p0 it is repaired', guaranteedPrepareNotNacked, 1, par),
  scenario('25', 5, "PAR Fig. 2: ops 1-3 committed on p0-p2, p1's op 1 corrupt, p1 back with the laggards p3, p4: unavailable, never truncated; back with p0, p2 op 1 is repaired", truncationLosesCommittedOps, 1, par),
  scenario('26', 3, "acked ops 11, 12 only on p0, p2; p2's header write of op 11 lost; p0 down; p2's prepares of 11, 12 and header of 12 garbled: slot 11 looks torn but op 12 past it is faulty, so both are faulty (never cut); stall, then repaired from p0", corruptionPastTornTail, 1, par),
  scenario('sync-rebuild', 3, 'a backup cut off until the ring wrapped past its head rebuilds: a checkpoint snapshot in chunks, then the tail; done at its target', partitionedRebuilds, 1, parSync),
  scenario('sync-catch-up', 3, "a backup cut off briefly (its head at or past the others' log tail) catches up by repair, with no rebuild", briefPartitionCatchesUp, 1, parSync),
  scenario('sync-writes', 3, 'writes go on during a rebuild on a duplicating network: none is lost, the state checker holds after every step', writesDuringRebuild, 1, parSync),
  scenario('sync-crash', 3, 'a crash mid-rebuild: the backup restarts, rebuilds again (or resumes from its durable mark), and only then is done', crashMidRebuild, 1, parSync),
  scenario('sync-resume', 3, 'a crash after the snapshot is installed, its tail short of the target: the restarted backup resumes that rebuild from its durable mark (same checkpoint and target) and ends it done there', crashResumesRebuild, 1, parSync),
  scenario(
    'vopr',
    VOPR.replicas,
    `VOPR with storage faults: ${VOPR.requests} requests under a swarm of network faults, crashes and sector faults inside the journal fault atlas, journal checks after every nemesis step, then every replica converges`,
    (run) => vopr(run, journalStorage()),
    VOPR.seedFactor,
    { ...par, atlas: VOPR_ATLAS },
  ),
  scenario(
    'vopr-ring',
    VOPR.replicas,
    `VOPR with storage faults on a ${SYNC_RING.slot_count}-slot ring: ${RING_VOPR.requests} requests wrap it ${RING_VOPR.wraps}+ times past checkpoints under network faults, crashes and sector faults; journal checks after every nemesis step, then every replica converges`,
    ringVopr,
    1,
    { ...parSync, atlas: RING_ATLAS },
  ),
  scenario(
    'vopr-batch',
    VOPR.replicas,
    `the batched VOPR (pipeline ${VOPR_BATCH.pipeline_max}, batch ${VOPR_BATCH.batch_max}) with storage faults on a ${SYNC_RING.slot_count}-slot ring: batch prepares in journal cells, past checkpoints and rebuilds; each write runs once, every replica converges`,
    (run) => voprBatch(run, journalStorage(), PAR_BATCH_CLIENTS),
    1,
    { ...par, atlas: RING_ATLAS, engine: { ...BATCH_ENGINE, slot_count: SYNC_RING.slot_count } },
  ),
  scenario(
    'sweep',
    SWEEP.replicas,
    `targeted corruption: power loss, then the last ${SWEEP.ops} committed ops corrupt on some replicas (seed k: combination (k−1) mod ${COMBINATIONS}); recovered when each op kept an intact copy, else unavailable without data loss`,
    (run) => sweepScenario(run, PAR_LAYOUT),
    1,
    par,
  ),
];
