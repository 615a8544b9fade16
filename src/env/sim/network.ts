// The simulated network's model: delay range, loss and duplication (for the whole run and per node,
// changeable at run time) and partitions (a node cut from all others or from the other nodes only,
// armed cuts, symmetric node sets, one-way blocked links). It decides what happens to a message on a link, each fault as a decision
// (decisions.ts) that a rerun may veto; it never moves messages, traces or runs code.
import type { NodeId } from '../types.js';
import { isClientId } from '../node-id.js';
import type { Prng } from '../../random.js';
import { Decisions } from './decisions.js';
import { changeNetFaults, noNetFaults, strikes, type NetFaults } from '../net-faults.js';

export interface NetConfig {
  /** Each message copy takes a uniform integer delay in [minDelayMs, maxDelayMs]; random delays reorder. */
  minDelayMs: number;
  maxDelayMs: number;
  /** Probability that a message is lost. */
  loss: number;
  /** Probability that a message is delivered twice (each copy with its own delay). */
  dup: number;
}

/** What becomes of one message: `copies` travel (0: lost, 2: duplicated), the first after `first` ms, a duplicate after `second`. */
export class Fate {
  copies = 0;
  first = 0;
  second = 0;

  set(copies: number, first: number, second: number): this {
    this.copies = copies;
    this.first = first;
    this.second = second;
    return this;
  }
}

export const defaultNet: NetConfig = { minDelayMs: 1, maxDelayMs: 10, loss: 0, dup: 0 };


function checkProbability(name: string, p: number): void {
  if (!(p >= 0 && p <= 1)) throw new Error(`${name} must be a probability in [0, 1], not ${p}`);
}

function checkDelay(name: string, ms: number): void {
  if (!Number.isInteger(ms) || ms < 0) throw new Error(`${name} must be a non-negative integer of ms, not ${ms}`);
}

