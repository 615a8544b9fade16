// The cluster a scenario drives, written once for both worlds. Nodes are named by index
// (p0 < p1 < ... as in rsm_tester.pl); tester/real-cluster.ts runs them as OS processes and
// tester/sim-cluster.ts inside the simulator. Scenarios must use only this interface.
import type { Env, Json, NodeId } from '../src/env/types.js';
import type { Timing } from '../src/timing.js';
import type { EngineLimits } from '../src/lab.js';
import type { CutScope, FaultControl } from '../src/control/fault-control.js';
import type { DiskFault, DiskFaultResult } from '../src/env/disk-faults.js';

export type World = 'real' | 'sim';

export interface NetFaults {
  /** Probability in [0, 1] that a message on this node's links is lost. */
  loss?: number;
  /** Probability in [0, 1] that a message on this node's links is delivered twice. */
  dup?: number;
  /** Extra delay in ms added to each message on this node's links. */
  delayMs?: number;
  /** The RPC methods these faults strike (requests, notices and their replies); absent: every message, [] every message again. */
  methods?: string[];
}

/**
 * How a failure names a node that gave no status: down, or running and silent (its code never
 * returns to its event loop: a loop that never ends? The simulator meets the same code and says where).
 */
export function noStatus(alive: boolean): string {
  return alive ? 'no status: its process runs but does not answer (code stuck in a loop? the simulator replay of this test shows where)' : 'no status (not running)';
}

export interface StartOptions {
  /** Index of the node to join through (the seed's master). Default 0. */
  first?: number;
}

export interface Cluster {
  readonly world: World;
  readonly timing: Timing;
  /** The VSR labs' engine limits every node is given (LabOptions.engine; undefined: each lab's own). */
  readonly engine: EngineLimits | undefined;
  /**
   * The world's one fault-and-control interface, by NodeId (the same one `rsmlab ctl` and the
   * dashboard use). The fault methods below are shorthands over it, by index.
   */
  readonly control: FaultControl;
  /** Node index -> NodeId (ordered: id(0) < id(1) < ...). */
  id(index: number): NodeId;
  /** Index of a NodeId, or -1. */
  indexOf(id: NodeId): number;

  /** Start (or restart from its disk) node `index`, joining through `first`. */
  start(index: number, options?: StartOptions): Promise<void>;
  /** Kill node `index` (SIGTERM in the real world, like the seed; a crash in the simulator). Disk is kept. */
  kill(index: number, signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Whether node `index` is running (it may have died at a breakpoint). */
  alive(index: number): boolean;
  /**
   * Rejects, naming the node and what its lab code threw, when a running node dies of a lab error
   * the scenario did not cause (a real process's exit 70); the run fails with it at once, whatever it
   * waits on (tester/run.ts). The simulator's never settles: its lab errors fail the run's sleep.
   */
  readonly crashed: Promise<never>;

  /** Arm breakpoint n (1..4) on node `index`. */
  breakpoint(index: number, n: 1 | 2 | 3 | 4): Promise<void>;
  /**
   * Arm a partition of node `index` (taking effect at its next partitionPoint()), or cut at once with
   * now=true; from everyone, or with scope 'peers' from the other nodes only (clients still reach it).
   */
  partition(index: number, now?: boolean, scope?: CutScope): Promise<void>;
  heal(index: number): Promise<void>;
  faults(index: number, faults: NetFaults): Promise<void>;
  /**
   * Apply (`corrupt`) or arm (every other kind) a disk fault (src/env/disk-faults.ts) on node
   * `index`'s disk, so a storage scenario is written once for both worlds. The real world needs the
   * node running (its control plane applies it); the simulator does not. Armed faults are the disk's
   * in both worlds: they outlive restarts until spent, healed or cleared (control.clearDiskFaults).
   */
  diskFault(index: number, fault: DiskFault): Promise<DiskFaultResult>;

  /** The lab's status JSON of a live node, or null if it is dead or does not answer. */
  status(index: number): Promise<Json | null>;

  /** Let `ms` of world time pass (wall clock, or virtual time in the simulator). */
  sleep(ms: number): Promise<void>;

  /** An Env for an in-world client (not a member): a simulated node, or an in-process real client. */
  clientEnv(name: string): Env;
  /** Put one client operation event (invoke, ok, fail, info) in the world's trace, as client:<name>. */
  recordClient(name: string, detail: Record<string, Json>): void;

  /** The world's trace so far as JSONL (the simulator's, or the real nodes' traces merged by time). */
  traceJsonl(): Promise<string>;

  /** Stop every node and release ports, processes and temp dirs. */
  close(): Promise<void>;
}
