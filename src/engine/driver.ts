// The VSR engine's driver, the same in both worlds: it reads the replica's disk at start (on Lab 4,
// a new journal's format ends with the superblock's first copy, written before anything else), feeds
// the engine events (peer messages, client requests, ticks from an env timer, IO completions, the
// nonce) and carries its commands out through the Env, one after another in order (so a message
// never overtakes the write it depends on: a prepare_ok is made only once its write completed). It checks every peer message before the engine sees
// it: a bad checksum, a wrong cluster, an impossible sender, op or view is dropped and traced,
// never crashing the node or touching its state. It never makes protocol decisions.
import { isLabErrorSink, type Env, type NodeId } from '../env/types.js';
import { assert } from '../assert.js';
import { FORMAT_SUPERBLOCK, refuseLostSuperblock, Superblock, viewChanged } from './superblock.js';
import { CheckpointStore } from './checkpoint.js';
import { LOG_FILE, LogStorage, refusingCorrupt, type EngineStorage, type VsrStorage } from './storage.js';
import { JournalStorage, JOURNAL_SHAPE, opBytesMax, type JournalShape } from './journal-storage.js';
import type { JournalState } from '../../labs/vsr/journal/journal.js';
import type { RecoveryBends } from '../../labs/vsr/journal/recovery.js';
import { isPrimary, step, viewChangeLog, type EngineCommand, type Event } from '../../labs/vsr/engine.js';
import { createState, type Checkpoint, type Durable, type ReplicaState, type VsrConfig } from '../../labs/vsr/state.js';
import {
  batchHeaderValid,
  batchValid,
  bodyFits,
  entryBodyFits,
  entryValid,
  headerValid,
  HEADERS_MAX,
  rootEntry,
  seal,
  sealValid,
  vsrMessage,
  vsrBatch,
  BATCH_MAX,
  vsrRequest,
  type ClientReply,
  type ClientRequest,
  type Entry,
  type Header,
  type Message,
  type MessageOf,
  type Sealed,
} from '../../labs/vsr/protocol.js';

/** The named fault points (env.faultPoint) the driver passes: an armed one kills the node there. */
export const FAULT_POINTS = {
  /** The primary has a quorum of prepare_oks for an op; its commit, replies and heartbeat have not left it. */
  beforeCommit: 'vsr.primary.before_commit',
  /** The replica has a start_view_change quorum (or resends): its do_view_change to the new primary has not left it. */
  beforeDoViewChange: 'vsr.view_change.before_do_view_change',
} as const;
/** Views and ops past these are impossible in any run (and would lose precision as JSON numbers). */
const VIEW_MAX = 2 ** 32;
const OP_MAX = 2 ** 40;
/** Lab 4: chunks of one checkpoint at most (a 1 GiB snapshot in SYNC_CHUNK_CHARS chunks). */
const CHUNKS_MAX = 2 ** 20;

export interface DriverOptions {
  config: VsrConfig;
  /** Length of one engine tick in env milliseconds. */
  tickMs: number;
  /** A client request not answered this long (env ms) is answered busy, freeing its call. */
  requestTimeoutMs: number;
  /** Lab 3's append-only log (default) or Lab 4's two-ring journal (its shape: JOURNAL_SHAPE by default). */
  storage?: VsrStorage;
  journal?: JournalShape;
  /** Lab 4: a test's broken journal recovery (absent: the reference's). */
  recovery?: RecoveryBends;
  /**
   * Called after every step with the state and what the step did (the tester's state checker). A
   * broken variant may take commands out of the list: the driver carries out what is left in it.
   */
  afterStep?: (state: ReplicaState, event: Event, commands: EngineCommand[]) => void;
}

/** Callbacks chained after one promise, run together in one job (see chainGrouped). */
interface Group {
  runs: (() => void)[];
  done: boolean;
  /** Settles once the runs ran: the chain's new tail. */
  tail: Promise<void>;
}