function defined<T extends object>(change: Partial<T>): Partial<T> {
  return Object.fromEntries(Object.entries(change).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** 1 - (1-a)(1-b)(1-c): the chance that at least one of three independent faults strikes. */
function compound(a: number, b: number, c: number): number {
  return 1 - (1 - a) * (1 - b) * (1 - c);
}

export class Network {
  private config: NetConfig;
  /** Faults on each node's links: combined with the run's (probabilities compound, delays add). */
  private readonly faults = new Map<NodeId, NetFaults>();
  private readonly isolated = new Set<NodeId>();
  /** Nodes cut from the other nodes only: clients still reach them. */
  private readonly peerCut = new Set<NodeId>();
  /** Cuts armed for the node's next partitionPoint(), and whether each spares clients. */
  private readonly armed = new Map<NodeId, { peersOnly: boolean }>();
  private readonly blocked = new Set<string>();
  /** Messages per link and method: the ordinal in a decision's name. */
  private readonly ordinals = new Map<string, number>();
  /** fate()'s answer, reused. */
  private readonly answer = new Fate();

  constructor(
    private readonly prng: Prng,
    config: Partial<NetConfig> = {},
    private readonly decisions: Decisions = new Decisions(() => 0),
  ) {
    this.config = { ...defaultNet };
    this.configure(config);
  }

  get settings(): NetConfig {
    return { ...this.config };
  }

  /** Change some of the run's settings; the others keep their values. */
  configure(change: Partial<NetConfig>): NetConfig {
    const next = { ...this.config, ...defined(change) };
    checkDelay('minDelayMs', next.minDelayMs);
    checkDelay('maxDelayMs', next.maxDelayMs);
    if (next.maxDelayMs < next.minDelayMs) throw new Error(`maxDelayMs ${next.maxDelayMs} < minDelayMs ${next.minDelayMs}`);
    checkProbability('loss', next.loss);
    checkProbability('dup', next.dup);
    this.config = next;
    return this.settings;
  }

  /** Change some of one node's link faults; the others keep their values. */
  setFaults(node: NodeId, change: Partial<NetFaults>): NetFaults {
    const next = changeNetFaults(this.faults.get(node) ?? noNetFaults, change);
    checkProbability('loss', next.loss);
    checkProbability('dup', next.dup);
    checkDelay('delayMs', next.delayMs);
    if (next === noNetFaults) this.faults.delete(node);
    else this.faults.set(node, next);
    return { ...next };
  }

  /** One node's own link faults (not counting the run's). */
  faultsOf(node: NodeId): NetFaults {
    return { ...(this.faults.get(node) ?? noNetFaults) };
  }

  /** Whether `node` is cut off now, whether a cut is armed for its next partitionPoint(), and whether that cut spares clients. */
  partitionOf(node: NodeId): { partitioned: boolean; partitionArmed: boolean; peersOnly: boolean } {
    const peersOnly = this.peerCut.has(node) || this.armed.get(node)?.peersOnly === true;
    return { partitioned: this.isolated.has(node) || this.peerCut.has(node), partitionArmed: this.armed.has(node), peersOnly };
  }

  /**
   * The fate of one message from→to (`method`, and whether it is a reply): how many copies travel
   * (none if it is lost, two if duplicated) and their delays. Loss, duplication, and a delay past
   * the minimum (random or a node's extra delay) are decisions; the draws are the same whether or
   * not a rerun vetoes them. A vetoed delay is the minimum. The answer is one object, overwritten
   * by the next call.
   */
  fate(from: NodeId, to: NodeId, method: string, reply = false): Fate {
    let loss = this.config.loss;
    let dup = this.config.dup;
    let extra = 0;
    if (this.faults.size > 0) {
      const a = this.struck(from, method);
      const b = this.struck(to, method);
      loss = compound(loss, a.loss, b.loss);
      dup = compound(dup, a.dup, b.dup);
      extra = a.delayMs + b.delayMs;
    }
    const lost = this.prng.chance(loss);
    const duplicated = this.prng.chance(dup);
    const first = this.baseDelay() + extra;
    const second = duplicated ? this.baseDelay() + extra : 0;
    const answer = this.answer;
    if (!this.decisions.active) return answer.set(lost ? 0 : duplicated ? 2 : 1, first, second);
    const subject = `${from}>${to} ${method}${reply ? ' reply' : ''}`;
    const ordinal = (this.ordinals.get(subject) ?? 0) + 1;
    this.ordinals.set(subject, ordinal);
    if (lost && this.decisions.allow('drop', subject, ordinal)) return answer.set(0, first, second);
    const min = this.config.minDelayMs;
    const late = (first > min || (duplicated && second > min)) && this.decisions.allow('delay', subject, ordinal);
    const copies = duplicated && this.decisions.allow('duplicate', subject, ordinal) ? 2 : 1;
    return late ? answer.set(copies, first, second) : answer.set(copies, min, min);
  }

  /** The delay of a connection's news from→to (a closed connection): no message, so no decision. */
  delay(from: NodeId, to: NodeId): number {
    const base = this.baseDelay();
    if (this.faults.size === 0) return base;
    return base + this.struck(from, undefined).delayMs + this.struck(to, undefined).delayMs;
  }

  /** `node`'s faults if they strike `method` (undefined: a connection's news), else none. */
  private struck(node: NodeId, method: string | undefined): NetFaults {
    const faults = this.faults.get(node);
    return faults !== undefined && strikes(faults, method) ? faults : noNetFaults;
  }

  private baseDelay(): number {
    return this.prng.int(this.config.minDelayMs, this.config.maxDelayMs);
  }

  /** Whether a partition blocks the link from→to right now. */
  cut(from: NodeId, to: NodeId): boolean {
    if (this.isolated.size > 0 && (this.isolated.has(from) || this.isolated.has(to))) return true;
    if (this.peerCut.size > 0 && (this.peerCut.has(from) || this.peerCut.has(to)) && from !== to && !isClientId(from) && !isClientId(to)) return true;
    return this.blocked.size > 0 && this.blocked.has(linkKey(from, to));
  }

  /**
   * Cut `node` from every node (itself included, like the seed's set_reachable(false)) and every
   * client, or (peersOnly) from every other node only: its clients still reach it and hear back.
   */
  isolate(node: NodeId, peersOnly = false): void {
    this.armed.delete(node);
    this.isolated.delete(node);
    this.peerCut.delete(node);
    (peersOnly ? this.peerCut : this.isolated).add(node);
  }

  /** Cut `node` at its next partitionPoint() (from the other nodes only, with peersOnly). */
  arm(node: NodeId, peersOnly = false): void {
    this.armed.set(node, { peersOnly });
  }

  /** A node reached a partition point: cut it if a cut was armed. Returns whether it was. */
  partitionPoint(node: NodeId): boolean {
    const armed = this.armed.get(node);
    if (armed === undefined) return false;
    this.isolate(node, armed.peersOnly);
    return true;
  }

  /** Symmetric partition: block every link between nodes of different groups (others are untouched). */
  split(groups: readonly (readonly NodeId[])[]): void {
    groups.forEach((group, i) =>
      groups.forEach((other, j) => {
        if (i === j) return;
        for (const a of group) for (const b of other) this.blocked.add(linkKey(a, b));
      }),
    );
  }

  /** One-way partition: messages from→to are lost, to→from still arrive. */
  block(from: NodeId, to: NodeId): void {
    this.blocked.add(linkKey(from, to));
  }

  unblock(from: NodeId, to: NodeId): void {
    this.blocked.delete(linkKey(from, to));
  }

  /** Remove every partition that involves `node`: its cut, an armed cut, and blocked links to or from it. */
  heal(node: NodeId): void {
    this.isolated.delete(node);
    this.peerCut.delete(node);
    this.armed.delete(node);
    for (const key of [...this.blocked]) {
      const [from, to] = key.split(LINK);
      if (from === node || to === node) this.blocked.delete(key);
    }
  }

  healAll(): void {
    this.isolated.clear();
    this.peerCut.clear();
    this.armed.clear();
    this.blocked.clear();
  }

  /**
   * A node's process died: its own cut (a property of the process in the seed, and in the real world)
   * and an armed cut are gone. Blocked links and node sets are the network's and stay.
   */
  forget(node: NodeId): void {
    this.isolated.delete(node);
    this.peerCut.delete(node);
    this.armed.delete(node);
  }
}

const LINK = '\u0000';

function linkKey(from: NodeId, to: NodeId): string {
  return `${from}${LINK}${to}`;
}
