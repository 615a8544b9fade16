// The one fault-and-control interface: everything a scenario, `rsmlab ctl` or the dashboard may do to
// a cluster's nodes (crash/restart, partition/heal, breakpoints and named fault points, network and
// disk faults) and read back (status), the same in both worlds. It owns only the vocabulary; the
// simulator (sim-control.ts) and the real control plane's client (remote-control.ts) implement it.
import type { BreakpointNumber, Json, NodeId } from '../env/types.js';
import type { DiskFault, DiskFaultResult } from '../env/disk-faults.js';
import type { NetFaults } from '../env/net-faults.js';

export type { DiskFault, DiskFaultResult };

export type ControlWorld = 'real' | 'sim';

/**
 * Whom a cut separates a node from: everyone, nodes and clients alike ('all', the seed's
 * set_reachable(false)), or the other nodes only ('peers': its clients still reach it and hear back,
 * as when an old primary loses its backups but not its clients).
 */
export type CutScope = 'all' | 'peers';

export type PartitionState = {
  /** Cut off now (from every other node and client, or from the other nodes only: peersOnly). */
  partitioned: boolean;
  /** To be cut off at the node's next env.partitionPoint(). */
  partitionArmed: boolean;
  /** Present while the cut, taken or armed, is from the other nodes only (CutScope 'peers'). */
  peersOnly?: true;
};

/** A node's partition state as the control plane reports it: `peersOnly` only while it is true (so a whole cut's answer is as it always was). */
export function partitionState(s: { partitioned: boolean; partitionArmed: boolean; peersOnly?: boolean }): PartitionState {
  return { partitioned: s.partitioned, partitionArmed: s.partitionArmed, ...(s.peersOnly === true && { peersOnly: true }) };
}

/** Faults on one node's links (src/env/net-faults.ts). */
export type { NetFaults } from '../env/net-faults.js';

/** A lab's fault sites as status reports them (a copy of its Lab.sites: plain JSON, the lab's own never handed out). */
export type SitesReport = {
  breakpoints: BreakpointNumber[];
  partitionPoint: boolean;
  faultPoints: string[];
};

export type DiskFile = {
  name: string;
  size: number;
};

export type FaultStatus = PartitionState & {
  node: NodeId;
  /** Running (a real process answering its control plane, or a live simulated incarnation). */
  alive: boolean;
  lab: string;
  /** The OS process id (real world, while alive), else null. */
  pid: number | null;
  /** CPU µs its process has used so far (real world, while alive; benchmarks' per-op CPU). */
  cpu_us?: number;
  /** Armed breakpoints. */
  breakpoints: number[];
  /** Armed named fault points. */
  faultPoints: string[];
  /**
   * The fault sites the node's lab reaches (Lab.sites), when known: a real node that answers, a
   * simulated one once its lab is loaded. Absent for a real node that does not answer.
   */
  sites?: SitesReport;
  faults: NetFaults;
  /** The lab's LabNode.status(), or null while the node is down or still starting. */
  state: Json;
};

export interface FaultControl {
  readonly world: ControlWorld;

  /** Kill node `node` (memory gone, disk kept). Resolves once it is dead. A dead node is left alone. */
  crash(node: NodeId, signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Start a dead node again from its disk. Resolves once it serves. */
  restart(node: NodeId): Promise<void>;

  /** Cut the node off now (now=true), or arm a cut taken at its next env.partitionPoint(); from everyone, or from the other nodes only (scope 'peers'). */
  partition(node: NodeId, now?: boolean, scope?: CutScope): Promise<PartitionState>;
  /** Heal every cut of the node, armed or taken. */
  heal(node: NodeId): Promise<PartitionState>;

  /** Arm breakpoint n: the node dies at its next env.breakpoint(n). */
  breakpoint(node: NodeId, n: BreakpointNumber): Promise<{ breakpoints: number[] }>;
  /** Arm the named fault point: the node dies at its next env.faultPoint(name). */
  faultPoint(node: NodeId, name: string): Promise<{ faultPoints: string[] }>;

  /** Change some of the node's link faults (the others keep their values); returns all of them. */
  netFaults(node: NodeId, change: Partial<NetFaults>): Promise<NetFaults>;

  /** Inject a disk fault (any kind of src/env/disk-faults.ts) into the node's files. */
  diskFault(node: NodeId, fault: DiskFault): Promise<DiskFaultResult>;
  /**
   * Drop the armed faults and latent errors of one file of the node's disk (of every file when
   * `file` is absent); they are the disk's, so they would otherwise outlive restarts until spent.
   */
  clearDiskFaults(node: NodeId, file?: string): Promise<{ cleared: number }>;
  /** The node's disk files (for choosing where to inject). */
  diskFiles(node: NodeId): Promise<DiskFile[]>;

  /** What the node is and what is armed on it. A dead or silent node is `alive: false` with `state: null`. */
  status(node: NodeId): Promise<FaultStatus>;
}

/** Who owns a world's node processes or incarnations: the only one that can kill and restart them. */
export interface NodeOwner {
  kill(node: NodeId, signal: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  restart(node: NodeId): Promise<void>;
  alive(node: NodeId): boolean;
}

/** A well-formed fault point name: what env.faultPoint(name) and the control plane accept. */
export const FAULT_POINT_NAME = /^[A-Za-z0-9_.:-]{1,64}$/;

export function checkFaultPointName(name: string): void {
  if (!FAULT_POINT_NAME.test(name)) throw new Error(`fault point name must match ${FAULT_POINT_NAME.source}, not ${JSON.stringify(name)}`);
}

/** One control action, as the dashboard's event stream and a run's fault schedule record it. */
export type ControlAction = {
  action: keyof Omit<FaultControl, 'world' | 'status' | 'diskFiles'>;
  node: NodeId;
  args: Json;
};

/**
 * `control` with every action reported to `observe` before it runs (status and reads are not
 * actions). The dashboard uses it so each button press appears in its event stream.
 */
export function observed(control: FaultControl, observe: (action: ControlAction) => void): FaultControl {
  const act = <T>(action: ControlAction['action'], node: NodeId, args: Json, run: () => Promise<T>): Promise<T> => {
    observe({ action, node, args });
    return run();
  };
  return {
    world: control.world,
    crash: (node, signal) => act('crash', node, { signal: signal ?? 'SIGTERM' }, () => control.crash(node, signal)),
    restart: (node) => act('restart', node, {}, () => control.restart(node)),
    partition: (node, now, scope) => act('partition', node, { now: now ?? false, ...(scope === 'peers' && { scope }) }, () => control.partition(node, now, scope)),
    heal: (node) => act('heal', node, {}, () => control.heal(node)),
    breakpoint: (node, n) => act('breakpoint', node, { n }, () => control.breakpoint(node, n)),
    faultPoint: (node, name) => act('faultPoint', node, { name }, () => control.faultPoint(node, name)),
    netFaults: (node, change) => act('netFaults', node, { ...change }, () => control.netFaults(node, change)),
    diskFault: (node, fault) => act('diskFault', node, { ...fault }, () => control.diskFault(node, fault)),
    clearDiskFaults: (node, file) => act('clearDiskFaults', node, file === undefined ? {} : { file }, () => control.clearDiskFaults(node, file)),
    diskFiles: (node) => control.diskFiles(node),
    status: (node) => control.status(node),
  };
}