/**
 * Chain `run` after `tail`: into `last`'s group if nothing was chained after that group (so `run`
 * waits for exactly what it would wait for on its own) and it has not run yet, else as a new group.
 * Sends made by one group's runs leave together (one frame per peer).
 */
function chainGrouped(tail: Promise<void>, last: Group | null, run: () => void): Group {
  if (last !== null && !last.done && last.tail === tail) {
    last.runs.push(run);
    return last;
  }
  const group: Group = { runs: [run], done: false, tail };
  group.tail = tail.then(() => {
    group.done = true;
    for (const r of group.runs) r();
  });
  return group;
}

interface PendingCall {
  /** Calls are numbered as they arrive: expired ones are answered in that order. */
  seq: number;
  /** The request whose reply it waits for (a retry of a request waits with the first call). */
  request: number;
  kind: ClientRequest['kind'];
  deadline: number;
  resolve(reply: ClientReply): void;
}

export class EngineDriver {
  readonly state: ReplicaState;
  /** The IO lane: log and superblock writes, one after another. */
  private io: Promise<void> = Promise.resolve();
  /** Lab 4: settles when the last checkpoint handed out so far is durable (checkpoints are written one after another). */
  private checkpointWritten: Promise<void> = Promise.resolve();
  /** Superblock fsyncs this incarnation asked of its disk: one per copy written. */
  private superblockFsyncs = 0;
  /** Settles when the last superblock write handed out so far is durable (and the sends queued behind it went). */
  private superblockWritten: Promise<void> = Promise.resolve();
  /**
   * Client calls waiting for their reply, by client, in arrival order: a client mostly has one. Keyed
   * by the client id as it came, not by a string made of it, the request and its kind, whose
   * concatenation and hash cost ~0.35 us per request, made at the call and again at the reply.
   */
  private readonly pending = new Map<string, PendingCall[]>();
  private calls = 0;
  /** Client requests that arrived in the current job, stepped together when it is over (onClient). */
  private arrived: ClientRequest[] = [];
  /** The message sealed last, and its seal: a broadcast's copies are consecutive (a one-slot cache, not a map of every message: that costs the garbage collector more). */
  private lastSealed: { message: Message; sealed: Sealed } | null = null;
  /** The last group chained behind the superblock (sends, replies). */
  private superblockGroup: Group | null = null;
  /** The primary's prepares of writes queued but not yet started, sent as their flush starts (sendMessage). */
  private atFlush: (() => void)[] = [];
  /** Sealed messages not yet sent, by peer index, in order: they leave when the current job is over (send). */
  private outbox = new Map<number, Sealed[]>();
  /**
   * While a flush steps the entries it made durable: the newest prepare_ok to each replica, held
   * until the flush has stepped them all. A prepare_ok is cumulative (ops ≤ its op are durable here,
   * in its view: countPrepareOk), so one per group commit says what one per op said.
   */
  private acks: Map<number, MessageOf<'prepare_ok'>> | null = null;

  private constructor(
    private readonly env: Env,
    private readonly options: DriverOptions,
    private readonly storage: EngineStorage,
    private readonly superblock: Superblock,
    /** Lab 4's checkpoint copies (null on Lab 3's log, which never checkpoints). */
    private readonly checkpoints: CheckpointStore | null,
    state: ReplicaState,
  ) {
    this.state = state;
  }

  static async start(env: Env, options: DriverOptions): Promise<EngineDriver> {
    const { config } = options;
    const { superblock, value } = await refusingCorrupt(env, () => Superblock.open(env.disk, config.cluster));
    const { storage, durable, checkpoints, formatting } = await openStorage(env, options, value);
    // Both storages' formats end with the superblock's first copy; the replica starts only once it is durable.
    if (formatting) await superblock.write(FORMAT_SUPERBLOCK);
    const state = createState(config, durable);
    const driver = new EngineDriver(env, options, storage, superblock, checkpoints, state);
    env.log('vsr.start', { replica: config.replica, status: state.status, view: state.view, log_view: state.log_view, op: state.op });
    env.on(vsrMessage, (sealed, from) => driver.onPeer(sealed, from));
    env.on(vsrBatch, ({ messages }, from) => {
      for (const sealed of messages) driver.onPeer(sealed, from);
    });
    env.serve(vsrRequest, (request) => driver.onClient(request));
    if (storage instanceof JournalStorage && storage.pending) driver.io = driver.io.then(() => driver.flush());
    driver.step({ kind: 'nonce', nonce: env.nonce() });
    driver.tick();
    return driver;
  }

