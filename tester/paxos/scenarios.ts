// The Paxos lab's graded scenarios: rsm_tester.pl tests 0-7 (reference/yfs-labs.md section 1) plus
// our own (paxosScenarios below; the ghost duels in ghost-scenarios.ts), written once against the
// Cluster interface. Sleeps are the seed's seconds scaled to the world's heartbeat (observer.ms);
// checks are exact views, agreement and "no view without a majority". They never read the clock,
// print or exit: they throw ScenarioFailure (tester/scenario.ts).
import type { NodeId } from '../../src/env/types.js';
import { ScenarioFailure, type Scenario, type ScenarioContext } from '../scenario.js';
import { checkLastView, checkNoNewViews, checkNotInView, checkViewsStartWith, sameMembers, type Observed } from './checks.js';
import { PaxosObserver } from './observer.js';
import { seedsFrom } from '../suite.js';
import { ghostChosen, ghostChosenTie, ghostLeftover, ghostPromise, ghostRefusal, ghostTie, ghostTiePromise } from './ghost-scenarios.js';
import type { World } from '../cluster.js';

/** A scenario body with the views it expects so far (the seed's @views); Lab 2's scenarios extend it. */
export interface Run {
  o: PaxosObserver;
  views: NodeId[][];
}

/** The seed's start_nodes(n): start p0..p(n-1) through p0; after each, every member has views {p0}, {p0,p1}, ... */
export async function startNodes(run: Run, n: number): Promise<void> {
  const { o } = run;
  for (let i = 0; i < n; i++) {
    await o.cluster.start(i, { first: 0 });
    await o.sleep(1);
    run.views.push(o.ids(firstNodes(i + 1)));
    await o.expectViews(firstNodes(i + 1), run.views);
  }
  o.note(`started p0..p${n - 1}: views ${run.views.map((v) => `{${v.join(',')}}`).join(' ')}`);
}

/** The next view (the seed's wait_and_check_expected_view): every member of it knows it, and all views so far. */
async function expectNextView(run: Run, members: number[]): Promise<void> {
  run.views.push(run.o.ids(members));
  await run.o.expectViews(members, run.views);
}

/** The final check of tests 4-7 (check_views with a last view): these nodes reach `last`, and their views start with the expected ones. */
async function expectFinalView(run: Run, indices: number[], last: number[], boundSeedSeconds: number): Promise<void> {
  checkFinal(run, await run.o.waitForLastView(indices, run.o.ids(last), boundSeedSeconds), last);
}

function checkFinal(run: Run, observed: Observed[], last: number[]): void {
  for (const o of observed) {
    checkViewsStartWith(o, run.views);
    checkLastView(o, run.o.ids(last));
  }
}

/** While no majority can form, no node has a view past `vid`. */
async function expectNoNewViews(run: Run, indices: number[], vid: number): Promise<void> {
  checkNoNewViews(await run.o.observeAll(indices), vid);
}

export async function kill(o: PaxosObserver, index: number): Promise<void> {
  o.note(`kill p${index}`);
  await o.cluster.kill(index);
}

export async function restart(o: PaxosObserver, index: number, first: number): Promise<void> {
  o.note(`restart p${index} through p${first}`);
  await o.cluster.start(index, { first });
}

async function armBreakpoint(o: PaxosObserver, index: number, n: 3 | 4): Promise<void> {
  o.note(`breakpoint ${n} on p${index}`);
  await o.cluster.breakpoint(index, n);
}

/** The indices of the first `count` nodes, 0..count-1 (a run of integers, like a seed list). */
export function firstNodes(count: number): number[] {
  return seedsFrom(0, count);
}

const test0 = async (run: Run): Promise<void> => {
  await startNodes(run, 3);
};

const test1 = async (run: Run): Promise<void> => {
  await startNodes(run, 3);
  await kill(run.o, 2);
  await run.o.sleep(5);
  await expectNextView(run, [0, 1]);
};

const test2 = async (run: Run): Promise<void> => {
  await startNodes(run, 3);
  await kill(run.o, 0);
  await run.o.sleep(5);
  await expectNextView(run, [1, 2]);
};

