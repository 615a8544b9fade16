// The VSR replica as a deterministic engine (VR Revisited as TigerBeetle 0.8.1 implements it):
// step(state, event) mutates the plain state and returns the commands for the driver to carry out
// (send, write, truncate, write_superblock, reply). It never does I/O, reads a clock, draws real
// randomness or awaits; assertInvariants runs after every step. src/engine/driver.ts is its world.
// Lab 3's log is an append-only file whose writes are durable when they complete (write + fsync in
// one command). Lab 4 keeps those commands (the driver carries them out on the two-ring journal,
// `written` only once a slot is clean) and adds faulty ops, repair and the CTRL nack rule, then
// checkpoints (the log is a window from op_checkpoint; the ring wraps) and rebuild by state transfer.
import type { Json } from '../../src/env/types.js';
import { assert } from '../../src/assert.js';
import { createStateMachine, type AppResult, type StateMachine } from '../../src/apps/app.js';
import { ok } from '../../src/apps/result.js';
import { checksum } from '../../src/engine/checksum.js';
import { canonicalJson } from '../../src/json.js';
import {
  clientsSorted,
  entryBodyFits,
  HEADERS_MAX,
  makeEntry,
  parseCheckpoint,
  preparedRequests,
  rootEntry,
  SYNC_CHUNK_CHARS,
  utf8Bytes,
  type BatchBody,
  type ClientReply,
  type ClientRequest,
  type Entry,
  type HeaderFields,
  type Message,
  type MessageOf,
  type PreparedRequest,
} from './protocol.js';
import { batchBodyText, batchRequestJson } from './canonical.js';
import { isReadOnly } from './read-only.js';
import {
  batchMax,
  checksumAt,
  entryAt,
  faultyEntry,
  isFaulty,
  queueMax,
  RECOVERY_ATTEMPTS_WITHOUT_QUORUM,
  TICKS,
  timeoutNames,
  type Checkpoint,
  type ClientSession,
  type QueuedRequest,
  type SyncSession,
  type DoViewChangeRecord,
  type ReplicaState,
  type TimeoutName,
} from './state.js';

// ---- events in, commands out ----------------------------------------------------------------

export type Event =
  | { kind: 'message'; message: Message }
  /**
   * The client requests that reached the replica together (one driver job: a socket read, a
   * simulator delivery), in arrival order; `time` is the driver's clock, stamped into their
   * prepares (apps never read clocks). With batching, they share prepares.
   */
  | { kind: 'requests'; requests: ClientRequest[]; time: number }
  | { kind: 'tick' }
  /** The write of `op` with this header checksum is durable. */
  | { kind: 'written'; op: number; checksum: string }
  /** This incarnation's nonce (env.nonce()), given once at start. */
  | { kind: 'nonce'; nonce: string }
  /** Lab 4: the checkpoint of `op` is durable. */
  | { kind: 'checkpointed'; op: number };

export type EngineCommand =
  | { kind: 'send'; to: number; message: Message }
  /**
   * Append `entry` to the log durably (write + fsync); it replaces any ops ≥ entry's op on disk.
   * Completes as a `written` event. `from`: the replica it came from (absent: made or held here).
   */
  | { kind: 'write'; entry: Entry; from?: number }
  /** The log now ends at `op`: recorded before any later write, so a restart never brings back a replaced tail. */
  | { kind: 'truncate'; op: number }
  /** Persist view and log_view (two checksummed copies); messages after it in this batch go out only once it is durable. */
  | { kind: 'write_superblock'; view: number; log_view: number }
  /** Lab 4: persist this checkpoint (two checksummed copies); completes as a `checkpointed` event. */
  | { kind: 'checkpoint'; checkpoint: Checkpoint }
  /**
   * Lab 4: a rebuild started, refused a snapshot or is done, or a new primary's view change timed out
   * waiting for a faulty op no replica could repair: the driver traces it (vsr.sync.start,
   * vsr.sync.refused, vsr.sync.done, vsr.repair.stalled).
   */
  | { kind: 'trace'; what: 'vsr.sync.start' | 'vsr.sync.done' | 'vsr.sync.refused' | 'vsr.repair.stalled'; detail: Record<string, number> }
  | { kind: 'reply'; client: string; request: number; request_kind: ClientRequest['kind']; reply: ClientReply };

type Out = EngineCommand[];

/** Run one event through the replica; returns the commands it produced, in order. */
export function step(s: ReplicaState, event: Event): EngineCommand[] {
  const out: Out = [];
  switch (event.kind) {
    case 'message':
      onMessage(s, out, event.message);
      break;
    case 'requests':
      onRequests(s, out, event.requests, event.time);
      break;
    case 'tick':
      onTick(s, out);
      break;
    case 'written':
      onWritten(s, out, event.op, event.checksum);
      break;
    case 'nonce':
      onNonce(s, out, event.nonce);
      break;
    case 'checkpointed':
      onCheckpointed(s, out, event.op);
      break;
    default:
      assertNever(event);
  }
  try {
    assertInvariants(s);
  } catch (e) {
    // Name the event whose handler left the state broken: the stack only shows step.
    if (e instanceof Error) e.message += ` (after ${eventName(event)})`;
    throw e;
  }
  return out;
}

function eventName(event: Event): string {
  if (event.kind === 'message') return `${event.message.command} from replica ${event.message.replica} (view ${event.message.view})`;
  return event.kind === 'requests' ? `${event.requests.length} client request(s)` : `event ${event.kind}`;
}

function assertNever(x: never): never {
  throw new Error(`vsr: unexpected ${JSON.stringify(x)}`);
}

// ---- small helpers (framework side of the engine: students use them) ------------------------

export function replicaCount(s: ReplicaState): number {
  return s.config.replicas.length;
}

export function primaryIndex(s: ReplicaState, view: number): number {
  return view % replicaCount(s);
}

export function isPrimary(s: ReplicaState): boolean {
  return primaryIndex(s, s.view) === s.config.replica;
}

export function base(s: ReplicaState) {
  return { cluster: s.config.cluster, replica: s.config.replica, view: s.view };
}

/** The one send helper: asserts each message's outgoing contract. */
export function send(s: ReplicaState, out: Out, to: number, message: Message): void {
  assert(to !== s.config.replica && to >= 0 && to < replicaCount(s), () => `vsr: send ${message.command} to replica ${to}`);
  assert(message.view <= s.superblock.view || message.command === 'recovery', () => `vsr: ${message.command} advertises view ${message.view} before it is durable (${s.superblock.view})`);
  if (message.command === 'prepare_ok') {
    assert(s.status === 'normal' && to === primaryIndex(s, s.view) && message.op <= s.log_durable, () => `vsr: prepare_ok for op ${message.op} to replica ${to}: only when normal (here: ${s.status}), to the primary of view ${s.view} (replica ${primaryIndex(s, s.view)}), for an op durable here (log_durable ${s.log_durable}: a backup acks from onWritten, once the write completed)`);
  }
  if (message.command === 'prepare' && message.entry.header.op > s.commit_max) {
    // Lab 4: a replica in a view change answers its new primary's request_prepare with a prepare too.
    assert(s.status === 'normal' || (s.status === 'view_change' && to === primaryIndex(s, s.view)), 'vsr: uncommitted prepares only from a normal replica');
  }
  if (message.command === 'prepare') assert(!isFaulty(message.entry), 'vsr: a faulty placeholder sent as a prepare');
  if (message.command === 'nack_prepare') {
    assert(s.status === 'view_change' && to === primaryIndex(s, s.view), 'vsr: nack_prepare only in a view change, to its new primary');
  }
  out.push({ kind: 'send', to, message });
}

export function broadcast(s: ReplicaState, out: Out, message: Message): void {
  for (let i = 0; i < replicaCount(s); i++) if (i !== s.config.replica) send(s, out, i, message);
}

export function insertSorted(list: number[], value: number): boolean {
  if (list.includes(value)) return false;
  list.push(value);
  list.sort((a, b) => a - b);
  return true;
}

export function start(s: ReplicaState, name: TimeoutName): void {
  const t = s.timeouts[name];
  t.ticking = true;
  t.ticks = 0;
  t.attempts = 0;
  t.after = TICKS[name] + jitter(s, name);
}

export function stop(s: ReplicaState, name: TimeoutName): void {
  s.timeouts[name].ticking = false;
}

/** Restart a running timeout from zero (heard from the primary, progress made). */
export function reset(s: ReplicaState, name: TimeoutName): void {
  const t = s.timeouts[name];
  assert(t.ticking, () => `vsr: reset of stopped timeout ${name}`);
  t.ticks = 0;
}

/** After firing: run again, later each attempt (capped exponential backoff). */
function backoff(s: ReplicaState, name: TimeoutName): void {
  const t = s.timeouts[name];
  t.ticks = 0;
  t.attempts++;
  t.after = TICKS[name] * Math.min(2 ** Math.min(t.attempts, 3), 8) + jitter(s, name);
}

/** View-change timeouts get jitter so competing replicas do not duel forever. */
function jitter(s: ReplicaState, name: TimeoutName): number {
  if (name !== 'normal' && name !== 'view_change') return 0;
  let x = s.prng;
  x ^= x << 13;
  x >>>= 0;
  x ^= x >>> 17;
  x ^= x << 5;
  s.prng = x >>> 0 || 1;
  return s.prng % TICKS[name];
}

export function persistView(s: ReplicaState, out: Out): void {
  if (s.superblock.view === s.view && s.superblock.log_view === s.log_view) return;
  // A durable view never goes back: a replica that promised a view (do_view_change) keeps that promise.
  assert(s.view >= s.superblock.view && (s.view > s.superblock.view || s.log_view >= s.superblock.log_view), () => `vsr: the durable view goes back from ${s.superblock.view} (log_view ${s.superblock.log_view}) to ${s.view} (log_view ${s.log_view})`);
  s.superblock = { view: s.view, log_view: s.log_view };
  out.push({ kind: 'write_superblock', view: s.view, log_view: s.log_view });
}

export function reply(out: Out, client: string, request: number, kind: ClientRequest['kind'], r: ClientReply): void {
  out.push({ kind: 'reply', client, request, request_kind: kind, reply: r });
}

// ---- the log --------------------------------------------------------------------------------

/**
 * Lab 4: whether the journal's ring can hold `op` (TB: no op ≥ op_checkpoint + slot_count, the
 * checkpoint a durable one: a rebuild's is not until written); Lab 3's log always can.
 */
export function ringAccepts(s: ReplicaState, op: number): boolean {
  const j = s.config.journal;
  return j === undefined || op < (s.checkpoint?.op ?? 0) + j.slot_count;
}

export function head(s: ReplicaState): Entry {
  return s.log[s.log.length - 1]!;
}

/** The log a view change or recovery message carries: ops op_checkpoint+1..op, `first` named only past a checkpoint (Lab 3's bytes never change). */
export function logSuffix(s: ReplicaState): { first?: number; entries: Entry[] } {
  const entries = s.log.slice(1);
  return s.op_checkpoint === 0 ? { entries } : { first: s.op_checkpoint + 1, entries };
}

/** Append the next op (its parent must be our head, Lab 4: its slot free in the ring), and write it. */
export function append(s: ReplicaState, out: Out, entry: Entry, from: number | null = null): void {
  assert(entry.header.op === s.op + 1, () => `vsr: append op ${entry.header.op} after ${s.op}`);
  assert(ringAccepts(s, entry.header.op), () => `vsr: append op ${entry.header.op} past the ring (op_checkpoint ${s.op_checkpoint})`);
  assert(entry.header.parent === head(s).header.checksum, () => `vsr: append op ${entry.header.op} would break the hash chain`);
  s.log.push(entry);
  s.op = entry.header.op;
  out.push(from === null ? { kind: 'write', entry } : { kind: 'write', entry, from });
}

/**
 * Whether a log (ops first..) would change an op we executed, or ends before them. A start_view or
 * recovery_response replaces our log: no honest replica sends such a one, so it is dropped (a
 * do_view_change: countsDoViewChange).
 */
export function contradictsExecuted(s: ReplicaState, first: number, entries: Entry[]): boolean {
  return changesExecuted(s, first, entries) || first + entries.length - 1 < s.commit_min;
}

