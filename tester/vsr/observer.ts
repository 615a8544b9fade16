// How VSR scenarios drive and look at a cluster: replica names, bounded waits counted in engine
// ticks (so a bound means the same in both worlds), crash/restart that keep the state checker
// informed, the client load, and the end-of-scenario checks (liveness, convergence, linearizable
// history, no acked op lost). In the simulator the state checker sees every replica after every step.
import type { Json } from '../../src/env/types.js';
import { noStatus, type Cluster } from '../cluster.js';
import { ScenarioFailure, type ScenarioContext } from '../scenario.js';
import { SimCluster } from '../sim-cluster.js';
import { BackgroundLoad } from '../rsm/load.js';
import { checkHistory } from '../rsm/checks.js';
import { StateChecker } from './state-checker.js';
import { checkCommittedPrefix, parseVsrStatus, simStatus, tickMs, vsrInvoker, watchReplicas, type VsrStatus } from './replicas.js';

export interface LoadShape {
  clients: number;
  /** Ops per client. */
  ops: number;
  /** Pause before each op, uniform in [0, thinkTicks) ticks. */
  thinkTicks?: number;
}

/** A client load lasts at most this many ticks after the faults end (liveness: new work succeeds). */
const LOAD_BOUND_TICKS = 6000;

export class VsrRun {
  /** The simulator's state checker (null in the real world, where only statuses are seen). */
  readonly checker: StateChecker | null;
  private load: BackgroundLoad | undefined;
  /** How many ticks the last waitUntil slept before its condition held. */
  waitedTicks = 0;
  /** Writes the finished load saw acknowledged (each is one committed op, besides each client's register). */
  writesAcked = 0;
  /** Writes acknowledged so far, by the op that ran them (both worlds: a batch's writes share one op). */
  private readonly ackedByOp = new Map<number, number>();
  /** The op each acknowledged write ran as, by client and request number (both worlds). */
  private readonly ackedAs = new Map<string, number>();
  private loads = 0;
  /** Simulator only: the scenario's own checks, run after every step with the state checker (a throw fails the run). */
  readonly stepObservers: (() => void)[] = [];

  constructor(
    readonly ctx: ScenarioContext,
    /** Replicas in the cluster. */
    readonly n: number,
  ) {
    const cluster = ctx.cluster;
    this.checker = cluster instanceof SimCluster ? new StateChecker() : null;
    if (cluster instanceof SimCluster && this.checker) watchReplicas(cluster, this.checker, n, this.stepObservers);
  }

  get cluster(): Cluster {
    return this.ctx.cluster;
  }

  /** Replication quorum (majority). */
  get quorum(): number {
    return Math.floor(this.n / 2) + 1;
  }

  get all(): number[] {
    return Array.from({ length: this.n }, (_, i) => i);
  }

  name(index: number): string {
    return `p${index}`;
  }

  note(message: string): void {
    this.ctx.note(message);
  }

  /** `ticks` engine ticks in this world's time. */
  ms(ticks: number): number {
    return Math.max(1, Math.round(ticks * tickMs(this.cluster.timing)));
  }

  sleepTicks(ticks: number): Promise<void> {
    return this.cluster.sleep(this.ms(ticks));
  }

  async startAll(): Promise<void> {
    for (const i of this.all) await this.cluster.start(i);
    this.note(`started ${this.n} replicas`);
  }

  async crash(index: number): Promise<void> {
    this.note(`crash ${this.name(index)} (kill -9)`);
    await this.cluster.kill(index, 'SIGKILL');
  }

  async restart(index: number): Promise<void> {
    this.note(`restart ${this.name(index)}`);
    this.checker?.restarted(this.cluster.id(index));
    await this.cluster.start(index);
  }

  async isolate(index: number): Promise<void> {
    this.note(`isolate ${this.name(index)}`);
    await this.cluster.partition(index, true);
  }

  /** Cut replica `index` off from the other replicas, both ways, now; clients still reach it and hear back. */
  async isolateFromPeers(index: number): Promise<void> {
    this.note(`cut ${this.name(index)} from the other replicas (clients still reach it)`);
    await this.cluster.partition(index, true, 'peers');
  }

  async heal(index: number): Promise<void> {
    this.note(`heal ${this.name(index)}`);
    await this.cluster.heal(index);
  }

  /** Replica `index`'s status, or null while it is down or silent. */
  async status(index: number): Promise<VsrStatus | null> {
    if (this.cluster instanceof SimCluster) return simStatus(this.cluster, index);
    const raw: Json | null = await this.cluster.status(index);
    if (raw === null) return null;
    return parseVsrStatus(this.name(index), raw);
  }

  /** Whether replica `index` is alive and still recovering. */
  async recovering(index: number): Promise<boolean> {
    return (await this.status(index))?.status === 'recovering';
  }

  /** Replica `index`'s status; it must be alive and answer. */
  async statusOf(index: number): Promise<VsrStatus> {
    const status = await this.status(index);
    if (status === null) throw new ScenarioFailure(`${this.name(index)}: expected alive, but it gives no status`);
    return status;
  }