  /** Lab 4: the journal's state in memory (the tester's journal checks read it), or null on Lab 3's log. */
  get journal(): JournalState | null {
    return this.storage instanceof JournalStorage ? this.storage.journal : null;
  }

  /** fsyncs this incarnation asked of its disk: the storage's (one per group commit) and the superblock's (not Lab 4's format's: neither its journal's nor its superblock's). */
  get fsyncs(): number {
    return this.storage.fsyncs + this.superblockFsyncs;
  }

  private tick(): void {
    this.env.setTimer(this.options.tickMs, () => {
      this.step({ kind: 'tick' });
      this.expireCalls();
      this.tick();
    });
  }

  /**
   * Step the engine from a promise continuation (an IO completion, the requests of one job), where
   * no handler or timer of the env is around to catch a throw: the throw is the lab error it is,
   * reported with where it happened (the run fails, the node crashes) as a handler's would be, never
   * left to surface later as an unhandled rejection. It is thrown on, so the continuation stops there.
   */
  private stepOutside(event: Event): void {
    try {
      this.step(event);
    } catch (e) {
      if (isLabErrorSink(this.env)) this.env.labThrew(`engine step: ${event.kind}`, e);
      throw e;
    }
  }

  private step(event: Event): void {
    const committed = this.state.commit_max;
    const { status, view } = this.state;
    const commands = step(this.state, event);
    if (this.state.status !== status || this.state.view !== view) {
      const s = this.state;
      this.env.log('vsr.status', { status: s.status, view: s.view, log_view: s.log_view, op: s.op, commit_max: s.commit_max, primary: s.view % s.config.replicas.length });
    }
    this.options.afterStep?.(this.state, event, commands);
    // A primary that just learned of a quorum may die before anything of the commit leaves it.
    if (this.state.commit_max > committed && this.state.status === 'normal' && isPrimary(this.state)) this.env.faultPoint(FAULT_POINTS.beforeCommit);
    // A view change that loses a replica between its start_view_change quorum and its do_view_change.
    if (this.state.status === 'view_change' && commands.some(sendsDoViewChange)) this.env.faultPoint(FAULT_POINTS.beforeDoViewChange);
    for (const command of commands) this.carryOut(command);
  }

  /**
   * Carry out one command. Disk writes run one after another on the IO lane, consecutive log
   * writes as one append with one fsync (group commit); Lab 4's regular checkpoint runs beside
   * the lane's later writes (a rebuild's on it). Messages and replies wait only for the superblock
   * writes before them (a view is durable before it is advertised), never for a log write:
   * prepare_ok is made only after its write completed (a primary's prepares: sendMessage).
   */
  private carryOut(command: EngineCommand): void {
    switch (command.kind) {
      case 'send':
        if (this.acks === null || !this.holdAck(this.acks, command.to, command.message)) this.sendMessage(command.to, command.message);
        return;
      case 'write':
        if (this.storage.write(command.entry, command.from ?? null)) this.io = this.io.then(() => this.flush());
        return;
      case 'truncate':
        if (this.storage.truncate(command.op)) this.io = this.io.then(() => this.flush());
        return;
      case 'write_superblock':
        this.io = this.io.then(() => {
          this.superblockFsyncs++;
          return this.superblock.write({ view: command.view, log_view: command.log_view });
        });
        this.superblockWritten = this.io;
        return;
      case 'reply':
        this.afterSuperblock(() => this.answer(command.client, command.request, command.request_kind, command.reply));
        return;
      case 'checkpoint': {
        // After the writes before it and the checkpoint before it; the journal's flushes after it do
        // not wait for it (the ring takes no op it would free until it is durable), but a rebuild's:
        // the writes after it may be of ops only its ring takes.
        const written = Promise.all([this.io, this.checkpointWritten]).then(() => this.writeCheckpoint(command.checkpoint));
        this.checkpointWritten = written;
        if (command.checkpoint.sync_target !== undefined) this.io = written;
        return;
      }
      case 'trace':
        this.env.log(command.what, command.detail);
        return;
    }
  }