const test3 = async (run: Run): Promise<void> => {
  const { o } = run;
  await startNodes(run, 3);
  await kill(o, 2);
  await o.sleep(5);
  await expectNextView(run, [0, 1]);
  await restart(o, 2, 0);
  await o.sleep(5);
  await expectNextView(run, [0, 1, 2]);
};

const test4 = async (run: Run): Promise<void> => {
  const { o } = run;
  await startNodes(run, 3);
  await kill(o, 2);
  await o.sleep(5);
  await expectNextView(run, [0, 1]);
  await kill(o, 1);
  await o.sleep(5);
  await restart(o, 2, 0);
  await o.sleep(5);
  // p0 and p2 are not a majority of view 4 {p0,p1}: no view 5, and p2 stays out of view 4.
  await expectNoNewViews(run, [0, 2], 4);
  const [p0] = await o.observeAll([0]);
  checkNotInView(p0!, 4, o.id(2));
  await kill(o, 2);
  await o.sleep(5);
  await restart(o, 1, 0);
  await o.sleep(7);
  // Intermediate views may vary from here on; the last one has everybody.
  await restart(o, 2, 0);
  await expectFinalView(run, [0, 1, 2], [0, 1, 2], 20);
};

const test5 = async (run: Run): Promise<void> => {
  const { o } = run;
  await startNodes(run, 3);
  await armBreakpoint(o, 0, 3);
  await o.sleep(1);
  await kill(o, 2);
  await o.sleep(5);
  // p0 dies after a prepare majority for view 4 (removing p2); p1 alone is no majority of view 3.
  await o.waitForDeath(0, 'paxos breakpoint 3', 20);
  await expectNoNewViews(run, [1], 3);
  await restart(o, 2, 0); // p2 is still in view 3: it does not join, and p1+p2 are a majority.
  run.views.push(o.ids([1, 2]));
  await expectFinalView(run, [1, 2], [1, 2], 20);
  await o.sleep(10);
  checkFinal(run, await o.observeAll([1, 2]), [1, 2]);
};

const test6 = async (run: Run): Promise<void> => {
  const { o } = run;
  await startNodes(run, 4);
  await armBreakpoint(o, 0, 4);
  await o.sleep(1);
  await kill(o, 3);
  await o.sleep(5);
  // p0 dies after an accept majority for view 5 = {p0,p1,p2}; p1+p2 are no majority of view 4.
  await o.waitForDeath(0, 'paxos breakpoint 4', 20);
  await expectNoNewViews(run, [1, 2], 4);
  await o.sleep(5);
  await restart(o, 3, 1);
  await o.sleep(5);
  // The value accepted before p0 died must win view 5; then p0 goes and p3 comes back.
  run.views.push(o.ids([0, 1, 2]));
  await o.sleep(10);
  await expectFinalView(run, [1, 2, 3], [1, 2, 3], 50);
};

const test7 = async (run: Run): Promise<void> => {
  const { o } = run;
  await startNodes(run, 4);
  await armBreakpoint(o, 0, 4);
  await o.sleep(3);
  await kill(o, 3);
  await o.sleep(5);
  // p0 dies after an accept majority for view 5 = {p0,p1,p2}.
  await o.waitForDeath(0, 'paxos breakpoint 4', 20);
  await kill(o, 2);
  await kill(o, 1);
  await o.sleep(5);
  await restart(o, 1, 0);
  await o.sleep(5);
  await restart(o, 2, 0);
  await o.sleep(5);
  await expectNoNewViews(run, [1, 2], 4);
  await restart(o, 3, 1);
  await o.sleep(5);
  // View 5 must be the value p1 and p2 accepted before their crash: n_a/v_a were on disk.
  run.views.push(o.ids([0, 1, 2]));
  await o.sleep(15);
  await expectFinalView(run, [1, 2, 3], [1, 2, 3], 20);
};

/**
 * Our own: a node partitioned away misses two view changes (a removal, then a join), is healed, and
 * must learn views 4 and 5 exactly as decided, by asking for instances that are long decided
 * (oldinstance); then it rejoins, appended last in join order, under the primary the views imply.
 */
