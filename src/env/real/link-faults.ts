// What happens to a message on this node's links: the partition (seed's set_reachable) and the
// network faults {loss, dup, delayMs} (seed's RPC_LOSSY). It decides drop / once / twice and when;
// it never sends, traces or parses anything.
export type DropReason = 'partition' | 'loss';

export interface FaultSettings {
  loss: number;
  dup: number;
  delayMs: number;
}

export const noFaults: FaultSettings = { loss: 0, dup: 0, delayMs: 0 };

export class LinkFaults {
  /** Cut off: nothing leaves, nothing arrives (the control port is never affected). */
  partitioned = false;
  /** Cut off at the next partitionPoint(). */
  partitionArmed = false;
  private settings: FaultSettings = noFaults;

  get faults(): FaultSettings {
    return this.settings;
  }

  /** Change some settings; the others keep their values. */
  setFaults(change: Partial<FaultSettings>): FaultSettings {
    const next = { ...this.settings, ...definedOnly(change) };
    this.settings = next.loss === 0 && next.dup === 0 && next.delayMs === 0 ? noFaults : next;
    return this.settings;
  }

  /** Pass one message through the link: `deliver` runs 0, 1 or 2 times, now or after delayMs (once, now, in the common case of no faults). Returns why it was dropped. */
  pass(deliver: () => void): DropReason | undefined {
    if (this.partitioned) return 'partition';
    const f = this.settings;
    if (f === noFaults) {
      deliver();
      return undefined;
    }
    if (f.loss > 0 && Math.random() < f.loss) return 'loss';
    const times = f.dup > 0 && Math.random() < f.dup ? 2 : 1;
    const later = (): void => {
      if (!this.partitioned) deliver();
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