  /** Lab 4: persist a checkpoint on the IO lane; once durable, the journal's ring moves on with the engine's. */
  private async writeCheckpoint(checkpoint: Checkpoint): Promise<void> {
    assert(this.checkpoints !== null && this.storage instanceof JournalStorage, 'vsr: a checkpoint off the journal');
    await this.checkpoints.write(checkpoint);
    this.storage.checkpointed(checkpoint.op);
    this.env.log('vsr.checkpoint', { op: checkpoint.op });
    this.stepOutside({ kind: 'checkpointed', op: checkpoint.op });
  }

  /**
   * Send one message once the superblock writes before it are durable (a view is durable before it
   * is advertised). A primary's prepares leave as the write of their ops starts, as TigerBeetle's
   * do, on Lab 3's log and Lab 4's journal alike: the backups write while it writes. The flush that
   * takes a queued write runs on the IO lane after the superblock writes before it; the prepares of
   * one group commit leave together, in order, as one frame per peer (a prepare sent again, its
   * write started, waits only for the superblock). Writes that join a journal flush already under
   * way (joinArrived) send theirs as the flush asked for them starts: never ahead of the IO lane.
   *
   * Safe: the primary counts its own vote only once its write completed (onWritten; on the journal
   * once the slot is clean), so a commit still needs a quorum of durable copies. A primary that
   * dies before then holds the op as a backup that died mid-write of a prepare it received does
   * (torn: cut, scenario 13; prepare cell durable: @F/@H/@K fix, scenario 14; part of a batch lost:
   * faulty), or not at all, and it never voted for it: so what it may later nack or drop it never
   * acknowledged (the nack rule), what it acknowledged is durable (its recovery timeout rejoins on
   * that), a checkpoint waits for the IO lane (it covers no op whose write had not completed), and
   * it restarts recovering, never again primary of that view (no other op of that number in it).
   */
  private sendMessage(to: number, message: Message): void {
    const sealed = this.sealOnce(message);
    const go = (): void => this.send(to, sealed);
    if (message.command === 'prepare' && this.state.status === 'normal' && isPrimary(this.state) && this.storage.queued) this.atFlush.push(go);
    else this.afterSuperblock(go);
  }

  /** A broadcast is one message to every peer: its checksum is computed once. (Sent messages are never changed.) */
  private sealOnce(message: Message): Sealed {
    if (this.lastSealed?.message !== message) this.lastSealed = { message, sealed: seal(message) };
    return this.lastSealed.sealed;
  }

  private afterSuperblock(run: () => void): void {
    // An IO failure is the node's death (a crash in the simulator): the rejection is never swallowed.
    this.superblockGroup = chainGrouped(this.superblockWritten, this.superblockGroup, run);
    this.superblockWritten = this.superblockGroup.tail;
  }

  /**
   * Send `sealed` to replica `to` once the current job is over, with whatever else this job sends
   * it: one message as vsr.message, several as one vsr.batch frame (in order).
   */
  private send(to: number, sealed: Sealed): void {
    const queued = this.outbox.get(to);
    if (queued !== undefined) return void queued.push(sealed);
    if (this.outbox.size === 0) void Promise.resolve().then(() => this.sendOutbox());
    this.outbox.set(to, [sealed]);
  }

