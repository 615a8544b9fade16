// Every protocol timing constant, in one object. Labs read them from here and nowhere else;
// the tester scales them down for real-process runs. Classic values are the seed's.

export interface Timing {
  /** Config heartbeater period (seed: 3 s). */
  heartbeatMs: number;
  /** Timeout of every Paxos, heartbeat and RSM invoke RPC (seed: rpcc::to(1000)). */
  rpcTimeoutMs: number;
  /** How long a joiner waits between join attempts (seed: sleep(5) after the 2012 patch). */
  joinRetryMs: number;
  /** Timeout of a join RPC, which runs a whole Paxos round on the primary (seed: to(120000)). */
  joinTimeoutMs: number;
  /** Timeout of a client request to the primary (seed rsm_client: to(5000)). */
  clientTimeoutMs: number;
  /** How long a client waits after BUSY before retrying (seed: 3 s). */
  clientBusyRetryMs: number;
  /** Pause between retries of a failed Paxos round or a failed state transfer. */
  retryMs: number;
  /**
   * How long a lock grant lasts in the lock service without a request from its owner, measured in
   * primary-stamped time (not in the seed, whose lock server had no leases). Long enough to ride
   * out a view change, short enough that a vanished client's lock comes free in a test.
   */
  lockLeaseMs: number;
}

export const classicTiming: Timing = {
  heartbeatMs: 3000,
  rpcTimeoutMs: 1000,
  joinRetryMs: 5000,
  joinTimeoutMs: 120000,
  clientTimeoutMs: 5000,
  clientBusyRetryMs: 3000,
  retryMs: 1000,
  lockLeaseMs: 60000,
};

/** Every constant multiplied by `factor` (real-process tests use 0.1: a 300 ms heartbeat). */
export function scaleTiming(timing: Timing, factor: number): Timing {
  const scaled = { ...timing };
  for (const key of Object.keys(scaled) as (keyof Timing)[]) scaled[key] = Math.max(1, Math.round(timing[key] * factor));
  return scaled;
}

/**
 * Real processes take no RPC timeout shorter than this, whatever the scale: a host's scheduling
 * jitter does not shrink with it. On a busy 2-core machine a peer's reply comes 100 ms late and
 * more, and two heartbeat replies in a row later than the timeout (the heartbeater confirms one
 * silent ping with another) are a view change; drop a node of three that way and kill the primary
 * of the two left, and Lab 2 is wedged for good (the survivor alone is no majority of its view;
 * the dropped node can only rejoin through the dead primary).
 */
const REAL_RPC_TIMEOUT_FLOOR_MS = 250;

/** The timing of real processes at `factor`: every constant scaled, the RPC timeout no shorter than the floor. */
export function realTiming(timing: Timing, factor: number): Timing {
  const scaled = scaleTiming(timing, factor);
  return { ...scaled, rpcTimeoutMs: Math.max(scaled.rpcTimeoutMs, REAL_RPC_TIMEOUT_FLOOR_MS) };
}

