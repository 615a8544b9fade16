// The RSM lab's graded scenarios: rsm_tester.pl tests 8-16 (reference/yfs-labs.md section 1) plus
// our own (rsmScenarios below), written once against the Cluster interface. The seed's lock_tester
// becomes concurrent workload clients whose history must be linearizable (and mutually exclusive
// for locks); views are checked exactly; replica state is compared after every completed sync and
// at the end. Scenarios throw ScenarioFailure; they never read the clock, print or exit.
import { isRpcError, type NodeId } from '../../src/env/types.js';
import type { AppName } from '../../src/apps/app.js';
import { ScenarioFailure, type Scenario, type ScenarioContext } from '../scenario.js';
import type { World } from '../cluster.js';
import { checkLastView, sameMembers } from '../paxos/checks.js';
import { firstNodes, startNodes } from '../paxos/scenarios.js';
import type { RsmStatus } from '../../labs/rsm/status.js';
import { BackgroundLoad, type Ack } from './load.js';
import type { WorkloadResult } from '../../src/workload/workload.js';
import { rsmClientInvoke, rsmInvoke, rsmJoin, rsmTransfer, rsmTransferDone, type InvokeArgs, type Viewstamp } from '../../labs/rsm/protocol.js';
import { RsmObserver } from './observer.js';
import { decodeMembers } from '../../labs/config/view.js';
import { checkAckedKept, checkHistory, checkReplicasEqual, settled, showMembers, type RsmObserved } from './checks.js';

/** A scenario body's state: the observer, the views expected so far (the seed's @views), the load. */
interface Run {
  o: RsmObserver;
  ctx: ScenarioContext;
  app: AppName;
  views: NodeId[][];
  load?: BackgroundLoad;
  /** The nodes the load was started against: a load that never finishes says where each stands. */
  nodes?: number[];
}

/** A client load: clients, ops per client, and the think time before each op (uniform up to it). */
interface LoadShape {
  clients: number;
  ops: number;
  thinkSeedSeconds: number;
}

/** The client load: enough ops, spread by think time, to outlast the faults (tens of seed seconds). */
const LOAD: LoadShape = { clients: 3, ops: 12, thinkSeedSeconds: 3 };

/** Start the client load (the seed's lock_tester) against every node of the cluster. */
function startLoad(run: Run, nodes: number, shape: LoadShape = LOAD): void {
  const { o, ctx } = run;
  run.nodes = firstNodes(nodes);
  o.note(`load: ${shape.clients} ${run.app} clients x ${shape.ops} ops`);
  run.load = new BackgroundLoad(o.cluster, o.ids(run.nodes), { app: run.app, clients: shape.clients, ops: shape.ops, thinkMs: o.ms(shape.thinkSeedSeconds) }, ctx.random);
}

/** `load`'s result once it finished within `boundMs`; one that never finishes (liveness) fails with where each node of the run stands. */
function finished(run: Run, load: BackgroundLoad, boundMs: number): Promise<WorkloadResult> {
  const nodes = run.nodes;
  return load.finish(run.o.cluster, boundMs, nodes === undefined ? undefined : () => run.o.lastSeen(nodes));
}

/** The next view has exactly `members`: every node of `on` (default: the members) knows it, and every view before it as expected. */
async function expectNextView(run: Run, members: number[], on: number[] = members, boundSeedSeconds = 20): Promise<void> {
  run.views.push(run.o.ids(members));
  await run.o.expectViews(on, run.views, boundSeedSeconds);
  run.o.note(`view ${run.views.length} = ${showMembers(run.o.ids(members))}`);
}

/** Every node of `indices` has committed view `vid` (and no later one) and names `primary` as its primary. */
async function expectPrimary(run: Run, indices: number[], vid: number, primary: number): Promise<void> {
  const want = run.o.id(primary);
  const all = await run.o.waitForRsm(`view ${vid} on ${indices.map((i) => `p${i}`).join(',')}`, indices, (s) => s.every((x) => x.vid_commit >= vid), 20);
  for (const { name, status } of all) {
    if (status.vid_commit !== vid) throw new ScenarioFailure(`${name}: expected to be in view ${vid}, but it committed view ${status.vid_commit}`);
    if (status.primary !== want) throw new ScenarioFailure(`${name}: primary of view ${vid} is ${status.primary}, expected p${primary} (${want})`);
  }
}

async function kill(run: Run, index: number, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
  run.o.note(`kill ${signal === 'SIGKILL' ? '-9 ' : ''}p${index}`);
  await run.o.cluster.kill(index, signal);
}

async function restart(run: Run, index: number, first: number): Promise<void> {
  run.o.note(`restart p${index} through p${first}`);
  await run.o.cluster.start(index, { first });
}

async function armBreakpoint(run: Run, index: number, n: 1 | 2): Promise<void> {
  run.o.note(`breakpoint ${n} on p${index}`);
  await run.o.cluster.breakpoint(index, n);
}

/** The seed's random "1+rand(10)" seconds before a kill (the fault stream's: the load's draws never move it). */
function randomSeedSeconds(run: Run): number {
  return 1 + Math.floor(run.ctx.faults() * 10);
}

/**
 * Liveness as new work: a fresh load of requests invoked now (after a heal or the end of faults)
 * must complete, every one of them, within a bound of world time.
 */
async function expectNewWork(run: Run, nodes: number, boundSeedSeconds: number): Promise<void> {
  const { o } = run;
  // After the scenario's own load: both write the same keys, and its history is checked alone.
  if (run.load !== undefined) await finished(run, run.load, o.ms(300));
  const load = new BackgroundLoad(o.cluster, o.ids(firstNodes(nodes)), { app: run.app, clients: 2, ops: 3, prefix: 'after' }, run.ctx.random);
  const result = await finished(run, load, o.ms(boundSeedSeconds));
  const done = result.counts.ok + result.counts.fail;
  o.note(`new work after the heal: ${JSON.stringify(result.counts)}`);
  if (result.counts.info > 0 || done < result.counts.invoke) throw new ScenarioFailure(`after the heal, ${result.counts.invoke - done} of ${result.counts.invoke} new requests did not complete`);
}

