// A VSR replica's whole state as plain data (arrays, numbers, strings, plain objects): what the
// engine steps, the tester clones and compares, and the viewer shows. It owns the state's shape,
// how a replica's state starts (fresh, or from its disk) and cloneState; it never does I/O.
import type { NodeId, Json } from '../../src/env/types.js';
import type { AppName, AppResult } from '../../src/apps/app.js';
import { createStateMachine } from '../../src/apps/app.js';
import { assert } from '../../src/assert.js';
import { clientsSorted, rootEntry, type Entry, type Header } from './protocol.js';

/** The checksum of a placeholder: no header hashes to it (a 128-bit checksum of all zeros). */
const FAULTY_CHECKSUM = '0'.repeat(32);

/** Lab 4: the log entry of an op whose copy here is faulty: it chains to nothing and matches no prepare. */
export function faultyEntry(cluster: number, op: number): Entry {
  const header = { checksum: FAULTY_CHECKSUM, checksum_body: FAULTY_CHECKSUM, parent: FAULTY_CHECKSUM, cluster, view: 0, op, commit: 0, timestamp: 0, client: '', request: 0, operation: 'request' as const, replica: 0 };
  return { header, body: null };
}

export function isFaulty(entry: Entry): boolean {
  return entry.header.checksum === FAULTY_CHECKSUM;
}

export const statuses = ['normal', 'view_change', 'recovering'] as const;
export type Status = (typeof statuses)[number];

export interface VsrConfig {
  cluster: number;
  /** This replica's index in `replicas`. */
  replica: number;
  /** Every replica's address, by index. */
  replicas: NodeId[];
  /** Replicas (the primary included) that must hold a prepare durably before it commits. */
  quorum_replication: number;
  /** Replicas that must take part in a view change (and answer a recovery). */
  quorum_view_change: number;
  /**
   * Uncommitted prepares the primary puts in flight at most (a new view's pipeline holds every op of
   * its log past the commit number, which after a power loss on every replica may be more).
   */
  pipeline_max: number;
  /**
   * Client writes one prepare carries at most (TigerBeetle's batching; absent: 1, no batching).
   * Above 1, registers and writes wait in `queue` (at most pipeline_max × batch_max) and are
   * prepared from it: those that arrived together once all are in (the `requests` event), the rest
   * as pipeline slots free; a register alone, writes together as one `batch` prepare.
   */
  batch_max?: number;
  /**
   * Bytes a prepare's body may take at most, as canonical UTF-8 text (TigerBeetle's
   * message_body_size_max): the storage's bound (Lab 3: LOG_BODY_BYTES_MAX; Lab 4: what a journal
   * prepare cell holds). The driver refuses a larger client op and drops a peer's larger entry; a
   * batch is cut to fit it; a rebuild's checkpoint with a larger prepare is not taken. Absent: no bound.
   */
  body_bytes_max?: number;
  app: AppName;
  /**
   * Lab 4: the two-ring journal's ring (absent for Lab 3's append-only log). The primary takes no op
   * the ring cannot hold: op ≥ op_checkpoint + slot_count (TB 0.8.1; op_checkpoint is state).
   */
  journal?: { slot_count: number };
}

/** A timeout counted in ticks (TigerBeetle's Timeout): fires when `ticks` reaches `after`, if ticking. */
export interface Timeout {
  after: number;
  ticks: number;
  ticking: boolean;
  attempts: number;
}

export const timeoutNames = ['commit', 'prepare', 'normal', 'view_change', 'resend', 'recovery'] as const;
export type TimeoutName = (typeof timeoutNames)[number];

/** An uncommitted prepare at the primary and the replicas that hold it durably (by index, sorted). */
export interface PipelineOp {
  op: number;
  checksum: string;
  ok_from: number[];
}

/** The client table's row: the session (op of its register), the last request executed and its reply. */
export interface ClientSession {
  client: string;
  session: number;
  request: number;
  /** The op that executed `request` (the register's op for request 0). */
  op: number;
  reply: AppResult;
}

/** A copy of a checkpoint's client table, asserted sorted. */
function sortedClients(clients: readonly ClientSession[]): ClientSession[] {
  assert(clientsSorted(clients), 'vsr: a checkpoint client table out of order');
  return structuredClone(clients) as ClientSession[];
}

/** A client's register or write waiting at the primary for a pipeline slot (batch_max > 1), with the driver's clock when it came. */
export interface QueuedRequest {
  client: string;
  request: number;
  kind: 'register' | 'write';
  op: Json;
  time: number;
}