const catchUp = async (run: Run): Promise<void> => {
  const { o } = run;
  await startNodes(run, 3);
  o.note('partition p2 at once');
  await o.cluster.partition(2, true);
  await o.sleep(5);
  await expectNextView(run, [0, 1]);
  await o.cluster.start(3, { first: 0 });
  await o.sleep(1);
  await expectNextView(run, [0, 1, 3]);
  o.note('heal p2');
  await o.cluster.heal(2);
  run.views.push(o.ids([0, 1, 3, 2]));
  await o.expectViews([0, 1, 2, 3], run.views, 30);
};

/**
 * Our own: the power fails on an acceptor right after it accepted. p0 dies at breakpoint 4, after an
 * accept majority {p0,p1} for view 4 = {p0,p1}, and p1 is killed -9 the moment p0 is seen dead. View 4
 * was chosen, so p1's disk must still hold it: restarted with p2, p1 must decide exactly {p0,p1}. An
 * acceptor that answers before its log write is durable can lose it here (simulated IO takes time).
 */
const powerAfterAccept = async (run: Run): Promise<void> => {
  const { o } = run;
  await startNodes(run, 3);
  await armBreakpoint(o, 0, 4);
  await o.sleep(1);
  await kill(o, 2);
  await o.waitForDeath(0, 'paxos breakpoint 4', 20, 1);
  o.note('kill -9 p1 the moment p0 is seen dead (the power fails)');
  await o.cluster.kill(1, 'SIGKILL');
  await o.sleep(1);
  await restart(o, 1, 1);
  await restart(o, 2, 1);
  run.views.push(o.ids([0, 1]));
  await o.expectViews([1], run.views, 30);
};

/**
 * Our own: two proposers compete for one view with different values, and an acceptor restarts
 * between their rounds. Five nodes; p4 dies, so the hub p0 proposes view 6 without it; the moment
 * p0's round starts, a new node p5 joins through p1, so p1 proposes view 6 with p5 (both rounds wait
 * a whole RPC timeout for the dead p4, so they overlap); meanwhile p2 or p3 is killed and restarted
 * from its disk, through p1 (p0 may be dead of its breakpoint by then). p0 carries breakpoint 4: if its round gets an accept majority, it dies before
 * anyone learns the value, which is then chosen all the same. Every status is watched closely: one
 * value per view, and a chosen value is the one decided (the ledger's acceptor check). In the end
 * the live nodes share one view of exactly themselves.
 */
const duel = async (run: Run): Promise<void> => {
  const { o } = run;
  await startNodes(run, 5);
  await kill(o, 4);
  await armBreakpoint(o, 0, 4);
  // Breakpoint 4 kills p0 a few message delays into its round; on a loaded host that can come before
  // a poll sees it proposing, and its accepted value is then already out: the duel goes on either way.
  await o.waitFor('p0 to start proposing a view without p4', [0], ([p0]) => p0!.status.proposer.running, 20, { stepSeedSeconds: 0.02, orDeath: true });
  o.note(o.cluster.alive(0) ? 'p0 proposes; p5 joins through p1 at once' : 'p0 died at breakpoint 4; p5 joins through p1 at once');
  await o.cluster.start(5, { first: 1 });
  const all = [0, 1, 2, 3, 5];
  const live = (): number[] => all.filter((i) => o.cluster.alive(i));
  // The rounds last a few message delays: watch every few milliseconds from now on (a value may be
  // chosen for a moment only), and kill and restart an acceptor somewhere in between.
  const restarted = 2 + Math.floor(o.faults() * 2);
  const killAt = Math.floor(o.faults() * 15);
  const restartAt = killAt + 1 + Math.floor(o.faults() * 5);
  for (let step = 0; step < 150; step++) {
    if (step === killAt) await kill(o, restarted);
    if (step === restartAt) await restart(o, restarted, 1); // through p1: p0 may be dead of its breakpoint by now
    await o.cluster.sleep(Math.max(1, o.ms(0.002)));
    for (const i of live()) await o.observe(i);
  }
  await expectLiveInOneView(o, all, 60);
};

