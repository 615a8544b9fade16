// One node's link faults, as both worlds apply them (src/env/sim/network.ts, src/env/real/link-faults.ts)
// and the control plane sets them: loss, duplication, extra delay, and the methods they strike. It
// owns their merging and the method filter; it never decides a message's fate (no randomness here).

// A type, not an interface: the control plane sends it as Json.
export type NetFaults = {
  /** Probability in [0, 1] that a message on the node's links is lost. */
  loss: number;
  /** Probability in [0, 1] that a message on the node's links is delivered twice. */
  dup: number;
  /** Extra delay in ms for each message on the node's links. */
  delayMs: number;
  /**
   * The RPC methods the faults strike (their requests, notices and replies), e.g. ['rsm.invoke']:
   * absent, every message. Scenarios hold one step of a protocol back while the rest runs on time.
   */
  methods?: string[];
};

export const noNetFaults: NetFaults = { loss: 0, dup: 0, delayMs: 0 };

/**
 * `current` with the settings `change` names (undefined ones keep their values; `methods: []`
 * means every method again). No loss, dup or delay left: noNetFaults, the filter dropped with them.
 */
export function changeNetFaults(current: NetFaults, change: Partial<NetFaults>): NetFaults {
  const next: NetFaults = {
    loss: change.loss ?? current.loss,
    dup: change.dup ?? current.dup,
    delayMs: change.delayMs ?? current.delayMs,
  };
  const methods = change.methods ?? current.methods;
  if (next.loss === 0 && next.dup === 0 && next.delayMs === 0) return noNetFaults;
  return methods === undefined || methods.length === 0 ? next : { ...next, methods: [...methods] };
}

/** Whether `faults` strike a message of `method` (undefined: a connection's news, no method: struck only by unfiltered faults). */
export function strikes(faults: NetFaults, method: string | undefined): boolean {
  return faults.methods === undefined || (method !== undefined && faults.methods.includes(method));
}