/**
 * The end of every scenario: the load finishes (liveness), the final view's members settle and
 * hold equal state, and the history is linearizable (mutually exclusive for locks).
 */
async function finish(run: Run, members: number[]): Promise<void> {
  const vid = run.views.length;
  await finishIn(run, members, `view ${vid}`, (s) => settled(s, vid), 30);
}

/**
 * finish() when the views on the way are not predictable (message loss): the final view is
 * exactly `members`, whatever its vid. The bound covers joinreqs lost in a row (each asked again
 * after twice the timeout of the one before, from 8 RPC timeouts up to the 120-second join timeout).
 */
async function finishInAnyView(run: Run, members: number[]): Promise<void> {
  const want = run.o.ids(members);
  await finishIn(run, members, `a view ${showMembers(want)}`, (s) => s[0] !== undefined && sameMembers(s[0].members, want) && settled(s, s[0].vid_commit), 200);
}

async function finishIn(run: Run, members: number[], what: string, done: (s: RsmStatus[]) => boolean, boundSeedSeconds: number): Promise<void> {
  const { o } = run;
  if (run.load === undefined) throw new Error('scenario finished without a load');
  const result = await finished(run, run.load, o.ms(300));
  o.note(`load done: ${JSON.stringify(result.counts)}`);
  if (result.counts.ok === 0) throw new ScenarioFailure('no client operation succeeded');
  const acked = run.load.acked;
  const observed = await o.waitForRsm(`the members of ${what} to settle at the same viewstamp`, members, done, boundSeedSeconds).catch(async (e: unknown) => {
    // Never settled: a member inside the latest view that lacks an acknowledged request is why.
    checkAckedKept(inLatestView(await o.observeAnswering(members)), acked);
    throw e;
  });
  for (const m of observed) checkLastView(m, o.ids(members));
  checkReplicasEqual(observed);
  checkAckedKept(observed, run.load.acked);
  checkHistory(run.app, result.history);
  if (o.syncs.views === 0) throw new ScenarioFailure('no completed sync was observed');
}

/**
 * The nodes joined to the latest view among `observed`, synced and out of its view change. The
 * load being over, each must hold every acknowledged request: it executed those of its view before
 * the primary answered, and the sync that let it in brought the earlier ones.
 */
function inLatestView(observed: readonly RsmObserved[]): RsmObserved[] {
  const latest = Math.max(...observed.map((m) => m.status.vid_commit));
  return observed.filter(({ status: s }) => s.joined && !s.inviewchange && s.vid_commit === latest);
}

/** A scenario over `nodes` nodes; `body` runs with a fresh Run. */
function scenario(id: string, nodes: number, title: string, app: AppName, body: (run: Run) => Promise<void>, worlds?: readonly World[]): Scenario {
  return {
    id,
    title,
    lab: 'rsm',
    app,
    nodes,
    points: 10,
    ...(worlds === undefined ? {} : { worlds }),
    run: async (ctx) => {
      const run: Run = { o: new RsmObserver(ctx), ctx, app, views: [] };
      try {
        await body(run);
      } finally {
        // Kept only if the run fails: the clients' history so far (complete once the load finished).
        if (run.load !== undefined) ctx.attachHistory(run.load.historyJsonl(), run.app);
      }
    },
  };
}

const test8 = async (run: Run): Promise<void> => {
  await startNodes(run, 3);
  startLoad(run, 3);
  await finish(run, [0, 1, 2]);
};

/** Tests 9 and 10: the backup p2 dies under load; view 4 = {p0,p1}. */
async function killBackup(run: Run): Promise<void> {
  await startNodes(run, 3);
  startLoad(run, 3);
  await run.o.sleep(randomSeedSeconds(run));
  await kill(run, 2);
  await run.o.sleep(3);
  await expectNextView(run, [0, 1]);
  await expectPrimary(run, [0, 1], 4, 0);
}

const test9 = async (run: Run): Promise<void> => {
  await killBackup(run);
  await finish(run, [0, 1]);
};

const test10 = async (run: Run): Promise<void> => {
  await killBackup(run);
  await restart(run, 2, 0);
  await run.o.sleep(3);
  await expectNextView(run, [0, 1, 2]);
  await finish(run, [0, 1, 2]);
};

const test11 = async (run: Run): Promise<void> => {
  await startNodes(run, 3);
  startLoad(run, 3);
  await run.o.sleep(randomSeedSeconds(run));
  await kill(run, 0);
  await run.o.sleep(3);
  await expectNextView(run, [1, 2]);
  await expectPrimary(run, [1, 2], 4, 1);
  await finish(run, [1, 2]);
};

/** Tests 12 and 13: `victim` dies at breakpoint 1 under load, the others form view 4, it rejoins through `first` into view 5. */
async function breakpointOne(run: Run, victim: number, first: number): Promise<void> {
  const survivors = [0, 1, 2].filter((i) => i !== victim);
  await startNodes(run, 3);
  startLoad(run, 3);
  await run.o.sleep(1);
  await armBreakpoint(run, victim, 1);
  await run.o.waitForDeath(victim, 'breakpoint 1', 30);
  await run.o.sleep(1);
  await expectNextView(run, survivors);
  await expectPrimary(run, survivors, 4, survivors[0]!);
  await restart(run, victim, first);
  await run.o.sleep(3);
  await expectNextView(run, [...survivors, victim]);
  await finish(run, [0, 1, 2]);
}

const test12 = (run: Run): Promise<void> => breakpointOne(run, 0, 1);
const test13 = (run: Run): Promise<void> => breakpointOne(run, 2, 0);