/** Whether a log (ops first..) holds another prepare than ours at an op we executed (its faulty ops hold none). */
export function changesExecuted(s: ReplicaState, first: number, entries: Entry[]): boolean {
  const upTo = Math.min(s.commit_min, first + entries.length - 1);
  for (let op = Math.max(first, s.op_checkpoint + 1); op <= upTo; op++) {
    const entry = entries[op - first]!;
    if (!isFaulty(entry) && entry.header.checksum !== entryAt(s, op).header.checksum) return true;
  }
  return false;
}

/**
 * Whether a new primary counts a do_view_change (log_view, ops first..) toward its quorum; it drops
 * one that no honest replica sends. It chooses the log of the highest log_view, then the highest op,
 * and its own do_view_change (of our log_view, reaching commit_min) is among them:
 * - a later log_view: it would be chosen over our own, so it must hold every op we executed (an
 *   honest replica normal in a view after ours holds every op committed before it): one that ends
 *   before them or changes one is dropped;
 * - our log_view: logs of one view are prefixes of its primary's, so one that changes an op we
 *   executed is forged: dropped; one that ends before commit_min is an honest laggard's, never
 *   chosen over our own longer one: counted (dropping it can leave the view without a quorum);
 * - an older log_view: never chosen over our own; its sender may hold an op of an older view where
 *   a later one committed another (replaced there), or lag: counted.
 */
export function countsDoViewChange(s: ReplicaState, log_view: number, first: number, entries: Entry[]): boolean {
  if (log_view > s.log_view) return !contradictsExecuted(s, first, entries);
  if (log_view === s.log_view) return !changesExecuted(s, first, entries);
  return true;
}

/**
 * Whether a log of ops first.. (chosen by a view change or recovery) joins ours, so that replaceLog
 * can make ours equal it: it starts at or before our head + 1 and chains to what we hold before it
 * (our anchor, when it starts before our checkpoint). If not, we lack ops nobody sends us any more:
 * only a rebuild (Lab 4's state transfer) brings us to it; so do faulty ops of ours before its
 * first (a log anchored past them never repairs them). Lab 3's logs (first 1) always join.
 */
export function joinsLog(s: ReplicaState, first: number, entries: Entry[]): boolean {
  // Lab 4: a faulty op of ours before the log's first is one it cannot repair.
  if (first > completeHead(s) + 1) return false;
  if (first <= s.op_checkpoint) {
    const anchor = entries[s.op_checkpoint - first];
    return anchor !== undefined && (isFaulty(anchor) || anchor.header.checksum === s.log[0]!.header.checksum);
  }
  const next = entries[0];
  // An empty log (its sender's head is its checkpoint) names no parent to check our op first-1
  // against: ours may be an uncommitted op of an older view. Only if we committed it is it theirs.
  if (next === undefined) return first - 1 <= Math.max(s.op_checkpoint, s.commit_min);
  return isFaulty(next) || next.header.parent === entryAt(s, first - 1).header.checksum;
}

/**
 * Make our log equal `entries` (ops first..op of a log chosen by a view change or recovery, which
 * joins ours): keep the common prefix, replace the rest, write what changed. Executed ops are
 * committed, so they never change.
 */
export function replaceLog(s: ReplicaState, out: Out, first: number, entries: Entry[], op: number, from: (op: number) => number | null = () => null): void {
  assert(first + entries.length - 1 === op, `vsr: a log of ${entries.length} entries from op ${first} for op ${op}`);
  assert(joinsLog(s, first, entries), `vsr: a log from op ${first} does not join ours (ops ${s.op_checkpoint}..${s.op})`);
  let same = Math.max(first, s.op_checkpoint + 1) - 1;
  while (same < Math.min(s.op, op) && entryAt(s, same + 1).header.checksum === entries[same + 1 - first]!.header.checksum) same++;
  assert(same >= s.commit_min, `vsr: a new log would change executed op ${same + 1} (commit_min ${s.commit_min})`);
  if (same < s.op) out.push({ kind: 'truncate', op: same });
  s.log.length = same - s.op_checkpoint + 1;
  s.op = same;
  s.log_durable = Math.min(s.log_durable, same);
  s.faulty = s.faulty.filter((f) => f <= same);
  s.inhabited = s.inhabited.filter((e) => s.faulty.includes(e.header.op));
  s.repair_headers = [];
  assert(s.faulty.length === 0, `vsr: a faulty op ${s.faulty[0]} below the common prefix (op ${same})`);
  s.pipeline = s.pipeline.filter((p) => p.op <= same);
  // Lab 4: a backup takes what its ring holds now; it repairs the rest after its next checkpoint.
  for (const entry of entries.slice(same + 1 - first)) {
    if (!ringAccepts(s, entry.header.op)) break;
    append(s, out, entry, from(entry.header.op));
  }
}

// ---- the client table and the app -----------------------------------------------------------

/** The client's row: a binary search, the table being sorted by client (assertInvariants). */
export function session(s: ReplicaState, client: string): ClientSession | undefined {
  let low = 0;
  let high = s.clients.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (s.clients[middle]!.client < client) low = middle + 1;
    else high = middle;
  }
  const row = s.clients[low];
  return row?.client === client ? row : undefined;
}

/** The highest write request of `client` prepared but not executed here, or queued for a prepare (0 if none). */
export function latestInFlight(s: ReplicaState, client: string): number {
  let latest = 0;
  // Over the log itself (ops commit_min+1..op, all held): every write request walks the pipeline.
  for (let i = s.commit_min + 1 - s.op_checkpoint; i < s.log.length; i++) {
    const { header: h, body } = s.log[i]!;
    if (h.client === client && h.operation === 'request') latest = Math.max(latest, h.request);
    if (h.operation === 'batch') for (const r of (body as BatchBody).requests) if (r.client === client) latest = Math.max(latest, r.request);
  }
  for (const q of s.queue) if (q.client === client && q.kind === 'write') latest = Math.max(latest, q.request);
  return latest;
}

/** Whether `client`'s register is prepared but not executed here, or queued (it will be answered when committed). */
export function registerInFlight(s: ReplicaState, client: string): boolean {
  for (let op = s.commit_min + 1; op <= s.op; op++) {
    const h = entryAt(s, op).header;
    if (h.client === client && h.operation === 'register') return true;
  }
  return s.queue.some((q) => q.client === client && q.kind === 'register');
}

/**
 * Each replica state's live app and the snapshot it is at: while s.app is that very snapshot (an
 * object), op after op runs on the app with no restore from it. Keyed by the state, one entry per
 * replica changed in place: keyed by each new snapshot, it took a weak key in and one out per write.
 * The state stays plain data (s.app is the snapshot); a clone is another state, so it restores once
 * and then goes on exactly like the original.
 */
const liveApps = new WeakMap<ReplicaState, { app: StateMachine; at: Json }>();

/** The app at s.app: the live one if it is at that snapshot, else one restored from it (then the live one). */
function liveApp(s: ReplicaState): { app: StateMachine; at: Json } {
  const live = liveApps.get(s);
  if (live !== undefined && live.at === s.app && typeof s.app === 'object' && s.app !== null) return live;
  const app = createStateMachine(s.config.app);
  app.restore(s.app);
  const restored = { app, at: null };
  liveApps.set(s, restored);
  return restored;
}

/** Run `body` on the app after commit_min ops; `keep` makes its change the new s.app (reads pass false: read-only ops change nothing). */
export function runApp(s: ReplicaState, body: Json, client: string, time: number, keep: boolean): AppResult {
  const live = liveApp(s);
  live.at = null; // while it runs: an app that throws part-way is never taken to be at s.app
  const result = live.app.execute(body, { client, time });
  if (keep) s.app = live.app.snapshot();
  live.at = s.app;
  return result;
}

/** A new client-table row: the session is the op of its register, whose reply is the session number. */
export function newSession(client: string, op: number): ClientSession {
  return { client, session: op, request: 0, op, reply: ok(op) };
}

/** The header fields of our next prepare (op + 1, chained to our head), stamped with `time`. */
function nextHeader(s: ReplicaState, time: number, client: string, request: number, operation: 'register' | 'request' | 'batch'): Omit<HeaderFields, 'checksum_body'> {
  const { checksum, timestamp } = head(s).header;
  return { parent: checksum, cluster: s.config.cluster, view: s.view, op: s.op + 1, commit: s.commit_max, timestamp: Math.max(timestamp, Math.floor(time)), client, request, operation, replica: s.config.replica };
}

/** The next prepare for a client's register or write, chained to our head and stamped with `time`. */
export function prepareEntry(s: ReplicaState, r: ClientRequest, time: number): Entry {
  if (r.kind === 'register') return makeEntry(nextHeader(s, time, r.client, 0, 'register'), null);
  return makeEntry(nextHeader(s, time, r.client, r.request, 'request'), r.op);
}

/** The next prepare for two or more queued writes: one `batch` op that runs them in this order, stamped with the latest's time. */
export function batchEntry(s: ReplicaState, taken: Taken): Entry {
  const { writes, requests, texts } = taken;
  assert(writes.length >= 2 && writes.every((w) => w.kind === 'write'), 'vsr: a batch of two or more writes');
  const body: BatchBody = { requests };
  return makeEntry(nextHeader(s, Math.max(...writes.map((w) => w.time)), '', 0, 'batch'), body, batchBodyText(texts));
}

/** Bytes of a batch body's canonical text around its requests' texts: `{"requests":[` and `]}`. */
const BATCH_FRAME_BYTES = utf8Bytes('{"requests":[]}');

/** The queued requests the next prepare takes; for two or more writes, each as its batch body holds it, and that one's canonical text. */
export interface Taken {
  writes: QueuedRequest[];
  requests: BatchBody['requests'];
  texts: string[];
}

/**
 * Take the next prepare's requests off the queue's front: a register alone; else the writes up to
 * the first register, batch_max of them at most, and no more than the body bound (body_bytes_max)
 * lets one batch body hold. The first always goes: alone it is a plain write, which fits. Each
 * write's text in a batch body is made once, here: the bound counts its bytes, and the batch's
 * body text is made of them (batchEntry), so no request is encoded twice.
 */
export function takeQueued(s: ReplicaState): Taken {
  const queue = s.queue;
  const taken: Taken = { writes: [], requests: [], texts: [] };
  if (queue[0]!.kind === 'register') {
    taken.writes = queue.splice(0, 1);
    return taken;
  }
  const bound = s.config.body_bytes_max ?? Infinity;
  const most = Math.min(queue.length, batchMax(s.config));
  let bytes = BATCH_FRAME_BYTES;
  let n = 0;
  while (n < most && queue[n]!.kind === 'write') {
    const { client, request, op } = queue[n]!;
    const item = { client, request, op };
    const text = batchRequestJson(item);
    if (n > 0) bytes += 1; // the comma before it
    bytes += utf8Bytes(text);
    if (n > 0 && bytes > bound) break;
    taken.requests.push(item);
    taken.texts.push(text);
    n++;
  }
  // One splice, not a shift per request: each shift moves every request behind it.
  taken.writes = queue.splice(0, n);
  return taken;
}

/** Append our next prepare, open its pipeline slot and send it to every backup. */
export function preparePipelined(s: ReplicaState, out: Out, entry: Entry): void {
  append(s, out, entry);
  s.pipeline.push({ op: entry.header.op, checksum: entry.header.checksum, ok_from: [] });
  if (!s.timeouts.prepare.ticking) start(s, 'prepare');
  broadcast(s, out, { command: 'prepare', ...base(s), entry });
}

/** A register or write waits in the queue (batch_max > 1, room left: onRequests prepares it), else is answered busy. */
export function queueRequest(s: ReplicaState, out: Out, r: ClientRequest, time: number): void {
  assert(r.kind !== 'read', 'vsr: a read never waits for a pipeline slot');
  if (s.queue.length >= queueMax(s.config)) return reply(out, r.client, r.request, r.kind, { status: 'busy', view: s.view });
  s.queue.push({ client: r.client, request: r.request, kind: r.kind, op: r.op, time });
}