  /** Poll every tick until `done` holds for the statuses of `indices` (all alive), for at most `boundTicks`. */
  async waitUntil(what: string, indices: readonly number[], done: (all: VsrStatus[]) => boolean, boundTicks: number): Promise<VsrStatus[]> {
    const step = 1;
    let last = '';
    for (let waited = 0; ; waited += step) {
      const all = await Promise.all(indices.map((i) => this.status(i)));
      const live = all.filter((s): s is VsrStatus => s !== null);
      this.waitedTicks = waited;
      if (live.length === indices.length && done(live)) return live;
      last = this.seen(indices, all);
      if (waited >= boundTicks) throw new ScenarioFailure(`not within ${boundTicks} ticks: ${what}; last seen: ${last}`);
      await this.sleepTicks(step);
    }
  }

  /** What `statuses` (of `indices`, as just read) say, for a failure's "last seen". */
  private seen(indices: readonly number[], statuses: readonly (VsrStatus | null)[]): string {
    return statuses.map((s, k) => `${this.name(indices[k]!)}: ${s ? describe(s) : noStatus(this.cluster.alive(indices[k]!))}`).join('; ');
  }

  /** Start the client load (concurrent KV clients through Lab 3's client library), in the background. */
  startLoad(shape: LoadShape): void {
    const members = this.all.map((i) => this.cluster.id(i));
    const prefix = `c${this.loads++}-`;
    this.note(`load ${prefix}: ${shape.clients} kv clients x ${shape.ops} ops`);
    this.load = new BackgroundLoad(
      this.cluster,
      members,
      { app: 'kv', clients: shape.clients, ops: shape.ops, prefix, thinkMs: this.ms(shape.thinkTicks ?? 0), invoker: vsrInvoker(this.cluster, members, this.checker, (request, op) => this.recordAck(request.client, request.request, op)) },
      this.ctx.random,
    );
  }

  private recordAck(client: string, request: number, op: number): void {
    this.ackedByOp.set(op, (this.ackedByOp.get(op) ?? 0) + 1);
    this.ackedAs.set(JSON.stringify([client, request]), op);
  }

  /** The op the load's write `request` of `client` was acknowledged as, or undefined if it never was. */
  ackedOp(client: string, request: number): number | undefined {
    return this.ackedAs.get(JSON.stringify([client, request]));
  }

  /** Ops that acknowledged two writes or more: batches, as the clients saw them. */
  get batchesAcked(): number {
    let batches = 0;
    for (const writes of this.ackedByOp.values()) if (writes >= 2) batches++;
    return batches;
  }

  get loadFinished(): boolean {
    return this.load?.finished ?? true;
  }

  /**
   * The end of a scenario: the load finishes (new work succeeds), the replicas `live` converge (all
   * normal in one view, the same commit, one committed prefix, equal app state, nothing acked lost), and the history is linearizable.
   */
  async finish(live: readonly number[] = this.all, boundTicks = 3000): Promise<VsrStatus[]> {
    if (this.load === undefined) throw new Error('scenario finished without a load');
    const load = this.load;
    // A load that never finished (liveness): where the replicas stand says more than the bound does.
    const result = await load.finish(this.cluster, this.ms(LOAD_BOUND_TICKS), async () => this.seen(this.all, await Promise.all(this.all.map((i) => this.status(i)))));
    this.note(`load done: ${JSON.stringify(result.counts)}`);
    this.writesAcked = result.history.filter((e) => e.type === 'ok' && e.f !== 'get').length;
    if (result.counts.ok === 0) throw new ScenarioFailure('no client operation succeeded');
    const converged = await this.converge(live, boundTicks);
    checkHistory('kv', result.history);
    return converged;
  }

  /** Every replica of `live` is normal in the same view, at the same commit (every op committed anywhere), with one committed prefix and equal state. */
  async converge(live: readonly number[], boundTicks: number): Promise<VsrStatus[]> {
    const committed = (): number => this.checker?.committed ?? 0;
    const all = await this.waitUntil(
      `${live.map((i) => this.name(i)).join(',')} to converge (normal, one view, one commit)`,
      live,
      (s) => s.every((x) => x.status === 'normal' && x.view === s[0]!.view && x.commit === s[0]!.commit && x.commit === x.op && x.commit >= committed()),
      boundTicks,
    );
    const [first] = all;
    const hash = first!.stateHash();
    for (const [k, s] of all.entries()) {
      if (s.stateHash() !== hash) throw new ScenarioFailure(`replica state differs at commit ${s.commit}: ${this.name(live[0]!)} ${hash}, ${this.name(live[k]!)} ${s.stateHash()}`);
    }
    checkCommittedPrefix(first!.commit, all.map((status, k) => ({ name: this.name(live[k]!), status })));
    this.checker?.checkNoAckLost(this.name(live[0]!), first!.commit);
    this.note(`converged: view ${first!.view}, commit ${first!.commit}${this.checker ? ` (state checker: ${this.checker.steps} steps)` : ''}`);
    return all;
  }

  /** Attach the history so far to a failure report. */
  attachHistory(): void {
    if (this.load !== undefined) this.ctx.attachHistory(this.load.historyJsonl(), 'kv');
  }
}

export function describe(s: VsrStatus): string {
  return `${s.status} view ${s.view} op ${s.op} commit ${s.commit}`;
}
