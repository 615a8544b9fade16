// The real-world Cluster: each node is an OS process (`rsmlab node`) on its own port pair, driven
// through signals and its control plane, with its directory under one temp folder. It owns those
// processes, ports and folders, and never reaches into a node except through the control plane.
// A node it did not kill that dies of its lab code's error fails the run at once (`crashed`).
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as pause } from 'node:timers/promises';
import { ControlledCluster } from './controlled-cluster.js';
import type { Cluster, StartOptions, World } from './cluster.js';
import type { Env, Json, NodeId } from '../src/env/types.js';
import type { Timing } from '../src/timing.js';
import type { EngineLimits } from '../src/lab.js';
import { controlCall } from '../src/control/client.js';
import * as control from '../src/control/protocol.js';
import { RemoteFaultControl } from '../src/control/remote-control.js';
import { nodeId } from '../src/env/real/address.js';
import { RealEnv } from '../src/env/real/env.js';
import { EXIT_LAB_ERROR } from '../src/env/real/node-process.js';
import { nodeCrashed, type NodeCrashed } from './node-crash.js';
import { releasePorts, reservePortPairsSync } from '../src/env/real/ports.js';
import { TraceRecorder } from '../src/trace/recorder.js';
import { mergeTraces } from '../src/trace/merge.js';
import { TraceFile } from '../src/env/real/trace-file.js';
import { holdTempDir, releaseTempDir } from './temp-dirs.js';

export interface RealClusterOptions {
  lab: string;
  /** How many nodes the cluster may run (a port pair is reserved for each up front). */
  nodes: number;
  timing: Timing;
  app?: string;
  /** Where the cluster's temp folder is made (default: the OS temp dir). */
  baseDir?: string;
  /** Keep the folder (traces, node.log, disks) at close, for a failure report. */
  keepArtifacts?: boolean;
  /** Address the nodes bind and are known by (default 127.0.0.1). */
  host?: string;
  /** The VSR labs' engine limits, passed as --pipeline-max / --batch-max (absent: the lab's defaults). */
  engine?: EngineLimits;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

interface NodeProcess {
  child: ChildProcess;
  exited: Promise<ExitStatus>;
  exit?: ExitStatus;
  /** Its lab started: from now on, its death of a lab error is the run's failure. */
  serving?: boolean;
  /** This cluster killed it (a scenario's kill or crash, or close): its death is no failure. */
  killed?: boolean;
}

const mainJs = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
/** A node that does not answer `status` this long after its spawn failed to start. */
const START_LIMIT_MS = 20_000;
const STATUS_TIMEOUT_MS = 1000;
/** How long a node may take to die of SIGTERM (trace it, flush, exit) before it gets SIGKILL. */
const TERM_GRACE_MS = 5_000;


function fileName(name: string): string {
  return name.replace(/[^\w.-]/g, '_');
}

export class RealCluster extends ControlledCluster implements Cluster {
  readonly world: World = 'real';
  readonly timing: Timing;
  readonly engine: EngineLimits | undefined;
  /** The cluster's folder: p0/, p1/, ... (disk/, trace.jsonl, node.log) and clients/. */
  readonly dir: string;
  keepArtifacts: boolean;
  private readonly host: string;
  private readonly ports: number[];
  private readonly procs: (NodeProcess | undefined)[];
  /** The client envs still open, oldest first, each with its trace file; and the first of each name (recordClient's lookup). */
  private readonly clientFiles = new Map<RealEnv, string>();
  private readonly clientsByMe = new Map<NodeId, RealEnv>();
  /** The trace files of the client envs closed since the last clientTraceFiles(). */
  private closedClientFiles: string[] = [];
  /** The control planes' client; this cluster owns the processes, so it kills and restarts them. */
  readonly control: RemoteFaultControl;
  /** Rejects with the first lab error a node died of (see Cluster.crashed). */
  readonly crashed: Promise<never>;
  private failRun: (crash: NodeCrashed) => void = () => undefined;
  private closed = false;

  constructor(private readonly options: RealClusterOptions) {
    super();
    this.timing = options.timing;
    // Refused, never dropped: a scenario on a small ring would otherwise run on the full one and fail for it.
    if (options.engine?.slot_count !== undefined) throw new Error(`a ring of ${options.engine.slot_count} slots is for the simulator only: rsmlab node runs the journal's own ring`);
    this.engine = options.engine;
    this.keepArtifacts = options.keepArtifacts ?? false;
    this.host = options.host ?? '127.0.0.1';
    this.ports = reservePortPairsSync(options.nodes, this.host);
    this.procs = new Array<NodeProcess | undefined>(options.nodes).fill(undefined);
    const base = options.baseDir ?? tmpdir();
    mkdirSync(base, { recursive: true });
    this.dir = mkdtempSync(join(base, `rsmlab-${options.lab}-`));
    holdTempDir(this.dir);
    this.crashed = new Promise<never>((_, reject) => (this.failRun = reject));
    this.crashed.catch(() => undefined); // a cluster with no scenario (the dashboard's) need not watch it
    this.control = new RemoteFaultControl({
      statusTimeoutMs: STATUS_TIMEOUT_MS,
      owner: {
        kill: (id, signal) => this.kill(this.indexOf(id), signal),
        restart: (id) => this.restartAsBefore(id),
        alive: (id) => this.alive(this.indexOf(id)),
      },
    });
  }