/** Pipeline slots free: prepare what waits in the queue, each prepare as many writes as takeQueued packs (Lab 4: a full ring answers them busy). */
export function prepareQueued(s: ReplicaState, out: Out): void {
  while (s.queue.length > 0 && s.pipeline.length < s.config.pipeline_max) {
    if (!ringAccepts(s, s.op + 1)) return dropQueue(s, out, { status: 'busy', view: s.view });
    const taken = takeQueued(s);
    const first = taken.writes[0]!;
    preparePipelined(s, out, taken.writes.length === 1 ? prepareEntry(s, first, first.time) : batchEntry(s, taken));
  }
}

/** Queued requests will never be prepared by us (we are no longer a normal primary, or our ring is full): they fail, and the client retries. */
export function dropQueue(s: ReplicaState, out: Out, why: ClientReply): void {
  for (const q of s.queue) reply(out, q.client, q.request, q.kind, why);
  s.queue = [];
}

/** Execute op commit_min+1 (committed, over a complete chain); a duplicate request is never executed again. */
export function execute(s: ReplicaState, out: Out): void {
  const entry = entryAt(s, s.commit_min + 1);
  const h = entry.header;
  assert(h.parent === entryAt(s, s.commit_min).header.checksum, () => `vsr: commit of op ${h.op} over a broken chain`);
  // BEGIN SOLUTION
  // A batch runs its writes in order, each through the client table, each answered on its own.
  for (const r of preparedRequests(entry)) executeRequest(s, out, h.op, h.timestamp, r);
  s.commit_min = h.op;
  // STUDENT: void [s, out, preparedRequests];
  // STUDENT: throw new Error('TODO: engine.execute: execute the op\'s requests (one, or a batch\'s) through the client table');
  // END SOLUTION
}

/** Run one request op `op` carries (stamped `time`) through the client table; the primary answers it. */
export function executeRequest(s: ReplicaState, out: Out, op: number, time: number, r: PreparedRequest): void {
  // BEGIN SOLUTION
  let row = session(s, r.client);
  if (r.operation === 'register' && row === undefined) {
    row = newSession(r.client, op);
    s.clients.push(row);
    s.clients.sort((a, b) => (a.client < b.client ? -1 : a.client > b.client ? 1 : 0));
  } else if (r.operation === 'request' && row !== undefined && r.request > row.request) {
    row.reply = runApp(s, r.op, r.client, time, true);
    row.request = r.request;
    row.op = op;
  }
  if (s.status === 'normal' && isPrimary(s) && row !== undefined) {
    const kind = r.operation === 'register' ? 'register' : 'write';
    reply(out, r.client, r.request, kind, { status: 'ok', view: s.view, request: row.request, op: row.op, result: row.reply });
  }
  // STUDENT: void [s, out, op, time, r, newSession, runApp];
  // STUDENT: throw new Error('TODO: engine.executeRequest: run the request through the client table (a duplicate never runs again) and answer it');
  // END SOLUTION
}

/** The head of the log we hold whole: our op, or (Lab 4) the op before our first faulty one. */
export function completeHead(s: ReplicaState): number {
  return s.faulty.length === 0 ? s.op : s.faulty[0]! - 1;
}

/** The highest op we hold intact (Lab 4: faulty ops at our head are placeholders, not held). */
export function lastIntact(s: ReplicaState): number {
  let op = s.op;
  while (op > s.op_checkpoint && s.faulty.includes(op)) op--;
  return op;
}

/** Execute every committed op we hold. */
export function commitOps(s: ReplicaState, out: Out): void {
  // Only over a complete chain: never past a faulty op (Lab 4; a replica with one is never normal).
  const complete = completeHead(s);
  while (s.commit_min < Math.min(s.commit_max, complete)) execute(s, out);
  syncDoneIfReached(s, out);
  checkpointIfDue(s, out);
  if (s.status === 'normal' && isPrimary(s)) releaseReads(s, out);
}

// ---- Lab 4: checkpoints bound the ring ------------------------------------------------------

/**
 * Lab 4: ops executed between checkpoints: half the ring. A checkpoint of op c lets the ring take
 * ops up to c + slot_count − 1, so the primary has half a ring of room while the next one is written.
 */
export function checkpointInterval(s: ReplicaState): number {
  return Math.floor(s.config.journal!.slot_count / 2);
}

/** Lab 4: once commit_min is an interval past op_checkpoint, persist the state after commit_min ops (one checkpoint at a time). */
export function checkpointIfDue(s: ReplicaState, out: Out): void {
  if (s.config.journal === undefined || s.checkpoint_writing !== null || s.commit_min < s.op_checkpoint + checkpointInterval(s)) return;
  const checkpoint: Checkpoint = { op: s.commit_min, entry: entryAt(s, s.commit_min), app: structuredClone(s.app), clients: structuredClone(s.clients) };
  // A rebuild not yet done keeps its mark in every checkpoint until it is.
  if (s.sync?.installed) checkpoint.sync_target = s.sync.target;
  s.checkpoint_writing = checkpoint;
  out.push({ kind: 'checkpoint', checkpoint });
}

/**
 * Lab 4: the checkpoint is durable. A regular one anchors the log, ops before it leave memory; a
 * rebuild's anchors it already. The ring moves on. A write a rebuild superseded completes unheeded.
 */
function onCheckpointed(s: ReplicaState, out: Out, op: number): void {
  const checkpoint = s.checkpoint_writing;
  if (checkpoint === null || checkpoint.op !== op) return;
  // Executed ops never change, so the log still holds the checkpoint's prepare.
  assert(op <= s.commit_min && checksumAt(s, op) === checkpoint.entry.header.checksum, `vsr: checkpoint ${op} is not of the log's op ${op}`);
  s.checkpoint_writing = null;
  s.log = s.log.slice(op - s.op_checkpoint);
  s.op_checkpoint = op;
  s.checkpoint = checkpoint;
  s.log_durable = Math.max(s.log_durable, op);
  checkpointIfDue(s, out);
  // A recovering replica whose ring was too small for its leader's log asks again now that it moved on.
  if (s.status === 'recovering' && s.nonce !== null) broadcast(s, out, { command: 'recovery', ...base(s), nonce: s.nonce });
}

// ---- Lab 4: catch up or rebuild (read-rebuild-vr.md §3) -------------------------------------

/** Lab 4: chunks a rebuilding replica asks for at once. */
export const SYNC_WINDOW = 8;

/**
 * The one threshold (Ceph's log_tail rule): a replica whose head is at or past our log's tail (the
 * oldest op we hold: op_checkpoint + 1, or it holds op_checkpoint itself) catches up by repair;
 * one behind it needs a rebuild: our checkpoint's snapshot, then the journal tail.
 */
export function catchesUp(s: ReplicaState, op: number): boolean {
  return op >= s.op_checkpoint;
}

/** A checkpoint's canonical text (the rebuild's snapshot, without the sender's own rebuild mark), by checkpoint: computed once. */
const checkpointTexts = new WeakMap<Checkpoint, { text: string; checksum: string }>();

function checkpointText(c: Checkpoint): { text: string; checksum: string } {
  let known = checkpointTexts.get(c);
  if (known === undefined) {
    const text = canonicalJson({ op: c.op, entry: c.entry, app: c.app, clients: c.clients } as unknown as Json);
    known = { text, checksum: checksum(text) };
    checkpointTexts.set(c, known);
  }
  return known;
}

/** Send chunk `chunk` of our durable checkpoint, with our commit_max as the rebuild's target. */
function sendSyncChunk(s: ReplicaState, out: Out, to: number, chunk: number): void {
  const c = s.checkpoint!;
  const { text, checksum: sum } = checkpointText(c);
  const chunks = Math.max(1, Math.ceil(text.length / SYNC_CHUNK_CHARS));
  const k = Math.min(chunk, chunks - 1);
  const data = text.slice(k * SYNC_CHUNK_CHARS, (k + 1) * SYNC_CHUNK_CHARS);
  send(s, out, to, { command: 'sync', ...base(s), op_checkpoint: c.op, checksum: sum, chunk: k, chunks, data, target: Math.max(s.commit_max, c.op) });
}

/**
 * We cannot join the log `to` sent (we lack ops before its first, or ours fork from it there):
 * report what we executed (ops certainly on every log to come); `to` decides.
 */
export function requestSync(s: ReplicaState, out: Out, to: number): void {
  if (to === s.config.replica) return;
  send(s, out, to, { command: 'request_sync', ...base(s), op: s.commit_min, op_checkpoint: 0, chunk: 0 });
}

/** A rebuild collecting its snapshot asks its sender for missing chunks: the first `window` of them, or (pipelined) one. */
function requestChunks(s: ReplicaState, out: Out, from = 0, window = SYNC_WINDOW): void {
  const session = s.sync!;
  let asked = 0;
  for (let k = from; k < session.chunks.length && asked < window; k++) {
    if (session.chunks[k] !== null) continue;
    send(s, out, session.from, { command: 'request_sync', ...base(s), op: s.commit_min, op_checkpoint: session.op_checkpoint, chunk: k });
    asked++;
  }
}

/** Any replica with a durable checkpoint answers a replica behind its log's tail with its checkpoint's chunks. */
function onRequestSync(s: ReplicaState, out: Out, m: MessageOf<'request_sync'>): void {
  const c = s.checkpoint;
  if (c === null || catchesUp(s, m.op) || c.op <= m.op) return;
  sendSyncChunk(s, out, m.replica, m.op_checkpoint === c.op ? m.chunk : 0);
}

/**
 * A chunk of a snapshot. A snapshot newer than every op we hold starts a rebuild (or supersedes an
 * older one); its chunks are collected until it is whole, then installed.
 */
function onSync(s: ReplicaState, out: Out, m: MessageOf<'sync'>): void {
  // A primary takes a snapshot only from a newer view (it is a stale one, behind that view's log).
  if (s.config.journal === undefined || (s.status === 'normal' && isPrimary(s) && m.view <= s.view) || s.start_view_pending) return;
  // BEGIN SOLUTION
  let session = s.sync;
  if (session === null || m.op_checkpoint > session.op_checkpoint) {
    // The log wins: a snapshot never replaces ops we executed, nor (a normal replica) ops we hold
    // in its view or a newer one. A replica recovering or changing views, or normal in an older
    // view than the snapshot's, asked for it: the log it must join forks from ours, so our ops past
    // what we executed are uncommitted ones that log supersedes (a stale primary's last prepares).
    if (m.op_checkpoint <= s.commit_min || (s.status === 'normal' && m.view <= s.view && m.op_checkpoint <= lastIntact(s))) return;
    session = { op_checkpoint: m.op_checkpoint, checksum: m.checksum, from: m.replica, chunks: new Array<string | null>(m.chunks).fill(null), target: m.target, installed: false };
    s.sync = session;
    out.push({ kind: 'trace', what: 'vsr.sync.start', detail: { replica: s.config.replica, op_checkpoint: session.op_checkpoint, target: session.target } });
    requestChunks(s, out);
  }
  if (session.installed || m.op_checkpoint !== session.op_checkpoint || m.checksum !== session.checksum || m.chunks !== session.chunks.length) return;
  // A chunk we hold: its sender answered again, so the ones we asked for since may have been lost on
  // the way: ask again for the first one missing (a backup's resend timeout asks for a window; a stale
  // primary has none). One, not a window: answers to a window asked again come back as more held
  // chunks while the first answers are on the way, and each asking for a window again multiplies the
  // traffic every round trip until the run drowns (par sync-crash, seed 970009).
  if (session.chunks[m.chunk] !== null) return requestChunks(s, out, 0, 1);
  session.chunks[m.chunk] = m.data;
  // A window of chunks in flight: each one in asks for the one a window further on.
  if (session.chunks.includes(null)) return requestChunks(s, out, m.chunk + SYNC_WINDOW, 1);
  installSnapshot(s, out, session);
  // STUDENT: void [s, out, m];
  // STUDENT: throw new Error('TODO: engine.onSync: start or go on with a rebuild from this chunk (the log wins; a chunk already held asks again for the first one missing)');
  // END SOLUTION
}

/**
 * The snapshot is whole: it becomes our state at its op, unless we executed that op already (the
 * log wins: a snapshot never rolls back an op applied here). One that wholeSnapshot refuses is traced.
 */
