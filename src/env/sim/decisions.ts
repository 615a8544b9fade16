// The record of a simulated run's fault decisions: every drop, duplicate, delay past the link's
// minimum, crash, restart, breakpoint, partition and disk fault, drawn by the seed or scripted by the scenario, each
// under a name that a rerun with the same seed gives the same fault. On such a rerun it can veto a
// chosen set of them: a vetoed decision takes its benign outcome (the message goes through once, the
// node stays up, the write is whole) while the draws behind it still happen. It never draws
// randomness, and never decides what a fault does (network.ts, disk.ts and world.ts do).
import type { Json } from '../types.js';

export type DecisionKind = 'drop' | 'duplicate' | 'delay' | 'crash' | 'restart' | 'breakpoint' | 'partition' | 'disk';

export interface Decision {
  /** The decision's name: kind, subject and ordinal, e.g. "drop n1>n2 paxos.accept#3" or "crash n0#1". */
  id: string;
  kind: DecisionKind;
  /** Virtual time (ms) at which it was made. */
  t: number;
  /** Whether a veto gave it its benign outcome. */
  vetoed: boolean;
}

/**
 * Which decisions take their benign outcome: the ones named in `veto`, or every one not named in
 * `keep` (what the shrinker uses: a decision the original run never made is vetoed too).
 */
export type VetoPolicy = { veto: readonly string[] } | { keep: readonly string[] };

/** A veto policy from its JSON (a veto file's content). */
export function parseVetoPolicy(json: Json): VetoPolicy {
  const ids = (value: Json | undefined): string[] | undefined =>
    Array.isArray(value) && value.every((v) => typeof v === 'string') ? (value as string[]) : undefined;
  if (typeof json === 'object' && json !== null && !Array.isArray(json)) {
    const keep = ids(json.keep);
    const veto = ids(json.veto);
    if (keep && !veto) return { keep };
    if (veto && !keep) return { veto };
  }
  throw new Error('a veto file is a JSON object with either "keep" (the fault decisions that may happen; every other one is vetoed) or "veto" (the ones vetoed), each a list of decision ids');
}

export class Decisions {
  private readonly made: Decision[] = [];
  private readonly ordinals = new Map<string, number>();
  private readonly named: ReadonlySet<string>;
  /** true: `named` lists the decisions kept; false: the ones vetoed. */
  private readonly keeping: boolean;

  /** Whether decisions are named and recorded at all: off, every fault simply happens (long benchmarks). */
  readonly active: boolean;

  /** `record`: keep the list of decisions (a veto policy always does). */
  constructor(
    private readonly now: () => number,
    options: { policy?: VetoPolicy | undefined; record?: boolean } = {},
  ) {
    const { policy } = options;
    this.keeping = policy !== undefined && 'keep' in policy;
    this.named = new Set(policy === undefined ? [] : 'keep' in policy ? policy.keep : policy.veto);
    this.active = policy !== undefined || (options.record ?? true);
  }

  /** Whether any decision may be vetoed on this run. */
  get vetoing(): boolean {
    return this.keeping || this.named.size > 0;
  }

  /**
   * A fault is about to happen: record it and say whether it may (false: vetoed, take the benign
   * outcome). `subject` names what it strikes ("n1>n2 paxos.accept", "n0"); the ordinal is the
   * subject's own (a message's number on its link) or else counts this kind of decision on it.
   */
  allow(kind: DecisionKind, subject: string, ordinal?: number): boolean {
    if (!this.active) return true;
    const key = `${kind} ${subject}`;
    const n = ordinal ?? (this.ordinals.get(key) ?? 0) + 1;
    if (ordinal === undefined) this.ordinals.set(key, n);
    const id = `${key}#${n}`;
    const vetoed = this.named.has(id) !== this.keeping;
    this.made.push({ id, kind, t: this.now(), vetoed });
    return !vetoed;
  }

  /** Every decision so far, in the order made (vetoed ones included). */
  get all(): readonly Decision[] {
    return this.made;
  }

  /** The decisions that happened (not vetoed). */
  taken(): Decision[] {
    return this.made.filter((d) => !d.vetoed);
  }
}

/** How many decisions of each kind (a decision's id starts with its kind). */
export function countKinds(ids: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const id of ids) {
    const kind = id.split(' ', 1)[0]!;
    counts[kind] = (counts[kind] ?? 0) + 1;
  }
  return counts;
}

/** "199 (delay 192, crash 3, ...)": a count of decisions and its kinds. */
export function describeCount(total: number, kinds: Record<string, number>): string {
  const parts = Object.entries(kinds).map(([kind, n]) => `${kind} ${n}`);
  return parts.length === 0 ? `${total}` : `${total} (${parts.join(', ')})`;
}
