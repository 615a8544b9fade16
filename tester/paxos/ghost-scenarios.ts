// Lab 1's simulator-only duels: a ghost proposer (tester/paxos/ghost.ts) runs part of a round for
// view 4 at chosen acceptors, then a real node's proposer competes with it, while the safety
// watcher (tester/paxos/safety.ts) checks every step. Each schedule is the textbook case of one
// Paxos rule. They never touch a node's memory: only messages, crashes, link delays.
import { encodeMembers } from '../../labs/config/view.js';
import { compareProps, type Prop } from '../../labs/paxos/protocol.js';
import type { PaxosStatus } from '../../labs/paxos/status.js';
import { simClusterOf, type SimCluster } from '../sim-cluster.js';
import { ScenarioFailure } from '../scenario.js';
import { GhostProposer } from './ghost.js';
import type { PaxosObserver } from './observer.js';
import { liveStatus, watchPaxosSafety } from './safety.js';
import { expectLiveInOneView, kill, restart, startNodes, type Run } from './scenarios.js';

/** Every duel decides view 4, the instance after the three founding views. */
const VIEW = 4;

/** Three nodes in view 3 = {p0,p1,p2}, every step watched; the ghost, and p0's status. */
async function setUp(run: Run): Promise<{ sim: SimCluster; ghost: GhostProposer; p0: () => PaxosStatus }> {
  const sim = simClusterOf(run.o.cluster);
  watchPaxosSafety(sim, 3);
  await startNodes(run, 3);
  await run.o.sleep(1);
  const p0 = (): PaxosStatus => {
    const s = liveStatus(sim, 0);
    if (s === null) throw new ScenarioFailure('p0: expected alive, but it gives no status');
    return s;
  };
  return { sim, ghost: new GhostProposer(sim), p0 };
}

/** Poll every 20 ms until `probe` gives a value (not undefined), for at most `boundSeedSeconds`; else fail with `failure`. */
async function pollUntil<T>(sim: SimCluster, o: PaxosObserver, boundSeedSeconds: number, probe: () => T | undefined, failure: string): Promise<T> {
  for (let waited = 0; waited <= o.ms(boundSeedSeconds); waited += 20) {
    const value = probe();
    if (value !== undefined) return value;
    await sim.sleep(20);
  }
  throw new ScenarioFailure(failure);
}

/**
 * Poll node `index` until a round of its proposer has started (its my_n moved from `before`, so a
 * round shorter than a poll counts too) and is over, or the node died.
 */
async function roundOver(sim: SimCluster, o: PaxosObserver, index: number, before: Prop, boundSeedSeconds: number): Promise<void> {
  const over = (): true | undefined => {
    const s = liveStatus(sim, index);
    return s === null || (compareProps(s.proposer.my_n, before) !== 0 && !s.proposer.running) || undefined;
  };
  await pollUntil(sim, o, boundSeedSeconds, over, `p${index} did not run a Paxos round for view ${VIEW} within ${boundSeedSeconds} seed-seconds`);
}

function demand(what: string, ok: boolean): void {
  if (!ok) throw new ScenarioFailure(what);
}

/**
 * A promise binds across a crash, and binds whatever the proposal. The ghost gets promises for view
 * 4 under proposal n from p1 and p2; p1 crashes and restarts; p2 dies, so p0 proposes {p0,p1} under a
 * lower number, which p1 must refuse. Then p2 is back and the ghost asks p1 and p2 to accept {p1,p2}
 * under n. An acceptor that forgot its promise (or promises any proposal) lets p0's value be chosen
 * first, and then accepts the ghost's: two values chosen for one view. With the promises kept, the
 * ghost's value is the only one chosen: p1 and p2 know view 4 = {p1,p2} exactly.
 */