export function installSnapshot(s: ReplicaState, out: Out, session: SyncSession): void {
  const c = wholeSnapshot(s, session);
  if (c === null) out.push({ kind: 'trace', what: 'vsr.sync.refused', detail: { replica: s.config.replica, op_checkpoint: session.op_checkpoint, target: session.target } });
  // BEGIN SOLUTION
  if (c === null || c.op <= s.commit_min) {
    s.sync = null; // not the snapshot announced (ask again), or older than what we executed
    return;
  }
  applySnapshot(s, out, session, c);
  // STUDENT: void [s, out, session, c];
  // STUDENT: throw new Error('TODO: engine.installSnapshot: install the whole snapshot (applySnapshot) unless we executed its op already');
  // END SOLUTION
}

/**
 * The checkpoint a rebuild's chunks make, or null if they are not the one announced (checksum, op)
 * or its prepare's body is over our bound (body_bytes_max: our storage could not hold it).
 */
export function wholeSnapshot(s: ReplicaState, session: SyncSession): Checkpoint | null {
  const text = session.chunks.join('');
  const c = checksum(text) === session.checksum ? parseCheckpoint(text, s.config.cluster) : null;
  const bound = s.config.body_bytes_max;
  return c !== null && c.op === session.op_checkpoint && (bound === undefined || entryBodyFits(c.entry, bound)) ? c : null;
}

/**
 * Make `c` our state at its op (app, client table, the log anchored at its prepare), durably with
 * the rebuild's mark; then the tail: our role's usual way to the log (recovery, start_view, repair).
 */
export function applySnapshot(s: ReplicaState, out: Out, session: SyncSession, c: Checkpoint): void {
  const checkpoint: Checkpoint = { ...c, sync_target: session.target };
  s.checkpoint_writing = checkpoint;
  out.push({ kind: 'checkpoint', checkpoint });
  // Our ops after the snapshot's op that may be committed stay (a replica never forgets, nor nacks,
  // a prepare it may have acked); the role's log replaces what differs.
  const kept = keptAfter(s, c);
  // Our copy of the snapshot's op, if it is another (a fork, or faulty), is rewritten as the snapshot's.
  if (c.op <= s.op && checksumAt(s, c.op) !== c.entry.header.checksum) out.push({ kind: 'write', entry: c.entry });
  let durable = c.op;
  while (durable - c.op < kept.length && durable < s.log_durable && !isFaulty(kept[durable - c.op]!)) durable++;
  s.log = [c.entry, ...kept];
  s.op_checkpoint = s.commit_min = c.op;
  s.log_durable = durable;
  s.op = c.op + kept.length;
  s.commit_max = Math.max(s.commit_max, c.op);
  // Copies: executing mutates client-table rows in place, and the checkpoint (written, then served
  // to other replicas' syncs) must stay the state after its op.
  s.app = structuredClone(c.app);
  s.clients = structuredClone(c.clients);
  s.faulty = kept.filter(isFaulty).map((e) => e.header.op);
  s.inhabited = s.inhabited.filter((e) => s.faulty.includes(e.header.op));
  s.repair_headers = [];
  s.view_repair = null;
  session.installed = true;
  session.chunks = [];
  s.sync = session;
  syncDoneIfReached(s, out);
  if (s.status === 'recovering') {
    s.recovery_responses = [];
    broadcast(s, out, { command: 'recovery', ...base(s), nonce: s.nonce! });
  } else if (s.status === 'view_change' || isPrimary(s)) {
    if (s.status === 'normal') {
      // A stale primary: the snapshot replaced its uncommitted ops up to its op (kept after it are
      // only those that chain onto it); it learns the newer view next.
      dropReads(s, out, { status: 'busy', view: s.view });
      dropQueue(s, out, { status: 'busy', view: s.view });
      s.pipeline = [];
    }
    send(s, out, session.from, { command: 'request_start_view', ...base(s) });
  } else {
    repairGap(s, out, s.commit_max);
  }
}

/**
 * Our ops after a snapshot's op that may be committed ones, kept: those that chain onto its
 * prepare, faulty ones (we may have acked them) and any after a faulty one (their chain cannot be
 * checked). The first op that forks from the snapshot's chain ends them: it and every op after it
 * were never committed (the committed ops chain onto the snapshot's).
 */
function keptAfter(s: ReplicaState, c: Checkpoint): Entry[] {
  const kept: Entry[] = [];
  let parent: string | null = c.entry.header.checksum;
  for (let op = c.op + 1; op <= s.op; op++) {
    const e = entryAt(s, op);
    if (!isFaulty(e) && parent !== null && e.header.parent !== parent) break;
    kept.push(e);
    parent = isFaulty(e) ? null : e.header.checksum;
  }
  return kept;
}

/** Done means both: the snapshot installed and the tail executed up to the target taken when the rebuild started. */
export function syncDoneIfReached(s: ReplicaState, out: Out): void {
  const session = s.sync;
  if (session === null) return; // no rebuild under way (always so in Lab 3: commitOps calls this after every commit)
  // BEGIN SOLUTION
  if (!session.installed || s.commit_min < session.target) return;
  s.sync = null;
  out.push({ kind: 'trace', what: 'vsr.sync.done', detail: { op_checkpoint: session.op_checkpoint, op: s.commit_min } });
  // STUDENT: void [s, out, session];
  // STUDENT: throw new Error('TODO: engine.syncDoneIfReached: end the rebuild once it is done');
  // END SOLUTION
}

export function advanceCommit(s: ReplicaState, commit: number): void {
  if (commit > s.commit_max) s.commit_max = commit;
}

// ---- normal operation: the primary ----------------------------------------------------------

/**
 * Requests that arrived together, each through onRequest. With batching they queue: a full batch
 * goes out as soon as a pipeline slot is free for it, and what is left once all are in fills the
 * free slots. So writes that come together share a prepare, rather than the first going alone and
 * the rest waiting for it to commit.
 */
function onRequests(s: ReplicaState, out: Out, requests: readonly ClientRequest[], time: number): void {
  for (const r of requests) {
    onRequest(s, out, r, time);
    if (s.queue.length >= batchMax(s.config)) prepareQueued(s, out);
  }
  prepareQueued(s, out);
}

function onRequest(s: ReplicaState, out: Out, r: ClientRequest, time: number): void {
  if (s.status !== 'normal' || !isPrimary(s)) {
    const primary = s.status === 'normal' ? s.config.replicas[primaryIndex(s, s.view)]! : null;
    return reply(out, r.client, r.request, r.kind, s.status === 'normal' ? { status: 'not_primary', view: s.view, primary } : { status: 'busy', view: s.view });
  }
  if (r.kind === 'read') return onRead(s, out, r);
  // BEGIN SOLUTION
  const row = session(s, r.client);
  if (r.kind === 'register' && row !== undefined) {
    return reply(out, r.client, r.request, r.kind, { status: 'ok', view: s.view, request: 0, op: row.session, result: row.reply });
  }
  if (r.kind === 'write') {
    if (row === undefined) return reply(out, r.client, r.request, r.kind, { status: 'rejected', view: s.view, reason: 'no session: register first' });
    if (r.request === row.request) return reply(out, r.client, r.request, r.kind, { status: 'ok', view: s.view, request: row.request, op: row.op, result: row.reply });
    const latest = Math.max(row.request, latestInFlight(s, r.client));
    if (r.request <= latest) return; // prepared, not executed yet: answered when it commits
    if (r.request !== latest + 1) {
      return reply(out, r.client, r.request, r.kind, { status: 'rejected', view: s.view, reason: `request ${r.request} is not the next one (last: ${latest})` });
    }
  }
  if (r.kind === 'register' && registerInFlight(s, r.client)) return; // answered when it commits
  // Batching: the request waits in the queue (onRequests prepares it with the others that came
  // with it). Without batching, a full pipeline answers it busy.
  if (batchMax(s.config) > 1 || s.pipeline.length >= s.config.pipeline_max) return queueRequest(s, out, r, time);
  if (!ringAccepts(s, s.op + 1)) return reply(out, r.client, r.request, r.kind, { status: 'busy', view: s.view });
  preparePipelined(s, out, prepareEntry(s, r, time));
  // STUDENT: void [s, out, r, time, queueRequest, preparePipelined];
  // STUDENT: throw new Error('TODO: engine.onRequest: check the client table, then prepare the request');
  // END SOLUTION
}

/** A durable write finished: the primary counts itself, a backup acks (only now: prepare_ok after the durable write). */
function onWritten(s: ReplicaState, out: Out, op: number, checksum: string): void {
  if (op !== s.log_durable + 1 || checksumAt(s, op) !== checksum) return; // replaced since
  s.log_durable = op;
  if (s.start_view_pending && s.log_durable === s.op) return startView(s, out);
  if (s.status !== 'normal') return;
  // BEGIN SOLUTION
  if (isPrimary(s)) {
    countPrepareOk(s, out, s.config.replica, op);
  } else {
    send(s, out, primaryIndex(s, s.view), { command: 'prepare_ok', ...base(s), op, checksum });
  }
  // STUDENT: void [s, out, op, checksum];
  // STUDENT: throw new Error('TODO: engine.onWritten: count your own prepare_ok (primary) or send one (backup)');
  // END SOLUTION
}

function onPrepareOk(s: ReplicaState, out: Out, m: MessageOf<'prepare_ok'>): void {
  if (s.status !== 'normal' || !isPrimary(s) || m.view !== s.view) return;
  if (checksumAt(s, m.op) !== m.checksum) return;
  assert(m.replica !== s.config.replica, 'vsr: prepare_ok from self over the network');
  countPrepareOk(s, out, m.replica, m.op);
}

/**
 * `replica` holds every op up to `op` of this view's log durably; commit what has a quorum now,
 * then prepare what waits in the queue in the slots that freed (prepareQueued; batching only).
 */
export function countPrepareOk(s: ReplicaState, out: Out, replica: number, op: number): void {
  // BEGIN SOLUTION
  for (const p of s.pipeline) if (p.op <= op) insertSorted(p.ok_from, replica);
  let progressed = false;
  while (s.pipeline.length > 0 && s.pipeline[0]!.ok_from.length >= s.config.quorum_replication) {
    const p = s.pipeline.shift()!;
    assert(p.op === s.commit_max + 1, () => `vsr: pipeline commits op ${p.op} after ${s.commit_max}`);
    s.commit_max = p.op;
    progressed = true;
  }
  if (progressed) {
    commitOps(s, out);
    prepareQueued(s, out);
    if (s.pipeline.length === 0) stop(s, 'prepare');
    else start(s, 'prepare');
  }
  // STUDENT: void [s, out, replica, op, prepareQueued];
  // STUDENT: throw new Error('TODO: engine.countPrepareOk: count the prepare_ok and commit once a quorum holds the op, then prepare the queued requests');
  // END SOLUTION
}

/** The primary's heartbeat: the commit number, and a new beat for read verification. */
export function sendCommit(s: ReplicaState, out: Out): void {
  // A new beat (which backups ack) only while reads wait for one; beat 0 asks for no ack.
  const beat = s.reads.length > 0 ? ++s.beat : 0;
  broadcast(s, out, { command: 'commit', ...base(s), commit: s.commit_max, beat });
}

// ---- reads with authority verification (read-rebuild-vr.md §1) -----------------------------

function onRead(s: ReplicaState, out: Out, r: ClientRequest): void {
  if (!isReadOnly(s.config.app, r.op)) return reply(out, r.client, r.request, 'read', { status: 'rejected', view: s.view, reason: 'not a read-only op' });
  // BEGIN SOLUTION
  s.reads.push({ client: r.client, request: r.request, body: r.op, op: s.op, beat: s.beat + 1, expires: s.ticks + TICKS.read });
  sendCommit(s, out);
  reset(s, 'commit');
  releaseReads(s, out);
  // STUDENT: void [s, out, r];
  // STUDENT: throw new Error('TODO: engine.onRead: queue the read and start a heartbeat round');
  // END SOLUTION
}

