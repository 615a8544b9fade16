// What happens to a message on this node's links: the partition (seed's set_reachable) and the
// network faults {loss, dup, delayMs, methods} (seed's RPC_LOSSY). It decides drop / once / twice
// and when; it never sends, traces or parses anything.
import { isClientId } from '../node-id.js';
import { changeNetFaults, noNetFaults, strikes, type NetFaults } from '../net-faults.js';
import type { NodeId } from '../types.js';

export type DropReason = 'partition' | 'loss';


export class LinkFaults {
  /** Cut off: nothing leaves, nothing arrives (the control port is never affected), or only to and from other nodes (peersOnly). */
  partitioned = false;
  /** Cut off at the next partitionPoint(). */
  partitionArmed = false;
  /** The cut, taken or armed, spares clients: only links to and from other nodes are cut. */
  peersOnly = false;
  private settings: NetFaults = noNetFaults;

  constructor(
    /** This node's own id: a peers-only cut leaves its links to itself alone, as the simulator's does. */
    private readonly me: NodeId,
  ) {}

  /** Whether the cut drops what travels between this node and `other` (a node's HOST:PORT or a `client:…`). */
  cuts(other: NodeId): boolean {
    if (!this.partitioned) return false;
    return !this.peersOnly || (other !== this.me && !isClientId(other));
  }

  get faults(): NetFaults {
    return this.settings;
  }

  /** Change some settings; the others keep their values. */
  setFaults(change: Partial<NetFaults>): NetFaults {
    this.settings = changeNetFaults(this.settings, change);
    return this.settings;
  }

  /**
   * Pass one message of `method` to or from `other` through the link: `deliver` runs 0, 1 or 2
   * times, now or after delayMs (once, now, in the common case of no faults, or of faults that
   * strike other methods). Returns why it was dropped.
   */
  pass(other: NodeId, method: string, deliver: () => void): DropReason | undefined {
    if (this.cuts(other)) return 'partition';
    const f = this.settings;
    if (f === noNetFaults || !strikes(f, method)) {
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