  /**
   * Send each peer its queued messages. Peers next to each other in the outbox that are sent the
   * same messages (a primary's prepares to its backups) share one sendEach, which validates and
   * encodes them once. Each peer gets the same frames in the same order as when sent one peer at a
   * time; only past BATCH_MAX messages do the peers' frames interleave, part by part.
   */
  private sendOutbox(): void {
    const outbox = this.outbox;
    this.outbox = new Map();
    let group: Sealed[] = [];
    let to: NodeId[] = [];
    for (const [index, messages] of outbox) {
      if (!sameMessages(messages, group)) {
        this.sendGroup(to, group);
        group = messages;
        to = [];
      }
      to.push(this.options.config.replicas[index]!);
    }
    this.sendGroup(to, group);
  }

  /** Send `messages` to each of `to` (nothing if none): one as vsr.message, several as vsr.batch frames of BATCH_MAX. */
  private sendGroup(to: readonly NodeId[], messages: readonly Sealed[]): void {
    for (let i = 0; i < messages.length; i += BATCH_MAX) {
      const part = messages.slice(i, i + BATCH_MAX);
      if (part.length === 1) this.env.sendEach(to, vsrMessage, part[0]!);
      else this.env.sendEach(to, vsrBatch, { messages: part });
    }
  }

  /**
   * Hold a prepare_ok to `to` (true), sending the one held before unless this one covers it (same
   * view, higher op); any other message to `to` first sends the one held (order per peer is kept).
   */
  private holdAck(acks: Map<number, MessageOf<'prepare_ok'>>, to: number, message: Message): boolean {
    const held = acks.get(to);
    const covers = message.command === 'prepare_ok' && held !== undefined && held.view === message.view && held.op < message.op;
    if (held !== undefined && !covers) {
      acks.delete(to);
      this.sendMessage(to, held);
    }
    if (message.command !== 'prepare_ok') return false;
    acks.set(to, message);
    return true;
  }

  /** Carry out every write queued so far in one go, then tell the engine of each entry now durable, in order (one prepare_ok per peer). */
  private async flush(): Promise<void> {
    const flushing = this.storage.flush();
    // The superblock writes before these writes are durable: the IO lane ran them first.
    const prepares = this.atFlush;
    this.atFlush = [];
    for (const go of prepares) go();
    const written = await flushing;
    const acks = new Map<number, MessageOf<'prepare_ok'>>();
    this.acks = acks;
    try {
      for (const e of written) this.stepOutside({ kind: 'written', op: e.header.op, checksum: e.header.checksum });
    } finally {
      this.acks = null;
    }
    for (const [to, message] of acks) this.sendMessage(to, message);
    // The journal's last batch still needs its header sectors: the next batch takes them, or this.
    if (this.storage instanceof JournalStorage && this.storage.headersWaiting) this.io = this.io.then(() => this.flush());
  }

  private onPeer(sealed: Sealed, from: NodeId): void {
    const problem = this.peerProblem(sealed, from);
    if (problem !== null) {
      this.env.log('vsr.drop', { from, command: sealed.message.command, reason: problem });
      return;
    }
    this.step({ kind: 'message', message: sealed.message });
  }

  /** Why a peer message must be dropped, or null. */
  private peerProblem(sealed: Sealed, from: NodeId): string | null {
    const m = sealed.message;
    const { config } = this.options;
    if (!sealValid(sealed)) return 'bad checksum';
    if (m.cluster !== config.cluster) return `wrong cluster ${m.cluster}`;
    if (m.replica === config.replica || m.replica >= config.replicas.length || config.replicas[m.replica] !== from) return `impossible sender: replica ${m.replica} from ${from}`;
    if (m.view > VIEW_MAX) return `impossible view ${m.view}`;
    return messageProblem(m, config.cluster, config.body_bytes_max);
  }

