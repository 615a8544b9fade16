// Lab 4's VOPR on a small ring: the VOPR with storage faults (tester/vsr/vopr.ts) on a 64-slot
// journal, with enough requests to wrap the ring several times, so checkpoints, ring wrap and the
// restarts and rebuilds across them meet crashes and sector faults. It watches the ring go round
// (checkpoints taken, ops past the ring committed) and fails a seed on which it did not; it never
// changes a replica.
import { ScenarioFailure } from '../scenario.js';
import type { VsrRun } from '../vsr/observer.js';
import { vopr } from '../vsr/vopr.js';
import { journalStorage } from './replicas.js';
import { stateOf } from './sync-scenarios.js';

export const RING_VOPR = {
  /** Client requests per seed (about 60% writes, each an op): some six rings of 64 slots. */
  requests: 640,
  /** Nemesis steps (each VOPR.nemesisEveryTicks): enough that faults go on until the load is done. */
  safetySteps: [300, 600] as const,
  /** Each seed commits at least this many rings' worth of ops... */
  wraps: 5,
};

/** Checkpoints as every replica took them (each op_checkpoint it moved to), seen after every step. */
class CheckpointWatch {
  /** Per replica: the ops it checkpointed (or rebuilt) at. */
  readonly ops: Set<number>[];
  slotCount = 0;

  constructor(private readonly run: VsrRun) {
    this.ops = run.all.map(() => new Set<number>());
    run.stepObservers.push(() => this.observe());
  }

  private observe(): void {
    for (const i of this.run.all) {
      const s = stateOf(this.run, i);
      if (s === null) continue;
      this.slotCount = s.config.journal?.slot_count ?? 0;
      if (s.op_checkpoint > 0) this.ops[i]!.add(s.op_checkpoint);
    }
  }

  /** Distinct checkpoint ops over the cluster. */
  get distinct(): number {
    return new Set(this.ops.flatMap((o) => [...o])).size;
  }
}

/**
 * The VOPR with storage faults on the scenario's small ring, then: ops of at least RING_VOPR.wraps
 * rings committed, a checkpoint every half ring on the way (the cluster's distinct checkpoint ops),
 * and every replica anchored at a checkpoint within a ring of the head.
 */
export async function ringVopr(run: VsrRun): Promise<void> {
  const watch = new CheckpointWatch(run);
  await vopr(run, journalStorage(), RING_VOPR);
  const slots = watch.slotCount;
  const committed = run.checker?.committed ?? 0;
  const perReplica = watch.ops.map((o, i) => `${run.name(i)} ${o.size}`).join(', ');
  run.note(`ring: ${slots} slots, op ${committed} committed (${(committed / slots).toFixed(1)} rings), checkpoints: ${watch.distinct} distinct ops (${perReplica})`);
  if (slots === 0 || committed < RING_VOPR.wraps * slots) {
    throw new ScenarioFailure(`the ring (${slots} slots) did not wrap ${RING_VOPR.wraps} times: ${committed} ops committed`);
  }
  if (watch.distinct < 2 * RING_VOPR.wraps - 1) throw new ScenarioFailure(`${committed} ops committed on a ring of ${slots}, but only ${watch.distinct} checkpoints taken (one is due every ${slots / 2} ops)`);
  for (const i of run.all) {
    const s = stateOf(run, i);
    if (s === null || s.op_checkpoint === 0 || s.op >= s.op_checkpoint + slots) {
      throw new ScenarioFailure(`${run.name(i)} ends ${s === null ? 'down' : `at op ${s.op} with op_checkpoint ${s.op_checkpoint}`}: expected it anchored at a checkpoint within a ring (${slots}) of its head`);
    }
  }
}