/** A read-only request waiting for the primary's authority to be verified. */
export interface PendingRead {
  client: string;
  request: number;
  body: Json;
  /** The op the reply must reflect at least: the primary's whole log when the read arrived. */
  op: number;
  /** The first heartbeat sent after the read arrived: acks of it (or later) verify authority. */
  beat: number;
  /** Give up (answer busy) at this tick. */
  expires: number;
}

export interface DoViewChangeRecord {
  replica: number;
  log_view: number;
  op: number;
  commit_max: number;
  /** The first op of `entries` (1, or past the sender's checkpoint). */
  first: number;
  /** Ops first..op; a faulty one (Lab 4) is a placeholder (faultyEntry). */
  entries: Entry[];
  /** Lab 4: the ops whose copy at that replica is faulty, sorted. */
  faulty: number[];
}

/**
 * Lab 4: a new primary repairing the log it chose before it starts its view (TB repair in a view
 * change with the CTRL nack rule): the op it asks for (the chosen log's highest faulty op) and the
 * checksum the chain pins for it (null if nothing does), the replicas that nacked it, and the
 * prepares that came back for it.
 */
export interface ViewRepair {
  op: number;
  checksum: string | null;
  nack_from: number[];
  prepares: { replica: number; entry: Entry }[];
}

export interface RecoveryResponseRecord {
  replica: number;
  view: number;
  log_view: number;
  op: number;
  commit_max: number;
  /** The first op of `entries`. */
  first: number;
  entries: Entry[] | null;
}

/**
 * Lab 4: a checkpoint (TB's superblock checkpoint): the state after executing ops 1..op: the
 * prepare of `op` (the anchor its log's hash chain continues from), the app's snapshot and the
 * client table. Durable before op_checkpoint advances to `op`.
 */
export interface Checkpoint {
  op: number;
  entry: Entry;
  app: Json;
  clients: ClientSession[];
  /**
   * The rebuild mark: present on a checkpoint a rebuild installed, until the next one: the op its
   * tail must reach. A replica restarted with it resumes the rebuild (never counts as caught up).
   */
  sync_target?: number;
}

/**
 * Lab 4: a rebuild (state transfer) under way: the checkpoint being collected (its op, the checksum
 * of its text, its chunks, the replica sending it) and the target its tail must reach (the sender's
 * commit_max when the rebuild started). Once the snapshot is whole and installed, `chunks` is empty
 * and `installed` true; the rebuild is done when commit_min reaches the target.
 */
export interface SyncSession {
  op_checkpoint: number;
  checksum: string;
  from: number;
  chunks: (string | null)[];
  target: number;
  installed: boolean;
}

/** What a replica reads from its disk at start: its superblock (null if none), its checkpoint and its log (ops after it). */
export interface Durable {
  superblock: { view: number; log_view: number } | null;
  /** Lab 4: the last durable checkpoint (absent: none, the log starts at the root). */
  checkpoint?: Checkpoint;
  /** Ops op_checkpoint+1..n; a faulty op's entry is faultyEntry(cluster, op). */
  entries: Entry[];
  /** Lab 4: ops among them whose copy on this disk is faulty (corrupt, misdirected, lost), sorted. */
  faulty?: number[];
  /** Lab 4: for faulty ops, the valid prepare still physically in the slot (TB prepare_checksums), sorted by op. */
  inhabited?: Entry[];
  /** Ops up to log_durable are on disk exactly and clean (default n); later ones are rewritten first. */
  log_durable?: number;
}

