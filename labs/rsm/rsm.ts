// The replicated state machine (the seed's rsm.cc): a primary stamps each client request with a
// viewstamp (vid, seqno), replicates it to every backup, and executes it only when all backups
// executed it. Config (labs/config) tells it about new views; after each one the recovery loop
// joins or syncs state before requests flow again. It never reaches the world except through Env.
//
// The seed's header comment, in short:
// - If the primary of the previous view is in the new view, it stays primary; otherwise the first
//   surviving member of the previous view takes over (labs/config/primary.ts). Either way the new
//   primary holds every acknowledged request, so its state is authoritative.
// - inviewchange: a view committed and the sync is not done; clients are told BUSY.
//   insync: the primary is handing out its state (transferreq) and waiting for transferdonereq.
// - A node not in the view joins through the primary (joinreq), which adds it with Config and
//   returns the views so the joiner catches up.
// - Requests must run to completion and never block (the apps in src/apps are deterministic).
//
// Departures from the seed, each for a failure the seed's tester never produced:
// - The primary retries a backup's invoke until it answers OK or the view changes, and executes a
//   request (and advances last_myvs) only once every backup did. So, inside a view, every member
//   executes the same gapless sequence, and equal last_myvs means equal state (transferreq relies
//   on it). A backup answers OK again to a retry of the request it executed last.
// - A backup is ready for invokes as soon as it holds the primary's state, before transferdonereq,
//   and transferdonereq is idempotent, so a lost reply can't wedge a view change.
// - A restarted node lost its replica state (it lives in memory). It acts as a member only after
//   a view added it anew (a view past those on its disk, without it in the view before); if its
//   disk says it is still a member, it first removes itself from the view.
// - A joinreq whose request or reply was lost is asked again after a join's worst case (a few RPC
//   timeouts), not after the seed's 120 s, doubling after each timeout in a row up to it (joinreq
//   is safe to repeat: the primary answers a joiner it waits for with the views again).
import type { Env, NodeId } from '../../src/env/types.js';
import { isRpcError } from '../../src/env/types.js';
import type { Timing } from '../../src/timing.js';
import { assert } from '../../src/assert.js';
import { inBackground } from '../../src/lab.js';
import type { AppName, AppResult } from '../../src/apps/app.js';
import { createStateMachine } from '../../src/apps/app.js';
import { fail } from '../../src/apps/result.js';
import { jsonFits } from '../../src/json-bytes.js';
import { ExactlyOnce } from '../../src/apps/exactly-once.js';
import { Config } from '../config/config.js';
import { Condition } from './condition.js';
import { Mutex } from './mutex.js';
import { primaryOf } from '../config/primary.js';
import {
  rsmClientInvoke,
  rsmClientMembers,
  rsmInvoke,
  rsmJoin,
  rsmTransfer,
  rsmTransferDone,
  sameViewstamp,
  compareViewstamps,
  OP_BYTES_MAX,
  type ClientInvokeRes,
  type ClientRequestArgs,
  type InvokeArgs,
  type InvokeRes,
  type JoinRes,
  type MembersRes,
  type ReplicatedRequest,
  type TransferRes,
  type Viewstamp,
} from './protocol.js';
import { digestSnapshot, summarizeSnapshot, type RsmStatus, type SyncRecord } from './status.js';
import { paxosStatus } from '../paxos/lab.js';

export interface RsmOptions {
  /** The node to join through at first (the seed's master). */
  first: NodeId;
  timing: Timing;
  app: AppName;
}

/** How many completed syncs status() reports. */
const SYNCS_KEPT = 16;

/**
 * A joinreq's first timeout, in RPC timeouts: the primary's work for a join is at most two Paxos
 * rounds (remove the joiner's old incarnation, add the new one) of three phases, each bounded by
 * one RPC timeout, with the request and its reply on top.
 */
const JOIN_TIMEOUT_RPCS = 8;