/** Tests 14 and 15: breakpoint 1 on p4 and breakpoint 2 on `second`; two view changes, each to an exact view. */
async function twoBreakpoints(run: Run, second: number): Promise<void> {
  await startNodes(run, 5);
  startLoad(run, 5);
  await run.o.sleep(1);
  // Breakpoint 2 first: p4 may reach breakpoint 1 the moment it is armed, and its view change may
  // then pass `second`'s breakpoint 2 before a later arming reached it (a real-world CI run saw this).
  await armBreakpoint(run, second, 2);
  await armBreakpoint(run, 4, 1);
  await run.o.waitForDeath(4, 'breakpoint 1', 30);
  // First view change: view 6 = {p0..p3}; `second` dies as it commits there (breakpoint 2), the others know it.
  const final = [0, 1, 2, 3].filter((i) => i !== second);
  await expectNextView(run, [0, 1, 2, 3], final, 30);
  await run.o.waitForDeath(second, 'breakpoint 2', 30);
  // Second view change: view 7 without `second`. A new view, not the threshold the first wait already met.
  await expectNextView(run, final, final, 30);
  await expectPrimary(run, final, 7, final[0]!);
  await finish(run, final);
}

const test14 = (run: Run): Promise<void> => twoBreakpoints(run, 3);
const test15 = (run: Run): Promise<void> => twoBreakpoints(run, 0);

const test16 = async (run: Run): Promise<void> => {
  await startNodes(run, 3);
  startLoad(run, 3);
  await run.o.sleep(1);
  run.o.note('partition p0 (at its next request)');
  await run.o.cluster.partition(0);
  await run.o.sleep(3);
  await expectNextView(run, [1, 2]);
  await expectPrimary(run, [1, 2], 4, 1);
  await run.o.sleep(1);
  run.o.note('heal p0');
  await run.o.cluster.heal(0);
  // The seed's "xxx it should test that this is the 5th view": it is, with p0 joined last.
  await expectNextView(run, [1, 2, 0]);
  await expectNewWork(run, 3, 60);
  await finish(run, [0, 1, 2]);
};

/**
 * Our own: test 16's exposure without its fault point. p1's rsm.invoke links drop everything, so a
 * request reaches p2 only; once p2 executed it, primary p0 is cut off from the other nodes (now, not
 * at its partitionPoint; its client still reaches it), view 4 = {p1,p2} has p1, which never had the
 * request, as primary, and p0 rejoins once healed: view 5 = {p1,p2,p0}. p0's replicate ends with
 * view 3 with one backup's OK: it must not answer OK (p1's state, which every node takes, lacks the
 * request). Where a student calls the fault points does not matter here, as it does in test 16.
 */
const invokeCut = async (run: Run): Promise<void> => {
  const { o } = run;
  await startNodes(run, 3);
  await o.waitForRsm('p0, p1, p2 to settle in view 3', [0, 1, 2], (all) => settled(all, 3), 30);
  const cut = { loss: 1, methods: [rsmInvoke.name] };
  o.note(`faults on p1: ${JSON.stringify(cut)}`);
  await o.cluster.faults(1, cut);
  const client = o.cluster.clientEnv('cut-client');
  const request = { client: 'cut-client', seq: 1, op: { type: 'put', key: 'cut', value: 'p2 only' } };
  // Its answer comes once p0 learns view 3 is over, after the heal: the call waits that long.
  const answered = client.call(o.id(0), rsmClientInvoke, request, { timeoutMs: o.ms(120) }).catch((e: unknown) => {
    if (isRpcError(e)) return null;
    throw e;
  });
  await o.pollRsm('p2 to execute the request', 2, (s) => s.executed >= 1, 0.05, 30);
  o.note('partition p0 from the other nodes now');
  await o.cluster.partition(0, true, 'peers');
  await o.cluster.faults(1, { loss: 0, methods: [] });
  await expectNextView(run, [1, 2]);
  await expectPrimary(run, [1, 2], 4, 1);
  o.note('heal p0');
  await o.cluster.heal(0);
  await expectNextView(run, [1, 2, 0]);
  const answer = await answered;
  o.note(`p0 answered ${answer === null ? 'nothing (timeout)' : answer.status}`);
  const acked = answer?.status === 'OK' ? [{ client: 'cut-client', seq: 1 }] : [];
  checkReplicasEqual(await settledKeeping(o, 'p0, p1, p2 to settle in view 5', [0, 1, 2], 5, acked));
};

/**
 * The statuses of `members` once they settle in view `vid`, every request of `acked` kept by each;
 * if they never settle, an acknowledged request one of them lacks is named as why.
 */
async function settledKeeping(o: RsmObserver, what: string, members: number[], vid: number, acked: readonly Ack[]): Promise<RsmObserved[]> {
  const observed = await o.waitForRsm(what, members, (all) => settled(all, vid), 30).catch(async (e: unknown) => {
    checkAckedKept(await o.observeAnswering(members), acked);
    throw e;
  });
  checkAckedKept(observed, acked);
  return observed;
}

/**
 * Our own: an rsm.invoke of an older view reaches backup p2 (an old primary's, held up in the network
 * past a view change), numbered with the very seqno p2 expects next. p2 must refuse it (ERR) and
 * execute nothing: a viewstamp is a view and a seqno, and a backup that compares seqnos alone runs a
 * request no primary of its view sent, in place of the one that comes next. Then the cluster serves
 * a load as usual.
 */
const staleInvoke = async (run: Run): Promise<void> => {
  const { o } = run;
  await startNodes(run, 3);
  const [p2] = await o.waitForRsm('p0, p1, p2 to settle in view 3', [2, 0, 1], (all) => settled(all, 3), 30);
  const next = p2!.status.myvs;
  const stale: InvokeArgs = { vs: { vid: next.vid - 1, seqno: next.seqno }, req: { client: 'stale-probe', seq: 1, op: { type: 'put', key: 'stale', value: `view ${next.vid - 1}` }, time: 0 } };
  const probe = o.cluster.clientEnv('stale-probe');
  const answer = await probe.call(o.id(2), rsmInvoke, stale, { timeoutMs: o.cluster.timing.clientTimeoutMs });
  const shown = (vs: Viewstamp): string => `${vs.vid}.${vs.seqno}`;
  o.note(`p2 answered ${answer.status} to an rsm.invoke of ${shown(stale.vs)} (it expects ${shown(next)})`);
  if (answer.status !== 'ERR') throw new ScenarioFailure(`p2, in view ${next.vid} and expecting viewstamp ${shown(next)}, answered ${answer.status} to an rsm.invoke of ${shown(stale.vs)}: a backup executes only the next viewstamp of its own view (the view and the seqno both), and refuses every other with ERR`);
  const after = await o.observeRsm(2);
  if (after !== null && (after.status.executed !== p2!.status.executed || shown(after.status.myvs) !== shown(next))) {
    throw new ScenarioFailure(`p2 refused the rsm.invoke of ${shown(stale.vs)}, but its state moved: executed ${p2!.status.executed} -> ${after.status.executed}, myvs ${shown(next)} -> ${shown(after.status.myvs)}`);
  }
  startLoad(run, 3);
  await finish(run, [0, 1, 2]);
};