/** Answer, in arrival order, the reads whose authority is verified and whose op is executed. */
export function releaseReads(s: ReplicaState, out: Out): void {
  // BEGIN SOLUTION
  // The primary counts itself; a view change needs quorum_view_change replicas, so acks from
  // n − qvc + 1 replicas, all after the read arrived, leave no room for a newer view before it.
  const needed = replicaCount(s) - s.config.quorum_view_change + 1;
  while (s.reads.length > 0) {
    const read = s.reads[0]!;
    const acked = 1 + s.beat_acked.filter((b, i) => i !== s.config.replica && b >= read.beat).length;
    if (acked < needed || s.commit_min < read.op) return;
    s.reads.shift();
    const result = runApp(s, read.body, read.client, 0, false);
    reply(out, read.client, read.request, 'read', { status: 'ok', view: s.view, request: read.request, op: s.commit_min, result });
  }
  // STUDENT: void [s, out];
  // STUDENT: throw new Error('TODO: engine.releaseReads: release the verified reads');
  // END SOLUTION
}

function onCommitOk(s: ReplicaState, out: Out, m: MessageOf<'commit_ok'>): void {
  if (s.status !== 'normal' || !isPrimary(s) || m.view !== s.view) return;
  if (m.beat > s.beat_acked[m.replica]! && m.beat <= s.beat) s.beat_acked[m.replica] = m.beat;
  releaseReads(s, out);
}

/** Pending reads can no longer be verified (the view moved on): they fail, never answered stale. */
export function dropReads(s: ReplicaState, out: Out, why: ClientReply): void {
  for (const read of s.reads) reply(out, read.client, read.request, 'read', why);
  s.reads = [];
}

// ---- normal operation: backups --------------------------------------------------------------

/**
 * A normal-operation message from a newer view (we missed a view change), or from the primary of
 * the view we are still changing to (its start_view was lost): ask that primary for start_view.
 */
function viewJump(s: ReplicaState, out: Out, m: Message): boolean {
  if (s.status === 'recovering') return false;
  const missedStartView = m.view === s.view && s.status === 'view_change' && m.replica === primaryIndex(s, m.view);
  if (m.view <= s.view && !missedStartView) return false;
  const primary = primaryIndex(s, m.view);
  if (primary !== s.config.replica) send(s, out, primary, { command: 'request_start_view', ...base(s) });
  return true;
}

function onPrepare(s: ReplicaState, out: Out, m: MessageOf<'prepare'>): void {
  if (s.status === 'view_change' && m.view === s.view && isPrimary(s)) return onRepairPrepare(s, out, m);
  if (viewJump(s, out, m)) return;
  if (s.status !== 'normal' || m.view !== s.view || isPrimary(s)) return;
  if (m.replica === primaryIndex(s, s.view)) reset(s, 'normal');
  // BEGIN SOLUTION
  const h = m.entry.header;
  advanceCommit(s, h.commit);
  if (h.op <= s.op) {
    // The liveness fix: a prepare we already hold gets prepare_ok again (the first may be lost).
    if (checksumAt(s, h.op) === h.checksum && h.op <= s.log_durable) send(s, out, primaryIndex(s, s.view), { command: 'prepare_ok', ...base(s), op: h.op, checksum: h.checksum });
  } else if (h.op === s.op + 1 && h.parent === head(s).header.checksum && ringAccepts(s, h.op)) {
    append(s, out, m.entry, m.replica);
  }
  takeRepaired(s, out, m.entry);
  repairGap(s, out, h.op);
  commitOps(s, out);
  // STUDENT: void [s, out, m];
  // STUDENT: throw new Error('TODO: engine.onPrepare: append the prepare if it extends the chain');
  // END SOLUTION
}

function onCommit(s: ReplicaState, out: Out, m: MessageOf<'commit'>): void {
  if (viewJump(s, out, m)) return;
  if (s.status !== 'normal' || m.view !== s.view || isPrimary(s) || m.replica !== primaryIndex(s, s.view)) return;
  reset(s, 'normal');
  // BEGIN SOLUTION
  if (m.beat > 0) send(s, out, m.replica, { command: 'commit_ok', ...base(s), beat: m.beat });
  advanceCommit(s, m.commit);
  repairGap(s, out, m.commit);
  commitOps(s, out);
  // STUDENT: void [s, out, m];
  // STUDENT: throw new Error('TODO: engine.onCommit: learn the commit number and execute');
  // END SOLUTION
}

/**
 * A backup that knows of ops past its head catches up without a view change: Lab 3 asks its primary
 * for the next op; Lab 4 closes the break after its head as TB repairs: the headers first
 * (request_headers), then each prepare by its checksum (request_prepare), a window at a time.
 */
export function repairGap(s: ReplicaState, out: Out, known: number): void {
  if (s.status !== 'normal' || isPrimary(s)) return;
  const primary = primaryIndex(s, s.view);
  if (s.config.journal === undefined) {
    // Lab 3: the next op, once. Its arrival (onPrepare) asks for the one after while the commit
    // number is ahead of our head: a backup catches up at one round trip per op, not one per
    // heartbeat, with one request in flight (a lost one is asked again at the resend timeout).
    if (Math.max(known, s.commit_max) <= s.op || s.repair_asked === s.op + 1) return;
    s.repair_asked = s.op + 1;
    return send(s, out, primary, { command: 'request_prepare', ...base(s), op: s.op + 1, checksum: null });
  }
  if (known <= s.op) return;
  // BEGIN SOLUTION
  const last = s.op + s.repair_headers.length;
  if (last < known) send(s, out, primary, { command: 'request_headers', ...base(s), op_min: last + 1, op_max: known });
  for (const r of s.repair_headers.slice(0, REPAIR_WINDOW)) {
    if (r.entry === null) send(s, out, primary, { command: 'request_prepare', ...base(s), op: r.header.op, checksum: r.header.checksum });
  }
  // STUDENT: void [s, out, primary];
  // STUDENT: throw new Error('TODO: engine.repairGap: ask the primary for the headers after the head, then their prepares');
  // END SOLUTION
}

/** Lab 4: prepares a lagging backup asks for at once. */
export const REPAIR_WINDOW = 8;

/** Lab 4: the primary answers a backup's request_headers with its headers from op_min on. */
function onRequestHeaders(s: ReplicaState, out: Out, m: MessageOf<'request_headers'>): void {
  if (s.status !== 'normal' || !isPrimary(s) || m.view !== s.view || m.op_min > s.op || m.op_min > m.op_max) return;
  // The backup's head is op_min − 1: behind our log's tail, it rebuilds from our checkpoint.
  if (!catchesUp(s, m.op_min - 1)) return onRequestSync(s, out, { command: 'request_sync', ...base(s), replica: m.replica, op: m.op_min - 1, op_checkpoint: 0, chunk: 0 });
  const last = Math.min(m.op_max, s.op, m.op_min + HEADERS_MAX - 1);
  const at = m.op_min - s.op_checkpoint;
  send(s, out, m.replica, { command: 'headers', ...base(s), headers: s.log.slice(at, at + last - m.op_min + 1).map((e) => e.header) });
}

/**
 * Lab 4, TB repair_header: a lagging backup takes a header only if it is the next after what it
 * holds and chains to it (so it never replaces a header it has, never skips a gap, never breaks the
 * chain, never takes a header of a newer view); then asks for the prepares.
 */
function onHeaders(s: ReplicaState, out: Out, m: MessageOf<'headers'>): void {
  if (s.status !== 'normal' || isPrimary(s) || m.view !== s.view || m.replica !== primaryIndex(s, s.view)) return;
  // BEGIN SOLUTION
  for (const h of m.headers) {
    const previous = s.repair_headers.length > 0 ? s.repair_headers[s.repair_headers.length - 1]!.header : head(s).header;
    if (h.op <= previous.op) continue;
    if (h.op !== previous.op + 1 || h.parent !== previous.checksum || h.view > s.view) break;
    s.repair_headers.push({ header: h, entry: null });
  }
  repairGap(s, out, s.op + s.repair_headers.length);
  // STUDENT: void [s, out, m];
  // STUDENT: throw new Error('TODO: engine.onHeaders: accept the headers that extend the chain (repair_header)');
  // END SOLUTION
}

/**
 * Lab 4: a prepare whose header the backup's repair holds fills it; every repaired op next after the
 * head is appended. onPrepare calls it with every prepare it accepts from its primary (a repair's
 * answer is a plain `prepare`), after its own append: with no repair under way it has nothing to do.
 */
export function takeRepaired(s: ReplicaState, out: Out, entry: Entry): void {
  if (s.repair_headers.length === 0) return;
  // BEGIN SOLUTION
  while (s.repair_headers.length > 0 && s.repair_headers[0]!.header.op <= s.op) {
    const r = s.repair_headers.shift()!;
    if (checksumAt(s, r.header.op) !== r.header.checksum) s.repair_headers = []; // our head moved another way
  }
  const r = s.repair_headers.find((x) => x.header.checksum === entry.header.checksum);
  if (r !== undefined && r.entry === null) r.entry = entry;
  while (s.repair_headers.length > 0 && s.repair_headers[0]!.entry !== null && ringAccepts(s, s.op + 1)) append(s, out, s.repair_headers.shift()!.entry!, primaryIndex(s, s.view));
  // STUDENT: void [s, out, entry];
  // STUDENT: throw new Error('TODO: engine.takeRepaired: fill the repair with the prepare and append what is next');
  // END SOLUTION
}

function onRequestPrepare(s: ReplicaState, out: Out, m: MessageOf<'request_prepare'>): void {
  if (s.status === 'view_change' && s.config.journal !== undefined) return onRepairRequest(s, out, m);
  if (s.status !== 'normal' || m.view !== s.view || m.op > s.op || m.op === 0) return;
  // Lab 4: a backup repairing an op we checkpointed away lacks ops behind our log's tail: it rebuilds.
  if (m.op <= s.op_checkpoint) return onRequestSync(s, out, { command: 'request_sync', ...base(s), replica: m.replica, op: m.op - 1, op_checkpoint: 0, chunk: 0 });
  const entry = entryAt(s, m.op);
  assert(!isFaulty(entry), `vsr: normal with faulty op ${m.op}`);
  if (m.checksum !== null && m.checksum !== entry.header.checksum) return;
  send(s, out, m.replica, { command: 'prepare', ...base(s), entry });
}

// ---- Lab 4: repair in a view change, and the CTRL nack rule ----------------------------------

/**
 * A new primary asks for op `m.op` of the log it chose (TB on_request_prepare). A replica has
 * guaranteed a prepare once it acknowledged it, and never nacks it: holding it, it answers with the
 * prepare; with an unreadable (faulty) copy it stays silent; only holding no such op (none at all,
 * or another prepare for it: acknowledged prepares are never replaced, since a log replaced by a
 * view change loses only uncommitted ops) does it nack, in view_change status, to that new primary.
 */
function onRepairRequest(s: ReplicaState, out: Out, m: MessageOf<'request_prepare'>): void {
  if (m.view !== s.view || m.replica !== primaryIndex(s, s.view) || m.op <= s.op_checkpoint) return;
  // BEGIN SOLUTION
  if (s.faulty.includes(m.op)) {
    // Guaranteed, maybe, and unreadable as the op: silence (CTRL's haveFaulty), unless the prepare
    // still in the slot is exactly the one asked for (TB on_request_prepare, prepare_checksums).
    const copy = s.inhabited.find((e) => e.header.op === m.op && e.header.checksum === m.checksum);
    if (copy !== undefined) send(s, out, m.replica, { command: 'prepare', ...base(s), entry: copy });
    return;
  }
  const entry = m.op <= s.op ? entryAt(s, m.op) : null;
  if (entry !== null && (m.checksum === null || m.checksum === entry.header.checksum)) {
    return send(s, out, m.replica, { command: 'prepare', ...base(s), entry });
  }
  send(s, out, m.replica, { command: 'nack_prepare', ...base(s), op: m.op, checksum: m.checksum });
  // STUDENT: void [s, out, m];
  // STUDENT: throw new Error('TODO: engine.onRepairRequest: answer a new primary\'s request_prepare: the prepare, silence, or a nack');
  // END SOLUTION
}