export class Rsm {
  protected cfg!: Config;
  /** The primary of vid_commit (before any view: the node to join through). */
  protected primary: NodeId;
  /** The latest view the RSM committed, and the view the recovery loop is syncing. */
  protected vid_commit = 0;
  protected vid_insync = 0;
  protected inviewchange = true;
  protected insync = false;
  /** This incarnation has a real replica state: a view it learned added it (founding view 1 counts). */
  protected joined = false;
  /** The latest view on this node's disk when it started: views up to it may name a state it lost. */
  protected startVid = 0;
  /** Next viewstamp to assign (primary) or to execute (backup); the last one executed. */
  protected myvs: Viewstamp = { vid: 0, seqno: 1 };
  protected last_myvs: Viewstamp = { vid: 0, seqno: 0 };
  /** Primary, while insync: backups of vid_insync that have not called transferdonereq yet. */
  protected backups = new Set<NodeId>();
  /** Serializes client requests at the primary (the seed's invoke_mutex). */
  protected readonly invokeMutex = new Mutex();
  /** Wakes the recovery loop: a view committed, or the last backup synced (the seed's recovery_cond). */
  protected readonly recoveryCond = new Condition();
  protected readonly state: ExactlyOnce;
  protected executed = 0;
  protected syncs: SyncRecord[] = [];
  /** Failed joinreq calls: the join target moves on after each. */
  private joinFailures = 0;
  /** joinreq calls in a row that timed out: each doubles the next one's timeout (joinTimeout). */
  private joinTimeouts = 0;
  /** Who the last NOTPRIMARY answer named as primary: asked first at the next join. */
  private joinHint: NodeId | undefined;
  /** viewMembers()'s last answer. */
  private lastView: { vid: number; members: NodeId[] } = { vid: -1, members: [] };
  /** Why state transfers failed since the last one that succeeded, each traced once (untilSuccess retries every retryMs). */
  private readonly transferFailures = new Set<string>();

  constructor(
    protected readonly env: Env,
    protected readonly options: RsmOptions,
  ) {
    this.primary = options.first;
    this.state = new ExactlyOnce(createStateMachine(options.app, options.timing));
  }

  protected get me(): NodeId {
    return this.env.me;
  }

  protected get timing(): Timing {
    return this.options.timing;
  }

  /** Start Config on this node's disk, serve the RSM messages, and run the recovery loop. */
  async start(): Promise<void> {
    let founded: number | undefined;
    const onCommit = (vid: number): void => (this.cfg === undefined ? void (founded = vid) : this.commitChange(vid));
    this.cfg = await Config.start(this.env, { first: this.options.first, timing: this.timing, onCommit, join: null });
    this.startVid = founded === undefined ? this.cfg.vid : founded - 1;
    this.serve();
    // Like the seed's constructor: view 1 committed inside Config.start, before cfg existed.
    if (founded !== undefined) this.commitChange(founded);
    inBackground(this.env, 'rsm recovery loop', this.recovery());
  }

  private serve(): void {
    const env = this.env;
    env.serve(rsmClientInvoke, (args) => this.opTooLarge(args) ?? this.clientInvoke(args));
    env.serve(rsmClientMembers, () => this.clientMembers());
    env.serve(rsmInvoke, (args) => this.invoke(args));
    env.serve(rsmTransfer, (args) => this.transferreq(args.src, args.last, args.vid));
    env.serve(rsmTransferDone, (args) => this.transferdonereq(args.src, args.vid));
    env.serve(rsmJoin, (args) => this.joinreq(args.src, args.last));
  }

  /** The config upcall (the seed's commit_change): a new view is decided. */
  protected commitChange(vid: number): void {
    if (vid <= this.vid_commit) return;
    this.vid_commit = vid;
    this.inviewchange = true;
    if (vid > this.startVid && this.cfg.isMember(this.me, vid) && !this.cfg.isMember(this.me, vid - 1)) this.joined = true;
    this.primary = primaryOf((v) => this.cfg.viewOf(v), vid);
    this.env.log('rsm.commit_change', { vid, primary: this.primary, last: `${this.last_myvs.vid}.${this.last_myvs.seqno}` });
    this.recoveryCond.notifyAll();
    if (this.cfg.isMember(this.me, vid)) this.env.breakpoint(2);
  }

  // ---- the recovery loop: join, then sync, after every view change ----

  private async recovery(): Promise<void> {
    for (;;) {
      await this.becomeMember();
      this.vid_insync = this.vid_commit;
      this.env.log('rsm.recovery', { vid: this.vid_insync, role: this.primary === this.me ? 'primary' : 'backup' });
      if (this.primary === this.me) await this.syncWithBackups();
      else await this.syncWithPrimary();
      // A view committed during the sync: sync again for it.
      if (this.vid_insync !== this.vid_commit) continue;
      await this.recoveryCond.wait();
    }
  }

