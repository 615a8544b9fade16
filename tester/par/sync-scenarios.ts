// Lab 4's checkpoint and catch-up-versus-rebuild scenarios (issue 8 §1 and §5) on a live `par`
// cluster in the simulator: the ring wraps past checkpoints with crashes and restarts; a replica
// cut off for less than the ring catches up by repair, one cut off for longer rebuilds from a
// checkpoint while writes go on, and a crash mid-rebuild starts it again. They read replicas and
// the trace in place and never change a replica; the state checker runs after every step.
import { ScenarioFailure } from '../scenario.js';
import { labNodeOf, simOf } from '../sim-cluster.js';
import type { VsrRun } from '../vsr/observer.js';
import { replicaState } from '../../labs/vsr/lab.js';
import type { ReplicaState } from '../../labs/vsr/state.js';
import { journalStorage } from './replicas.js';
import { RawClient } from '../vsr/replicas.js';

/** Bounds, in engine ticks. */
const CONVERGE_TICKS = 6000;

/** Replica `index`'s live state, or null while it is down or starting. */
export function stateOf(run: VsrRun, index: number): ReplicaState | null {
  const node = labNodeOf(run, index);
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

/** A rebuild as the tester saw it start: the replica, its checkpoint and target (the sender's commit_max), and the highest op committed anywhere then. */
export interface SyncStart {
  replica: string;
  op_checkpoint: number;
  target: number;
  committed: number;
  /** Resumed after a restart (its durable rebuild mark), not started by a snapshot's first chunk. */
  resumed: boolean;
}

/** A rebuild as the tester saw it end done: its checkpoint and the replica's commit_min then. */
export interface SyncDone {
  replica: string;
  op_checkpoint: number;
  op: number;
}

/**
 * Every replica's rebuilds, seen after every step of the simulation: each start and each done.
 * Done means both (§5): a rebuild that ends with its snapshot installed must have executed up to
 * the target it started with, or the run fails at that step. A crash ends a rebuild without it
 * ever counting as done.
 */
export class SyncWatch {
  readonly starts: SyncStart[] = [];
  readonly dones: SyncDone[] = [];
  private readonly open = new Map<number, SyncStart>();

  constructor(private readonly run: VsrRun) {
    run.stepObservers.push(() => this.observe());
  }

  startsOf(index: number): SyncStart[] {
    return this.starts.filter((s) => s.replica === this.run.name(index));
  }

  donesOf(index: number): SyncDone[] {
    return this.dones.filter((d) => d.replica === this.run.name(index));
  }

  private observe(): void {
    for (const i of this.run.all) {
      const s = stateOf(this.run, i);
      const was = this.open.get(i);
      if (s === null) {
        this.open.delete(i);
        continue;
      }
      const now = s.sync;
      if (now !== null && (was === undefined || was.op_checkpoint !== now.op_checkpoint)) {
        const resumed = was === undefined && now.installed;
        const start: SyncStart = { replica: this.run.name(i), op_checkpoint: now.op_checkpoint, target: now.target, committed: this.run.checker?.committed ?? 0, resumed };
        this.starts.push(start);
        this.open.set(i, start);
      } else if (now === null && was !== undefined) {
        this.open.delete(i);
        if (s.commit_min < was.op_checkpoint) continue; // dropped before its snapshot was installed (not the one announced, or older than what it executed)
        this.dones.push({ replica: was.replica, op_checkpoint: was.op_checkpoint, op: s.commit_min });
        if (s.commit_min < was.target) {
          throw new ScenarioFailure(
            `${was.replica}: its rebuild from checkpoint ${was.op_checkpoint} ended done at op ${s.commit_min}, before its tail reached its target op ${was.target}: done means the snapshot whole and the tail at the target`,
          );
        }
      }
    }
  }
}

/** Values of the big writes, and how many: a snapshot of dozens of chunks, so a rebuild takes many round trips. */
const BIG_VALUE_CHARS = 2900;
const BIG_WRITES = 16;

async function bigWrites(run: VsrRun): Promise<void> {
  const client = new RawClient(run, 'big');
  await client.ok('register', 0, 0, 'register', null);
  for (let request = 1; request <= BIG_WRITES; request++) await client.ok(`write ${request}`, 0, request, 'write', { f: 'put', key: `big${request}`, value: 'x'.repeat(BIG_VALUE_CHARS) });
}

/** Writes per client of the rebuild scenarios' loads: enough for the cluster to wrap the ring past a partitioned replica and go on. */
function rebuildLoadOps(slots: number): number {
  return Math.ceil((5 * slots) / 8);
}

/** Cut off `index` once every replica committed `from` ops, until the others checkpointed past its head by more than a ring; then heal it. Its head when cut off. */
async function cutOffPastTheRing(run: VsrRun, index: number, from: number): Promise<number> {
  const slots = slotCount(run);
  const others = run.all.filter((i) => i !== index);
  await run.waitUntil(`every replica to commit ${from} ops`, run.all, (all) => all.every((s) => s.commit >= from), CONVERGE_TICKS);
  await run.isolate(index);
  const head = stateOf(run, index)!.op;
  await run.waitUntil(
    `the others to commit a ring (${slots} ops) past ${run.name(index)}'s head ${head} and checkpoint past it`,
    others,
    (all) => all.every((s) => s.commit > head + slots) && others.every((i) => (stateOf(run, i)?.op_checkpoint ?? 0) > head),
    CONVERGE_TICKS,
  );
  await run.heal(index);
  return head;
}

/** The replica's rebuild(s) since `after` starts: each from a checkpoint past its head `head`, and one done at or past its target. */
function checkRebuilt(run: VsrRun, watch: SyncWatch, index: number, head: number, after = 0): void {
  const starts = watch.startsOf(index).slice(after);
  const dones = watch.donesOf(index);
  if (starts.length === 0) throw new ScenarioFailure(`${run.name(index)} was cut off at op ${head} until the others' ring wrapped past it, but no rebuild started (no vsr.sync.start)`);
  const early = starts.find((s) => !s.resumed && s.op_checkpoint <= head);
  if (early !== undefined) throw new ScenarioFailure(`${run.name(index)} rebuilt from checkpoint ${early.op_checkpoint}, which it held already (head ${head}): a rebuild only replaces ops it lacks`);
  const done = dones.at(-1);
  const started = done === undefined ? undefined : starts.findLast((s) => s.op_checkpoint === done.op_checkpoint);
  if (done === undefined || started === undefined || done.op < started.target) {
    throw new ScenarioFailure(`${run.name(index)}'s last rebuild (from checkpoint ${starts.at(-1)!.op_checkpoint}, target ${starts.at(-1)!.target}) never ended done at its target (last done: ${done === undefined ? 'none' : `op ${done.op} from checkpoint ${done.op_checkpoint}`})`);
  }
  run.note(`${run.name(index)}: rebuilt from checkpoint ${done.op_checkpoint} (cut off at op ${head}), done at op ${done.op}; ${starts.length} rebuild start(s)`);
}

/** Wait until `index` finished a rebuild and has none open (one can supersede another when it falls behind again). */
async function rebuilt(run: VsrRun, watch: SyncWatch, index: number): Promise<void> {
  await run.waitUntil(`${run.name(index)} to finish its rebuild(s)`, [index], () => watch.donesOf(index).length > 0 && stateOf(run, index)?.sync === null, CONVERGE_TICKS);
}

/** §5: a replica cut off for longer than the ring rebuilds (a snapshot plus the tail) and converges with the others. */
export async function partitionedRebuilds(run: VsrRun): Promise<void> {
  await run.startAll();
  const watch = new SyncWatch(run);
  run.startLoad({ clients: 8, ops: rebuildLoadOps(slotCount(run)) });
  const head = await cutOffPastTheRing(run, 2, 20);
  await rebuilt(run, watch, 2);
  checkRebuilt(run, watch, 2, head);
  await run.finish(run.all, CONVERGE_TICKS);
}

/** §5: a replica cut off briefly (fewer ops than lie between checkpoints) catches up by repair: no rebuild. */
export async function briefPartitionCatchesUp(run: VsrRun): Promise<void> {
  await run.startAll();
  const watch = new SyncWatch(run);
  const slots = slotCount(run);
  run.startLoad({ clients: 4, ops: Math.ceil(slots / 2), thinkTicks: 2 });
  // Cut off just after the first checkpoint (it shows the threshold is the log's tail, not op 1),
  // and healed well before the others' next checkpoint (half a ring on) could pass its head.
  await run.waitUntil('every replica to checkpoint', run.all, () => run.all.every((i) => (stateOf(run, i)?.op_checkpoint ?? 0) > 0), CONVERGE_TICKS);
  await run.isolate(2);
  const head = stateOf(run, 2)!.op;
  const gap = Math.floor(slots / 8);
  await run.waitUntil(`the others to commit ${gap} ops past ${run.name(2)}'s head ${head}`, [0, 1], (all) => all.every((s) => s.commit >= head + gap), CONVERGE_TICKS);
  const behind = Math.max(...[0, 1].map((i) => stateOf(run, i)!.commit_min));
  const tail = Math.min(...[0, 1].map((i) => stateOf(run, i)!.op_checkpoint));
  await run.heal(2);
  if (tail > head) throw new ScenarioFailure(`the others checkpointed at op ${tail}, past ${run.name(2)}'s head ${head}, within ${gap} ops: the scenario needs a larger ring`);
  await run.waitUntil(`${run.name(2)} to catch up to op ${behind}`, [2], (all) => all[0]!.commit >= behind, CONVERGE_TICKS);
  await run.finish(run.all, CONVERGE_TICKS);
  if (watch.startsOf(2).length > 0) throw new ScenarioFailure(`${run.name(2)} was cut off at op ${head}, at or past the others' log tail (op_checkpoint ${tail}), yet it rebuilt from checkpoint ${watch.startsOf(2)[0]!.op_checkpoint}: it should have caught up by repair`);
  run.note(`${run.name(2)}: cut off at op ${head} (others' op_checkpoint ${tail}), caught up to op ${behind} by repair, no rebuild`);
}

/**
 * §5: writes go on during a rebuild (on a network that duplicates and delays, so old chunks arrive
 * late) and none is lost: ops are committed while the replica rebuilds, the state checker holds after
 * every step, and the history is linearizable with every acked write kept.
 */
export async function writesDuringRebuild(run: VsrRun): Promise<void> {
  await run.startAll();
  const watch = new SyncWatch(run);
  await bigWrites(run);
  run.startLoad({ clients: 8, ops: rebuildLoadOps(slotCount(run)) });
  const head = await cutOffPastTheRing(run, 2, 20);
  simOf(run).configureNet({ dup: 0.5, minDelayMs: 1, maxDelayMs: 200 });
  await rebuilt(run, watch, 2);
  const start = watch.startsOf(2)[0]!;
  const committedDuring = (run.checker?.committed ?? 0) - start.committed;
  await run.sleepTicks(30); // late duplicates of its snapshot's chunks still arrive
  simOf(run).configureNet({ dup: 0, maxDelayMs: 10 });
  checkRebuilt(run, watch, 2, head);
  if (committedDuring <= 0) throw new ScenarioFailure(`no write was committed while ${run.name(2)} rebuilt (from op ${start.committed}): the scenario must write during the rebuild`);
  run.note(`${committedDuring} ops committed while ${run.name(2)} rebuilt`);
  await run.finish(run.all, CONVERGE_TICKS);
}


/** §5: a crash mid-rebuild: the replica restarts, starts the rebuild again (or resumes it from its mark), and is done only then. */
export async function crashMidRebuild(run: VsrRun): Promise<void> {
  await run.startAll();
  const watch = new SyncWatch(run);
  // A slow network (below) makes a rebuild of a big snapshot last many ticks.
  await bigWrites(run);
  run.startLoad({ clients: 8, ops: rebuildLoadOps(slotCount(run)) });
  // A slow network stretches the rebuild over many ticks, so the crash lands in the middle of it.
  simOf(run).configureNet({ minDelayMs: 60, maxDelayMs: 90 });
  const head = await cutOffPastTheRing(run, 2, 20);
  await run.waitUntil(`${run.name(2)} to start a rebuild`, [2], () => watch.startsOf(2).length > 0, CONVERGE_TICKS);
  const mid = stateOf(run, 2)!.sync;
  await run.crash(2);
  simOf(run).configureNet({ minDelayMs: 1, maxDelayMs: 10 });
  if (watch.donesOf(2).length > 0) throw new ScenarioFailure(`${run.name(2)}'s rebuild was done before the crash; the scenario needs the crash mid-rebuild`);
  run.note(`${run.name(2)} crashed mid-rebuild (checkpoint ${mid?.op_checkpoint}, ${mid?.installed ? 'snapshot installed, tail short of its target' : 'snapshot still in chunks'})`);
  const before = watch.startsOf(2).length;
  await run.restart(2);
  await rebuilt(run, watch, 2);
  if (watch.startsOf(2).length === before) throw new ScenarioFailure(`${run.name(2)} restarted mid-rebuild and was done without starting the rebuild again`);
  checkRebuilt(run, watch, 2, head, before);
  await run.finish(run.all, CONVERGE_TICKS);
}

/**
 * §5: a crash after the snapshot is installed (the rebuild mark durable in the checkpoint), the tail
 * short of its target. The backup is cut off until the others' ring wrapped past it and their load
 * is over (so no newer checkpoint supersedes the rebuild), healed, cut off again the step its
 * snapshot is installed, and crashed once the mark is durable. Restarted, it resumes that rebuild
 * from the mark (the same checkpoint and target: never a fresh start, never caught up by repair
 * alone), ends it done at the target, and converges with equal state.
 */
export async function crashResumesRebuild(run: VsrRun): Promise<void> {
  await run.startAll();
  const watch = new SyncWatch(run);
  const sim = simOf(run);
  const slots = slotCount(run);
  run.startLoad({ clients: 8, ops: rebuildLoadOps(slots) });
  await run.waitUntil('every replica to commit 20 ops', run.all, (all) => all.every((s) => s.commit >= 20), CONVERGE_TICKS);
  await run.isolate(2);
  const head = stateOf(run, 2)!.op;
  await run.waitUntil(`the load to finish, a ring (${slots} ops) past ${run.name(2)}'s head ${head} and checkpointed past it`, [0, 1], (all) => run.loadFinished && all.every((s) => s.commit > head + slots) && [0, 1].every((i) => (stateOf(run, i)?.op_checkpoint ?? 0) > head), CONVERGE_TICKS);
  // A target past the checkpoint: writes until the others' commit is not at their checkpoint, each
  // looked at once both have executed the same commit and written any checkpoint it made due (one
  // that became durable after the last write could make the rebuild's target its checkpoint: no tail).
  const client = new RawClient(run, 'tail');
  const primary = (await run.statusOf(0)).primary;
  await client.ok('register', primary, 0, 'register', null);
  const settled = (): boolean => {
    const [a, b] = [stateOf(run, 0)!, stateOf(run, 1)!];
    return a.commit_max === b.commit_max && [a, b].every((s) => s.commit_min === s.commit_max && s.checkpoint_writing === null);
  };
  for (let request = 1; ; request++) {
    await run.waitUntil('p0, p1 to execute one commit and write any checkpoint it made due', [0, 1], settled, CONVERGE_TICKS);
    if (![0, 1].some((i) => stateOf(run, i)!.commit_max === stateOf(run, i)!.op_checkpoint)) break;
    await client.ok(`write ${request}`, primary, request, 'write', { f: 'put', key: 'tail', value: `${request}` });
  }
  let cut = false;
  run.stepObservers.push(() => {
    if (cut || stateOf(run, 2)?.sync?.installed !== true) return;
    cut = true; // the step its snapshot is installed: nothing of its tail arrives after it
    sim.partition(run.cluster.id(2), true);
  });
  await run.heal(2);
  const marked = (): boolean => {
    const s = stateOf(run, 2);
    return s?.sync?.installed === true && s.checkpoint?.op === s.sync.op_checkpoint && s.checkpoint_writing === null;
  };
  await run.waitUntil(`${run.name(2)} to install its snapshot, its rebuild mark durable`, [2], marked, CONVERGE_TICKS);
  const before = stateOf(run, 2)!;
  const mark = { op_checkpoint: before.sync!.op_checkpoint, target: before.sync!.target };
  if (before.commit_min >= mark.target) throw new ScenarioFailure(`${run.name(2)}'s tail reached its target ${mark.target} before the crash; the scenario needs the crash between install and done`);
  await run.crash(2);
  run.note(`${run.name(2)} crashed with its snapshot of checkpoint ${mark.op_checkpoint} installed, commit_min ${before.commit_min}, target ${mark.target}`);
  await run.heal(2);
  const starts = watch.startsOf(2).length;
  await run.restart(2);
  const resumed = watch.startsOf(2)[starts];
  if (resumed === undefined || !resumed.resumed || resumed.op_checkpoint !== mark.op_checkpoint || resumed.target !== mark.target) {
    throw new ScenarioFailure(`${run.name(2)} restarted mid-rebuild (checkpoint ${mark.op_checkpoint}, target ${mark.target} marked durably) but did not resume that rebuild: ${resumed === undefined ? 'no rebuild open' : `checkpoint ${resumed.op_checkpoint}, target ${resumed.target}${resumed.resumed ? '' : ', a fresh start'}`}`);
  }
  await rebuilt(run, watch, 2);
  const done = watch.donesOf(2).at(-1)!;
  if (watch.startsOf(2).length !== starts + 1 || done.op_checkpoint !== mark.op_checkpoint || done.op < mark.target) {
    throw new ScenarioFailure(`${run.name(2)} resumed its rebuild of checkpoint ${mark.op_checkpoint} (target ${mark.target}) but ended ${watch.startsOf(2).length - starts} rebuild(s) with one done from checkpoint ${done.op_checkpoint} at op ${done.op}: expected the resumed one done at its target`);
  }
  run.note(`${run.name(2)} resumed its rebuild of checkpoint ${mark.op_checkpoint} from the mark and was done at op ${done.op} (target ${mark.target})`);
  await run.finish(run.all, CONVERGE_TICKS);
}
