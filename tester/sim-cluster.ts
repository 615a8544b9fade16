// The Cluster of the simulated world: nodes p0, p1, ... (the names test titles use) of one lab inside a SimWorld, driven by the
// scenario's awaits (time moves only while the scenario waits on the simulation). It maps the
// Cluster interface onto the world; it never decides what happens (the world and its seed do).
import type { EngineLimits, Lab, LabNode, LabOptions } from '../src/lab.js';
import type { Env, Json, NodeId } from '../src/env/types.js';
import { classicTiming, type Timing } from '../src/timing.js';
import { loadLab } from '../labs/index.js';
import { SimWorld, type WorldStats } from '../src/env/sim/world.js';
import type { NetConfig } from '../src/env/sim/network.js';
import type { DiskFaults } from '../src/env/sim/disk.js';
import type { Limits, Pacer } from '../src/env/sim/scheduler.js';
import type { VetoPolicy } from '../src/env/sim/decisions.js';
import type { FaultAtlas } from '../src/env/disk-faults.js';
import { ControlledCluster } from './controlled-cluster.js';
import type { Cluster, StartOptions } from './cluster.js';
import { SimFaultControl } from '../src/control/sim-control.js';

export interface SimClusterOptions {
  /** The lab, or its name in labs/index.ts. */
  lab: Lab | string;
  seed: number;
  nodes: number;
  timing?: Timing;
  app?: string | undefined;
  net?: Partial<NetConfig>;
  disk?: Partial<DiskFaults>;
  /** Which sectors of which node may ever draw a disk fault (src/env/disk-faults.ts; default: any). */
  atlas?: FaultAtlas;
  limits?: Partial<Limits>;
  /** Keep the trace's lines (default true); false keeps only its hash. */
  keepTrace?: boolean;
  /** Hash the trace (default true). */
  hashTrace?: boolean;
  /** The command that replays this run, printed with every simulation failure. */
  replay?: string;
  /** Watched live (the dashboard): the run's virtual time passes in slices, each let through by the pacer. */
  pacer?: Pacer;
  /** Fault decisions that take their benign outcome (a shrunk rerun). */
  veto?: VetoPolicy;
  /** A failed call's error shows where lab code made the call (WorldOptions.callSites). */
  callSites?: boolean;
  /** The VSR labs' engine limits, given to every node's lab.start (as RealCluster's are to rsmlab node). */
  engine?: EngineLimits;
}

/**
 * The cluster of a scenario that reads the simulator's memory or disk, as the simulator's. Such a
 * scenario declares worlds ['sim'] and runScenario never gives it another world (runsIn); this
 * narrows the type, and names the missing declaration if a scenario forgot it.
 */
export function simClusterOf(cluster: Cluster): SimCluster {
  if (cluster instanceof SimCluster) return cluster;
  throw new Error(`a simulator-only scenario was given a ${cluster.world} cluster: it must declare worlds ['sim'] (tester/scenario.ts runsIn)`);
}

/** The simulator a simulator-only scenario's run drives (its cluster narrowed by simClusterOf): disk faults, network settings, lab nodes. */
export function simOf(run: { readonly cluster: Cluster }): SimWorld {
  return simClusterOf(run.cluster).sim;
}

/** Replica `index`'s lab node in a simulator-only scenario's run, or null while it is down. */
export function labNodeOf(run: { readonly cluster: Cluster }, index: number): LabNode | null {
  return simClusterOf(run.cluster).labNode(index);
}

/** Labs loaded by name, once per process: a run after the first starts without loading anything. */
const loaded = new Map<string, Lab>();

export class SimCluster extends ControlledCluster implements Cluster {
  readonly world = 'sim' as const;
  readonly timing: Timing;
  /** The simulator itself: disk faults, one-way partitions, node sets, network settings, stats. */
  readonly sim: SimWorld;
  private readonly nodes: number;
  private readonly app: string | undefined;
  readonly engine: EngineLimits | undefined;
  private lab: Lab | undefined;
  private readonly labName: string;
  readonly control: SimFaultControl;
  /** Never settles: a lab error stops the simulation, which fails the scenario's next sleep. */
  readonly crashed: Promise<never> = new Promise<never>(() => undefined);