  /** Loop until this incarnation is a member of vid_commit with a real state. */
  private async becomeMember(): Promise<void> {
    while (!(this.joined && this.cfg.isMember(this.me, this.vid_commit))) {
      if (!this.joined && this.cfg.isMember(this.me)) await this.leaveView();
      else if (!(await this.join())) await this.env.sleep(this.timing.joinRetryMs, 'rsm.join_retry');
    }
  }

  /**
   * A restarted node its disk calls a member: propose a view without it, so it can join afresh.
   * Alone in its view there is nobody to join: it founds again, with the empty state it has.
   */
  private async leaveView(): Promise<void> {
    this.env.log('rsm.leave', { vid: this.cfg.vid });
    if (this.cfg.members.length === 1) {
      this.joined = true;
      this.commitChange(this.cfg.vid);
      return;
    }
    await this.cfg.remove(this.me, this.cfg.vid);
    if (this.cfg.isMember(this.me)) await this.env.sleep(this.timing.joinRetryMs, 'rsm.leave_retry');
  }

  /** One joinreq to whom we believe is primary, catching up on the views it knows; true if this node is now a joined member. */
  private async join(): Promise<boolean> {
    const target = this.joinTarget();
    let answer: JoinRes;
    try {
      answer = await this.env.call(target, rsmJoin, { src: this.me, last: this.last_myvs }, { timeoutMs: this.joinTimeout() });
    } catch (e) {
      if (!isRpcError(e)) throw e;
      this.joinFailures++;
      if (isRpcError(e, 'timeout')) this.joinTimeouts++;
      return false;
    }
    this.joinTimeouts = 0;
    if (answer.status === 'NOTPRIMARY') {
      this.joinHint = answer.primary;
      this.joinFailures = 0;
    }
    await this.cfg.restore(answer.views);
    this.env.log('rsm.join', { via: target, status: answer.status, vid: this.cfg.vid, joined: this.joined });
    return this.joined && this.cfg.isMember(this.me, this.vid_commit);
  }

  /** The next joinreq's timeout: JOIN_TIMEOUT_RPCS RPC timeouts, doubled per timeout in a row, at most timing.joinTimeoutMs. */
  private joinTimeout(): number {
    return Math.min(this.timing.joinTimeoutMs, JOIN_TIMEOUT_RPCS * this.timing.rpcTimeoutMs * 2 ** this.joinTimeouts);
  }

  /** The hinted or believed primary, else (after failures, or if that is us) the first node and the known members in turn. */
  private joinTarget(): NodeId {
    const hinted = this.joinHint === undefined ? [] : [this.joinHint];
    const candidates = [...new Set([...hinted, this.primary, this.options.first, ...this.cfg.members])].filter((m) => m !== this.me);
    if (candidates.length === 0) return this.options.first;
    return candidates[this.joinFailures % candidates.length]!;
  }

  // ---- sync: the primary hands its state to every backup before requests flow again ----

  /** The primary's side (the seed's sync_with_backups): wait until every backup synced or a newer view commits. */
  protected async syncWithBackups(): Promise<boolean> {
    // BEGIN SOLUTION
    // STUDENT: throw new Error(`TODO: rsm.syncWithBackups (view ${this.vid_insync})`);
    // Let a request in flight finish; later ones see inviewchange and get BUSY, so the state is stable.
    await this.invokeMutex.run(async () => undefined);
    if (this.vid_insync !== this.vid_commit) return false;
    this.insync = true;
    this.backups = new Set(this.viewMembers(this.vid_insync).filter((m) => m !== this.me));
    while (this.vid_insync === this.vid_commit && this.backups.size > 0) await this.recoveryCond.wait();
    this.insync = false;
    if (this.vid_insync !== this.vid_commit) return false;
    this.enterView();
    return true;
    // END SOLUTION
  }