  id(index: number): NodeId {
    const port = this.ports[index];
    if (port === undefined) throw new Error(`no node ${index} (the cluster has ${this.ports.length})`);
    return nodeId(this.host, port);
  }

  indexOf(id: NodeId): number {
    return this.ports.findIndex((_, i) => this.id(i) === id);
  }

  nodeDir(index: number): string {
    return join(this.dir, `p${index}`);
  }

  async start(index: number, options: StartOptions = {}): Promise<void> {
    // A scenario left running after its run failed (tester/run.ts) must not start nodes on released ports.
    if (this.closed) throw new Error(`node ${index} not started: the cluster is closed`);
    if (this.alive(index)) throw new Error(`node ${index} is already running`);
    const dir = this.nodeDir(index);
    this.joinsThrough(index, options);
    mkdirSync(dir, { recursive: true });
    const log = openSync(join(dir, 'node.log'), 'a');
    const args = [mainJs, 'node', '--lab', this.options.lab, '--port', String(this.ports[index]), '--first', this.id(options.first ?? 0), '--dir', dir, '--timing', JSON.stringify(this.timing)];
    if (this.options.app !== undefined) args.push('--app', this.options.app);
    args.push('--replicas', this.ports.map((_, i) => this.id(i)).join(','), '--index', String(index));
    const { pipeline_max, batch_max } = this.engine ?? {};
    if (pipeline_max !== undefined) args.push('--pipeline-max', String(pipeline_max));
    if (batch_max !== undefined) args.push('--batch-max', String(batch_max));
    // The IPC channel is how the node notices that this process died (it then exits too: no orphans).
    const child = spawn(process.execPath, args, { stdio: ['ignore', log, log, 'ipc'] });
    child.channel?.unref();
    closeSync(log);
    const proc: NodeProcess = {
      child,
      exited: new Promise((resolve) => child.once('exit', (code, signal) => resolve((proc.exit = { code, signal })))),
    };
    void proc.exited.then(() => this.failIfLabCrash(index, proc));
    this.procs[index] = proc;
    await this.untilServing(index, proc);
    proc.serving = true;
    this.failIfLabCrash(index, proc); // it may have died between its last status and now
  }

  /**
   * Fail the run (`crashed`) if node `index`, once serving, died of a lab error that this cluster did
   * not cause. A node dying while it starts fails its start() instead; one killed on purpose, or dying
   * at a breakpoint (exit 1), fails nothing.
   */
  private failIfLabCrash(index: number, proc: NodeProcess): void {
    if (!proc.serving || proc.killed || proc.exit?.code !== EXIT_LAB_ERROR) return;
    const trace = join(this.nodeDir(index), 'trace.jsonl');
    this.failRun(nodeCrashed(`p${index}`, this.id(index), `exit ${EXIT_LAB_ERROR}`, existsSync(trace) ? readFileSync(trace, 'utf8') : '', this.logTail(index)));
  }

  /** Poll the control plane until the node's lab has started; fail if the process dies or never gets there. */
  private async untilServing(index: number, proc: NodeProcess): Promise<void> {
    const deadline = Date.now() + START_LIMIT_MS;
    while (proc.exit === undefined) {
      const started = await controlCall(this.id(index), control.status, {}, STATUS_TIMEOUT_MS).then((s) => s.started, () => false);
      if (started) return;
      if (Date.now() > deadline) throw new Error(`node ${index} (${this.id(index)}) did not start within ${START_LIMIT_MS} ms; see ${join(this.nodeDir(index), 'node.log')}`);
      await pause(25);
    }
    throw new Error(`node ${index} (${this.id(index)}) exited (${JSON.stringify(proc.exit)}) while starting:\n${this.logTail(index)}`);
  }

  /** The end of node `index`'s node.log (its stdout and stderr). */
  logTail(index: number, lines = 20): string {
    const file = join(this.nodeDir(index), 'node.log');
    return existsSync(file) ? readFileSync(file, 'utf8').split('\n').slice(-lines - 1).join('\n') : '';
  }

