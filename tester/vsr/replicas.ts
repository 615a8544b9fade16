// The tester's adapter onto Lab 3: replica statuses parsed once, the engine's tick in world time,
// the state checker fed from every replica's live state after every simulator step, the client
// library as a workload invoker (acks go to the checker), and the engine's named fault points.
// It never changes a replica.
import type { Env, Json, NodeId } from '../../src/env/types.js';
import { preparedRequests, vsrRequest, type ClientReply, type ClientRequest } from '../../labs/vsr/protocol.js';
import type { Timing } from '../../src/timing.js';
import type { Invoker } from '../../src/workload/workload.js';
import { describeIssues } from '../../src/env/method.js';
import { executedState, statusHeader, vsrStatusSchema, type LogHeader, type VsrStatus as LabStatus } from '../../labs/vsr/status.js';
import { replicaState, tickMs as labTickMs } from '../../labs/vsr/lab.js';
import { checksumAt, entryAt, type ReplicaState } from '../../labs/vsr/state.js';
import { vsrInvoker as labInvoker } from '../../labs/vsr/client.js';
import type { Cluster } from '../cluster.js';
import { FAULT_POINTS } from '../../src/engine/driver.js';
import type { SimCluster } from '../sim-cluster.js';
import { ScenarioFailure } from '../scenario.js';
import type { VsrRun } from './observer.js';
import type { CommittedHeader, ReplicaSnapshot, StateChecker } from './state-checker.js';

/** What a status tells of one op's header: its checksum and the request it carries. */
export type OpHeader = Pick<LogHeader, 'checksum' | 'client' | 'request' | 'operation'>;

/** What scenarios read of a replica's status. */
export interface VsrStatus {
  status: LabStatus['status'];
  view: number;
  /** The last view this replica was normal in: its log is that view's. */
  logView: number;
  op: number;
  /** The highest op on its disk exactly as in memory. */
  durable: number;
  /** Ops executed here (commit_min). */
  commit: number;
  commitMax: number;
  primary: number;
  /** The checksum of the executed state (app and client table): equal on replicas that agree. */
  stateHash(): string;
  /** The checksum of op `op`'s header, if the replica reports it (a real replica's status holds its log's last ops only). */
  checksumAt(op: number): string | undefined;
  /** Op `op`'s header, if the replica reports it (as checksumAt). */
  headerAt(op: number): OpHeader | undefined;
}

function opHeader(h: OpHeader): OpHeader {
  return { checksum: h.checksum, client: h.client, request: h.request, operation: h.operation };
}

/** The status and log positions, named as scenarios read them, from a status or a replica's state (which share the paper's names). */
function positions(s: Pick<LabStatus, 'status' | 'view' | 'log_view' | 'op' | 'log_durable' | 'commit_min' | 'commit_max'>): Pick<VsrStatus, 'status' | 'view' | 'logView' | 'op' | 'durable' | 'commit' | 'commitMax'> {
  return { status: s.status, view: s.view, logView: s.log_view, op: s.op, durable: s.log_durable, commit: s.commit_min, commitMax: s.commit_max };
}

export function parseVsrStatus(name: string, raw: Json): VsrStatus {
  const parsed = vsrStatusSchema.safeParse(raw);
  if (!parsed.success) throw new ScenarioFailure(`${name}: malformed status: ${describeIssues(parsed.error)}`);
  const s = parsed.data;
  return {
    ...positions(s),
    primary: s.primary,
    stateHash: () => s.state_hash,
    checksumAt: (op) => statusHeader(s, op)?.checksum,
    headerAt: (op) => {
      const h = statusHeader(s, op);
      return h && opHeader(h);
    },
  };
}

/**
 * In the simulator, a live replica's status read from its state in place: the same numbers as its
 * status JSON without building it (scenarios poll every tick); null if it is down or still starting.
 */