  /** A backup's side (the seed's sync_with_primary): fetch the primary's state, then report done; stop if a newer view commits. */
  protected async syncWithPrimary(): Promise<boolean> {
    // BEGIN SOLUTION
    // STUDENT: throw new Error(`TODO: rsm.syncWithPrimary (view ${this.vid_insync}, primary ${this.primary})`);
    const primary = this.primary;
    if (!(await this.untilSuccess(() => this.statetransfer(primary)))) return false;
    // The primary sends no invoke before every backup is done: being ready now loses no race.
    this.enterView();
    return this.untilSuccess(() => this.statetransferdone(primary));
    // END SOLUTION
  }

  /** Retry `attempt` every retryMs until it succeeds (true) or a newer view commits (false). */
  protected async untilSuccess(attempt: () => Promise<boolean>): Promise<boolean> {
    for (;;) {
      if (this.vid_insync !== this.vid_commit) return false;
      if (await attempt()) return this.vid_insync === this.vid_commit;
      await this.env.sleep(this.timing.retryMs, 'rsm.sync_retry');
    }
  }

  /** Sync done: accept requests of view vid_insync, and remember the state we entered it with. */
  protected enterView(): void {
    this.myvs = { vid: this.vid_insync, seqno: 1 };
    this.inviewchange = false;
    const { hash } = digestSnapshot(this.state.snapshot());
    this.syncs = [...this.syncs, { vid: this.vid_insync, last: this.last_myvs, hash }].slice(-SYNCS_KEPT);
    this.env.log('rsm.in_view', { vid: this.vid_insync, last: `${this.last_myvs.vid}.${this.last_myvs.seqno}`, hash });
  }

  /** Fetch the primary's state unless ours is already the same (provided, as in the seed). */
  protected async statetransfer(primary: NodeId): Promise<boolean> {
    let answer: TransferRes;
    try {
      answer = await this.env.call(primary, rsmTransfer, { src: this.me, last: this.last_myvs, vid: this.vid_insync }, { timeoutMs: this.timing.rpcTimeoutMs });
    } catch (e) {
      if (!isRpcError(e)) throw e;
      this.transferFailed(primary, e.message);
      return false;
    }
    if (answer.status !== 'OK' || this.vid_insync !== this.vid_commit) return false;
    if (answer.state === undefined) assert(sameViewstamp(answer.last, this.last_myvs), 'transferreq sent no state for a different last viewstamp');
    else this.state.restore(answer.state);
    this.last_myvs = answer.last;
    this.transferFailures.clear();
    return true;
  }

  /**
   * Trace why a state transfer failed (rsm.transfer_failed), once per reason until one succeeds. A
   * reply too large for a frame fails every retry alike; unsaid, the view change wedged in silence.
   */
  private transferFailed(primary: NodeId, reason: string): void {
    if (this.transferFailures.has(reason)) return;
    this.transferFailures.add(reason);
    this.env.log('rsm.transfer_failed', { primary, vid: this.vid_insync, reason });
  }

  /** Tell the primary this backup holds its state of vid_insync. */
  protected async statetransferdone(primary: NodeId): Promise<boolean> {
    // BEGIN SOLUTION
    // STUDENT: throw new Error(`TODO: rsm.statetransferdone (to ${primary}, view ${this.vid_insync})`);
    try {
      const answer = await this.env.call(primary, rsmTransferDone, { src: this.me, vid: this.vid_insync }, { timeoutMs: this.timing.rpcTimeoutMs });
      return answer.status === 'OK';
    } catch (e) {
      if (!isRpcError(e)) throw e;
      return false;
    }
    // END SOLUTION
  }

  /** The primary's state for a syncing backup, unless the backup's last viewstamp shows it has it (provided). */
  protected transferreq(src: NodeId, last: Viewstamp, vid: number): TransferRes {
    if (!this.insync || vid !== this.vid_insync) return { status: 'BUSY' };
    this.env.log('rsm.transferreq', { src, vid, current: sameViewstamp(last, this.last_myvs) });
    if (sameViewstamp(last, this.last_myvs)) return { status: 'OK', last: this.last_myvs };
    return { status: 'OK', last: this.last_myvs, state: this.state.snapshot() };
  }