  /**
   * Stop node `index` with `signal`. A node whose code is stuck in a loop never runs its SIGTERM
   * handler: after TERM_GRACE_MS it gets SIGKILL, and its node.log says why (its trace cannot).
   */
  async kill(index: number, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    const proc = this.procs[index];
    if (proc === undefined || proc.exit !== undefined) return;
    proc.killed = true;
    proc.child.kill(signal);
    const stuck = signal === 'SIGTERM' ? setTimeout(() => this.killStuck(index, proc), TERM_GRACE_MS) : undefined;
    await proc.exited;
    clearTimeout(stuck);
  }

  private killStuck(index: number, proc: NodeProcess): void {
    appendFileSync(join(this.nodeDir(index), 'node.log'), `rsmlab: ${this.id(index)} did not stop within ${TERM_GRACE_MS} ms of SIGTERM (its code stuck in a loop, never returning to its event loop?): killed with SIGKILL\n`);
    proc.child.kill('SIGKILL');
  }

  alive(index: number): boolean {
    const proc = this.procs[index];
    return proc !== undefined && proc.exit === undefined;
  }

  /** The OS process id of node `index` while it runs (benchmarks read its CPU time). */
  pid(index: number): number | undefined {
    return this.alive(index) ? this.procs[index]!.child.pid : undefined;
  }

  /** How node `index`'s last process ended (undefined while it runs or if it never started). */
  exitStatus(index: number): ExitStatus | undefined {
    return this.procs[index]?.exit;
  }

  /** Resolves when node `index`'s current process has exited. */
  async exited(index: number): Promise<ExitStatus> {
    const proc = this.procs[index];
    if (proc === undefined) throw new Error(`node ${index} was never started`);
    return proc.exited;
  }

  sleep(ms: number): Promise<void> {
    return this.closed ? Promise.reject(new Error('the cluster is closed')) : pause(ms);
  }

  clientEnv(name: string): Env {
    const dir = join(this.dir, 'clients');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${fileName(name)}.trace.jsonl`);
    const trace = new TraceRecorder({ keep: false, hash: false, sink: new TraceFile(file) });
    const env = RealEnv.client(name, { trace });
    this.clientFiles.set(env, file);
    if (!this.clientsByMe.has(env.me)) this.clientsByMe.set(env.me, env);
    return env;
  }

  /** How many client envs are open (made by clientEnv and not yet closed by closeClients or close). */
  get openClients(): number {
    return this.clientFiles.size;
  }

  /**
   * Close every client env made so far and forget it: its connections to the nodes, its trace file's
   * descriptor and its buffers go, its trace file stays (traceJsonl still reads it). An env closed
   * is dead (its calls never settle): call this only once the clients' work is over, e.g. between two
   * rounds of an endless load (rsmlab start), which would otherwise hold every round's envs for hours.
   */
  async closeClients(): Promise<void> {
    const done = [...this.clientFiles];
    this.clientsByMe.clear();
    await Promise.all(done.map(([env]) => env.close()));
    for (const [env, file] of done) {
      this.clientFiles.delete(env);
      this.closedClientFiles.push(file);
    }
  }

  /**
   * The client trace files a follower of this cluster's traces (the live dashboard) must still read:
   * `open`, those of the open client envs, and `closed`, those of the envs closed since the last call
   * (complete now: read their last lines, then stop following them). Each closed file is given once.
   */
  clientTraceFiles(): { open: string[]; closed: string[] } {
    const closed = this.closedClientFiles;
    this.closedClientFiles = [];
    return { open: [...new Set(this.clientFiles.values())], closed: [...new Set(closed)] };
  }

  /** Trace a client operation of the workload (kind 'client') in that client's own trace file. */
  recordClient(name: string, detail: Record<string, Json>): void {
    const env = this.clientsByMe.get(`client:${name}`) ?? (this.clientEnv(name) as RealEnv);
    env.note('client', detail);
  }

  /** Every node's and client's trace, merged by time (ties keep each trace's own order) and numbered as one (mergeTraces). */
  async traceJsonl(): Promise<string> {
    for (const client of this.clientFiles.keys()) client.trace.flush();
    const files = this.procs.map((_, i) => join(this.nodeDir(i), 'trace.jsonl'));
    const clientDir = join(this.dir, 'clients');
    if (existsSync(clientDir)) files.push(...readdirSync(clientDir).map((f) => join(clientDir, f)));
    const merged = mergeTraces(files.filter(existsSync).map((f) => readFileSync(f, 'utf8').split('\n').filter((l) => l !== '')));
    return merged.length === 0 ? '' : `${merged.join('\n')}\n`;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.procs.map((_, i) => this.kill(i, 'SIGKILL')));
    await this.closeClients();
    releasePorts(this.ports);
    releaseTempDir(this.dir);
    if (!this.keepArtifacts) rmSync(this.dir, { recursive: true, force: true });
  }
}