/**
 * Our own: p2 joins while primary p0's links drop every rsm.transferdonereq (request and reply) for
 * a few seconds: the backups' first reports that they hold view 3's state are lost. They must report
 * again (the seed's sync_with_primary retries until it succeeds), or p0 waits in its sync forever.
 * With the faults cleared, view 3 = {p0,p1,p2} settles and serves a load.
 */
const lostTransferDone = async (run: Run): Promise<void> => {
  const { o } = run;
  await startNodes(run, 2);
  const lost = { loss: 1, methods: [rsmTransferDone.name] };
  o.note(`faults on p0: ${JSON.stringify(lost)}`);
  await o.cluster.faults(0, lost);
  await restart(run, 2, 0);
  await expectNextView(run, [0, 1, 2]);
  await o.sleep(3);
  o.note('faults cleared');
  await o.cluster.faults(0, { loss: 0, methods: [] });
  startLoad(run, 3);
  await finish(run, [0, 1, 2]);
};

/** Our own: 3% loss and 10% duplication on every link of both backups, under load; faults cleared at the end. */
const lossBackups = async (run: Run): Promise<void> => {
  await startNodes(run, 3);
  run.o.note('faults on p1, p2: loss 0.03, dup 0.1');
  for (const i of [1, 2]) await run.o.cluster.faults(i, { loss: 0.03, dup: 0.1 });
  startLoad(run, 3);
  await run.o.sleep(40);
  run.o.note('faults cleared');
  for (const i of [1, 2]) await run.o.cluster.faults(i, { loss: 0, dup: 0 });
  await finishInAnyView(run, [0, 1, 2]);
  await expectNewWork(run, 3, 60);
};

/** lossViews: loss on every node's links (a message between two nodes crosses two: about 6%). */
const VIEW_LOSS = 0.03;
/** lossViews: the kills, in order; each victim is restarted and rejoins before the next. */
const VIEW_KILLS = ['primary', 'backup', 'primary'] as const;
/** lossViews: requests acknowledged between a view's sync and the next kill, so a backup that silently missed one is likely. */
const ACKS_PER_ROUND = 15;
/** lossViews: the load, stopped after the last round (lost joinreqs in a row can stall a round for minutes); `ops` only bounds it. */
const VIEW_LOAD: LoadShape = { clients: 3, ops: 1000, thinkSeedSeconds: 3 };
/**
 * lossViews: bound of each wait, in seed seconds. A joiner whose joinreq or its reply is lost asks
 * again after 8 RPC timeouts (doubling per loss in a row), while its primary waits for it in the
 * view change: under loss one view can take several. Whole runs of seeds 1..400 took at most 289
 * (median 85); before joinreqs were asked again this soon (after 120 seed seconds), 4 of seeds
 * 1..40 had a wait longer than this bound.
 */
const VIEW_BOUND = 300;

/**
 * Our own: view changes forced under message loss (loss alone rarely changes a view since the
 * heartbeater confirms a silent ping). 3% loss on every node's links while clients run; then, for
 * each of VIEW_KILLS, once ACKS_PER_ROUND more requests were acknowledged and all three nodes are
 * in one view with no view change under way, kill -9 the primary (or a backup the seed picks), wait
 * for the live two to enter a view of exactly themselves, restart the victim through the primary
 * and wait for a view of exactly all three. Every request acknowledged before a kill must be in the
 * exactly-once table of every member of each view after it: a primary that acknowledges what a
 * backup never executed loses it when that backup takes over (checked directly, not only through
 * the history). Twice-lost heartbeats add views on the way, so each step checks the members of the
 * view the nodes end in, not its number. The links are lossless from just before a kill until the
 * live two entered their view: a lost heartbeat there could drop a live node before the dead one,
 * and a view of two that holds a dead node wedges Lab 2 for good (late-ping). The rejoin (joinreq,
 * Paxos round, state transfer, invokes) runs under loss on every link, the victim's set as it runs
 * again (a node's faults go to its own control plane in the real world). Loss is cleared before
 * the end: the final view is exactly {p0,p1,p2}, settled, with equal replicas, every acknowledged
 * request kept and a linearizable history. Both worlds: kill -9 is a real SIGKILL in the real one,
 * where loss is drawn from Math.random (the seed still picks the backups killed).
 */
const lossViews = async (run: Run): Promise<void> => {
  const { o } = run;
  const all = [0, 1, 2];
  await startNodes(run, all.length);
  await setLoss(run, all, VIEW_LOSS);
  startLoad(run, all.length, VIEW_LOAD);
  for (const role of VIEW_KILLS) {
    await acksMore(run, ACKS_PER_ROUND, VIEW_BOUND);
    // Lossless from here until the live two entered their view. Heartbeat rounds begun under loss (a
    // ping and the one confirming it) end first, and a view change they started shows.
    await setLoss(run, all, 0);
    await o.cluster.sleep(2 * o.cluster.timing.rpcTimeoutMs);
    await o.sleep(0);
    const view = await enteredView(run, all, VIEW_BOUND, (s) => s.every((x) => !x.proposer.running) && pendingRemoval(run, s) !== null);
    const primary = o.cluster.indexOf(view[0]!.status.primary);
    const backups = all.filter((i) => i !== primary);
    const pending = pendingRemoval(run, view.map((v) => v.status));
    if (pending !== undefined) o.note(`a view without p${pending} was accepted but not decided: it is the next view, so p${pending} dies`);
    const victim = pending ?? (role === 'primary' ? primary : backups[Math.floor(o.faults() * backups.length)]!);
    const live = all.filter((i) => i !== victim);
    const acked = [...run.load!.acked];
    o.note(`${acked.length} requests acknowledged`);
    await kill(run, victim, 'SIGKILL');
    const survivors = await enteredView(run, live, VIEW_BOUND);
    checkAckedKept(survivors, acked);
    // The rejoin runs under loss on every link: its joinreq and reply, Paxos votes, state transfer, invokes.
    const next = o.cluster.indexOf(survivors[0]!.status.primary);
    await setLoss(run, live, VIEW_LOSS);
    await restart(run, victim, next);
    await setLoss(run, [victim], VIEW_LOSS);
    checkAckedKept(await enteredView(run, all, VIEW_BOUND), acked);
  }
  run.load!.stop();
  await setLoss(run, all, 0);
  await finishInAnyView(run, all);
};

