// What happens to a message on this node's links: the partition (seed's set_reachable) and the
// network faults {loss, dup, delayMs} (seed's RPC_LOSSY). It decides drop / once / twice and when;
// it never sends, traces or parses anything.
import { isClientId } from '../node-id.js';
import type { NodeId } from '../types.js';

export type DropReason = 'partition' | 'loss';

export interface FaultSettings {
  loss: number;
  dup: number;
  delayMs: number;
}

export const noFaults: FaultSettings = { loss: 0, dup: 0, delayMs: 0 };

export class LinkFaults {
  /** Cut off: nothing leaves, nothing arrives (the control port is never affected), or only to and from other nodes (peersOnly). */
  partitioned = false;
  /** Cut off at the next partitionPoint(). */
  partitionArmed = false;
  /** The cut, taken or armed, spares clients: only links to and from other nodes are cut. */
  peersOnly = false;
  private settings: FaultSettings = noFaults;

  constructor(
    /** This node's own id: a peers-only cut leaves its links to itself alone, as the simulator's does. */
    private readonly me: NodeId,
  ) {}

  /** Whether the cut drops what travels between this node and `other` (a node's HOST:PORT or a `client:…`). */
  cuts(other: NodeId): boolean {
    if (!this.partitioned) return false;
    return !this.peersOnly || (other !== this.me && !isClientId(other));
  }

  get faults(): FaultSettings {
    return this.settings;
  }

  /** Change some settings; the others keep their values. */
  setFaults(change: Partial<FaultSettings>): FaultSettings {
    const next = { ...this.settings, ...definedOnly(change) };
    this.settings = next.loss === 0 && next.dup === 0 && next.delayMs === 0 ? noFaults : next;
    return this.settings;
  }

  /** Pass one message to or from `other` through the link: `deliver` runs 0, 1 or 2 times, now or after delayMs (once, now, in the common case of no faults). Returns why it was dropped. */
  pass(other: NodeId, deliver: () => void): DropReason | undefined {
    if (this.cuts(other)) return 'partition';
    const f = this.settings;
    if (f === noFaults) {
      deliver();
      return undefined;
    }
    if (f.loss > 0 && Math.random() < f.loss) return 'loss';
    const times = f.dup > 0 && Math.random() < f.dup ? 2 : 1;
    const later = (): void => {
      if (!this.cuts(other)) deliver();
    };
    for (let i = 0; i < times; i++) {
      if (f.delayMs > 0) setTimeout(later, f.delayMs);
      else deliver();
    }
    return undefined;
  }
}

function definedOnly(change: Partial<FaultSettings>): Partial<FaultSettings> {
  const out: Partial<FaultSettings> = {};
  if (change.loss !== undefined) out.loss = change.loss;
  if (change.dup !== undefined) out.dup = change.dup;
  if (change.delayMs !== undefined) out.delayMs = change.delayMs;
  return out;
}