  private onClient(request: ClientRequest): Promise<ClientReply> {
    const bound = this.options.config.body_bytes_max;
    if (bound !== undefined && !bodyFits(request.op, bound)) {
      const reason = `op too large: a prepare's body takes at most ${bound} bytes`;
      this.env.log('vsr.refuse', { client: request.client, request: request.request, reason });
      return Promise.resolve({ status: 'rejected', view: this.state.view, reason });
    }
    return new Promise((resolve) => {
      const call: PendingCall = { seq: this.calls++, request: request.request, kind: request.kind, deadline: this.env.now() + this.options.requestTimeoutMs, resolve };
      const waiting = this.pending.get(request.client);
      if (waiting === undefined) this.pending.set(request.client, [call]);
      else waiting.push(call);
      if (this.arrived.length === 0) void Promise.resolve().then(() => this.stepArrived());
      this.arrived.push(request);
    });
  }

  /** The requests that came in one job (a socket read holds many) go to the engine as one event: with batching they share prepares. */
  private stepArrived(): void {
    const requests = this.arrived;
    this.arrived = [];
    this.stepOutside({ kind: 'requests', requests, time: this.env.now() });
  }

  /** Answer every call of `client` waiting for the reply to `request` (of `kind`), in arrival order. */
  private answer(client: string, request: number, kind: ClientRequest['kind'], reply: ClientReply): void {
    const waiting = this.pending.get(client);
    if (waiting === undefined) return;
    const answered: PendingCall[] = [];
    this.takeCalls(client, waiting, (p) => p.request === request && p.kind === kind, answered);
    for (const p of answered) p.resolve(reply);
  }

  private expireCalls(): void {
    const now = this.env.now();
    const expired: PendingCall[] = [];
    for (const [client, waiting] of this.pending) this.takeCalls(client, waiting, (p) => p.deadline <= now, expired);
    expired.sort((a, b) => a.seq - b.seq);
    for (const p of expired) p.resolve({ status: 'busy', view: this.state.view });
  }

  /** Move the calls `taken` picks out of `client`'s waiting ones (`waiting`, the rest keeping their order, in place) onto `into`. */
  private takeCalls(client: string, waiting: PendingCall[], taken: (call: PendingCall) => boolean, into: PendingCall[]): void {
    let kept = 0;
    for (const p of waiting) {
      if (taken(p)) into.push(p);
      else waiting[kept++] = p;
    }
    if (kept === 0) this.pending.delete(client);
    else waiting.length = kept;
  }
}

/**
 * The replica's storage, opened and read: Lab 3's log, or Lab 4's checkpoint and journal (recovered
 * and traced). `formatting`: no superblock copy is on disk and nothing shows the replica ran before
 * (refuseLostSuperblock), so its storage's format waits for the superblock's first copy.
 */
async function openStorage(
  env: Env,
  options: DriverOptions,
  superblock: { view: number; log_view: number } | null,
): Promise<{ storage: EngineStorage; durable: Durable; checkpoints: CheckpointStore | null; formatting: boolean }> {
  const { config } = options;
  if (options.storage !== 'journal') {
    const { storage, entries, records, droppedBytes } = await refusingCorrupt(env, () => LogStorage.open(env.disk, config.cluster));
    // Said, not silent: the log's last record was torn by a crash (or garbled on the medium: one copy cannot tell).
    if (droppedBytes > 0) env.log('vsr.log.torn_tail', { file: LOG_FILE, bytes: droppedBytes });
    const formatting = superblock === null;
    const written = records > 0 || droppedBytes > 0 ? `log ${LOG_FILE} is not empty (${records} records${droppedBytes > 0 ? ' and a torn one' : ''})` : null;
    if (formatting) await refusingCorrupt(env, () => refuseLostSuperblock(env.disk, written, false));
    return { storage, durable: { superblock: viewChanged(superblock), entries }, checkpoints: null, formatting };
  }
  const layout = { cluster: config.cluster, ...(options.journal ?? JOURNAL_SHAPE) };
  assert(config.journal?.slot_count === layout.slot_count, `vsr: the engine's ring (${config.journal?.slot_count}) is not the journal's (${layout.slot_count} slots)`);
  assert(config.body_bytes_max !== undefined && config.body_bytes_max <= opBytesMax(layout), `vsr: a body bound (${config.body_bytes_max}) past what a journal prepare cell holds (${opBytesMax(layout)})`);
  const { store, checkpoint } = await refusingCorrupt(env, () => CheckpointStore.open(env.disk, config.cluster));
  return { ...(await JournalStorage.open(env, layout, config.replicas.length, superblock, checkpoint, options.recovery)), checkpoints: store };
}