async function setLoss(run: Run, indices: number[], loss: number): Promise<void> {
  run.o.note(`loss ${loss} on ${indices.map((i) => `p${i}`).join(',')}`);
  for (const i of indices) await run.o.cluster.faults(i, { loss });
}

/** Let world time pass until `count` more requests were acknowledged; fewer within the bound is a liveness failure. */
async function acksMore(run: Run, count: number, boundSeedSeconds: number): Promise<void> {
  const { o, load } = run;
  if (load === undefined) throw new Error('acksMore without a load');
  const target = load.acked.length + count;
  const step = Math.max(1, Math.round(o.cluster.timing.heartbeatMs / 6));
  for (let waited = 0; load.acked.length < target; waited += step) {
    if (load.finished || waited > o.ms(boundSeedSeconds)) {
      throw new ScenarioFailure(`only ${load.acked.length - target + count} of ${count} more client requests were acknowledged within ${boundSeedSeconds} seed-seconds`);
    }
    await o.cluster.sleep(step);
  }
}

/**
 * Wait until the nodes `indices` are joined members of a view of exactly themselves, its latest,
 * and each has entered it (synced, out of the view change), and `also` holds; returns their
 * statuses then. Not necessarily at the same viewstamp: clients keep the primary busy.
 */
async function enteredView(run: Run, indices: number[], boundSeedSeconds: number, also: (all: RsmStatus[]) => boolean = () => true): Promise<RsmObserved[]> {
  const want = run.o.ids(indices);
  const entered = (s: RsmStatus, vid: number): boolean => s.joined && s.vid === vid && s.vid_commit === vid && !s.inviewchange && sameMembers(s.members, want);
  const what = `a view ${showMembers(want)} that ${indices.map((i) => `p${i}`).join(',')} entered`;
  const observed = await run.o.waitForRsm(what, indices, (all) => all.every((s) => entered(s, all[0]!.vid_commit)) && also(all), boundSeedSeconds);
  run.o.note(`view ${observed[0]!.status.vid_commit} = ${showMembers(want)}, primary ${observed[0]!.status.primary}`);
  return observed;
}

/**
 * The node that the next view leaves out, if the members of the latest view hold a value accepted
 * for it (a removal whose Paxos round failed under loss: whoever proposes next must propose it
 * again); undefined if none holds one, null if their values disagree. Killing any other node would
 * make that view one of two holding a dead node, which wedges Lab 2.
 */
function pendingRemoval(run: Run, statuses: readonly RsmStatus[]): number | undefined | null {
  const left = new Set<number>();
  for (const s of statuses) {
    if (s.acceptor.v_a === null) continue;
    const next = decodeMembers(s.acceptor.v_a);
    const out = s.members.filter((m) => !next.includes(m));
    if (out.length !== 1 || next.length !== s.members.length - 1) return null;
    left.add(run.o.cluster.indexOf(out[0]!));
  }
  return left.size === 0 ? undefined : left.size === 1 ? [...left][0]! : null;
}

/** Our own: the primary dies (kill -9) while it hands its state to a joiner; the old backup p1 takes over in view 6. */
const kill9MidTransfer = async (run: Run): Promise<void> => {
  const { o } = run;
  await startNodes(run, 3);
  startLoad(run, 3);
  await o.sleep(randomSeedSeconds(run));
  await kill(run, 2, 'SIGKILL');
  await expectNextView(run, [0, 1]);
  // Slow links at the primary stretch the state transfer over several status polls.
  await o.cluster.faults(0, { delayMs: Math.round(o.cluster.timing.rpcTimeoutMs / 10) });
  await restart(run, 2, 0);
  const p0 = await o.pollRsm('p0 to hand out its state for view 5', 0, (s) => s.vid_commit === 5 && s.insync, 0.05, 30);
  o.note(`p0 insync for view ${p0.status.vid_commit}: state transfer under way`);
  await kill(run, 0, 'SIGKILL');
  run.views.push(o.ids([0, 1, 2]));
  await expectNextView(run, [1, 2]);
  await expectPrimary(run, [1, 2], 6, 1);
  await finish(run, [1, 2]);
};

/**
 * Our own: a joiner's joinreq is lost. Under load, p3 starts through p0 while its links drop every
 * message for one seed second (simulator only: there a node's faults hold before it runs), so its
 * first joinreq never arrives; it must ask again soon and be in view 4 = {p0,p1,p2,p3} within 60
 * seed seconds (a joiner that waits out the seed's 120-second join timeout is not: the primary is
 * idle meanwhile, the view long overdue).
 */
const lostJoin = async (run: Run): Promise<void> => {
  const { o } = run;
  await startNodes(run, 3);
  startLoad(run, 3);
  await o.sleep(1);
  o.note('p3 starts through p0 with its links dropping every message');
  await o.cluster.faults(3, { loss: 1 });
  await restart(run, 3, 0);
  await o.cluster.sleep(o.ms(1));
  o.note('p3\'s links deliver again');
  await o.cluster.faults(3, { loss: 0 });
  await expectNextView(run, [0, 1, 2, 3], [0, 1, 2, 3], 60);
  await finish(run, [0, 1, 2, 3]);
};