export const ghostPromise = async (run: Run): Promise<void> => {
  const { o } = run;
  const { sim, ghost, p0 } = await setUp(run);
  const n = p0().proposer.my_n.n + 4 + Math.floor(o.random() * 3); // above any round p0 can start before the ghost is back
  o.note(`ghost: prepare view ${VIEW} under ${n} at p1,p2`);
  const promises = await ghost.prepare(VIEW, n, [1, 2]);
  demand(`p1 and p2 must promise the ghost's proposal ${n} for view ${VIEW} (fresh round), but answered ${JSON.stringify(promises)}`, promises.every((r) => r?.accept === true));
  await kill(o, 1);
  await restart(o, 1, 0);
  const before = p0().proposer.my_n;
  await kill(o, 2);
  await roundOver(sim, o, 0, before, 15);
  await restart(o, 2, 1);
  const y = encodeMembers(o.ids([1, 2]));
  o.note(`ghost: accept {p1,p2} under ${n} at p1,p2`);
  const accepted = await ghost.accept(VIEW, n, y, [1, 2]);
  demand(`p1 and p2 must accept the ghost's proposal ${n}, which they promised and nobody outbid (answered ${accepted.join(', ')})`, accepted.every(Boolean));
  await ghost.decide(VIEW, y, [1, 2]);
  run.views.push(o.ids([1, 2]));
  await o.expectViews([1, 2], run.views);
};

/**
 * The value of the highest accepted proposal wins. The ghost had p0 accept {p1,p2} under proposal x,
 * then p1 and p2 accept {p0,p1} under a higher proposal (chosen: a majority), and died. p2 dies too;
 * p0 proposes view 4 with p0 and p1, whose promises carry both values: p0 must propose {p0,p1}, the
 * one of the higher proposal, not the first in the view's order, nor the first it hears (p1 is
 * slowed, so p0's own promise comes first), nor its own acceptor's: p0 and p1 know view 4 = {p0,p1}.
 * `higher` is the higher proposal's maker: the same ghost with n = x + 1 (ghost-chosen), or a second
 * ghost whose node id sorts above the first's with the same n = x (ghost-chosen-tie: a proposer that
 * compares only the n of two proposals sees a tie and keeps the first value it heard).
 */
function ghostChosenUnder(higher: 'next-n' | 'same-n-higher-id') {
  return async (run: Run): Promise<void> => {
    const { o } = run;
    const { sim, ghost, p0 } = await setUp(run);
    const x = p0().proposer.my_n.n + 1 + Math.floor(o.random() * 3);
    const [second, y] = higher === 'next-n' ? [ghost, x + 1] : [new GhostProposer(sim, 'ghost2'), x];
    const [older, chosen] = [encodeMembers(o.ids([1, 2])), encodeMembers(o.ids([0, 1]))];
    o.note(`ghost: p0 accepts {p1,p2} under ${show(ghost.prop(x))}; p1,p2 accept {p0,p1} under ${show(second.prop(y))}`);
    demand(`p0 must promise and accept the ghost's proposal ${show(ghost.prop(x))} for view ${VIEW} (fresh round)`, (await ghost.prepare(VIEW, x, [0]))[0]?.accept === true && (await ghost.accept(VIEW, x, older, [0]))[0] === true);
    const promises = await second.prepare(VIEW, y, [1, 2]);
    const accepted = promises.every((r) => r?.accept === true) && (await second.accept(VIEW, y, chosen, [1, 2])).every(Boolean);
    demand(`p1 and p2 must promise and accept the ghost's proposal ${show(second.prop(y))} for view ${VIEW} (fresh round)`, accepted);
    // p1's links are slow through p0's round: p0 hears its own promise (the older value) first.
    await o.cluster.faults(1, { delayMs: 100 });
    const before = p0().proposer.my_n;
    await kill(o, 2);
    await roundOver(sim, o, 0, before, 15);
    await o.cluster.faults(1, { delayMs: 0 });
    run.views.push(o.ids([0, 1]));
    await o.expectViews([0, 1], run.views);
  };
}

export const ghostChosen = ghostChosenUnder('next-n');
export const ghostChosenTie = ghostChosenUnder('same-n-higher-id');

/** A proposal as the safety watcher's messages show it: n/node. */
function show(p: Prop): string {
  return `${p.n}/${p.m}`;
}

/**
 * Only an accept majority decides. p2 dies, so p0 proposes {p0,p1}; p0's links are slowed, and the
 * moment p1 has promised p0's proposal the ghost gets a higher promise from p1, which must then
 * refuse p0's accept. p0 has one accept of three: it must not decide. At its next heartbeat it
 * retries above the ghost and decides: p0 and p1 know view 4 = {p0,p1} exactly.
 */
