// The simulated world: nodes (incarnations over a disk that outlives them), clients, the wire, the
// network model, the clock and the trace, all driven by the seed's per-purpose PRNG streams. It is the tester's handle on
// the simulation (start, crash, sleep, faults) and the host of every SimEnv. It never runs lab code
// outside an event, and never lets a dead incarnation act.
import type { LabNode } from '../../lab.js';
import type { BreakpointNumber, Disk, Env, Json, NodeId } from '../types.js';
import type { Method, Notice } from '../method.js';
import { TraceRecorder } from '../../trace/recorder.js';
import type { TraceKind } from '../../trace/event.js';
import { NodeCrashed } from './crash.js';
import { StorageCorrupt } from '../../storage/storage-corrupt.js';
import { Decisions, type VetoPolicy } from './decisions.js';
import { effectDetail, NodeDisk, noDiskFaults, SimDisk, type DiskFaults, type IoHost, type LatencyRange } from './disk.js';
import { sectorsOf, type DiskFault, type DiskFaultResult, type FaultAtlas } from '../disk-faults.js';
import { armedDetail, clearedDetail, corruptDetail } from '../disk-fault-detail.js';
import type { SimEvent } from './event-queue.js';
import { hostSetImmediate, installGuards, runAs } from './guard.js';
import { HashedDisk } from './hashed-disk.js';
import { Network, type NetConfig } from './network.js';
import type { NetFaults } from '../net-faults.js';
import { Streams } from '../../random.js';
import { defaultLimits, Scheduler, type Limits, type Pacer, type SimulationFailure } from './scheduler.js';
import { SimEnv, type EnvHost, type Timer } from './sim-env.js';
import { Transport, type Directory, type Endpoint } from './transport.js';

export interface WorldOptions {
  seed: number;
  net?: Partial<NetConfig>;
  disk?: Partial<DiskFaults>;
  /** Which sectors of which node may ever be faulty (default: any). */
  atlas?: FaultAtlas;
  /** Keep the trace's lines in memory (default true); false keeps only its hash (long benchmarks). */
  keepTrace?: boolean;
  /** Hash the trace (default true); false with keepTrace false records nothing but the event count (many quiet runs). */
  hashTrace?: boolean;
  limits?: Partial<Limits>;
  /** The one command that replays this run, printed with every failure. Default: "seed <seed>". */
  replay?: string;
  /** Fault decisions that take their benign outcome on this run (decisions.ts). */
  veto?: VetoPolicy;
  /** Record every fault decision (default: when the trace's lines are kept; a veto always does). */
  recordDecisions?: boolean;
  /** Give a failed call's error the stack of lab code where the call was made (default false): a failing seed's report and its replays. It costs runs of call-heavy labs about a third of their speed. */
  callSites?: boolean;
}

/** Builds a node's protocol stack on its env (e.g. env => lab.start(env, options)). */
export type Boot = (env: Env) => Promise<LabNode>;

/** The trace's node name for world-wide events (network settings, node sets). */
export const WORLD = '*';

/** A client's disk: like the real world's, it has none, and says so. */
function noDisk(me: NodeId): Disk {
  const fail = (): Promise<never> => Promise.reject(new Error(`${me} is a client and has no disk`));
  return { read: fail, write: fail, append: fail, truncate: fail, size: fail, fsync: fail, list: fail, remove: fail };
}

export interface WorldStats {
  now: number;
  events: number;
  sent: number;
  delivered: number;
  dropped: number;
}

class SimNode {
  constructor(readonly disk: SimDisk) {}

  env: SimEnv | null = null;
  lab: LabNode | null = null;
  readonly breakpoints = new Set<BreakpointNumber>();
  readonly faultPoints = new Set<string>();
  /** Settles the tester's start() once lab.start has resolved or the node has died. */
  started: (() => void) | null = null;
  diskFaults: DiskFaults | null = null;
}

export class SimWorld implements EnvHost, Directory, IoHost {
  readonly seed: number;
  readonly trace: TraceRecorder;
  /** The run's randomness, one stream per purpose (src/random.ts). */
  readonly streams: Streams;
  /** Every fault decision of the run: drawn by the seed or scripted by the tester. */
  readonly decisions: Decisions;
  private readonly scheduler: Scheduler;
  private readonly net: Network;
  private readonly transport: Transport;
  private readonly nodes = new Map<NodeId, SimNode>();
  private readonly clients = new Map<NodeId, SimEnv>();
  private diskFaults: DiskFaults;
  private readonly atlas: FaultAtlas | undefined;