/** The new primary: a prepare for the op it is repairing is a candidate to fill it. */
function onRepairPrepare(s: ReplicaState, out: Out, m: MessageOf<'prepare'>): void {
  const r = s.view_repair;
  if (r === null || m.entry.header.op !== r.op || r.prepares.some((p) => p.replica === m.replica && p.entry.header.checksum === m.entry.header.checksum)) return;
  r.prepares.push({ replica: m.replica, entry: m.entry });
  r.prepares.sort((a, b) => a.replica - b.replica);
  startViewAsPrimary(s, out);
}

function onNackPrepare(s: ReplicaState, out: Out, m: MessageOf<'nack_prepare'>): void {
  const r = s.view_repair;
  if (s.status !== 'view_change' || m.view !== s.view || !isPrimary(s) || r === null) return;
  if (m.op !== r.op || m.checksum !== r.checksum || !insertSorted(r.nack_from, m.replica)) return;
  startViewAsPrimary(s, out);
}

/** Ops first..op of a do_view_change, a faulty op as a placeholder. */
export function viewChangeLog(m: MessageOf<'do_view_change'>): Entry[] {
  const faulty = m.faulty ?? [];
  if (faulty.length === 0) return m.entries;
  const first = m.first ?? 1;
  assert(m.entries.length + faulty.length === m.op - first + 1, `vsr: do_view_change of ${m.entries.length} entries and ${faulty.length} faulty ops for ops ${first}..${m.op}`);
  const entries: Entry[] = [];
  let next = 0;
  for (let op = first; op <= m.op; op++) entries.push(faulty.includes(op) ? faultyEntry(m.cluster, op) : m.entries[next++]!);
  return entries;
}

/** A do_view_change's entry of `op`, if its log holds it (first ≤ op ≤ its head). */
export function viewChangeEntry(d: DoViewChangeRecord, op: number): Entry | undefined {
  return op >= d.first && op <= d.op ? d.entries[op - d.first] : undefined;
}

/**
 * The log a new primary chose (`best`'s) with its faulty ops filled where a copy is certainly the
 * same prepare: one whose checksum the chain pins (the next op's parent), or, when nothing pins it,
 * one from a replica normal in the same view as `best` (logs of one view are prefixes of one log).
 * Filled from the head down, each fill pins the op before it. Copies come from the do_view_change
 * logs and from the prepares that answered the repair.
 */
export function fillChosenLog(s: ReplicaState, best: DoViewChangeRecord): Entry[] {
  const entries = best.entries.slice();
  const first = best.first;
  const logViewOf = (replica: number): number => s.do_view_change_from.find((d) => d.replica === replica)?.log_view ?? -1;
  // BEGIN SOLUTION
  for (let op = best.op; op >= first; op--) {
    if (!isFaulty(entries[op - first]!)) continue;
    const pinned = pinnedChecksum(entries, first, op);
    // The op before: its entry, the root, or (the first after a checkpoint) unknown here.
    const left = op > first ? entries[op - first - 1]! : first === 1 ? rootEntry(s.config.cluster) : null;
    const copies = s.do_view_change_from.flatMap((d) => {
      const entry = viewChangeEntry(d, op);
      return entry !== undefined && !isFaulty(entry) ? [{ replica: d.replica, entry }] : [];
    });
    if (s.view_repair?.op === op) copies.push(...s.view_repair.prepares);
    const same = copies.find(({ replica, entry }) => (pinned !== null ? entry.header.checksum === pinned : logViewOf(replica) === best.log_view) && (left === null || isFaulty(left) || entry.header.parent === left.header.checksum));
    if (same !== undefined) entries[op - first] = same.entry;
  }
  // STUDENT: void [s, best, first, logViewOf, rootEntry, viewChangeEntry];
  // STUDENT: throw new Error('TODO: engine.fillChosenLog: fill the chosen log\'s faulty ops from copies that are certainly the same prepare');
  // END SOLUTION
  return entries;
}

/** Which replica a new primary's entry of its chosen log came from (null: its own): `best`'s, or the copy that filled it. */
export function sourceOf(s: ReplicaState, best: DoViewChangeRecord, entry: Entry): number | null {
  const op = entry.header.op;
  const holder = viewChangeEntry(best, op) === entry ? best.replica : (s.do_view_change_from.find((d) => viewChangeEntry(d, op) === entry)?.replica ?? s.view_repair?.prepares.find((p) => p.entry === entry)?.replica);
  return holder === undefined || holder === s.config.replica ? null : holder;
}

/** The checksum the chain pins for `op` of `entries` (ops first..; the next op's parent), or null. */
export function pinnedChecksum(entries: Entry[], first: number, op: number): string | null {
  const next = entries[op + 1 - first];
  return next === undefined || isFaulty(next) ? null : next.header.parent;
}

/**
 * The replicas that certainly never acknowledged op `op` with `checksum` (null: the op of the chosen
 * log, unpinned): its nack_prepares, and each other do_view_change whose log does not reach `op`,
 * or (pinned) holds another prepare there (TB's gap rule over the do_view_change headers). A
 * replica whose copy is faulty never counts.
 */
export function nacksFor(s: ReplicaState, op: number, checksum: string | null): number[] {
  const from = s.view_repair?.op === op && s.view_repair.checksum === checksum ? s.view_repair.nack_from.slice() : [];
  // BEGIN SOLUTION
  for (const d of s.do_view_change_from) {
    // A replica whose copy is faulty, or that checkpointed the op (executed: committed), never counts.
    if (d.replica === s.config.replica || d.faulty.includes(op) || op < d.first) continue;
    if (op > d.op || (checksum !== null && viewChangeEntry(d, op)!.header.checksum !== checksum)) insertSorted(from, d.replica);
  }
  // STUDENT: void [s, op, checksum];
  // STUDENT: throw new Error('TODO: engine.nacksFor: count the replicas that never acknowledged the op');
  // END SOLUTION
  return from;
}

/**
 * The CTRL rule (TB on_nack_prepare): a new primary discards an uncommitted op it cannot repair, and
 * every op after it, only once n − qr other replicas nacked it, one more if its own copy is faulty
 * (it may have acknowledged it): then no replication quorum can hold it. Committed ops never qualify.
 */
export function nacksNeeded(s: ReplicaState, op: number): number {
  return replicaCount(s) - s.config.quorum_replication + (s.faulty.includes(op) ? 1 : 0);
}

/**
 * Repair the chosen log (Lab 4): fill its faulty ops; then, from the highest one left down, discard
 * it and all after it if the nack rule allows, else ask every replica for it and wait. The log, or
 * null while waiting. A committed op is never discarded: unrepaired, the view does not start.
 */
export function repairChosenLog(s: ReplicaState, out: Out, best: DoViewChangeRecord, commit: number): Entry[] | null {
  const entries = fillChosenLog(s, best);
  const first = best.first;
  // BEGIN SOLUTION
  for (let op = first + entries.length - 1; op >= first; op--) {
    if (!isFaulty(entries[op - first]!)) continue;
    const checksum = pinnedChecksum(entries, first, op);
    if (op > commit && nacksFor(s, op, checksum).length >= nacksNeeded(s, op)) {
      entries.length = op - first;
      continue;
    }
    askForPrepare(s, out, op, checksum);
    return null;
  }
  // STUDENT: void [s, out, commit, first];
  // STUDENT: throw new Error('TODO: engine.repairChosenLog: discard by the nack rule or ask for the highest faulty op');
  // END SOLUTION
  return entries;
}

export function askForPrepare(s: ReplicaState, out: Out, op: number, checksum: string | null): void {
  const r = s.view_repair;
  if (r !== null && r.op === op && r.checksum === checksum) return;
  s.view_repair = { op, checksum, nack_from: [], prepares: [] };
  broadcast(s, out, { command: 'request_prepare', ...base(s), op, checksum });
}

// ---- view change ----------------------------------------------------------------------------

export function transitionToViewChange(s: ReplicaState, out: Out, view: number): void {
  assert(view > s.view || (view === s.view && s.status === 'normal' && !isPrimary(s)), `vsr: view change to ${view} from ${s.view}`);
  assert(s.status !== 'recovering', 'vsr: a recovering replica takes no part in view changes');
  // BEGIN SOLUTION
  if (s.status === 'normal' && isPrimary(s)) {
    dropReads(s, out, { status: 'busy', view });
    dropQueue(s, out, { status: 'busy', view });
  }
  s.status = 'view_change';
  s.view = view;
  s.pipeline = [];
  s.start_view_change_from = [];
  s.do_view_change_from = [];
  s.do_view_change_sent = false;
  s.repair_headers = [];
  s.view_repair = null;
  s.start_view_pending = false;
  s.beat_acked.fill(0);
  persistView(s, out);
  for (const name of timeoutNames) stop(s, name);
  start(s, 'view_change');
  start(s, 'resend');
  broadcast(s, out, { command: 'start_view_change', ...base(s) });
  // STUDENT: void [s, out, view, dropReads, dropQueue];
  // STUDENT: throw new Error('TODO: engine.transitionToViewChange: enter view_change status for the new view (a normal primary first answers its pending reads and queued requests busy)');
  // END SOLUTION
}

/** A view-change message: older views are ignored, a newer one pulls us into it; true if it is for our view now. */
function joinViewChange(s: ReplicaState, out: Out, m: Message): boolean {
  if (s.status === 'recovering' || m.view < s.view) return false;
  if (m.view > s.view) transitionToViewChange(s, out, m.view);
  return s.status === 'view_change' && m.view === s.view;
}

function onStartViewChange(s: ReplicaState, out: Out, m: MessageOf<'start_view_change'>): void {
  if (!joinViewChange(s, out, m)) return;
  // BEGIN SOLUTION
  insertSorted(s.start_view_change_from, m.replica);
  if (!s.do_view_change_sent && s.start_view_change_from.length >= s.config.quorum_view_change - 1) sendDoViewChange(s, out);
  // STUDENT: void [s, out, m];
  // STUDENT: throw new Error('TODO: engine.onStartViewChange: count start_view_change; at a quorum send do_view_change');
  // END SOLUTION
}

export function doViewChangeMessage(s: ReplicaState): MessageOf<'do_view_change'> {
  const m: MessageOf<'do_view_change'> = { command: 'do_view_change', ...base(s), log_view: s.log_view, op: s.op, commit_max: s.commit_max, ...logSuffix(s) };
  if (s.faulty.length === 0) return m;
  return { ...m, entries: m.entries.filter((e) => !isFaulty(e)), faulty: s.faulty.slice() };
}

export function sendDoViewChange(s: ReplicaState, out: Out): void {
  s.do_view_change_sent = true;
  const m = doViewChangeMessage(s);
  const primary = primaryIndex(s, s.view);
  if (primary === s.config.replica) onDoViewChange(s, out, m);
  else send(s, out, primary, m);
}

function onDoViewChange(s: ReplicaState, out: Out, m: MessageOf<'do_view_change'>): void {
  const entries = viewChangeLog(m);
  const first = m.first ?? 1;
  if (primaryIndex(s, m.view) !== s.config.replica || !countsDoViewChange(s, m.log_view, first, entries)) return;
  if (!joinViewChange(s, out, m) || s.start_view_pending) return;
  // BEGIN SOLUTION
  s.do_view_change_from = s.do_view_change_from.filter((d) => d.replica !== m.replica);
  s.do_view_change_from.push({ replica: m.replica, log_view: m.log_view, op: m.op, commit_max: m.commit_max, first, entries, faulty: m.faulty ?? [] });
  s.do_view_change_from.sort((a, b) => a.replica - b.replica);
  if (!s.do_view_change_sent || s.do_view_change_from.length < s.config.quorum_view_change) return;
  startViewAsPrimary(s, out);
  // STUDENT: void [s, out, m];
  // STUDENT: throw new Error('TODO: engine.onDoViewChange: collect do_view_change; at a quorum start the view');
  // END SOLUTION
}