export const ghostRefusal = async (run: Run): Promise<void> => {
  const { o } = run;
  const { sim, ghost, p0 } = await setUp(run);
  await o.cluster.faults(0, { delayMs: 100 });
  const before = p0().proposer.my_n;
  await kill(o, 2);
  const promised = (): number | undefined => {
    const [s0, s1] = [liveStatus(sim, 0), liveStatus(sim, 1)];
    return s0?.proposer.running && s1 && compareProps(s1.acceptor.n_h, s0.proposer.my_n) === 0 ? s0.proposer.my_n.n + 1 : undefined;
  };
  const n = await pollUntil(sim, o, 15, promised, `p1 did not promise a proposal of p0 for view ${VIEW} within 15 seed-seconds`);
  o.note(`p1 promised p0; ghost: prepare view ${VIEW} under ${n} at p1`);
  demand(`p1 must promise the ghost's higher proposal ${n}`, (await ghost.prepare(VIEW, n, [1]))[0]?.accept === true);
  await o.cluster.faults(0, { delayMs: 0 });
  await roundOver(sim, o, 0, before, 15);
  run.views.push(o.ids([0, 1]));
  await o.expectViews([0, 1], run.views);
};

/**
 * A value accepted in a round that never finished is the next round's value, even when it leaves
 * out a node that is alive. The ghost plays the hub's heartbeat round that removed p2 and failed
 * under loss: p1 alone promised and accepted {p0,p1} for view 4 (no majority, so not chosen, but
 * no proposer can tell). p3 then joins through p0, whose round for view 4 hears that value in p1's
 * promise (its proposal is above the ghost's) and must propose it: view 4 = {p0,p1}, without the
 * live p2 (the yfs labs' tests 6 and 7 rest on the same rule). p2 learns view 4 and joins again,
 * as p3 does: all four end in one view of exactly themselves.
 */
export const ghostLeftover = async (run: Run): Promise<void> => {
  const { o } = run;
  const { p0, ghost } = await setUp(run);
  const n = 1 + Math.floor(o.random() * (p0().proposer.my_n.n + 1)); // at most p0's next: (n, ghost) sorts below (n, p0)
  const left = encodeMembers(o.ids([0, 1]));
  o.note(`ghost: p1 promises and accepts {p0,p1} for view ${VIEW} under ${n}`);
  demand(`p1 must promise and accept the ghost's proposal ${n} for view ${VIEW} (fresh round)`, (await ghost.prepare(VIEW, n, [1]))[0]?.accept === true && (await ghost.accept(VIEW, n, left, [1]))[0] === true);
  o.note('p3 joins through p0');
  await o.cluster.start(3, { first: 0 });
  run.views.push(o.ids([0, 1]));
  await o.expectViews([0, 1, 2], run.views, 20);
  await expectLiveInOneView(o, [0, 1, 2, 3], 30);
};

/**
 * A promise binds the whole proposal: its n and then its node id. p3 joins through p0, whose links
 * are slowed; the moment p0's round for view 4 starts, under (n, p0), the ghost gets p1's and p2's
 * promises for (n, ghost), the same n with a lower node id, before p0's prepare reaches them. Then
 * p1 and p2 promise p0's higher proposal and must refuse the ghost's accept of {p1,p2}: an acceptor
 * that compares only the n accepts it, so a majority has accepted the ghost's value, and p0's accept
 * under its higher proposal then chooses another. Refused, the ghost leaves nothing chosen, and
 * view 4 = {p0,p1,p2,p3}.
 */