export function simStatus(cluster: SimCluster, index: number): VsrStatus | null {
  const node = cluster.labNode(index);
  const s = node === null ? null : replicaState(node);
  if (s === null) return null;
  return {
    ...positions(s),
    primary: s.view % s.config.replicas.length,
    stateHash: () => executedState(s).hash,
    checksumAt: (op) => checksumAt(s, op) ?? undefined,
    headerAt: (op) => (checksumAt(s, op) === null ? undefined : opHeader(entryAt(s, op).header)),
  };
}

/**
 * Every named replica holds op `op` committed with one checksum: one committed prefix, since each
 * header's checksum covers its parent's (equal at op k ⇒ equal ops 0..k). So a status's log suffix
 * is enough, in either world, however long the logs grew.
 */
export function checkCommittedPrefix(op: number, replicas: readonly { name: string; status: VsrStatus }[]): void {
  const [first, ...rest] = replicas.map(({ name, status }) => ({ name, sum: status.checksumAt(op) }));
  if (first === undefined) return;
  for (const r of [first, ...rest]) {
    if (r.sum === undefined) throw new ScenarioFailure(`${r.name} reports no header for committed op ${op}: its committed prefix cannot be compared`);
    if (r.sum !== first.sum) {
      throw new ScenarioFailure(`committed prefixes disagree: op ${op} is ${r.sum.slice(0, 12)} on ${r.name} but ${first.sum!.slice(0, 12)} on ${first.name} (the hash chain: they differ at op ${op} or before)`);
    }
  }
}

/** One engine tick in this world's milliseconds. */
export function tickMs(timing: Timing): number {
  return labTickMs(timing);
}

/** The checker's view of a replica state (reads it in place: the checker never keeps it). */
function snapshotOf(s: ReplicaState): ReplicaSnapshot {
  return {
    status: s.status,
    view: s.view,
    op: s.op,
    commit: s.commit_min,
    opCheckpoint: s.op_checkpoint,
    header(op: number): CommittedHeader | undefined {
      if (op < s.op_checkpoint || op > s.op) return undefined;
      const entry = entryAt(s, op);
      const h = entry.header;
      const requests = preparedRequests(entry).map((r) => ({ client: r.client, request: r.request, operation: r.op }));
      return { op: h.op, view: h.view, checksum: h.checksum, parent: h.parent, requests };
    },
    appState: () => JSON.stringify(s.app),
  };
}

/** Run the state checker over every live replica after every step of the simulation, then each of `more` (a scenario's own step checks). */
export function watchReplicas(cluster: SimCluster, checker: StateChecker, replicas: number, more: readonly (() => void)[] = []): void {
  const ids = Array.from({ length: replicas }, (_, i) => cluster.id(i));
  cluster.sim.observeSteps(() => {
    for (const id of ids) {
      const node = cluster.sim.labNode(id);
      const state = node === null ? null : replicaState(node);
      if (state !== null) checker.check(id, snapshotOf(state));
    }
    for (const observe of more) observe();
  });
}

/** Workload clients on Lab 3's client library: every write's ack is told to `acked` (the request and its op) and, in the simulator, to the state checker. */
export function vsrInvoker(cluster: Cluster, replicas: NodeId[], checker: StateChecker | null, acked: (request: ClientRequest, op: number) => void): Invoker {
  return labInvoker((name) => cluster.clientEnv(name), {
    replicas,
    timing: cluster.timing,
    onReply: (request, reply) => {
      if (request.kind !== 'write') return;
      acked(request, reply.op);
      checker?.acked({ client: request.client, request: request.request, op: reply.op });
    },
  });
}

export const faultPoints = FAULT_POINTS;

export async function armFaultPoint(run: VsrRun, index: number, name: string): Promise<void> {
  run.note(`arm fault point ${name} on ${run.name(index)}`);
  await run.cluster.control.faultPoint(run.cluster.id(index), name);
}

/** A client by hand (its own session, request numbers and reads), for scenarios that need exact requests. */
export class RawClient {
  private readonly env: Env;
  readonly client: string;