/** Our own: five nodes lose the primary p0 and the backup p3 at once (kill -9): views 6 = {p1..p4}, 7 = {p1,p2,p4}. */
const fiveLoseTwo = async (run: Run): Promise<void> => {
  await startNodes(run, 5);
  startLoad(run, 5);
  await run.o.sleep(randomSeedSeconds(run));
  await kill(run, 0, 'SIGKILL');
  await kill(run, 3, 'SIGKILL');
  await expectNextView(run, [1, 2, 3, 4], [1, 2, 4], 30);
  await expectNextView(run, [1, 2, 4], [1, 2, 4], 30);
  await expectPrimary(run, [1, 2, 4], 7, 1);
  await finish(run, [1, 2, 4]);
};

/**
 * Our own: a replica answers BUSY during a view change, asked directly. p1 joins p0 while p0's
 * links are slow, so p0 spends several message delays in the view change to view 2 (the join
 * reply, the state transfer, transferdonereq), and a client request that reaches it after one delay
 * must get BUSY. After the change, the same request must succeed.
 */
const busyInViewChange = async (run: Run): Promise<void> => {
  const { o } = run;
  await o.cluster.start(0, { first: 0 });
  await o.sleep(1);
  run.views.push(o.ids([0]));
  await o.expectViews([0], run.views);
  await o.cluster.faults(0, { delayMs: Math.round(o.cluster.timing.rpcTimeoutMs / 8) });
  await restart(run, 1, 0);
  await o.pollRsm('p0 in the view change to view 2', 0, (s) => s.vid_commit === 2 && s.inviewchange, 0.02, 30);
  const probe = o.cluster.clientEnv('busy-probe');
  const request = { client: 'busy-probe', seq: 1, op: { type: 'put', key: 'k', value: 'v' } };
  const answer = await probe.call(o.id(0), rsmClientInvoke, request, { timeoutMs: o.cluster.timing.clientTimeoutMs });
  o.note(`p0 answered ${answer.status} during its view change`);
  if (answer.status !== 'BUSY') throw new ScenarioFailure(`p0 answered ${answer.status} to a client request during its view change to view 2; it must answer BUSY until its backups synced`);
  await o.cluster.faults(0, { delayMs: 0 });
  run.views.push(o.ids([0, 1]));
  await o.waitForRsm('p0 and p1 to settle in view 2', [0, 1], (all) => settled(all, 2), 30);
  const after = await probe.call(o.id(0), rsmClientInvoke, request, { timeoutMs: o.cluster.timing.clientTimeoutMs });
  if (after.status !== 'OK') throw new ScenarioFailure(`p0 answered ${after.status} to a client request after the view change to view 2 ended`);
};

/**
 * Our own: the primary's links duplicate messages and the backups' links are slow, under load, so
 * client requests arrive twice and replies overtake replication; the primary is killed mid-load, and
 * every acknowledged request must survive into view 4 = {p1,p2}.
 */
const clientDupDelay = async (run: Run): Promise<void> => {
  const { o } = run;
  await startNodes(run, 3);
  const slow = { delayMs: Math.round(o.cluster.timing.rpcTimeoutMs / 8) };
  o.note(`faults on p0: dup 0.3; on p1, p2: ${JSON.stringify(slow)}`);
  await o.cluster.faults(0, { dup: 0.3 });
  for (const i of [1, 2]) await o.cluster.faults(i, slow);
  startLoad(run, 3);
  await o.sleep(randomSeedSeconds(run));
  await kill(run, 0, 'SIGKILL');
  for (const i of [1, 2]) await o.cluster.faults(i, { delayMs: 0 });
  await expectNextView(run, [1, 2]);
  await expectPrimary(run, [1, 2], 4, 1);
  await finish(run, [1, 2]);
};

/**
 * Our own: no acknowledged request is lost when the primary dies the moment it answers. The
 * backups' links are slow; a client sends one request to the primary p0 and kills p0 as soon as
 * the answer is OK. The request must be in the exactly-once tables of p1 and p2 when the answer
 * arrives, and still there, with equal state, in view 4 = {p1,p2}.
 */
const ackThenKill = async (run: Run): Promise<void> => {
  const { o } = run;
  await startNodes(run, 3);
  await o.waitForRsm('p0, p1, p2 to settle in view 3', [0, 1, 2], (all) => settled(all, 3), 30);
  for (const i of [1, 2]) await o.cluster.faults(i, { delayMs: Math.round(o.cluster.timing.rpcTimeoutMs / 8) });
  const client = o.cluster.clientEnv('acker');
  const request = { client: 'acker', seq: 1, op: { type: 'put', key: 'acked', value: 'yes' } };
  const answer = await client.call(o.id(0), rsmClientInvoke, request, { timeoutMs: o.cluster.timing.clientTimeoutMs });
  if (answer.status !== 'OK') throw new ScenarioFailure(`p0 answered ${answer.status} to the only request of a settled cluster`);
  // The primary answers only once every backup executed the request: it is in their tables already.
  const backups = await Promise.all([1, 2].map((i) => o.observeRsm(i)));
  checkAckedKept(backups.filter((b): b is RsmObserved => b !== null), [{ client: 'acker', seq: 1 }]);
  await kill(run, 0, 'SIGKILL');
  for (const i of [1, 2]) await o.cluster.faults(i, { delayMs: 0 });
  await expectNextView(run, [1, 2]);
  await expectPrimary(run, [1, 2], 4, 1);
  const observed = await o.waitForRsm('p1 and p2 to settle in view 4', [1, 2], (all) => settled(all, 4), 30);
  checkReplicasEqual(observed);
  checkAckedKept(observed, [{ client: 'acker', seq: 1 }]);
};

/**
 * Our own: a view change lands while a request is in flight. p2's rsm.invoke messages (only those:
 * its heartbeats and Paxos run on time) take 2/5 of an RPC timeout each way, and p0 holds rsm.join
 * messages a quarter of that longer. p3 starts through p0 and a client at once sends one request to
 * p0: p3's joinreq reaches p0 after p2 executed the request and before p2's OK is back, so view 4 =
 * {p0,p1,p2,p3} commits with the request in flight. p0 must let it finish before it hands its state
 * out: a sync that starts at once gives p1 a state without the request, which p0 then acknowledges.
 */