  constructor(options: WorldOptions) {
    installGuards();
    this.seed = options.seed;
    this.streams = new Streams(options.seed);
    this.trace = new TraceRecorder({ keep: options.keepTrace ?? true, hash: options.hashTrace ?? true });
    const replay = options.replay ?? `seed ${options.seed}`;
    this.scheduler = new Scheduler(options.seed, this.streams.ties, { ...defaultLimits, ...options.limits }, replay);
    this.decisions = new Decisions(() => this.now, { policy: options.veto, record: options.recordDecisions ?? options.keepTrace ?? true });
    this.net = new Network(this.streams.network, options.net, this.decisions);
    this.transport = new Transport(this.scheduler, this.net, this.trace, this, options.callSites ?? false);
    this.diskFaults = { ...noDiskFaults, ...options.disk };
    this.atlas = options.atlas;
  }

  get now(): number {
    return this.scheduler.now;
  }

  get stats(): WorldStats {
    return { now: this.now, events: this.scheduler.events, ...this.transport.stats };
  }

  /** Why the run failed (a lab error, a guard, a runaway), if it did. */
  get failure(): SimulationFailure | undefined {
    return this.scheduler.failed;
  }

  private emit(kind: TraceKind, node: NodeId, detail?: Record<string, Json>): void {
    this.trace.emit(detail === undefined ? { t: this.now, node, kind } : { t: this.now, node, kind, detail });
  }

  // ---- the tester's side ------------------------------------------------------------------

  /** Let `ms` of virtual time pass (everything due in the meantime happens). */
  sleep(ms: number): Promise<void> {
    if (!Number.isFinite(ms) || ms < 0) return Promise.reject(new Error(`sleep: bad duration ${ms}`));
    return this.scheduler.wait<void>((resolve) => this.scheduler.task(Math.ceil(ms), () => resolve()));
  }

  /**
   * The tester is done: let the host turn once (the loop steps on only for waits still pending), so
   * that Node reports the unhandled rejections of lab code's last steps (it does so only at a host
   * turn, which the loop gives at the tester's next wait: a finished tester makes none); then reject
   * with the run's failure, if any. Without this, a promise lab code left to reject during the last
   * wait passed.
   */
  async finish(): Promise<void> {
    await new Promise<void>((resolve) => hostSetImmediate(resolve));
    if (this.failure !== undefined) throw this.failure;
  }

  /** Watch the run live: its virtual time passes slice by slice, as `pacer` lets it (Scheduler.pace). */
  pace(pacer: Pacer): void {
    this.scheduler.pace(pacer);
  }

  /** Pause the simulation while something outside it completes (e.g. loading a lab module). */
  hold(): () => void {
    return this.scheduler.hold();
  }

  /**
   * Start node `id` (or restart it on its disk): a new incarnation runs `boot` at this instant.
   * Resolves once boot has resolved or the node has died; a throwing boot fails the run.
   */
  start(id: NodeId, boot: Boot, detail: Record<string, Json> = {}): Promise<void> {
    const existing = this.nodes.get(id);
    // A node whose crash was vetoed is still up when the tester restarts it: the restart does nothing.
    if (existing?.env && this.decisions.vetoing) return Promise.resolve();
    if (existing?.env) return Promise.reject(new Error(`start: ${id} is already running`));
    if (existing && !this.decisions.allow('restart', id)) return Promise.resolve();
    const node = existing ?? this.newNode(id);
    const env: SimEnv = new SimEnv(id, this, new HashedDisk(new NodeDisk(node.disk, id, () => env, this), id, this.trace), true);
    node.env = env;
    this.emit('start', id, { ...detail, restarted: existing !== undefined });
    return this.scheduler.wait<void>((resolve) => {
      node.started = resolve;
      this.scheduler.task(0, () => this.boot(node, env, boot));
    });
  }

  private newNode(id: NodeId): SimNode {
    const node = new SimNode(new SimDisk(id, this.streams.disk, (kind, file) => this.decisions.allow('disk', `${id} ${kind} ${file}`)));
    node.disk.configure(this.diskFaults, this.atlas);
    this.nodes.set(id, node);
    return node;
  }

  private boot(node: SimNode, env: SimEnv, boot: Boot): void {
    if (env.dead) return;
    runAs(env.code);
    let started: Promise<LabNode>;
    env.dispatcher.starting(true);
    try {
      started = boot(env);
    } catch (e) {
      return this.labError(env, 'start', e);
    }
    started.then(
      (lab) => {
        if (env.dead) return;
        env.dispatcher.starting(false);
        node.lab = lab;
        this.startSettled(node);
      },
      (e: unknown) => (e instanceof StorageCorrupt ? this.refuseToStart(env, e) : this.labError(env, 'start', e)),
    );
  }