/**
 * Structural impossibilities in a message's numbers and entries (the engine sees only consistent
 * messages); with `bodyBytesMax` (the driver's: VsrConfig.body_bytes_max), an entry whose body is
 * over it too (the storage could not hold it).
 */
export function messageProblem(m: Message, cluster: number, bodyBytesMax?: number): string | null {
  switch (m.command) {
    case 'prepare':
      return entryProblem(m.entry, cluster, bodyBytesMax) ?? (m.entry.header.view > m.view ? `prepare of view ${m.entry.header.view} in view ${m.view}` : null);
    case 'prepare_ok':
    case 'request_prepare':
    case 'nack_prepare':
      return m.op < 1 || m.op > OP_MAX ? `impossible op ${m.op}` : null;
    case 'commit':
      return m.commit > OP_MAX ? `impossible commit ${m.commit}` : null;
    case 'request_headers':
      return m.op_min < 1 || m.op_min > m.op_max || m.op_max > OP_MAX ? `impossible ops ${m.op_min}..${m.op_max}` : null;
    case 'headers':
      return headersProblem(m.headers, m.view, cluster);
    case 'do_view_change':
      // A lagging backup may know a commit number past its own log's head: only the chosen log must hold it.
      if (m.log_view > m.view) return `log_view ${m.log_view} > view ${m.view}`;
      return faultyProblem(m.faulty ?? [], m.entries.length, m.first ?? 1, m.op) ?? logProblem(viewChangeLog(m), m.first ?? 1, m.op, Math.min(m.commit_max, m.op), m.view, cluster, bodyBytesMax, m.faulty ?? []);
    case 'start_view':
      return logProblem(m.entries, m.first ?? 1, m.op, m.commit_max, m.view, cluster, bodyBytesMax);
    case 'recovery_response':
      if (m.log_view > m.view) return `log_view ${m.log_view} > view ${m.view}`;
      if (m.entries === null) return m.first === undefined ? null : 'a first op without entries';
      return logProblem(m.entries, m.first ?? 1, m.op, m.commit_max, m.view, cluster, bodyBytesMax);
    case 'request_sync':
      return m.op > OP_MAX || m.op_checkpoint > OP_MAX || m.chunk > CHUNKS_MAX ? `impossible request_sync of op ${m.op}, checkpoint ${m.op_checkpoint}, chunk ${m.chunk}` : null;
    case 'sync':
      if (m.op_checkpoint > OP_MAX || m.target > OP_MAX || m.target < m.op_checkpoint) return `impossible sync of checkpoint ${m.op_checkpoint} with target ${m.target}`;
      return m.chunks > CHUNKS_MAX || m.chunk >= m.chunks ? `impossible sync chunk ${m.chunk} of ${m.chunks}` : null;
    case 'commit_ok':
    case 'start_view_change':
    case 'request_start_view':
    case 'recovery':
      return null;
  }
}