  /** A backup reports it holds our state of `vid` (the seed's transferdonereq). */
  protected transferdonereq(src: NodeId, vid: number): { status: 'OK' | 'BUSY' } {
    // BEGIN SOLUTION
    // STUDENT: throw new Error(`TODO: rsm.transferdonereq (from ${src}, view ${vid})`);
    if (vid !== this.vid_insync) return { status: 'BUSY' };
    if (!this.insync) {
      // A retry whose first reply was lost: fine if that sync already completed.
      return !this.inviewchange && this.myvs.vid === vid ? { status: 'OK' } : { status: 'BUSY' };
    }
    this.backups.delete(src);
    if (this.backups.size === 0) this.recoveryCond.notifyAll();
    return { status: 'OK' };
    // END SOLUTION
  }

  /**
   * A node asks to be added (provided). A member we still wait for (its first reply was lost)
   * gets the views again; a member that synced already lost its state: it is removed and added anew.
   */
  protected async joinreq(src: NodeId, last: Viewstamp): Promise<JoinRes> {
    const answer = (status: JoinRes['status']): JoinRes => ({ status, primary: this.primary, views: this.cfg.views() });
    if (this.primary !== this.me) return answer('NOTPRIMARY');
    if (this.insync && this.backups.has(src)) return answer('OK');
    if (this.inviewchange) return answer('BUSY');
    this.env.log('rsm.joinreq', { src, last: `${last.vid}.${last.seqno}` });
    if (this.cfg.isMember(src, this.vid_commit)) await this.cfg.remove(src, this.vid_commit);
    await this.cfg.add(src, this.cfg.vid);
    return answer(this.cfg.isMember(src) ? 'OK' : 'BUSY');
  }

  protected clientMembers(): MembersRes {
    return { vid: this.vid_commit, members: this.vid_commit > 0 ? this.viewMembers(this.vid_commit) : [], primary: this.primary };
  }

  // ---- normal operation ----

  /**
   * A client's op past OP_BYTES_MAX (provided): answered at once, by any node, with an error result
   * (no retry makes it smaller), and traced; it never reaches clientInvoke. Undefined for any other.
   */
  private opTooLarge(args: ClientRequestArgs): ClientInvokeRes | undefined {
    if (jsonFits(args.op, OP_BYTES_MAX)) return undefined;
    const reason = `op too large: an op takes at most ${OP_BYTES_MAX} bytes as JSON`;
    this.env.log('rsm.refuse', { client: args.client, seq: args.seq, reason });
    return { status: 'OK', result: fail(reason) };
  }

  /** A client's request at (what it believes is) the primary (the seed's client_invoke). */
  protected async clientInvoke(args: ClientRequestArgs): Promise<ClientInvokeRes> {
    // BEGIN SOLUTION
    // STUDENT: throw new Error(`TODO: rsm.clientInvoke (${args.client} #${args.seq})`);
    return this.invokeMutex.run(async () => {
      if (this.primary !== this.me) return { status: 'NOTPRIMARY' };
      if (this.inviewchange) return { status: 'BUSY' };
      const done = this.answeredAlready(args);
      if (done !== undefined) return { status: 'OK', result: done };
      const vs = this.myvs;
      this.myvs = { vid: vs.vid, seqno: vs.seqno + 1 };
      const req = this.stamp(args);
      if (!(await this.replicate(vs, req))) return { status: 'BUSY' };
      return { status: 'OK', result: this.execute(vs, req) };
    });
    // END SOLUTION
  }

  /** The cached reply of a retried (or older) request: everything in the primary's state is on every backup. */
  protected answeredAlready(args: ClientRequestArgs): AppResult | undefined {
    const last = this.state.lastSeq(args.client);
    if (last === undefined || args.seq > last) return undefined;
    return this.state.apply(this.stamp(args));
  }

  /**
   * A client's request as the primary replicates it, stamped with the primary's clock (provided).
   * Its fields are named, not spread: node 20's V8 builds `{ ...args, time }` on a slow path
   * (about 1 us, more than the rest of a request's own work at the primary).
   */
  protected stamp(args: ClientRequestArgs): ReplicatedRequest {
    return { client: args.client, seq: args.seq, op: args.op, time: this.env.now() };
  }

