// Lab 4's checkpoint and catch-up-versus-rebuild scenarios (issue 8 §1 and §5) on a live `par`
// cluster in the simulator: the ring wraps past checkpoints with crashes and restarts; a replica
// cut off for less than the ring catches up by repair, one cut off for longer rebuilds from a
// checkpoint while writes go on, and a crash mid-rebuild starts it again. They read replicas and
// the trace in place and never change a replica; the state checker runs after every step.
import { ScenarioFailure } from '../scenario.js';
import { SimCluster } from '../sim-cluster.js';
import type { VsrRun } from '../vsr/observer.js';
import { replicaState } from '../../labs/vsr/lab.js';
import type { ReplicaState } from '../../labs/vsr/state.js';
import { journalStorage } from './replicas.js';

/** Bounds, in engine ticks. */
const CONVERGE_TICKS = 6000;

function simOf(run: VsrRun): SimCluster {
  if (!(run.cluster instanceof SimCluster)) throw new Error('the par sync scenarios run in the simulator only');
  return run.cluster;
}

/** Replica `index`'s live state, or null while it is down or starting. */
export function stateOf(run: VsrRun, index: number): ReplicaState | null {
  const node = simOf(run).sim.labNode(run.cluster.id(index));
  return node === null ? null : replicaState(node);
}

/** The ring's size (from any live replica's config). */
function slotCount(run: VsrRun): number {
  for (const i of run.all) {
    const slots = stateOf(run, i)?.config.journal?.slot_count;
    if (slots !== undefined) return slots;
  }
  throw new Error('no live replica of the par lab to read the ring from');
}

/**
 * Checkpoints bound the ring (§1): a load of `laps` rings' worth of writes with a backup and then
 * the primary crashed and restarted on the way (each restarts from its checkpoint and journal);
 * every replica checkpoints past several wraps, the journal checks (a clean slot's header is its
 * prepare's; executed headers agree) hold after each step, and the cluster converges.
 */
export async function checkpointsWrapTheRing(run: VsrRun, laps = 4, downTicks = 1): Promise<void> {
  await run.startAll();
  const slots = slotCount(run);
  const storage = journalStorage();
  const writes = laps * slots;
  // More writes than the targets need: writes a crash leaves unanswered are not retried by the load.
  run.startLoad({ clients: 8, ops: Math.ceil((2 * writes) / 8) });
  const crashes = [1, 0, 2];
  for (const [k, index] of crashes.entries()) {
    const target = Math.floor(((k + 1) * writes) / (crashes.length + 1));
    await run.waitUntil(`op ${target} committed`, [0, 1, 2].filter((i) => i !== index), (all) => all.some((s) => s.commit >= target), CONVERGE_TICKS);
    storage.check(run);
    await run.crash(index);
    await run.sleepTicks(downTicks);
    await run.restart(index);
    const s = stateOf(run, index);
    if (s === null) throw new ScenarioFailure(`${run.name(index)}: not up right after its restart`);
    run.note(`${run.name(index)} restarted at op_checkpoint ${s.op_checkpoint}, commit_min ${s.commit_min}, op ${s.op}`);
    if (target > slots && (s.op_checkpoint === 0 || s.commit_min !== s.op_checkpoint || s.log[0]!.header.op !== s.op_checkpoint)) {
      throw new ScenarioFailure(`${run.name(index)} restarted after op ${target} (ring of ${slots}): expected it to start from a checkpoint (commit_min = op_checkpoint > 0, the log anchored there), got op_checkpoint ${s.op_checkpoint}, commit_min ${s.commit_min}, log from op ${s.log[0]!.header.op}`);
    }
  }
  const converged = await run.finish(run.all, CONVERGE_TICKS);
  storage.check(run);
  run.note(storage.summary());
  for (const i of run.all) {
    const s = stateOf(run, i)!;
    if (s.op_checkpoint < converged[0]!.commit - slots || s.op <= slots * (laps - 1)) {
      throw new ScenarioFailure(`${run.name(i)} converged at op ${s.op} with op_checkpoint ${s.op_checkpoint}: expected the ring (${slots} slots) wrapped ${laps - 1}+ times and a checkpoint within a ring of the head`);
    }
  }
}