const requestAcrossSync = async (run: Run): Promise<void> => {
  const { o } = run;
  await startNodes(run, 3);
  await o.waitForRsm('p0, p1, p2 to settle in view 3', [0, 1, 2], (all) => settled(all, 3), 30);
  const slowMs = Math.round((2 * o.cluster.timing.rpcTimeoutMs) / 5);
  const invokes = { delayMs: slowMs, methods: [rsmInvoke.name] };
  const joins = { delayMs: Math.round((5 * slowMs) / 4), methods: [rsmJoin.name] };
  o.note(`faults on p2: ${JSON.stringify(invokes)}; on p0: ${JSON.stringify(joins)}`);
  await o.cluster.faults(2, invokes);
  await o.cluster.faults(0, joins);
  await restart(run, 3, 0);
  const client = o.cluster.clientEnv('straddler');
  const request = { client: 'straddler', seq: 1, op: { type: 'put', key: 'straddles', value: 'yes' } };
  const answer = await client.call(o.id(0), rsmClientInvoke, request, { timeoutMs: o.cluster.timing.clientTimeoutMs });
  o.note(`p0 answered ${answer.status}`);
  for (const i of [0, 2]) await o.cluster.faults(i, { delayMs: 0, methods: [] });
  run.views.push(o.ids([0, 1, 2, 3]));
  const acked = answer.status === 'OK' ? [{ client: 'straddler', seq: 1 }] : [];
  const members = [0, 1, 2, 3];
  const observed = await settledKeeping(o, 'p0..p3 to settle in view 4', members, 4, acked);
  for (const m of observed) checkLastView(m, o.ids(members));
  checkReplicasEqual(observed);
};

/**
 * Our own: a transferdonereq of an old view arrives in the next view's sync. p2's
 * rsm.transferdonereq messages take a heartbeat and four RPC timeouts. p3 joins through p0: view 4
 * = {p0,p1,p2,p3}, whose sync waits for p2's slow done. Once p2 fetched its state, its
 * rsm.transferreq messages are as slow too, and p3 is killed: view 5 = {p0,p1,p2} commits, and p2's
 * done for view 4 reaches p0 in the sync of view 5, before p2 could fetch that view's state. p0
 * must not count it for view 5: a primary that does enters view 5 without p2, which then hears BUSY
 * for good. With the faults healed, p0..p2 must settle in view 5 and serve a request.
 */
const staleTransferDone = async (run: Run): Promise<void> => {
  const { o } = run;
  const { heartbeatMs, rpcTimeoutMs } = o.cluster.timing;
  await startNodes(run, 3);
  await o.waitForRsm('p0, p1, p2 to settle in view 3', [0, 1, 2], (all) => settled(all, 3), 30);
  const slowMs = heartbeatMs + 4 * rpcTimeoutMs;
  o.note(`p2's ${rsmTransferDone.name} messages take ${slowMs} ms`);
  await o.cluster.faults(2, { delayMs: slowMs, methods: [rsmTransferDone.name] });
  await restart(run, 3, 0);
  run.views.push(o.ids([0, 1, 2, 3]));
  const inView4 = (s: RsmStatus): boolean => s.vid_commit === 4 && !s.inviewchange;
  await o.waitForRsm('p2 and p3 to enter view 4', [2, 3], (all) => all.every(inView4), 30);
  o.note(`p2's ${rsmTransfer.name} messages slow too; p0 still waits for p2's done`);
  await o.cluster.faults(2, { methods: [rsmTransferDone.name, rsmTransfer.name] });
  await kill(run, 3, 'SIGKILL');
  await expectNextView(run, [0, 1, 2]);
  await o.cluster.sleep(slowMs + rpcTimeoutMs);
  await o.cluster.faults(2, { delayMs: 0, methods: [] });
  const observed = await o.waitForRsm('p0, p1, p2 to settle in view 5', [0, 1, 2], (all) => settled(all, 5), 30).catch(async (e: unknown) => {
    const stuck = (await o.observeAnswering([0, 1, 2])).filter((m) => m.status.inviewchange).map((m) => m.name);
    if (stuck.length > 0) throw new ScenarioFailure(`${stuck.join(', ')} still in the view change to view 5 after the faults healed (did p0 count a transferdonereq of view 4 in the sync of view 5?): ${String(e)}`);
    throw e;
  });
  checkReplicasEqual(observed);
  const client = o.cluster.clientEnv('after-stale');
  const request = { client: 'after-stale', seq: 1, op: { type: 'put', key: 'after', value: 'stale' } };
  const answer = await client.call(o.id(0), rsmClientInvoke, request, { timeoutMs: o.cluster.timing.clientTimeoutMs });
  if (answer.status !== 'OK') throw new ScenarioFailure(`p0 answered ${answer.status} to a request in view 5 after every member settled`);
};

/**
 * Our own: heartbeats come back late for a moment, then the primary dies. Pulses of half an RPC
 * timeout make p1's links an RPC timeout slower, so a heartbeat between p1 and the hub p0 caught in
 * one comes back late; the pulses are a heartbeat and a pulse apart, so they sweep every heartbeat
 * phase, and whatever is sent after a pulse is on time. A live node must not leave the view for one
 * late answer: if it does, killing the primary of that two-member view wedges Lab 2 for good (the
 * survivor alone is no majority of it, and the dropped node can only rejoin through the dead
 * primary). The primary of the latest view is killed the moment a view change is seen (or after
 * the pulses); the two live nodes must then form a view of exactly themselves and serve the load.
 */