export interface ReplicaState {
  config: VsrConfig;
  status: Status;
  /** The current view; its primary is view mod n. */
  view: number;
  /** The last view in which this replica's status was normal (VRR's v′). */
  log_view: number;
  /** The head of the log. */
  op: number;
  /**
   * Lab 4: the op of the checkpoint anchoring the log (0: none; Lab 3 never checkpoints): the last
   * durable one, or a rebuild's being written. The log holds ops op_checkpoint..op; op_checkpoint ≤
   * commit_min; the ring takes no op ≥ the durable checkpoint's op + slot_count.
   */
  op_checkpoint: number;
  /** Lab 4: the last durable checkpoint (its snapshot serves a lagging replica's rebuild), or null. */
  checkpoint: Checkpoint | null;
  /** Lab 4: a checkpoint handed to the disk and not yet durable, or null. */
  checkpoint_writing: Checkpoint | null;
  /** Lab 4: the rebuild under way, or null. */
  sync: SyncSession | null;
  /** Ops executed here. */
  commit_min: number;
  /** The highest op known committed (VRR's commit-number). */
  commit_max: number;
  /**
   * log[i] is op op_checkpoint + i (read it with entryAt); log[0] is the anchor: the cluster's root
   * prepare (op 0), or the checkpoint's op. A complete hash chain at every moment.
   */
  log: Entry[];
  /** The highest op such that log[0..op] is on disk exactly as in memory. */
  log_durable: number;
  /**
   * Lab 4: ops in (commit_min, op] whose copy here is faulty, sorted: their log entry is a
   * placeholder (faultyEntry) that matches no prepare. The log still runs to `op` (corruption never
   * shortens it); a replica with faulty ops is never normal: it repairs them first.
   */
  faulty: number[];
  /**
   * Lab 4: for some faulty ops, the valid prepare still physically in the slot though its header is
   * not (TB prepare_checksums), sorted by op. Never the op's entry (it may be an older wrap's or a
   * replaced prepare); only sent to a new primary that asks for exactly its checksum.
   */
  inhabited: Entry[];
  /** The view and log_view last handed to the disk (persisted before they are advertised). */
  superblock: { view: number; log_view: number };
  pipeline: PipelineOp[];
  /** The primary's registers and writes waiting for a pipeline slot, in arrival order (empty unless batch_max > 1). */
  queue: QueuedRequest[];
  /** Sorted by client. */
  clients: ClientSession[];
  /** The app's snapshot after commit_min ops. */
  app: Json;
  /** Replicas (not self) whose start_view_change for `view` arrived, sorted. */
  start_view_change_from: number[];
  do_view_change_sent: boolean;
  /** do_view_change messages for `view` (self included once sent), sorted by replica. */
  do_view_change_from: DoViewChangeRecord[];
  /**
   * Lab 4: a lagging backup's repair: headers of ops op+1, op+2, ... learned from its primary (each
   * chains to the one before, the first to our head), each with its prepare once that arrived.
   */
  repair_headers: { header: Header; entry: Entry | null }[];
  /** Lab 3: the op a lagging backup last asked its primary for (0: none); asked again only by the resend timeout. */
  repair_asked: number;
  /** Lab 4: the new primary's repair in progress, or null. */
  view_repair: ViewRepair | null;
  /** Lab 4: the new primary holds the whole log of its view; it starts the view once its journal is clean. */
  start_view_pending: boolean;
  /** This incarnation's recovery nonce (from env.nonce(), given by the driver). */
  nonce: string | null;
  recovery_responses: RecoveryResponseRecord[];
  /** Heartbeats sent in this incarnation, and the newest each replica acked in this view. */
  beat: number;
  beat_acked: number[];
  reads: PendingRead[];
  ticks: number;
  /** xorshift32 state for timeout jitter. */
  prng: number;
  timeouts: Record<TimeoutName, Timeout>;
}

function timeout(after: number): Timeout {
  return { after, ticks: 0, ticking: false, attempts: 0 };
}