/** The live nodes of `all` reach one view of exactly themselves within the bound (polled every seed second). */
export async function expectLiveInOneView(o: PaxosObserver, all: readonly number[], boundSeedSeconds: number): Promise<void> {
  for (let waited = 0; ; waited += o.ms(1)) {
    const nodes = all.filter((i) => o.cluster.alive(i));
    const observed = await o.observeAll(nodes);
    if (observed.every((x) => sameMembers(x.status.members, o.ids(nodes)))) return;
    if (waited >= o.ms(boundSeedSeconds)) throw new ScenarioFailure(`the live nodes ${nodes.map((i) => `p${i}`).join(',')} did not reach one view of exactly themselves within ${boundSeedSeconds} seed-seconds`);
    await o.cluster.sleep(o.ms(1));
  }
}

function scenario(id: string, nodes: number, title: string, body: (run: Run) => Promise<void>, worlds?: readonly World[]): Scenario {
  return {
    id,
    title,
    lab: 'paxos',
    nodes,
    points: 10,
    ...(worlds === undefined ? {} : { worlds }),
    async run(ctx: ScenarioContext): Promise<void> {
      await body({ o: new PaxosObserver(ctx), views: [] });
    },
  };
}

export const paxosScenarios: Scenario[] = [
  scenario('0', 3, 'start 3 nodes: views {p0}, {p0,p1}, {p0,p1,p2}', test0),
  scenario('1', 3, 'start 3, kill p2: view 4 = {p0,p1}', test1),
  scenario('2', 3, 'start 3, kill p0 (the hub): view 4 = {p1,p2}', test2),
  scenario('3', 3, 'kill p2, restart it: {p0,p1}, then {p0,p1,p2}', test3),
  scenario('4', 3, 'no view without a majority, then {p0,p1,p2}', test4),
  scenario('5', 3, 'breakpoint 3 on p0: no view, then {p1,p2}', test5),
  scenario('6', 4, 'breakpoint 4 on p0: accepted view 5 wins', test6),
  scenario('7', 4, 'breakpoint 4, restarts: view 5 survives', test7),
  scenario('power-accept', 3, 'breakpoint 4 on p0, p1 killed -9 at once: the accepted view 4 = {p0,p1} survives on p1', powerAfterAccept),
  scenario('duel', 6, 'two proposers compete for view 6 with different values, an acceptor restarts between their rounds: one value per view', duel),
  scenario('ghost-promise', 3, 'a ghost holds promises for view 4 from p1,p2 (p1 restarts); p0 proposes lower and is refused: view 4 = {p1,p2}, the ghost\'s', ghostPromise, ['sim']),
  scenario('ghost-chosen', 3, 'a ghost left {p0,p1} chosen under a higher proposal than p0\'s own accepted {p1,p2}: view 4 = {p0,p1}', ghostChosen, ['sim']),
  scenario('ghost-chosen-tie', 3, 'ghost-chosen with a tie in n: a second ghost, whose node id sorts higher, left {p0,p1} chosen under the n of p0\'s own accepted {p1,p2}: view 4 = {p0,p1}', ghostChosenTie, ['sim']),
  scenario('ghost-tie', 4, 'p1,p2 promise a ghost, then p0 under the same n (a higher node id), and refuse the ghost\'s accept: view 4 = {p0,p1,p2,p3}', ghostTie, ['sim']),
  scenario('ghost-tie-promise', 4, 'p1,p2 promise p0, then refuse a ghost\'s prepare under the same n (a lower node id): view 4 = {p0,p1,p2,p3}', ghostTiePromise, ['sim']),
  scenario('ghost-refusal', 3, 'p1 refuses p0\'s accept for view 4 (a ghost got a higher promise in between): no decision, then view 4 = {p0,p1}', ghostRefusal, ['sim']),
  scenario('ghost-leftover', 4, 'p1 alone accepted a ghost\'s {p0,p1} for view 4; p3 joins: view 4 = {p0,p1} leaves out the live p2, which joins again', ghostLeftover, ['sim']),
  scenario('catch-up', 4, 'p2 cut off misses views 4 and 5, learns them exactly, rejoins last: view 6 = {p0,p1,p3,p2}', catchUp),
];