  constructor(options: SimClusterOptions) {
    super();
    this.timing = options.timing ?? classicTiming;
    this.nodes = options.nodes;
    this.app = options.app;
    this.engine = options.engine;
    this.lab = typeof options.lab === 'string' ? undefined : options.lab;
    this.labName = typeof options.lab === 'string' ? options.lab : options.lab.name;
    this.sim = new SimWorld({
      seed: options.seed,
      net: options.net,
      disk: options.disk,
      atlas: options.atlas,
      limits: options.limits,
      keepTrace: options.keepTrace,
      hashTrace: options.hashTrace,
      replay: options.replay,
      veto: options.veto,
      callSites: options.callSites,
    });
    if (options.pacer !== undefined) this.sim.pace(options.pacer);
    this.control = new SimFaultControl(this.sim, this.labName, {
      kill: (id, signal) => this.kill(this.indexOf(id), signal),
      restart: (id) => this.restartAsBefore(id),
      alive: (id) => this.sim.alive(id),
    }, () => this.lab?.sites);
  }

  id(index: number): NodeId {
    if (!Number.isInteger(index) || index < 0 || index >= this.nodes) throw new Error(`no node ${index} (nodes 0..${this.nodes - 1})`);
    return `p${index}`;
  }

  /** Node `index`'s lab node, or null while it is down. */
  labNode(index: number): LabNode | null {
    return this.sim.labNode(this.id(index));
  }

  indexOf(id: NodeId): number {
    const m = /^p(\d+)$/.exec(id);
    const index = m ? Number(m[1]) : -1;
    return index < this.nodes && id === `p${index}` ? index : -1;
  }

  /** The lab, loaded once per process; the simulation is held still while its module loads (real I/O). */
  private async loadedLab(): Promise<Lab> {
    this.lab ??= loaded.get(this.labName);
    if (this.lab) return this.lab;
    const resume = this.sim.hold();
    try {
      this.lab = await loadLab(this.labName);
      loaded.set(this.labName, this.lab);
      return this.lab;
    } finally {
      resume();
    }
  }

  async start(index: number, options: StartOptions = {}): Promise<void> {
    const id = this.id(index);
    const first = this.id(options.first ?? 0);
    this.joinsThrough(index, options);
    const lab = await this.loadedLab();
    const replicas = Array.from({ length: this.nodes }, (_, i) => this.id(i));
    const labOptions: LabOptions = { first, timing: this.timing, replicas, index, ...(this.app === undefined ? {} : { app: this.app }), ...(this.engine && { engine: this.engine }) };
    await this.sim.start(id, (env) => lab.start(env, labOptions), { lab: lab.name, first });
  }

  async kill(index: number, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    this.sim.crash(this.id(index), { reason: 'signal', signal });
  }

  alive(index: number): boolean {
    return this.sim.alive(this.id(index));
  }

  sleep(ms: number): Promise<void> {
    return this.sim.sleep(ms);
  }

  clientEnv(name: string): Env {
    return this.sim.client(name);
  }

  /** Trace a client operation of the workload (kind 'client'), as client:<name>. */
  recordClient(name: string, detail: Record<string, Json>): void {
    this.sim.recordClient(`client:${name}`, detail);
  }

  async traceJsonl(): Promise<string> {
    return this.sim.trace.jsonl();
  }

  /** The trace hash so far (src/trace/recorder.ts): equal seeds give equal hashes. */
  traceHash(): string {
    return this.sim.trace.digest();
  }

  get stats(): WorldStats {
    return this.sim.stats;
  }

  /** The scenario is done: its run's failure, if the last steps' lab code left one for Node to report (SimWorld.finish). */
  finish(): Promise<void> {
    return this.sim.finish();
  }

  async close(): Promise<void> {
    this.sim.close();
  }
}