  constructor(
    private readonly run: VsrRun,
    name: string,
  ) {
    this.env = run.cluster.clientEnv(name);
    this.client = `client:${name}`;
  }

  call(to: number, request: number, kind: ClientRequest['kind'], op: Json): Promise<ClientReply> {
    const { cluster } = this.run;
    return this.env.call(cluster.id(to), vsrRequest, { client: this.client, request, kind, op }, { timeoutMs: cluster.timing.clientTimeoutMs });
  }

  /** The request's ok reply from replica `to` (retrying while it answers busy), or a failure naming what came instead. */
  async ok(what: string, to: number, request: number, kind: ClientRequest['kind'], op: Json): Promise<Extract<ClientReply, { status: 'ok' }>> {
    let reply = await this.call(to, request, kind, op);
    for (let tries = 0; reply.status === 'busy' && tries < 20; tries++) {
      await this.run.sleepTicks(1);
      reply = await this.call(to, request, kind, op);
    }
    if (reply.status !== 'ok') throw new ScenarioFailure(`${what}: expected ok from ${this.run.name(to)}, got ${JSON.stringify(reply)}`);
    return reply;
  }
}

/**
 * `count` new clients (`${prefix}0`, `${prefix}1`, …) register at replica `to` at once, unawaited:
 * ops that arrive together, pipelined and group-committed, whatever answer they get (a scenario
 * that needs them waits on commit numbers, not on these calls).
 */
export function registerAtOnce(run: VsrRun, to: number, prefix: string, count: number): void {
  for (let c = 0; c < count; c++) void new RawClient(run, `${prefix}${c}`).call(to, 0, 'register', null).catch(() => undefined);
}

/**
 * Scenario 2's client, by hand: a write acked as op N, sent again, gets the same reply and no new op;
 * the same request number with another body is never executed (the client table answers it as the
 * old request, or refuses it) and no op is added for it.
 */
export async function retransmitCheck(run: VsrRun): Promise<void> {
  const raw = new RawClient(run, 'retransmit');
  const primary = (await run.statusOf(0)).primary;
  await raw.ok('register', primary, 0, 'register', null);
  const first = await raw.ok('write 1', primary, 1, 'write', { f: 'append', key: 'retransmit', value: '[once]' });
  run.note(`write 1 acked as op ${first.op}`);
  const again = await raw.ok('write 1 again', primary, 1, 'write', { f: 'append', key: 'retransmit', value: '[once]' });
  if (again.op !== first.op || JSON.stringify(again.result) !== JSON.stringify(first.result)) {
    throw new ScenarioFailure(`a retransmitted request must get its cached reply (op ${first.op}, ${JSON.stringify(first.result)}), got op ${again.op}, ${JSON.stringify(again.result)}`);
  }
  const other = await raw.call(primary, 1, 'write', { f: 'append', key: 'retransmit', value: '[other]' });
  run.note(`write 1 with another body: ${JSON.stringify(other)}`);
  if (other.status === 'ok' && other.op !== first.op) throw new ScenarioFailure(`request 1 with another body was executed again as op ${other.op}`);
  const read = await raw.ok('read', primary, 1, 'read', { f: 'get', key: 'retransmit' });
  if (JSON.stringify(read.result) !== JSON.stringify({ ok: true, value: '[once]' })) {
    throw new ScenarioFailure(`after request 1 sent three times (twice as itself, once with another body) the key must read '[once]', but reads ${JSON.stringify(read.result)}`);
  }
}

/** How many rounds of concurrent writes batchRetransmitCheck sends before it gives up on seeing a batch. */
const BATCH_ROUNDS = 3;

/**
 * Scenario 2 for batching replicas: `writers` clients (more than batch_max) each send one write at
 * once, until some op carries two of them or more (a batch prepare); then each sends its write
 * again and must get its cached reply, the same op, and every key reads as written once. A client
 * table that forgets any write of a batch runs that write again as a new op.
 */
