// Lab 3's mutant corpus: plausible student bugs in the VSR engine (quorums, the view change, the
// recovery protocol, the client table, verified reads, durability), each the reference engine bent
// by one hook (test/fixtures/vsr-broken.ts, par-broken.ts: never a copy of the engine).
// `rsmlab mutants vsr` must catch every one. Instructor-only: the hand-out leaves this file out.
import type { Mutant } from '../mutants/mutant.js';
import {
  batchFirstOnlyLab,
  commitBeforeQuorumLab,
  committedOnlyViewChangeLab,
  duplicateAgainLab,
  duplicateDoViewChangeLab,
  highestOpLab,
  lostClientTableLab,
  quorumPlusOneLab,
  noRepairOnPrepareLab,
  oldPrimaryRecoveryLab,
  recoveryBelowOwnViewLab,
  ownAckBeforeWriteLab,
  readBeforeExecutionLab,
  silentBeatsLab,
  skipsRecoveryLab,
  staleDoViewChangesLab,
  staleBeatReadsLab,
  staleNonceLab,
  unverifiedReadsLab,
  viewChangeQuorumOneLab,
} from '../../test/fixtures/vsr-broken.js';
import { logAckOnReceiptLab } from '../../test/fixtures/par-broken.js';

export const vsrMutants: Mutant[] = [
  { id: 'commit-before-quorum', area: 'quorum', bug: 'the primary commits an op once its own write is durable', lab: commitBeforeQuorumLab, catchers: ['7'] },
  { id: 'quorum-plus-one', area: 'comparison', bug: 'the primary commits an op only at one prepare_ok more than a quorum (`>` for `>=`)', lab: quorumPlusOneLab, catchers: ['log-view'] },
  { id: 'view-change-quorum-one', area: 'quorum', bug: 'the new primary counts one do_view_change too few (it forgets its own)', lab: viewChangeQuorumOneLab, catchers: ['failed-view-change', 'vopr'] },
  { id: 'duplicate-do-view-change', area: 'quorum', bug: 'the new primary pushes every do_view_change it hears onto a list and starts the view at a quorum of list entries: a backup\'s resent do_view_change counts twice', lab: duplicateDoViewChangeLab, catchers: ['resent-do-view-change'] },
  { id: 'own-ack-before-write', area: 'persistence', bug: 'a new primary counts its own prepare_ok for every op of its new view at once, before it has written the ops its chosen log added', lab: ownAckBeforeWriteLab, catchers: ['failed-view-change', '8'] },
  { id: 'highest-op', area: 'view change', bug: 'the new primary takes the log with the highest op, not the highest last-normal view', lab: highestOpLab, catchers: ['log-view'] },
  { id: 'committed-only', area: 'view change', bug: 'the view change keeps only the ops a do_view_change reports committed: an op prepared on a quorum is dropped', lab: committedOnlyViewChangeLab, catchers: ['5'] },
  { id: 'stale-do-view-changes', area: 'view change', bug: 'a replica moving to a new view keeps the do_view_change records of the view change it leaves', lab: staleDoViewChangesLab, catchers: ['failed-view-change'] },
  { id: 'stale-nonce', area: 'recovery', bug: 'a recovering replica takes a recovery_response without comparing its nonce', lab: staleNonceLab, catchers: ['10'] },
  { id: 'old-primary-recovery', area: 'recovery', bug: 'a recovering replica adopts the log of any replica that answered as primary (an old primary cut off from a newer view), not only that of the primary of the highest view among its quorum', lab: oldPrimaryRecoveryLab, catchers: ['stale-primary-recovery'] },
  { id: 'recovery-below-own-view', area: 'recovery', bug: 'a recovering replica whose quorum answers from a view older than its own durable one adopts that view\'s log (no `view < s.view` branch), going back on the view its superblock promised', lab: recoveryBelowOwnViewLab, catchers: ['recovery-below-own-view'] },
  { id: 'skips-recovery', area: 'recovery', bug: 'a restarted replica comes back normal at once, without the recovery protocol', lab: skipsRecoveryLab, catchers: ['11'] },
  { id: 'duplicate-again', area: 'exactly-once', bug: 'the client table misses a retransmission: the primary prepares it again', lab: duplicateAgainLab, catchers: ['2'] },
  { id: 'lost-client-table', area: 'exactly-once', bug: 'the replica drops its client table (`s.clients = undefined`) once it holds a few ops', lab: lostClientTableLab, catchers: ['2'] },
  { id: 'batch-first-only', area: 'exactly-once', bug: 'with batching, the client table records only the first write of each batch', lab: batchFirstOnlyLab, catchers: ['batch-retransmit', 'vopr-batch'] },
  { id: 'read-before-execution', area: 'reads', bug: 'the primary answers a read once its authority is verified, before it has executed the ops that came before it', lab: readBeforeExecutionLab, catchers: ['read-after-view-change'] },
  { id: 'silent-beats', area: 'reads', bug: 'a backup never answers a heartbeat\'s beat with commit_ok: the primary cannot verify a read', lab: silentBeatsLab },
  { id: 'unverified-reads', area: 'reads', bug: 'the primary answers a read at once, without heartbeats acked after it arrived', lab: unverifiedReadsLab, catchers: ['stale-read'] },
  { id: 'stale-beat-reads', area: 'reads', bug: 'the primary takes an ack of any heartbeat of the view as verifying a read, even one sent before the read arrived', lab: staleBeatReadsLab, catchers: ['stale-read'] },
  { id: 'no-repair-on-prepare', area: 'state transfer', bug: 'onPrepare never asks for the ops a backup misses: it catches up only at heartbeats and resends', lab: noRepairOnPrepareLab, catchers: ['4'] },
  { id: 'ack-on-receipt', area: 'persistence', bug: 'a backup sends prepare_ok as the prepare arrives, before its write is durable', lab: logAckOnReceiptLab, catchers: ['read-after-view-change'] },
];

/** The gate's order for every mutant after its own catchers: the cheap, targeted scenarios first, the VOPR last. */
export const vsrGateOrder: string[] = ['2', 'batch-retransmit', '7', '10', '11', 'log-view', 'stale-read', 'read-after-view-change', '5', 'vopr'];
