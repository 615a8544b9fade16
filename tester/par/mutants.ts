// Lab 4's mutant corpus: plausible student bugs in the journal, its repair and nacks, checkpoints and
// rebuilds, each the reference bent by one hook on its disk or its peer messages
// (test/fixtures/par-broken.ts: never a copy of the engine). `rsmlab mutants par` must catch every
// one. Instructor-only: the hand-out leaves this file out.
import type { Mutant } from '../mutants/mutant.js';
import {
  ackOnReceiptLab,
  checkpointWithoutClientsLab,
  doneBeforeTargetLab,
  faultyCellAsReservedLab,
  faultyCleanSlotLab,
  misplacedHeadersLab,
  nackThresholdOffByOneLab,
  nackWhenUnreadableLab,
  rebuildMarkIgnoredLab,
  snapshotOverAppliedLab,
  tornAnywhereLab,
  truncateOnCorruptionLab,
} from '../../test/fixtures/par-broken.js';

export const parMutants: Mutant[] = [
  { id: 'truncate-on-corruption', area: 'persistence', bug: 'recovery discards the first corrupt op and every op after it (PAR\'s Truncate)', lab: truncateOnCorruptionLab, catchers: ['25', '16'] },
  { id: 'ack-on-receipt', area: 'persistence', bug: 'a backup sends prepare_ok as the prepare arrives, before it holds it', lab: ackOnReceiptLab, catchers: ['22'] },
  { id: 'misplaced-headers', area: 'persistence', bug: 'the header ring\'s sector address is off by one', lab: misplacedHeadersLab, catchers: ['vopr'] },
  { id: 'faulty-cell-as-reserved', area: 'persistence', bug: 'header sectors are written without the faulty-cell rule', lab: faultyCellAsReservedLab, catchers: ['20'] },
  { id: 'torn-anywhere', area: 'persistence', bug: 'the torn-tail rule cuts the slot after the highest op even with faulty slots past it (no span check)', lab: tornAnywhereLab, catchers: ['26'] },
  { id: 'faulty-clean-slot', area: 'persistence', bug: 'recovery leaves a slot faulty but not dirty', lab: faultyCleanSlotLab, catchers: ['vopr'] },
  { id: 'nack-when-unreadable', area: 'choosing a value', bug: 'a replica whose copy is unreadable nacks it (it may have acked it)', lab: nackWhenUnreadableLab, catchers: ['24'] },
  { id: 'nack-threshold-off-by-one', area: 'comparison', bug: 'a new primary with a faulty copy discards the op at n − qr nacks, not n − qr + 1', lab: nackThresholdOffByOneLab, catchers: ['23'] },
  { id: 'checkpoint-without-clients', area: 'state transfer', bug: 'the checkpoint leaves out the client table', lab: checkpointWithoutClientsLab, catchers: ['vopr-ring'] },
  { id: 'snapshot-over-applied', area: 'state transfer', bug: 'a late snapshot chunk is installed over ops executed since', lab: snapshotOverAppliedLab, catchers: ['sync-writes'] },
  { id: 'done-before-target', area: 'state transfer', bug: 'a rebuild ends done once its snapshot is in, before its tail reaches the target', lab: doneBeforeTargetLab, catchers: ['sync-rebuild'] },
  { id: 'rebuild-mark-ignored', area: 'recovery', bug: 'a replica restarted mid-rebuild ignores the durable rebuild mark', lab: rebuildMarkIgnoredLab, catchers: ['sync-resume'] },
];

/** The gate's order for every mutant after its own catchers: the targeted storage scenarios first, the VOPRs last. */
export const parGateOrder: string[] = ['22', '25', '24', '23', '20', '26', '16', 'sync-rebuild', 'sync-writes', 'sync-resume', 'vopr', 'vopr-ring'];