/** Headers of consecutive ops, each certifying itself and chaining to the one before (Lab 4's `headers`). */
function headersProblem(headers: Header[], view: number, cluster: number): string | null {
  if (headers.length > HEADERS_MAX) return `${headers.length} headers (at most ${HEADERS_MAX})`;
  for (let i = 0; i < headers.length; i++) {
    const h = headers[i]!;
    if (!headerValid(h) || h.cluster !== cluster) return `header of op ${h.op} fails its checksum or is of cluster ${h.cluster}`;
    if (h.op < 1 || h.op > OP_MAX || h.operation === 'root' || h.commit >= h.op || h.view > view || !batchHeaderValid(h)) return `impossible header of op ${h.op}`;
    if (i > 0 && (h.op !== headers[i - 1]!.op + 1 || h.parent !== headers[i - 1]!.checksum)) return `header of op ${h.op} breaks the hash chain`;
  }
  return null;
}

function entryProblem(entry: Entry, cluster: number, bodyBytesMax: number | undefined): string | null {
  const h = entry.header;
  if (!entryValid(entry)) return `op ${h.op}: header or body fails its checksum`;
  if (h.cluster !== cluster) return `op ${h.op}: of cluster ${h.cluster}`;
  if (h.op < 1 || h.op > OP_MAX) return `impossible op ${h.op}`;
  if (h.commit >= h.op) return `op ${h.op} claims commit ${h.commit}`;
  if (h.operation === 'root') return `op ${h.op} claims to be the root`;
  if (!batchValid(entry)) return `op ${h.op}: a batch whose header names a client or whose body is not a batch of writes`;
  if (bodyBytesMax !== undefined && !entryBodyFits(entry, bodyBytesMax)) return `op ${h.op}: a body over ${bodyBytesMax} bytes`;
  return null;
}

/** A do_view_change's faulty ops (Lab 4): sorted, distinct, within first..op, and with its entries exactly ops first..op. */
function faultyProblem(faulty: number[], entries: number, first: number, op: number): string | null {
  if (entries + faulty.length !== op - first + 1) return `${entries} entries and ${faulty.length} faulty ops for op ${op}${from(first)}`;
  for (let i = 0; i < faulty.length; i++) {
    if (faulty[i]! < first || faulty[i]! > op || (i > 0 && faulty[i - 1]! >= faulty[i]!)) return `faulty ops ${faulty.join(',')} for op ${op}${from(first)}`;
  }
  return null;
}

/** ' from op N' for a log that starts past op 1 (Lab 4, past a checkpoint); nothing for one from op 1. */
function from(first: number): string {
  return first === 1 ? '' : ` from op ${first}`;
}

/**
 * A log (ops first..op) in a view-change or recovery message: every entry valid and chained (from
 * the root when it starts at op 1; Lab 4: past a checkpoint, op first − 1 is committed), but (Lab 4,
 * a do_view_change) the `faulty` ops, placeholders, across which no chain is checked.
 */
function logProblem(entries: Entry[], first: number, op: number, commit: number, view: number, cluster: number, bodyBytesMax: number | undefined, faulty: number[] = []): string | null {
  if (first > op + 1 || entries.length !== op - first + 1) return `${entries.length} entries for op ${op}${from(first)}`;
  if (commit > op) return `commit ${commit} > op ${op}`;
  if (first - 1 > commit) return `a log from op ${first} with commit ${commit}: only committed ops are checkpointed`;
  let parent: string | null = first === 1 ? rootEntry(cluster).header.checksum : null;
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    if (faulty.includes(first + i)) {
      parent = null;
      continue;
    }
    const problem = entryProblem(entry, cluster, bodyBytesMax);
    if (problem !== null) return problem;
    if (entry.header.op !== first + i || (parent !== null && entry.header.parent !== parent)) return `entry ${i} (op ${entry.header.op}) breaks the hash chain`;
    if (entry.header.view > view) return `op ${entry.header.op} of view ${entry.header.view} in view ${view}`;
    parent = entry.header.checksum;
  }
  return null;
}

/** Whether two peers' queued messages are the very same sealed messages, in the same order. */
function sameMessages(a: readonly Sealed[], b: readonly Sealed[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sendsDoViewChange(c: EngineCommand): boolean {
  return c.kind === 'send' && c.message.command === 'do_view_change';
}