export async function batchRetransmitCheck(run: VsrRun, writers: number): Promise<void> {
  const clients = Array.from({ length: writers }, (_, i) => new RawClient(run, `batch-${i}`));
  const primary = (await run.statusOf(0)).primary;
  for (const c of clients) await c.ok('register', primary, 0, 'register', null);
  for (let request = 1; request <= BATCH_ROUNDS; request++) {
    const write = (c: RawClient): Promise<Extract<ClientReply, { status: 'ok' }>> => c.ok(`write ${request} of ${c.client}`, primary, request, 'write', { f: 'append', key: c.client, value: `[${request}]` });
    const first = await Promise.all(clients.map(write));
    const ops = first.map((r) => r.op);
    run.note(`round ${request}: ${writers} concurrent writes acked as ops ${ops.join(', ')}`);
    if (new Set(ops).size === ops.length) continue; // no two writes shared a prepare: try again
    const again = await Promise.all(clients.map(write));
    again.forEach((r, i) => {
      if (r.op !== first[i]!.op || JSON.stringify(r.result) !== JSON.stringify(first[i]!.result)) {
        throw new ScenarioFailure(`${clients[i]!.client}'s write ${request}, batched in op ${first[i]!.op}, sent again must get its cached reply (op ${first[i]!.op}, ${JSON.stringify(first[i]!.result)}), got op ${r.op}, ${JSON.stringify(r.result)}`);
      }
    });
    const written = Array.from({ length: request }, (_, k) => `[${k + 1}]`).join('');
    for (const c of clients) {
      const read = await c.ok(`read of ${c.client}`, primary, request, 'read', { f: 'get', key: c.client });
      if (JSON.stringify(read.result) !== JSON.stringify({ ok: true, value: written })) {
        throw new ScenarioFailure(`after write ${request} of ${c.client} was batched and sent again, its key must read '${written}', but reads ${JSON.stringify(read.result)}`);
      }
    }
    return;
  }
  throw new ScenarioFailure(`${BATCH_ROUNDS} rounds of ${writers} concurrent writes never shared a prepare: nothing about batching was checked`);
}

/** Reads staleReadCheck sends to the old primary. */
const STALE_READS = 3;

/**
 * read-rebuild-vr.md section 1: with the old primary p0 cut off from the other replicas but not from
 * a client, and a write committed in the new view, a read through p0 must never be answered ok (it
 * would be stale): p0 cannot confirm it is still primary. Some read must come back refused (busy,
 * once it expires unverified): a read that never reached p0, or never came back, checks nothing.
 */
export async function staleReadCheck(run: VsrRun, newPrimary: number): Promise<void> {
  const raw = new RawClient(run, 'stale-reader');
  await raw.ok('register', newPrimary, 0, 'register', null);
  await raw.ok('write in the new view', newPrimary, 1, 'write', { f: 'put', key: 'fresh', value: 'new view' });
  run.note(`'fresh' written in view ${(await run.statusOf(newPrimary)).view} through p${newPrimary}`);
  let answered = 0;
  for (let read = 1; read <= STALE_READS; read++) {
    const reply: ClientReply | { status: 'no answer'; error: string } = await raw.call(0, read, 'read', { f: 'get', key: 'fresh' }).catch((e: unknown) => ({ status: 'no answer' as const, error: String(e) }));
    run.note(`read at the cut-off old primary p0: ${JSON.stringify(reply)}`);
    if (reply.status === 'ok') throw new ScenarioFailure(`the old primary p0, cut off from the other replicas, answered a read (${JSON.stringify(reply.result)}) after view ${(await run.statusOf(newPrimary)).view} committed a write: it never verified it was still primary (only acks of heartbeats sent after a read arrived verify it)`);
    if (reply.status !== 'no answer') answered++;
  }
  if (answered === 0) {
    throw new ScenarioFailure(`nothing checked: none of the ${STALE_READS} reads sent to the cut-off old primary p0 came back (a refusal would do), so none was seen to reach it; a cut that kept clients out too, or a p0 that never answers, tests no stale read`);
  }
}
