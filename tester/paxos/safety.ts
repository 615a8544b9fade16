// The Paxos safety watcher (simulator only): after every step of the simulation it reads each live
// node's acceptor and views in place and checks, per Paxos instance, the facts Paxos promises: one
// decided value on every node; a decided value was accepted by a majority of the instance's
// acceptors under one proposal; once a value is chosen, every higher proposal accepted in that
// instance carries it (the paper's P2b). It never changes a node and never waits on the world.
import type { NodeId } from '../../src/env/types.js';
import type { LabNode } from '../../src/lab.js';
import { compareProps, type Prop } from '../../labs/paxos/protocol.js';
import type { PaxosStatus } from '../../labs/paxos/status.js';
import type { SimCluster } from '../sim-cluster.js';
import { ScenarioFailure } from '../scenario.js';

/** One proposal of one instance: its value and every acceptor seen having accepted it. */
interface Accepted {
  prop: Prop;
  value: string;
  by: Set<NodeId>;
}

interface Instance {
  /** Proposal "n/m" -> what was accepted under it. */
  proposals: Map<string, Accepted>;
  /** Proposals a majority of the instance's acceptors accepted. */
  chosen: Accepted[];
  decided?: { value: string; on: NodeId };
}

const key = (p: Prop): string => `${p.n}/${p.m}`;
const show = (value: string): string => `{${value.split(' ').join(',')}}`;
const majority = (members: readonly NodeId[]): number => Math.floor(members.length / 2) + 1;

export class PaxosSafety {
  private readonly instances = new Map<number, Instance>();
  /** Per node, what the last observation held, so an unchanged node costs one comparison. */
  private readonly last = new Map<NodeId, string>();

  private instance(i: number): Instance {
    let facts = this.instances.get(i);
    if (facts === undefined) {
      facts = { proposals: new Map(), chosen: [] };
      this.instances.set(i, facts);
    }
    return facts;
  }

  observe(node: NodeId, s: PaxosStatus): void {
    const { instance_h, n_a, v_a } = s.acceptor;
    const summary = `${s.vid} ${instance_h} ${key(n_a)} ${v_a ?? ''}`;
    if (this.last.get(node) === summary) return;
    this.last.set(node, summary);
    if (v_a !== null && instance_h === s.vid) this.accepted(node, instance_h + 1, n_a, v_a, s.members);
    for (const view of s.views) {
      if (view.vid > 1) this.decided(node, view.vid, view.members.join(' '), s.views[view.vid - 2]?.members ?? []);
    }
  }

  private accepted(node: NodeId, i: number, prop: Prop, value: string, acceptors: readonly NodeId[]): void {
    const facts = this.instance(i);
    const k = key(prop);
    const entry = facts.proposals.get(k) ?? { prop, value, by: new Set<NodeId>() };
    facts.proposals.set(k, entry);
    if (entry.value !== value) throw new ScenarioFailure(`view ${i}: proposal ${k} carries two values, ${show(entry.value)} and ${show(value)} (${node})`);
    for (const chosen of facts.chosen) this.checkP2b(i, chosen, entry, node);
    if (entry.by.has(node)) return;
    entry.by.add(node);
    if (entry.by.size < majority(acceptors) || facts.chosen.includes(entry)) return;
    facts.chosen.push(entry);
    for (const other of facts.proposals.values()) this.checkP2b(i, entry, other, [...other.by].join(','));
    if (facts.decided && facts.decided.value !== value) {
      throw new ScenarioFailure(`view ${i} was chosen as ${show(value)} under proposal ${k} (accepted by ${[...entry.by].join(', ')}, a majority), but ${facts.decided.on} decided ${show(facts.decided.value)}`);
    }
  }

  /** P2b: a proposal above a chosen one carries the chosen value. */
  private checkP2b(i: number, chosen: Accepted, other: Accepted, by: string): void {
    if (compareProps(other.prop, chosen.prop) <= 0 || other.value === chosen.value) return;
    throw new ScenarioFailure(
      `view ${i} was chosen as ${show(chosen.value)} under proposal ${key(chosen.prop)} (accepted by ${[...chosen.by].join(', ')}, a majority), but ${by} accepted ${show(other.value)} under the higher proposal ${key(other.prop)}`,
    );
  }

  private decided(node: NodeId, i: number, value: string, before: readonly NodeId[]): void {
    const facts = this.instance(i);
    if (facts.decided !== undefined) {
      if (facts.decided.value !== value) throw new ScenarioFailure(`disagreement on view ${i}: ${node} has ${show(value)}, ${facts.decided.on} has ${show(facts.decided.value)}`);
      return;
    }
    facts.decided = { value, on: node };
    const backed = [...facts.proposals.values()].some((p) => p.value === value && p.by.size >= majority(before));
    if (backed) return;
    const seen = [...facts.proposals.values()].map((p) => `${show(p.value)} under ${key(p.prop)} by ${[...p.by].join(',')}`).join('; ');
    throw new ScenarioFailure(
      `view ${i} = ${show(value)} was decided (first seen on ${node}), but no majority of view ${i - 1} {${before.join(',')}} accepted it under one proposal (accepted: ${seen || 'nothing'})`,
    );
  }
}

/** The lab's status of a live node as built by labs/paxos/lab.ts (provided code, not the student's). */
function statusOf(node: LabNode): PaxosStatus {
  return node.status() as unknown as PaxosStatus;
}

/** Node `index`'s status read in place (no copy, no parse: scenarios poll every few ms); null if it is down. */
export function liveStatus(cluster: SimCluster, index: number): PaxosStatus | null {
  const node = cluster.labNode(index);
  return node === null ? null : statusOf(node);
}

/** Run a PaxosSafety over nodes p0..p(count-1) after every step of the simulation. */
export function watchPaxosSafety(cluster: SimCluster, count: number): PaxosSafety {
  const safety = new PaxosSafety();
  const ids = Array.from({ length: count }, (_, i) => cluster.id(i));
  cluster.sim.observeSteps(() => {
    for (const id of ids) {
      const node = cluster.sim.labNode(id);
      if (node !== null) safety.observe(id, statusOf(node));
    }
  });
  return safety;
}