/** The new primary: the log with the highest log_view, then the highest op; commit = the highest commit. */
export function startViewAsPrimary(s: ReplicaState, out: Out): void {
  // BEGIN SOLUTION
  let best = s.do_view_change_from[0]!;
  for (const d of s.do_view_change_from) if (d.log_view > best.log_view || (d.log_view === best.log_view && d.op > best.op)) best = d;
  const commit = Math.max(s.commit_max, ...s.do_view_change_from.map((d) => d.commit_max));
  assert(commit <= best.op, `vsr: the chosen log (op ${best.op}) lacks committed op ${commit}`);
  const entries = s.config.journal === undefined ? best.entries : repairChosenLog(s, out, best, commit);
  if (entries === null) return; // Lab 4: repairing; asked every replica for the highest faulty op
  const op = best.first + entries.length - 1;
  assert(op >= commit, `vsr: the repaired log (op ${op}) lacks committed op ${commit}`);
  // Lab 4: a new primary too far behind to join the chosen log, or whose ring cannot hold it yet, cannot lead this view; the view-change timeout moves on.
  if (!joinsLog(s, best.first, entries)) return requestSync(s, out, best.replica);
  if (!ringAccepts(s, op)) return;
  replaceLog(s, out, best.first, entries, op, (o) => sourceOf(s, best, entries[o - best.first]!));
  s.commit_max = commit;
  // Lab 4: the view starts once the new primary's journal holds its whole log, clean (TB asserts dirty = faulty = 0).
  if (s.config.journal !== undefined && s.log_durable < s.op) {
    s.start_view_pending = true;
    return;
  }
  startView(s, out);
  // STUDENT: void [s, out];
  // STUDENT: throw new Error('TODO: engine.startViewAsPrimary: choose the log and start the view as its primary');
  // END SOLUTION
}

/** The new primary holds its view's whole log (Lab 4: clean in its journal): normal, its pipeline, start_view to all. */
export function startView(s: ReplicaState, out: Out): void {
  assert(s.status === 'view_change' && isPrimary(s) && s.faulty.length === 0, 'vsr: a view starts only from its new primary, with no faulty op');
  s.start_view_pending = false;
  // BEGIN SOLUTION
  becomeNormal(s, out);
  for (let op = s.commit_max + 1; op <= s.op; op++) {
    s.pipeline.push({ op, checksum: entryAt(s, op).header.checksum, ok_from: op <= s.log_durable ? [s.config.replica] : [] });
  }
  broadcast(s, out, { command: 'start_view', ...base(s), op: s.op, commit_max: s.commit_max, ...logSuffix(s) });
  if (s.pipeline.length > 0) start(s, 'prepare');
  commitOps(s, out);
  countPrepareOk(s, out, s.config.replica, s.log_durable);
  // STUDENT: void [s, out];
  // STUDENT: throw new Error('TODO: engine.startView: start the view as its primary: pipeline, start_view');
  // END SOLUTION
}

/** Status normal in our view: persist it, start the timeouts of our role. */
export function becomeNormal(s: ReplicaState, out: Out): void {
  s.status = 'normal';
  s.log_view = s.view;
  s.start_view_change_from = [];
  s.do_view_change_from = [];
  s.do_view_change_sent = false;
  s.view_repair = null;
  s.start_view_pending = false;
  s.recovery_responses = [];
  s.repair_asked = 0; // a catch-up request sent in an older view or status is moot: ask this view's primary at once
  s.beat_acked.fill(0);
  persistView(s, out);
  startRoleTimeouts(s);
}

/** Stop every timeout, start those of a normal primary or backup. */
function startRoleTimeouts(s: ReplicaState): void {
  for (const name of timeoutNames) stop(s, name);
  if (isPrimary(s)) start(s, 'commit');
  else {
    start(s, 'normal');
    start(s, 'resend');
  }
}

/** A backup adopting a log from a new primary (start_view) or recovery: say where it stands. */
export function becomeBackup(s: ReplicaState, out: Out, first: number, entries: Entry[], op: number, commit: number, from: number): void {
  replaceLog(s, out, first, entries, op, () => from);
  advanceCommit(s, commit);
  s.pipeline = [];
  becomeNormal(s, out);
  commitOps(s, out);
  // The liveness fix: prepare_ok for our last entry now if it is durable (else when its write completes).
  if (s.log_durable === s.op && s.op > 0) send(s, out, primaryIndex(s, s.view), { command: 'prepare_ok', ...base(s), op: s.op, checksum: head(s).header.checksum });
}

function onStartView(s: ReplicaState, out: Out, m: MessageOf<'start_view'>): void {
  if (s.status === 'recovering' || m.view < s.view || (m.view === s.view && s.status === 'normal')) return;
  const first = m.first ?? 1;
  if (m.replica !== primaryIndex(s, m.view) || contradictsExecuted(s, first, m.entries)) return;
  if (!joinsLog(s, first, m.entries)) return requestSync(s, out, m.replica);
  // BEGIN SOLUTION
  if (m.view > s.view && s.status === 'normal' && isPrimary(s)) {
    dropReads(s, out, { status: 'busy', view: m.view });
    dropQueue(s, out, { status: 'busy', view: m.view });
  }
  s.view = m.view;
  becomeBackup(s, out, first, m.entries, m.op, m.commit_max, m.replica);
  // STUDENT: void [s, out, m, dropReads, dropQueue];
  // STUDENT: throw new Error('TODO: engine.onStartView: adopt the new view\'s log as a backup (a normal primary of an older view first answers its pending reads and queued requests busy)');
  // END SOLUTION
}

function onRequestStartView(s: ReplicaState, out: Out, m: MessageOf<'request_start_view'>): void {
  if (s.status !== 'normal' || !isPrimary(s) || m.view > s.view) return;
  send(s, out, m.replica, { command: 'start_view', ...base(s), op: s.op, commit_max: s.commit_max, ...logSuffix(s) });
}

// ---- recovery -------------------------------------------------------------------------------

function onNonce(s: ReplicaState, out: Out, nonce: string): void {
  assert(s.nonce === null, 'vsr: a second nonce in one incarnation');
  s.nonce = nonce;
  // Lab 4: a rebuild mark read at startup: the rebuild goes on (traced as its start, resumed).
  if (s.sync !== null) out.push({ kind: 'trace', what: 'vsr.sync.start', detail: { replica: s.config.replica, op_checkpoint: s.sync.op_checkpoint, target: s.sync.target, resumed: 1 } });
  if (s.status === 'normal') return startRoleTimeouts(s); // a fresh replica: normal in view 0
  start(s, 'recovery');
  broadcast(s, out, { command: 'recovery', ...base(s), nonce });
}

function onRecovery(s: ReplicaState, out: Out, m: MessageOf<'recovery'>): void {
  if (s.status !== 'normal') return;
  // BEGIN SOLUTION
  const log = isPrimary(s) ? logSuffix(s) : { entries: null };
  send(s, out, m.replica, { command: 'recovery_response', ...base(s), nonce: m.nonce, log_view: s.log_view, op: s.op, commit_max: s.commit_max, ...log });
  // STUDENT: void [s, out, m];
  // STUDENT: throw new Error('TODO: engine.onRecovery: answer a recovery (the primary sends its log)');
  // END SOLUTION
}

function onRecoveryResponse(s: ReplicaState, out: Out, m: MessageOf<'recovery_response'>): void {
  const first = m.first ?? 1;
  if (s.status !== 'recovering' || s.nonce === null || (m.entries !== null && contradictsExecuted(s, first, m.entries))) return;
  // BEGIN SOLUTION
  if (m.nonce !== s.nonce) return; // a replayed answer to an older incarnation
  s.recovery_responses = s.recovery_responses.filter((r) => r.replica !== m.replica);
  s.recovery_responses.push({ replica: m.replica, view: m.view, log_view: m.log_view, op: m.op, commit_max: m.commit_max, first, entries: m.entries });
  s.recovery_responses.sort((a, b) => a.replica - b.replica);
  if (s.recovery_responses.length < s.config.quorum_view_change) return;
  const view = Math.max(...s.recovery_responses.map((r) => r.view));
  const leader = s.recovery_responses.find((r) => r.replica === primaryIndex(s, view) && r.view === view && r.entries !== null);
  if (view < s.view) {
    // A quorum is normal in a view older than the one we had durably entered: that view change
    // never finished. Our superblock and log hold every promise we made, so rejoin as a replica
    // that restarted alone does: by a view change past it (waiting would stall us forever).
    s.status = 'view_change';
    return transitionToViewChange(s, out, s.view + 1);
  }
  if (leader === undefined) return;
  if (!joinsLog(s, leader.first, leader.entries!)) return requestSync(s, out, leader.replica);
  if (!ringAccepts(s, leader.op)) {
    // Lab 4: our ring cannot hold the leader's log yet: take what it can and execute the committed
    // ops, still recovering; the checkpoint that follows moves the ring on, and we ask again.
    replaceLog(s, out, leader.first, leader.entries!, leader.op, () => leader.replica);
    advanceCommit(s, leader.commit_max);
    return commitOps(s, out);
  }
  s.view = view;
  becomeBackup(s, out, leader.first, leader.entries!, leader.op, leader.commit_max, leader.replica);
  // STUDENT: void [s, out, m];
  // STUDENT: throw new Error('TODO: engine.onRecoveryResponse: a quorum of answers with our nonce, the leader\'s included: adopt its log');
  // END SOLUTION
}

// ---- messages and ticks ---------------------------------------------------------------------

function onMessage(s: ReplicaState, out: Out, m: Message): void {
  assert(m.cluster === s.config.cluster && m.replica !== s.config.replica && m.replica < replicaCount(s), 'vsr: the driver delivers only valid peer messages');
  switch (m.command) {
    case 'prepare':
      return onPrepare(s, out, m);
    case 'prepare_ok':
      return onPrepareOk(s, out, m);
    case 'commit':
      return onCommit(s, out, m);
    case 'commit_ok':
      return onCommitOk(s, out, m);
    case 'request_prepare':
      return onRequestPrepare(s, out, m);
    case 'nack_prepare':
      return onNackPrepare(s, out, m);
    case 'request_headers':
      return onRequestHeaders(s, out, m);
    case 'headers':
      return onHeaders(s, out, m);
    case 'start_view_change':
      return onStartViewChange(s, out, m);
    case 'do_view_change':
      return onDoViewChange(s, out, m);
    case 'start_view':
      return onStartView(s, out, m);
    case 'request_start_view':
      return onRequestStartView(s, out, m);
    case 'recovery':
      return onRecovery(s, out, m);
    case 'recovery_response':
      return onRecoveryResponse(s, out, m);
    case 'request_sync':
      return onRequestSync(s, out, m);
    case 'sync':
      return onSync(s, out, m);
    default:
      return assertNever(m);
  }
}

/** Advance every running timeout, then run the fired ones in a fixed order. */
function onTick(s: ReplicaState, out: Out): void {
  s.ticks++;
  const fired: TimeoutName[] = [];
  for (const name of timeoutNames) {
    const t = s.timeouts[name];
    if (!t.ticking) continue;
    t.ticks++;
    if (t.ticks >= t.after) fired.push(name);
  }
  for (const name of fired) if (s.timeouts[name].ticking) onTimeout(s, out, name);
  expireReads(s, out);
}

function expireReads(s: ReplicaState, out: Out): void {
  const expired = s.reads.filter((r) => r.expires <= s.ticks);
  if (expired.length === 0) return;
  s.reads = s.reads.filter((r) => r.expires > s.ticks);
  for (const read of expired) reply(out, read.client, read.request, 'read', { status: 'busy', view: s.view });
}

function onTimeout(s: ReplicaState, out: Out, name: TimeoutName): void {
  switch (name) {
    case 'commit':
      assert(s.status === 'normal' && isPrimary(s), 'vsr: commit timeout off a normal primary');
      sendCommit(s, out);
      return reset(s, 'commit');
    case 'prepare':
      // The liveness fix: resend the uncommitted prepares, not a bare commit.
      assert(s.status === 'normal' && isPrimary(s), 'vsr: prepare timeout off a normal primary');
      for (const p of s.pipeline) {
        for (let i = 0; i < replicaCount(s); i++) {
          if (i !== s.config.replica && !p.ok_from.includes(i)) send(s, out, i, { command: 'prepare', ...base(s), entry: entryAt(s, p.op) });
        }
      }
      return backoff(s, 'prepare');
    case 'normal':
      assert(s.status === 'normal' && !isPrimary(s), 'vsr: normal timeout off a normal backup');
      return transitionToViewChange(s, out, s.view + 1);
    case 'view_change':
      traceStalledRepair(s, out);
      return transitionToViewChange(s, out, s.view + 1);
    case 'resend':
      onResend(s, out);
      return reset(s, 'resend');
    case 'recovery':
      return onRecoveryTimeout(s, out);
    default:
      return assertNever(name);
  }
}