  /** The node found its disk corrupt and refuses to start: it dies (traced), as a real node exits; the run goes on. */
  private refuseToStart(env: SimEnv, e: StorageCorrupt): void {
    if (!env.dead) this.die(env.me, { reason: 'corrupt disk', error: e.message }); // a consequence, not a fault decision
  }

  /** Resolve the tester's start() from an event of its own, so tester code never runs as lab code. */
  private startSettled(node: SimNode): void {
    const resolve = node.started;
    node.started = null;
    if (resolve) this.scheduler.task(0, resolve);
  }

  /** Crash node `id` now (a fault decision): memory and pending promises gone, disk settled as the disk faults say. */
  crash(id: NodeId, why: Record<string, Json> = { reason: 'crash' }): void {
    if (this.nodes.get(id)?.env && this.decisions.allow('crash', id)) this.die(id, why);
  }

  private die(id: NodeId, why: Record<string, Json>): void {
    const node = this.nodes.get(id);
    const env = node?.env;
    if (!node || !env) return;
    env.dead = true;
    node.env = null;
    node.lab = null;
    node.breakpoints.clear();
    node.faultPoints.clear();
    this.net.forget(id);
    this.emit('crash', id, why);
    this.transport.peerDied(id);
    for (const effect of node.disk.crash(this.streams.disk)) this.emit('disk', id, effectDetail(effect));
    this.startSettled(node);
  }

  alive(id: NodeId): boolean {
    return this.nodes.get(id)?.env != null;
  }

  /** The lab's status of a live, started node (a JSON copy), or null. */
  status(id: NodeId): Json | null {
    const node = this.nodes.get(id);
    if (!node?.env || !node.lab) return null;
    runAs(node.env.code);
    try {
      return JSON.parse(JSON.stringify(node.lab.status())) as Json;
    } finally {
      runAs(null);
    }
  }

  /**
   * Call `observe` after every step of the simulation (see Scheduler.observer): the tester's state
   * checker. A throw from it fails the run with that error.
   */
  observeSteps(observe: () => void): void {
    this.scheduler.observer = observe;
  }

  /** The LabNode of a live, started node (for the tester's checks in the simulator only), or null. */
  labNode(id: NodeId): LabNode | null {
    const node = this.nodes.get(id);
    return node?.env ? node.lab : null;
  }

  /** The env of an in-world client `client:<name>`: not a member, never guarded, never crashes. */
  client(name: string): Env {
    const id = `client:${name}`;
    let env = this.clients.get(id);
    if (env === undefined) {
      env = new SimEnv(id, this, noDisk(id), false);
      this.clients.set(id, env);
    }
    return env;
  }

  /** Trace a client operation (invoke / ok / fail / info) of the workload. */
  recordClient(node: NodeId, detail: Record<string, Json>): void {
    this.emit('client', node, detail);
  }

  /** The disk of node `id` (for inspection and faults); created with the node. */
  disk(id: NodeId): SimDisk {
    const node = this.nodes.get(id);
    if (!node) throw new Error(`disk: no node ${id}`);
    return node.disk;
  }

  /** Stop for good: pending promises stay pending, every incarnation is dead, nothing is traced. */
  close(): void {
    this.scheduler.close();
    for (const node of this.nodes.values()) if (node.env) node.env.dead = true;
  }

  // ---- faults ------------------------------------------------------------------------------

  private liveNode(id: NodeId, what: string): SimNode {
    const node = this.nodes.get(id);
    if (!node?.env) throw new Error(`${what}: node ${id} is not running`);
    return node;
  }

  /** Arm breakpoint n: the node dies at its next env.breakpoint(n). Disarmed by its death. */
  armBreakpoint(id: NodeId, n: BreakpointNumber): void {
    const node = this.liveNode(id, 'breakpoint');
    if (!this.decisions.allow('breakpoint', `${id} ${n}`)) return;
    node.breakpoints.add(n);
    this.emit('breakpoint', id, { n, hit: false });
  }

  /** Arm the named fault point: the node dies at its next env.faultPoint(name). Disarmed by its death. */
  armFaultPoint(id: NodeId, name: string): void {
    const node = this.liveNode(id, 'faultPoint');
    if (!this.decisions.allow('breakpoint', `${id} ${name}`)) return;
    node.faultPoints.add(name);
    this.emit('breakpoint', id, { point: name, hit: false });
  }