/** A replica's state at start: fresh (normal in view 0, only the root) or, with a disk, recovering. */
export function createState(config: VsrConfig, durable: Durable): ReplicaState {
  const n = config.replicas.length;
  assert(n >= 1 && config.replica >= 0 && config.replica < n, `vsr: replica ${config.replica} of ${n}`);
  assert(config.quorum_replication >= 1 && config.quorum_replication <= n, `vsr: quorum_replication ${config.quorum_replication} for ${n} replicas`);
  assert(config.quorum_view_change >= 1 && config.quorum_view_change <= n, `vsr: quorum_view_change ${config.quorum_view_change} for ${n} replicas`);
  assert(config.quorum_replication + config.quorum_view_change > n, 'vsr: a replication quorum and a view-change quorum must intersect');
  assert(config.pipeline_max >= 1 && batchMax(config) >= 1, `vsr: pipeline_max ${config.pipeline_max}, batch_max ${config.batch_max}`);
  const checkpoint = durable.checkpoint ?? null;
  assert(checkpoint === null || (config.journal !== undefined && checkpoint.op === checkpoint.entry.header.op && checkpoint.op > 0), 'vsr: a checkpoint off Lab 4, or not of its own op');
  const op_checkpoint = checkpoint?.op ?? 0;
  const log = [checkpoint?.entry ?? rootEntry(config.cluster), ...durable.entries];
  const faulty = durable.faulty ?? [];
  log.forEach((e, i) => {
    const op = op_checkpoint + i;
    assert(e.header.op === op, `vsr: disk log entry ${i} holds op ${e.header.op}, not ${op}`);
    const linked = i === 0 || faulty.includes(op) || faulty.includes(op - 1) || e.header.parent === log[i - 1]!.header.checksum;
    assert(linked, `vsr: disk log breaks the hash chain at op ${op}`);
  });
  const head = op_checkpoint + log.length - 1;
  faulty.forEach((op) => assert(op > op_checkpoint && op <= head && isFaulty(log[op - op_checkpoint]!), `vsr: faulty op ${op} is not a placeholder in the disk log`));
  const log_durable = durable.log_durable ?? head;
  assert(log_durable >= op_checkpoint && log_durable <= head && (faulty.length === 0 || log_durable < faulty[0]!), `vsr: log_durable ${log_durable} past a faulty op or the log`);
  const restarted = durable.superblock !== null || durable.entries.length > 0 || checkpoint !== null;
  const superblock = durable.superblock ?? { view: 0, log_view: 0 };
  return {
    config,
    status: restarted ? 'recovering' : 'normal',
    view: superblock.view,
    log_view: superblock.log_view,
    op: head,
    op_checkpoint,
    checkpoint: checkpoint === null ? null : structuredClone(checkpoint),
    checkpoint_writing: null,
    // A rebuild mark short of its target resumes the rebuild (one at its target was done).
    sync: checkpoint === null || checkpoint.sync_target === undefined || checkpoint.sync_target <= checkpoint.op ? null : { op_checkpoint: checkpoint.op, checksum: '', from: config.replica, chunks: [], target: checkpoint.sync_target, installed: true },
    commit_min: op_checkpoint,
    commit_max: op_checkpoint,
    log,
    log_durable,
    faulty: [...faulty],
    inhabited: (durable.inhabited ?? []).filter((e) => faulty.includes(e.header.op)),
    superblock: { ...superblock },
    pipeline: [],
    queue: [],
    clients: checkpoint === null ? [] : sortedClients(checkpoint.clients),
    app: checkpoint === null ? createStateMachine(config.app).snapshot() : structuredClone(checkpoint.app),
    start_view_change_from: [],
    do_view_change_sent: false,
    do_view_change_from: [],
    repair_headers: [],
    repair_asked: 0,
    view_repair: null,
    start_view_pending: false,
    nonce: null,
    recovery_responses: [],
    beat: 0,
    beat_acked: new Array<number>(n).fill(0),
    reads: [],
    ticks: 0,
    prng: (0x9e3779b9 ^ (config.replica + 1) * 0x85ebca6b) >>> 0 || 1,
    timeouts: {
      commit: timeout(TICKS.commit),
      prepare: timeout(TICKS.prepare),
      normal: timeout(TICKS.normal),
      view_change: timeout(TICKS.view_change),
      resend: timeout(TICKS.resend),
      recovery: timeout(TICKS.recovery),
    },
  };
}

/** Every timeout's base length in ticks (a tick is Timing.heartbeatMs / 10). */
export const TICKS = {
  /** Primary: the commit heartbeat. */
  commit: 3,
  /** Primary: resend uncommitted prepares that have no quorum yet. */
  prepare: 4,
  /** Backup: no word from the primary this long → start a view change (plus jitter). */
  normal: 12,
  /** A view change that has not finished this long → try the next view (plus jitter). */
  view_change: 12,
  /** Resend view-change messages, and a lagging backup's catch-up requests. */
  resend: 3,
  /** Recovering: resend recovery. */
  recovery: 4,
  /** A read not verified this long is answered busy. */
  read: 8,
} as const;

/** Recovery attempts without a quorum of answers after which a replica rejoins by a view change (see onRecoveryTimeout). */
export const RECOVERY_ATTEMPTS_WITHOUT_QUORUM = 6;

/** The entry of `op`, which the log holds: op_checkpoint ≤ op ≤ op (the one accessor of s.log). */
export function entryAt(s: ReplicaState, op: number): Entry {
  assert(op >= s.op_checkpoint && op <= s.op, () => `vsr: op ${op} is outside the log (ops ${s.op_checkpoint}..${s.op})`);
  return s.log[op - s.op_checkpoint]!;
}

/** The checksum of `op`'s header if the log holds it, else null (checkpointed away, or past the head). */
export function checksumAt(s: ReplicaState, op: number): string | null {
  return op >= s.op_checkpoint && op <= s.op ? s.log[op - s.op_checkpoint]!.header.checksum : null;
}

/** A deep copy that continues identically (the state is plain data). */
export function cloneState(state: ReplicaState): ReplicaState {
  return structuredClone(state);
}

/** Client writes one prepare carries at most (1: no batching). */
export function batchMax(config: VsrConfig): number {
  return config.batch_max ?? 1;
}

/** Requests the primary's queue holds at most: none without batching, else a full batch for every pipeline slot. */
export function queueMax(config: VsrConfig): number {
  return batchMax(config) === 1 ? 0 : config.pipeline_max * batchMax(config);
}

/** Default quorums: majorities (VR Revisited). */
export function majority(n: number): number {
  return Math.floor(n / 2) + 1;
}