function onResend(s: ReplicaState, out: Out): void {
  if (s.status === 'view_change') {
    broadcast(s, out, { command: 'start_view_change', ...base(s) });
    const primary = primaryIndex(s, s.view);
    if (s.do_view_change_sent && primary !== s.config.replica) send(s, out, primary, doViewChangeMessage(s));
    const r = s.view_repair;
    if (r !== null) broadcast(s, out, { command: 'request_prepare', ...base(s), op: r.op, checksum: r.checksum });
  } else if (s.status === 'normal' && !isPrimary(s)) {
    s.repair_asked = 0; // the last request may be lost: ask again
    repairGap(s, out, s.commit_max);
  }
  if (s.sync !== null && !s.sync.installed) requestChunks(s, out);
}

/**
 * Lab 4: a new primary whose view change times out while it still waits for a faulty op says so:
 * with the op's copy faulty on every replica that answered (more faults than the atlas allows, say
 * an instructor's corruption on all of them), each later view change stalls the same way, and the
 * trace is where an instructor finds out why the cluster never becomes normal.
 */
function traceStalledRepair(s: ReplicaState, out: Out): void {
  const r = s.view_repair;
  if (r === null || !isPrimary(s)) return;
  out.push({ kind: 'trace', what: 'vsr.repair.stalled', detail: { view: s.view, op: r.op, prepares: r.prepares.length, nacks: nacksFor(s, r.op, r.checksum).length, nacks_needed: nacksNeeded(s, r.op) } });
}

/**
 * Resend recovery. Beyond TB 0.8.1: when too few replicas are normal to ever answer with a quorum
 * (every replica lost power at once, or a second one restarted), or every answer is of a view older
 * than our own (we were in a view change that never finished), waiting would stall forever. The
 * durable superblock and log hold every promise this replica made (its view is persisted before it
 * is advertised, prepare_ok follows the durable write), so it may rejoin through a view change.
 */
function onRecoveryTimeout(s: ReplicaState, out: Out): void {
  assert(s.status === 'recovering' && s.nonce !== null, 'vsr: recovery timeout off a recovering replica');
  const answered = s.recovery_responses.length >= s.config.quorum_view_change && Math.max(...s.recovery_responses.map((r) => r.view)) >= s.view;
  if (s.timeouts.recovery.attempts + 1 >= RECOVERY_ATTEMPTS_WITHOUT_QUORUM && !answered) {
    s.status = 'view_change'; // leaves recovering only to enter a view change at once
    return transitionToViewChange(s, out, s.view + 1);
  }
  broadcast(s, out, { command: 'recovery', ...base(s), nonce: s.nonce });
  if (s.sync !== null && !s.sync.installed) requestChunks(s, out);
  s.timeouts.recovery.attempts++;
  s.timeouts.recovery.ticks = 0;
}

// ---- invariants -----------------------------------------------------------------------------

/** Everything that must hold between any two steps. */
/** The first uncommitted op whose parent is not its predecessor's checksum (faulty ops and their successors aside), or null. */
function chainBreak(s: ReplicaState): number | null {
  const faulty = s.faulty.length > 0;
  for (let op = Math.max(s.op_checkpoint + 1, s.commit_min); op <= s.op; op++) {
    if (faulty && (s.faulty.includes(op) || s.faulty.includes(op - 1))) continue;
    const i = op - s.op_checkpoint;
    if (s.log[i]!.header.parent !== s.log[i - 1]!.header.checksum) return op;
  }
  return null;
}

/** What is wrong with the first pipeline slot that is not op commit_max + 1 + slot as the log holds it, short of a quorum, with its own ack only once durable; or null. */
function pipelineProblem(s: ReplicaState): string | null {
  for (let i = 0; i < s.pipeline.length; i++) {
    const p = s.pipeline[i]!;
    if (p.op !== s.commit_max + 1 + i || p.op > s.op) return `vsr: pipeline slot ${i} holds op ${p.op} (commit_max ${s.commit_max})`;
    if (s.log[p.op - s.op_checkpoint]!.header.checksum !== p.checksum) return `vsr: pipeline op ${p.op} is not the log's`;
    if (p.ok_from.length >= s.config.quorum_replication) return `vsr: pipeline op ${p.op} has a quorum but is not committed`;
    // Its own prepare_ok is a promise too: counted only once the op is durable here (a new primary writes the ops its chosen log adds).
    if (p.op > s.log_durable && p.ok_from.includes(s.config.replica)) return `vsr: pipeline op ${p.op} counts this primary's own prepare_ok before its write is durable (log_durable ${s.log_durable})`;
  }
  return null;
}

export function assertInvariants(s: ReplicaState): void {
  const n = replicaCount(s);
  assert(s.log.length === s.op - s.op_checkpoint + 1, () => `vsr: log holds ${s.log.length} entries for ops ${s.op_checkpoint}..${s.op}`);
  assert(s.op_checkpoint <= s.commit_min && s.op_checkpoint <= s.log_durable, () => `vsr: op_checkpoint ${s.op_checkpoint} past commit_min ${s.commit_min} or log_durable ${s.log_durable}`);
  // The anchor is the durable checkpoint's op, or a rebuild's being written.
  const anchoredBy = s.checkpoint_writing?.op === s.op_checkpoint ? s.checkpoint_writing : s.checkpoint;
  assert(s.log[0]!.header.op === s.op_checkpoint && (anchoredBy?.op ?? 0) === s.op_checkpoint, () => `vsr: the log's anchor is not op_checkpoint ${s.op_checkpoint}`);
  assert(s.config.journal !== undefined || (s.op_checkpoint === 0 && s.checkpoint_writing === null), 'vsr: Lab 3 never checkpoints');
  assert(s.config.journal === undefined || s.op < s.op_checkpoint + s.config.journal.slot_count, () => `vsr: op ${s.op} past the ring (op_checkpoint ${s.op_checkpoint})`);
  const writing = s.checkpoint_writing;
  assert(writing === null || (writing.op >= s.op_checkpoint && writing.op <= s.commit_min), () => `vsr: checkpoint ${writing?.op} being written outside ${s.op_checkpoint}..${s.commit_min}`);
  // Lab 4: a rebuild collects chunks until installed; then the log is anchored at its snapshot or later, short of its target.
  const sync = s.sync;
  assert(sync === null || (s.config.journal !== undefined && (sync.installed ? sync.chunks.length === 0 && s.op_checkpoint >= sync.op_checkpoint && s.commit_min < sync.target : sync.chunks.length > 0)), 'vsr: a rebuild installed but not anchoring the log, or done and not ended');
  assert(s.commit_min <= s.commit_max || s.status === 'recovering', () => `vsr: commit_min ${s.commit_min} > commit_max ${s.commit_max}`);
  assert(s.commit_min <= s.op, () => `vsr: commit_min ${s.commit_min} > op ${s.op}`);
  assert(s.log_durable <= s.op, () => `vsr: log_durable ${s.log_durable} > op ${s.op}`);
  assert(s.log_view <= s.view, () => `vsr: log_view ${s.log_view} > view ${s.view}`);
  assert(s.superblock.view === s.view || s.status === 'recovering', () => `vsr: view ${s.view} is not durable (superblock ${s.superblock.view})`);
  assert(s.status !== 'normal' || s.log_view === s.view, () => `vsr: normal in view ${s.view} with log_view ${s.log_view}`);
  const tail = head(s);
  assert(tail.header.op === s.op, () => `vsr: head entry holds op ${tail.header.op}`);
  // Plain loops over the log below: these walks run after every step, over every uncommitted op
  // (each finds the first violation, and one assert reports it: no message closure per op).
  const broken = chainBreak(s);
  assert(broken === null, () => `vsr: hash chain broken at op ${broken}`);
  // Lab 4: a lagging backup's repair holds the headers right after its head, chained.
  s.repair_headers.forEach((r, i) => {
    assert(s.status === 'normal' && !isPrimary(s), 'vsr: a header repair off a normal backup');
    const previous = i === 0 ? head(s).header : s.repair_headers[i - 1]!.header;
    assert(r.header.op === previous.op + 1 && r.header.parent === previous.checksum, () => `vsr: repair header of op ${r.header.op} does not chain`);
    assert(r.entry === null || r.entry.header.checksum === r.header.checksum, () => `vsr: repair of op ${r.header.op} holds another prepare`);
  });
  // Lab 4: a repair and a pending start are a new primary's, in its view change; the pending one holds a whole log.
  assert(s.view_repair === null || (s.status === 'view_change' && isPrimary(s)), 'vsr: a view repair off a new primary');
  assert(!s.start_view_pending || (s.status === 'view_change' && isPrimary(s) && s.faulty.length === 0 && s.log_durable < s.op), 'vsr: a pending start off a new primary with a whole, not yet durable log');
  // Lab 4: faulty ops are placeholders past everything executed, and never in a normal replica's log.
  assert(s.faulty.length === 0 || s.status !== 'normal', () => `vsr: normal with faulty ops ${s.faulty.join(',')}`);
  s.faulty.forEach((op, i) => {
    assert(op > s.commit_min && op <= s.op && op > s.log_durable && isFaulty(entryAt(s, op)), () => `vsr: faulty op ${op} (commit_min ${s.commit_min}, op ${s.op})`);
    assert(i === 0 || s.faulty[i - 1]! < op, 'vsr: faulty ops out of order');
  });
  // Lab 4: an intact prepare in a faulty op's slot is kept only while that op is faulty.
  s.inhabited.forEach((e) => assert(s.faulty.includes(e.header.op), () => `vsr: inhabited op ${e.header.op} is not faulty`));
  if (s.pipeline.length > 0) {
    assert(s.status === 'normal' && isPrimary(s), 'vsr: a pipeline off a normal primary');
    const problem = pipelineProblem(s);
    assert(problem === null, () => problem!);
  }
  if (s.status === 'normal' && isPrimary(s)) assert(s.pipeline.length === s.op - s.commit_max, () => `vsr: primary of view ${s.view} (status normal) has ${s.pipeline.length} in its pipeline for ops ${s.commit_max + 1}..${s.op}`);
  assert(s.reads.length === 0 || (s.status === 'normal' && isPrimary(s)), 'vsr: pending reads off a normal primary');
  // Requests wait in the queue only at a normal primary whose pipeline is full (a freed slot takes them at once), and only so many.
  // Full is pipeline_max or more: a new view's pipeline holds every op its log has past the commit
  // number, more than pipeline_max when no replica of its quorum knew them committed (a power loss).
  if (s.queue.length > 0) {
    assert(s.status === 'normal' && isPrimary(s), 'vsr: a request queue off a normal primary');
    assert(s.pipeline.length >= s.config.pipeline_max, () => `vsr: ${s.queue.length} requests queued with ${s.pipeline.length} of ${s.config.pipeline_max} pipeline slots used`);
    assert(s.queue.length <= queueMax(s.config), () => `vsr: ${s.queue.length} requests queued (at most ${queueMax(s.config)})`);
  }
  assert(s.start_view_change_from.length < n && !s.start_view_change_from.includes(s.config.replica), 'vsr: start_view_change counted from self');
  // do_view_change records are a view change's, kept by its primary-to-be until the view starts: moving on to another view drops them.
  assert(s.do_view_change_from.length === 0 || (s.status === 'view_change' && isPrimary(s)), () => `vsr: do_view_change records of replicas ${s.do_view_change_from.map((d) => d.replica).join(',')} kept ${s.status === 'view_change' ? `in view ${s.view}, whose primary is replica ${primaryIndex(s, s.view)}` : `while ${s.status}`}`);
  assert(clientsSorted(s.clients), 'vsr: client table out of order (session() binary-searches it)');
  for (const name of timeoutNames) {
    const t = s.timeouts[name];
    assert(!t.ticking || t.ticks < t.after, () => `vsr: timeout ${name} fired and was not reset`);
  }
}