const latePing = async (run: Run): Promise<void> => {
  const { o } = run;
  const { heartbeatMs, rpcTimeoutMs } = o.cluster.timing;
  await startNodes(run, 3);
  await o.waitForRsm('p0, p1, p2 to settle in view 3', [0, 1, 2], (all) => settled(all, 3), 30);
  startLoad(run, 3);
  const pulseMs = Math.floor(rpcTimeoutMs / 2);
  const pulses = Math.ceil(heartbeatMs / pulseMs) + 1;
  o.note(`${pulses} pulses of ${pulseMs} ms, each a heartbeat apart, making p1's links ${rpcTimeoutMs} ms slower`);
  let changed: RsmObserved | null = null;
  for (let pulse = 0; pulse < pulses && changed === null; pulse++) {
    await o.cluster.faults(1, { delayMs: rpcTimeoutMs });
    await o.cluster.sleep(pulseMs);
    await o.cluster.faults(1, { delayMs: 0 });
    changed = await viewChangeWithin(run, heartbeatMs);
  }
  const latest = changed ?? (await o.observeRsm(0));
  if (latest === null) throw new ScenarioFailure(`${o.name(0)}: expected alive, but it gives no status`);
  if (changed !== null) {
    const { vid_commit: vid, views } = changed.status;
    o.note(`${changed.name} committed view ${vid} = ${showMembers(views[vid - 1]!.members)} after a late heartbeat`);
    run.views.push(views[vid - 1]!.members);
  }
  // The primary of the view `latest` committed last.
  const primary = o.cluster.indexOf(latest.status.primary);
  await kill(run, primary, 'SIGKILL');
  const live = [0, 1, 2].filter((i) => i !== primary);
  await expectNextView(run, live);
  await finish(run, live);
};

/** The first node of p0..p2 seen to commit a view past 3, polled every few ms of world time for `ms`; null if none. */
async function viewChangeWithin(run: Run, ms: number): Promise<RsmObserved | null> {
  const step = Math.max(1, Math.floor(ms / 30));
  for (let waited = 0; waited < ms; waited += step) {
    for (const i of [0, 1, 2]) {
      const observed = await run.o.observeRsm(i);
      if (observed !== null && observed.status.vid_commit > 3) return observed;
    }
    await run.o.cluster.sleep(step);
  }
  return null;
}

export const rsmScenarios: Scenario[] = [
  scenario('8', 3, 'start 3, concurrent lock clients: linearizable, mutually exclusive, replicas equal', 'lock', test8),
  scenario('9', 3, 'kill backup p2 under load: view 4 = {p0,p1}', 'lock', test9),
  scenario('10', 3, 'as 9, then restart p2: view 5 = {p0,p1,p2} after state transfer under load', 'lock', test10),
  scenario('11', 3, 'kill primary p0 under load: view 4 = {p1,p2}, primary p1, clients fail over', 'lock', test11),
  scenario('12', 3, 'breakpoint 1 on primary p0: view 4 = {p1,p2}; p0 rejoins via p1: view 5 = {p1,p2,p0}', 'lock', test12),
  scenario('13', 3, 'breakpoint 1 on backup p2: view 4 = {p0,p1}; p2 rejoins via p0: view 5 = {p0,p1,p2}', 'lock', test13),
  scenario('14', 5, 'start 5; breakpoint 1 on p4, breakpoint 2 on p3: views 6 = {p0..p3}, 7 = {p0,p1,p2}', 'lock', test14),
  scenario('15', 5, 'start 5; breakpoint 1 on p4, breakpoint 2 on primary p0: views 6 = {p0..p3}, 7 = {p1,p2,p3}', 'lock', test15),
  scenario('16', 3, 'partition primary p0 mid-request: view 4 = {p1,p2}; healed, p0 rejoins: view 5 = {p1,p2,p0}', 'lock', test16),
  scenario('lost-transfer-done', 3, 'p2 joins while p0 drops every rsm.transferdonereq for 3 seed-seconds: the backups report again, and view 3 = {p0,p1,p2} settles', 'kv', lostTransferDone),
  scenario('stale-invoke', 3, 'an rsm.invoke of view 2 with the seqno p2 expects next in view 3: p2 answers ERR and executes nothing', 'kv', staleInvoke),
  scenario('invoke-cut', 3, 'a request only p2 executed (p1\'s rsm.invoke links drop all), then p0 cut off: view 4 = {p1,p2}, p0 rejoins: it never acknowledges the request', 'kv', invokeCut),
  scenario('loss-backups', 3, 'loss and duplication on both backups\' links under load: linearizable, replicas equal', 'kv', lossBackups),
  scenario('kill9-transfer', 3, 'kill -9 of the primary while it transfers state to a joiner: view 6 = {p1,p2}, primary p1', 'kv', kill9MidTransfer),
  scenario('busy', 2, 'a primary answers BUSY to a client during its view change (asked directly), OK after it', 'kv', busyInViewChange),
  scenario('client-dup', 3, 'duplicated and delayed client-primary messages, then the primary killed: acked requests survive', 'kv', clientDupDelay),
  scenario('ack-kill', 3, 'the primary killed the moment it acknowledges a request: the request survives in view 4 = {p1,p2}', 'kv', ackThenKill),
  scenario('late-ping', 3, 'one late heartbeat answer, then the primary killed: the two live nodes form a view of themselves', 'kv', latePing),
  scenario('loss-views', 3, 'under 3% loss with clients, kill -9 the primary, a backup, the primary, each rejoining: exact views, acked requests kept', 'kv', lossViews),
  scenario('lost-join', 4, 'p3\'s first joinreq is lost (its links drop everything for a second): it asks again and is in view 4 = {p0,p1,p2,p3} within 60 seed-seconds', 'kv', lostJoin, ['sim']),
  scenario('five-lose-two', 5, '5 nodes lose primary p0 and backup p3 at once: views 6 = {p1,p2,p3,p4}, 7 = {p1,p2,p4}', 'kv', fiveLoseTwo),
  scenario('request-across-sync', 4, 'a join commits view 4 while a request waits for p2\'s slow rsm.invoke: p0 finishes it before it syncs, replicas equal', 'kv', requestAcrossSync),
  scenario('stale-transfer-done', 4, 'p2\'s transferdonereq for view 4 arrives in the sync of view 5: p0 must not count it, and view 5 = {p0,p1,p2} settles', 'kv', staleTransferDone),
];