  /** The methods and notices node `id`'s lab serves, once its start() has returned; undefined while it is down or starting. */
  served(id: NodeId): string[] | undefined {
    const node = this.nodes.get(id);
    return node?.env && node.lab ? node.env.dispatcher.served() : undefined;
  }

  /** What is armed on a live node: breakpoints and fault points (empty for a dead or unknown node). */
  armed(id: NodeId): { breakpoints: BreakpointNumber[]; faultPoints: string[] } {
    const node = this.nodes.get(id);
    if (!node?.env) return { breakpoints: [], faultPoints: [] };
    return { breakpoints: [...node.breakpoints].sort(), faultPoints: [...node.faultPoints].sort() };
  }

  /** Cut node `id` from every other node and client (or, peersOnly, from the other nodes only) now, or at its next env.partitionPoint(). */
  partition(id: NodeId, now = false, peersOnly = false): void {
    this.liveNode(id, 'partition');
    if (!this.decisions.allow('partition', id)) return;
    if (now) this.net.isolate(id, peersOnly);
    else this.net.arm(id, peersOnly);
    this.emit('partition', id, { at: now ? 'now' : 'armed', ...(peersOnly && { peersOnly }) });
  }

  /** Node `id`'s own partition state and link faults. */
  netState(id: NodeId): { partitioned: boolean; partitionArmed: boolean; peersOnly: boolean; faults: NetFaults } {
    return { ...this.net.partitionOf(id), faults: this.net.faultsOf(id) };
  }

  /** Heal every partition involving `id` (its cut, an armed cut, blocked links to or from it). */
  heal(id: NodeId): void {
    this.net.heal(id);
    this.emit('heal', id, {});
  }

  healAll(): void {
    this.net.healAll();
    this.emit('heal', WORLD, { all: true });
  }

  /** Symmetric partition between node sets (nodes not named keep all their links). */
  split(groups: NodeId[][]): void {
    if (!this.decisions.allow('partition', groups.map((g) => g.join(',')).join('|'))) return;
    this.net.split(groups);
    this.emit('partition', WORLD, { groups });
  }

  /** One-way partition: messages from→to are lost. */
  block(from: NodeId, to: NodeId): void {
    if (!this.decisions.allow('partition', `${from}>${to}`)) return;
    this.net.block(from, to);
    this.emit('partition', from, { to, oneWay: true });
  }

  unblock(from: NodeId, to: NodeId): void {
    this.net.unblock(from, to);
    this.emit('heal', from, { to, oneWay: true });
  }

  /** Change the run's network settings (delay range, loss, dup). */
  configureNet(change: Partial<NetConfig>): NetConfig {
    const settings = this.net.configure(change);
    this.emit('faults', WORLD, { ...settings });
    return settings;
  }

  /** Change one node's link faults. */
  setFaults(id: NodeId, change: Partial<NetFaults>): NetFaults {
    const faults = this.net.setFaults(id, change);
    this.emit('faults', id, { ...faults });
    return faults;
  }

  /** Change the disk faults applied at crashes: of one node, or (no id) of every node without its own. */
  setDiskFaults(change: Partial<DiskFaults>, id?: NodeId): DiskFaults {
    const faults = id === undefined ? this.diskFaults : (this.nodes.get(id)?.diskFaults ?? this.diskFaults);
    const next = { ...faults, ...change };
    if (id === undefined) this.diskFaults = next;
    else this.knownNode(id).diskFaults = next;
    this.configureDisks();
    const { latencyMs, ...rates } = next;
    this.emit('disk', id ?? WORLD, { fault: 'config', ...rates, latencyMs: { read: [...latencyMs.read], write: [...latencyMs.write], fsync: [...latencyMs.fsync] } });
    return next;
  }

  private configureDisks(): void {
    for (const node of this.nodes.values()) node.disk.configure(node.diskFaults ?? this.diskFaults, this.atlas);
  }

  private knownNode(id: NodeId): SimNode {
    const node = this.nodes.get(id);
    if (!node) throw new Error(`no node ${id}`);
    return node;
  }

  /** Corrupt bytes on node `id`'s disk (XOR with non-zero noise). Returns how many bytes changed. */
  corrupt(id: NodeId, file: string, offset: number, length: number): number {
    if (!this.decisions.allow('disk', `${id} corrupt ${file}`)) return 0;
    const corrupted = this.knownNode(id).disk.corrupt(file, offset, length, this.streams.disk);
    this.emit('disk', id, corruptDetail({ file, offset, length }, corrupted));
    return corrupted;
  }