  /** Invoke `req` on every backup of view vs.vid at once; true when all executed it, false if the view changed first. */
  protected async replicate(vs: Viewstamp, req: ReplicatedRequest): Promise<boolean> {
    // BEGIN SOLUTION
    // STUDENT: throw new Error(`TODO: rsm.replicate (${vs.vid}.${vs.seqno}: ${req.client} #${req.seq})`);
    let first = true;
    const args: InvokeArgs = { vs, req };
    const backups = this.viewMembers(vs.vid).filter((m) => m !== this.me);
    // The first invoke to every backup at once, written once; invokeBackup awaits it and retries.
    // Nothing is sent once view vs.vid is over (invokeBackup would never await it).
    const sent = this.vid_commit === vs.vid ? this.env.callEach(backups, rsmInvoke, args, { timeoutMs: this.timing.rpcTimeoutMs }) : [];
    const done = await Promise.all(
      backups.map(async (backup, i) => {
        const ok = await this.invokeBackup(backup, args, sent[i]);
        if (ok && first) {
          first = false;
          // The seed's fault points: mid-request, after the first backup executed.
          this.env.partitionPoint();
          this.env.breakpoint(1);
        }
        return ok;
      }),
    );
    return done.every(Boolean);
    // END SOLUTION
  }

  /**
   * Call rsm.invoke on `backup` until it answers OK (true) or view args.vs.vid is over (false).
   * `sent`: the first call's reply, if it was made already (replicate's callEach).
   */
  protected async invokeBackup(backup: NodeId, args: InvokeArgs, sent?: Promise<InvokeRes>): Promise<boolean> {
    let reply = sent;
    while (this.vid_commit === args.vs.vid) {
      const attempt = reply ?? this.env.call(backup, rsmInvoke, args, { timeoutMs: this.timing.rpcTimeoutMs });
      reply = undefined;
      try {
        const answer = await attempt;
        if (answer.status === 'OK') return true;
      } catch (e) {
        if (!isRpcError(e)) throw e;
        if (isRpcError(e, 'timeout')) continue;
      }
      await this.env.sleep(this.timing.retryMs, 'rsm.invoke_retry');
    }
    return false;
  }

  /** The primary's invoke at a backup (the seed's rsm::invoke): execute only the exact next viewstamp. */
  protected invoke(args: InvokeArgs): { status: 'OK' | 'ERR' } {
    // BEGIN SOLUTION
    // STUDENT: throw new Error(`TODO: rsm.invoke (${args.vs.vid}.${args.vs.seqno})`);
    const { vs, req } = args;
    if (this.inviewchange || this.primary === this.me) return { status: 'ERR' };
    // A retry of the request executed last (its OK was lost): executed already, say so again.
    if (sameViewstamp(vs, this.last_myvs)) return { status: 'OK' };
    if (!sameViewstamp(vs, this.myvs)) return { status: 'ERR' };
    this.myvs = { vid: vs.vid, seqno: vs.seqno + 1 };
    this.execute(vs, req);
    this.env.breakpoint(1);
    return { status: 'OK' };
    // END SOLUTION
  }

  /** Apply a request to the app (exactly once per client seq); last_myvs moves only here and in statetransfer. */
  protected execute(vs: Viewstamp, req: ReplicatedRequest): AppResult {
    assert(compareViewstamps(vs, this.last_myvs) > 0, () => `execute ${vs.vid}.${vs.seqno} after ${this.last_myvs.vid}.${this.last_myvs.seqno}`);
    this.last_myvs = vs;
    this.executed++;
    return this.state.apply(req);
  }

  /** Lab-1 fields plus the replication state and a summary of the app's snapshot (its text too while it is small). */
  status(): RsmStatus {
    return {
      ...paxosStatus(this.cfg),
      app: this.options.app,
      vid_commit: this.vid_commit,
      primary: this.primary,
      inviewchange: this.inviewchange,
      insync: this.insync,
      joined: this.joined,
      myvs: this.myvs,
      last_myvs: this.last_myvs,
      executed: this.executed,
      ...summarizeSnapshot(this.state.snapshot()),
      lastSeqs: this.state.lastSeqs(),
      syncs: this.syncs,
    };
  }

  /** The members of view `vid` (a decided view never changes: the last one asked for is kept, not decoded per request). Do not change the array. */
  protected viewMembers(vid: number): NodeId[] {
    if (vid === this.lastView.vid) return this.lastView.members;
    const members = this.cfg.viewOf(vid);
    assert(members !== undefined, `view ${vid} is unknown here`);
    this.lastView = { vid, members };
    return members;
  }
}