export const ghostTie = async (run: Run): Promise<void> => {
  const { o } = run;
  const { sim, ghost, mine, before } = await slowRoundOfP0(run);
  o.note(`p0 proposes under ${show(mine)}; ghost: prepare view ${VIEW} under ${show(ghost.prop(mine.n))} at p1,p2`);
  const promises = await ghost.prepare(VIEW, mine.n, [1, 2]);
  demand(`p1 and p2 must promise the ghost's proposal ${show(ghost.prop(mine.n))} for view ${VIEW} before p0's slowed prepare reaches them, but answered ${JSON.stringify(promises)}`, promises.every((r) => r?.accept === true));
  await untilPromised(sim, o, mine, before, `p1 and p2 did not promise p0's proposal ${show(mine)}, which sorts above the ghost's ${show(ghost.prop(mine.n))} (the same n, a higher node id), within 15 seed-seconds`);
  const accepted = await ghost.accept(VIEW, mine.n, encodeMembers(o.ids([1, 2])), [1, 2]);
  demand(`p1 and p2 promised p0's ${show(mine)}, so they must refuse the ghost's accept under the lower ${show(ghost.prop(mine.n))}, but answered ${accepted.join(', ')}`, accepted.every((ok) => !ok));
  await healAndExpectAllFour(run);
};

/**
 * ghost-tie in phase 1: a promise refuses the same n with a lower node id. p3 joins through p0,
 * whose links are slowed; once p1 and p2 have promised p0's (n, p0), the ghost asks them to promise
 * (n, ghost): they must refuse. An acceptor that compares only the n (`a.n.n >= n_h.n`) promises
 * it, lowering its promise, and then accepts both the ghost's value and p0's: two values chosen
 * for view 4. Refused, view 4 = {p0,p1,p2,p3}.
 */
export const ghostTiePromise = async (run: Run): Promise<void> => {
  const { o } = run;
  const { sim, ghost, mine, before } = await slowRoundOfP0(run);
  await untilPromised(sim, o, mine, before, `p1 and p2 did not promise p0's proposal ${show(mine)} within 15 seed-seconds`);
  o.note(`p1,p2 promised p0's ${show(mine)}; ghost: prepare view ${VIEW} under ${show(ghost.prop(mine.n))} at p1,p2`);
  const promises = await ghost.prepare(VIEW, mine.n, [1, 2]);
  demand(`p1 and p2 promised p0's ${show(mine)}, so they must refuse to promise the ghost's lower ${show(ghost.prop(mine.n))} (the same n, a lower node id: compare whole proposals, never their n alone), but answered ${JSON.stringify(promises)}`, promises.every((r) => r !== null && !r.accept));
  await healAndExpectAllFour(run);
};

/** p0's links slowed and p3 joining through it: the ghost, p0's proposal for view 4 once its round starts, and its proposal before. */
async function slowRoundOfP0(run: Run): Promise<{ sim: SimCluster; ghost: GhostProposer; mine: Prop; before: Prop }> {
  const { o } = run;
  const { sim, ghost, p0 } = await setUp(run);
  await o.cluster.faults(0, { delayMs: 100 });
  const before = p0().proposer.my_n;
  o.note('p3 joins through p0, whose links are slow');
  await o.cluster.start(3, { first: 0 });
  return { sim, ghost, mine: await untilProposing(sim, o, before), before };
}

/** Poll until p1 and p2 have promised `mine` (their n_h is exactly it). */
async function untilPromised(sim: SimCluster, o: PaxosObserver, mine: Prop, before: Prop, failure: string): Promise<void> {
  const promised = (): true | undefined => [1, 2].every((i) => compareProps(liveStatus(sim, i)?.acceptor.n_h ?? before, mine) === 0) || undefined;
  await pollUntil(sim, o, 15, promised, failure);
}

/** p0's links healed: all four end in view 4 = {p0,p1,p2,p3}. */
async function healAndExpectAllFour(run: Run): Promise<void> {
  await run.o.cluster.faults(0, { delayMs: 0 });
  run.views.push(run.o.ids([0, 1, 2, 3]));
  await run.o.expectViews([0, 1, 2, 3], run.views, 20);
}

/** Poll p0 until a round of its proposer has started (its my_n moved from `before`): that round's proposal. */
function untilProposing(sim: SimCluster, o: PaxosObserver, before: Prop): Promise<Prop> {
  const started = (): Prop | undefined => {
    const mine = liveStatus(sim, 0)?.proposer.my_n;
    return mine !== undefined && compareProps(mine, before) !== 0 ? mine : undefined;
  };
  return pollUntil(sim, o, 15, started, `p0 did not start a Paxos round for view ${VIEW} within 15 seed-seconds of p3 joining through it`);
}