  /** Apply (`corrupt`) or arm (every other kind) a disk fault on node `id`, dead or alive. */
  diskFault(id: NodeId, fault: DiskFault): DiskFaultResult {
    const disk = this.knownNode(id).disk;
    if (fault.kind === 'corrupt') {
      const corrupted = this.corrupt(id, fault.file, fault.offset, fault.length);
      return { kind: 'corrupt', file: fault.file, offset: fault.offset, corrupted, sectors: sectorsOf(fault.offset, fault.length, disk.faults.sectorBytes) };
    }
    const sectors = sectorsOf(fault.offset, fault.length, disk.faults.sectorBytes);
    if (!this.decisions.allow('disk', `${id} ${fault.kind} ${fault.file}`)) return { kind: fault.kind, file: fault.file, offset: fault.offset, corrupted: 0, sectors };
    const result = disk.arm(fault);
    this.emit('disk', id, armedDetail(fault));
    return result;
  }

  /** Drop the armed faults and latent errors of one file of node `id`'s disk (every file when absent), dead or alive: how many went. */
  clearDiskFaults(id: NodeId, file?: string): number {
    const cleared = this.knownNode(id).disk.faults.clear(file);
    this.emit('disk', id, clearedDetail(file, cleared));
    return cleared;
  }

  // ---- EnvHost and Directory -------------------------------------------------------------------

  random(env: SimEnv): number {
    return this.streams.lab(env.me).float();
  }

  nonce(env: SimEnv): string {
    return this.streams.lab(env.me).uuid();
  }

  call<P, R>(env: SimEnv, peer: NodeId, method: Method<P, R>, params: P, timeoutMs: number): Promise<R> {
    return this.transport.call(env, peer, method, params, timeoutMs);
  }

  callEach<P, R>(env: SimEnv, peers: readonly NodeId[], method: Method<P, R>, params: P, timeoutMs: number): Promise<R>[] {
    return this.transport.callEach(env, peers, method, params, timeoutMs);
  }

  send<P>(env: SimEnv, peer: NodeId, notice: Notice<P>, params: P): void {
    this.transport.send(env, peer, notice, params);
  }

  latency(range: LatencyRange): number {
    return this.streams.disk.int(range[0], range[1]); // (indexed, not destructured: once per disk operation)
  }

  traceDiskFaults(id: NodeId, faults: Record<string, Json>[]): void {
    for (const fault of faults) this.emit('disk', id, fault);
  }

  schedule(timer: Timer | SimEvent, ms: number): void {
    this.scheduler.schedule(timer, ms);
  }

  cancel(timer: Timer): void {
    this.scheduler.cancel(timer);
  }

  wait<T>(promise: Promise<T>): Promise<T> {
    return this.scheduler.wait<T>((resolve, reject) => promise.then(resolve, reject));
  }

  timerFired(env: SimEnv, timer: Timer): void {
    this.emit('timer', env.me, timer.name === undefined ? { id: timer.id, ms: timer.ms } : { id: timer.id, ms: timer.ms, name: timer.name });
  }

  log(env: SimEnv, what: string, fields: Record<string, Json> | undefined): void {
    this.trace.emitLog(this.now, env.me, what, fields);
  }

  breakpoint(env: SimEnv, n: BreakpointNumber): void {
    const node = this.nodes.get(env.me);
    if (!node?.breakpoints.has(n)) return;
    this.emit('breakpoint', env.me, { n, hit: true });
    this.die(env.me, { reason: 'breakpoint', n });
    throw new NodeCrashed(env.me);
  }

  faultPoint(env: SimEnv, name: string): void {
    const node = this.nodes.get(env.me);
    if (!node?.faultPoints.has(name)) return;
    this.emit('breakpoint', env.me, { point: name, hit: true });
    this.crash(env.me, { reason: 'faultPoint', name });
    throw new NodeCrashed(env.me);
  }

  partitionPoint(env: SimEnv): void {
    if (this.net.partitionPoint(env.me)) this.emit('partition', env.me, { at: 'partitionPoint' });
  }

  labError(env: SimEnv, where: string, error: unknown, at?: number): void {
    if (error instanceof NodeCrashed) return;
    this.scheduler.fail(error, `${env.me}, ${where}`, at);
  }

  endpoint(id: NodeId): Endpoint | undefined {
    return this.nodes.get(id)?.env ?? this.clients.get(id);
  }

  known(id: NodeId): boolean {
    return this.nodes.has(id) || this.clients.has(id);
  }
}
