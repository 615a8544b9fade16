// The Paxos lab's checks on node statuses: exact view membership, agreement of every decided view
// across all nodes ever observed, "no new view without a majority", and status self-consistency.
// Pure functions of what was observed: they never talk to a cluster (tester/paxos/observer.ts does).
import type { NodeId } from '../../src/env/types.js';
import type { PaxosStatus } from '../../labs/paxos/status.js';
import { sortNodeIds } from '../../src/env/node-id.js';
import { ScenarioFailure } from '../scenario.js';

/** One node's status, with the name the failure messages use (e.g. "p1", or "p1 (127.0.0.1:40002)" in the real world). */
export interface Observed {
  name: string;
  status: PaxosStatus;
}

function show(members: readonly NodeId[]): string {
  return `{${members.join(',')}}`;
}

/** Same members, whatever the order (join order may legitimately differ between runs). */
export function sameMembers(a: readonly NodeId[], b: readonly NodeId[]): boolean {
  const sa = sortNodeIds(a);
  const sb = sortNodeIds(b);
  return sa.length === sb.length && sa.every((m, i) => m === sb[i]);
}

/** A status must describe itself consistently: views are 1..vid and the last one is `members`. */
export function checkWellFormed({ name, status }: Observed): void {
  status.views.forEach((view, i) => {
    if (view.vid !== i + 1) throw new ScenarioFailure(`${name}: views are not 1..${status.vid} in order (position ${i} holds view ${view.vid})`);
  });
  if (status.views.length !== status.vid) throw new ScenarioFailure(`${name}: vid is ${status.vid} but it lists ${status.views.length} views`);
  const last = status.views.at(-1)?.members ?? [];
  if (last.join(' ') !== status.members.join(' ')) throw new ScenarioFailure(`${name}: members ${show(status.members)} differ from its view ${status.vid} ${show(last)}`);
}

/**
 * Every decided view, value for value, as first observed on any node. Checking each observation
 * against it compares every node's decided instances with every other node's (all pairs, across
 * crashes and restarts too, since a value seen once is kept).
 *
 * It also watches the acceptors: a value that a majority of an instance's acceptors (the members
 * of the view before it) have accepted under the same proposal number is chosen, whether or not
 * anybody learned it yet; the view that instance decides must be that value. This catches a
 * chosen value that a later round overwrote while its proposer lay dead before deciding.
 */
export class ViewLedger {
  private readonly decided = new Map<number, { members: NodeId[]; seenOn: string }>();
  /** instance -> proposal "n/m" -> the value and who was seen having accepted it. */
  private readonly accepted = new Map<number, Map<string, { value: string; by: Set<string> }>>();
  private readonly chosen = new Map<number, { value: string; proposal: string; by: string[] }>();

  observe(observed: Observed): void {
    checkWellFormed(observed);
    for (const view of observed.status.views) {
      const known = this.decided.get(view.vid);
      if (!known) this.decided.set(view.vid, { members: view.members, seenOn: observed.name });
      else if (known.members.join(' ') !== view.members.join(' ')) {
        throw new ScenarioFailure(`disagreement on view ${view.vid}: ${observed.name} has ${show(view.members)}, ${known.seenOn} has ${show(known.members)}`);
      }
      this.checkChosen(view.vid);
    }
    this.observeAcceptor(observed);
  }

  private observeAcceptor({ name, status }: Observed): void {
    const { instance_h, n_a, v_a } = status.acceptor;
    const instance = instance_h + 1;
    if (v_a === null || instance_h !== status.vid || this.chosen.has(instance)) return;
    const proposals = this.accepted.get(instance) ?? new Map<string, { value: string; by: Set<string> }>();
    this.accepted.set(instance, proposals);
    const proposal = `${n_a.n}/${n_a.m}`;
    const seen = proposals.get(proposal) ?? { value: v_a, by: new Set<string>() };
    proposals.set(proposal, seen);
    seen.by.add(name);
    if (seen.by.size >= Math.floor(status.members.length / 2) + 1) {
      this.chosen.set(instance, { value: v_a, proposal, by: [...seen.by] });
      this.checkChosen(instance);
    }
  }

  /** A decided view agrees with the value chosen for its instance, if one was seen chosen. */
  private checkChosen(vid: number): void {
    const chosen = this.chosen.get(vid);
    const decided = this.decided.get(vid);
    if (chosen === undefined || decided === undefined || chosen.value === decided.members.join(' ')) return;
    throw new ScenarioFailure(
      `view ${vid} was chosen as {${chosen.value.split(' ').join(',')}} (accepted under proposal ${chosen.proposal} by ${chosen.by.join(', ')}, a majority), but ${decided.seenOn} decided ${show(decided.members)}`,
    );
  }
}

/** The node's first views are exactly `expected` (membership of view i+1 = expected[i]); later views may follow. */
export function checkViewsStartWith({ name, status }: Observed, expected: readonly (readonly NodeId[])[]): void {
  if (status.views.length < expected.length) {
    throw new ScenarioFailure(`${name}: has ${status.views.length} views, expected at least ${expected.length} (${expected.map(show).join(' ')})`);
  }
  expected.forEach((members, i) => {
    const got = status.views[i]!.members;
    if (!sameMembers(got, members)) throw new ScenarioFailure(`${name}: view ${i + 1} is ${show(got)}, expected ${show(members)}`);
  });
}

/** The node's latest view has exactly these members. */
export function checkLastView({ name, status }: Observed, members: readonly NodeId[]): void {
  if (!sameMembers(status.members, members)) throw new ScenarioFailure(`${name}: latest view ${status.vid} is ${show(status.members)}, expected ${show(members)}`);
}

/** No view past `vid` was formed: while no majority exists, views must not grow. */
export function checkNoNewViews(observed: readonly Observed[], vid: number): void {
  for (const { name, status } of observed) {
    if (status.vid > vid) {
      throw new ScenarioFailure(`${name}: knows view ${status.vid} ${show(status.members)}, but no view past ${vid} can form without a majority`);
    }
  }
}

/** `node` is not a member of view `vid` as `observed` knows it (which must know that view). */
export function checkNotInView({ name, status }: Observed, vid: number, node: NodeId): void {
  const view = status.views[vid - 1];
  if (!view) throw new ScenarioFailure(`${name}: does not know view ${vid} (its latest is ${status.vid})`);
  if (view.members.includes(node)) throw new ScenarioFailure(`${name}: view ${vid} is ${show(view.members)}, which must not include ${node}`);
}
