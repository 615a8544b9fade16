// The real world's Env: JSON-RPC over WebSocket to other processes, real timers and clock, files
// with fsync, and a per-node JSONL trace of every send/deliver/drop/timer/fault. It also holds the
// node's fault state (partition, breakpoints, link faults) for the control plane. Never protocol logic.
import { randomInt, randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { describeIssues, type Method, type Notice } from '../method.js';
import {
  RpcError,
  type BreakpointNumber,
  type CallOptions,
  type Disk,
  type Env,
  type Handler,
  type Json,
  type LabErrorSink,
  type NodeId,
  type TimerHandle,
} from '../types.js';
import { TraceRecorder } from '../../trace/recorder.js';
import { summarize, summarizeText, type MessageSummary, type TraceKind } from '../../trace/event.js';
import { Dispatcher, type RefusedResult } from '../../wire/dispatch.js';
import { quoted } from '../../json.js';
import { decodeFrame, encodeError, encodeNotice, encodeRequest, oversizedFrame, type Frame } from '../../wire/frame.js';
import { clientId, linkUrl, nodeId, parseAddress } from './address.js';
import { LinkFaults } from './link-faults.js';
import type { NetFaults } from '../net-faults.js';
import { PeerLink, type ResponseFrame, type Settle } from './peer-link.js';
import { RpcServer, type Inbound } from './server.js';

export interface NodeEnvOptions {
  host: string;
  port: number;
  disk: Disk;
  trace: TraceRecorder;
  /** What a hit breakpoint does after flushing the trace (default: process.exit). */
  exit?: (code: number) => void;
  /** What a lab handler's throw or rejection does once traced (default: crash the process with it). */
  crash?: (error: LabError) => void;
}

export interface ClientEnvOptions {
  /** Where the client's events go (default: counted, not kept). */
  trace?: TraceRecorder;
}

/** The trace summary of a received value: from the text it travelled as, if at hand. */
function summaryOf(payload: string | undefined, value: unknown): string {
  return payload === undefined ? summarize(value) : summarizeText(payload);
}

function replySummary(frame: ResponseFrame): string {
  return frame.type === 'result' ? summaryOf(frame.payload, frame.result) : `error ${frame.code}: ${summarizeText(frame.message)}`;
}

function message(id: number, from: NodeId, to: NodeId, method: string, type: MessageSummary['type'], summary: string, label?: string): MessageSummary {
  return label === undefined ? { id, from, to, method, type, summary } : { id, from, to, method, type, summary, label };
}

/** A lab handler threw or rejected: the node crashes with this (its stack shows the handler's error). */
export class LabError extends Error {
  constructor(
    node: NodeId,
    /** Whose code threw: 'handler config.join', 'notice echo.fail_note', … */
    readonly where: string,
    error: unknown,
  ) {
    const what = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
    super(`${node}: ${where} threw: ${what}`, { cause: error });
    this.name = 'LabError';
    this.stack = `${this.name}: ${this.message}`;
  }
}

/** The default for a node process: the error becomes uncaught, so the process logs it and exits non-zero (node-process.ts). */
function crashProcess(error: LabError): void {
  process.nextTick(() => {
    throw error;
  });
}

/** How a call's reply reaches its caller: a node's lab through fromCallSite, a client (the framework's client libraries, which catch every RpcError) as it is. */
type Delivery = <R>(reply: Promise<R>) => Promise<R>;

const asIs: Delivery = (reply) => reply;

/**
 * `reply` as lab code awaits it, a failed call's RpcError made again here. The first is made in a
 * socket's or a timer's callback, with only the transport's frames; one made in this async function
 * once it resumes gets V8's async frames of the lab code awaiting it ("at async Proposer.round
 * (labs/…)"), so a node that dies of it logs where. It costs an await per call, and a stack only on failure.
 */
async function fromCallSite<R>(reply: Promise<R>): Promise<R> {
  try {
    return await reply;
  } catch (e) {
    throw e instanceof RpcError ? new RpcError(e.kind, e.peer, e.method, e.detail, e.code, e.answer) : e;
  }
}

/** A disk for an Env that has none (clients): every call fails with a clear message. */
function noDisk(me: NodeId): Disk {
  const fail = (): Promise<never> => Promise.reject(new Error(`${me} is a client and has no disk`));
  return { read: fail, write: fail, append: fail, truncate: fail, size: fail, fsync: fail, list: fail, remove: fail };
}

export class RealEnv implements Env, LabErrorSink {
  /** Partition and link-fault state; the control plane changes it through the methods below. */
  readonly links: LinkFaults;
  private readonly armed = new Set<BreakpointNumber>();
  private readonly armedPoints = new Set<string>();
  private closed = false;
  /** A handler's throw or rejection crashes the node: no reply, never a polite 'remote' error. */
  private readonly dispatcher = new Dispatcher((where, error) => this.labThrew(where, error));
  private readonly peers = new Map<NodeId, PeerLink>();
  private readonly timers = new Map<number, NodeJS.Timeout>();
  /** The frames refused as too large that stderr has been told of (unsent's `what`: method and peer). */
  private readonly saidUnsent = new Set<string>();
  private nextTimer = 0;
  /** Message ids: a random per-incarnation prefix times 2^32, plus a counter, so ids from all processes rarely collide. */
  private nextMessage = randomInt(1, 2 ** 20) * 2 ** 32;
  private server: RpcServer | undefined;
  /** Whether this env builds message events at all: a recorder that records nothing (a benchmark's client) needs none, nor their summaries. */
  private readonly traced: boolean;
  /** Requests delivered to a handler whose reply is not sent yet (a handler that throws never replies: its node crashes). */
  private serving = 0;

  private constructor(
    readonly me: NodeId,
    readonly disk: Disk,
    readonly trace: TraceRecorder,
    private readonly exit: (code: number) => void,
    private readonly delivered: Delivery,
    private readonly crash: (error: LabError) => void = crashProcess,
  ) {
    this.links = new LinkFaults(me);
    this.traced = trace.recording;
  }

  /** A node: serves the protocol on host:port (resolves once listening). */
  static async listen(o: NodeEnvOptions): Promise<RealEnv> {
    const env = new RealEnv(nodeId(o.host, o.port), o.disk, o.trace, o.exit ?? ((code) => process.exit(code)), fromCallSite, o.crash);
    env.server = await RpcServer.listen(o.host, o.port, (text, inbound) => env.received(text, inbound));
    // A node that has just sent calls formats its lines once their replies are in: the peers it woke get the cores first.
    // One serving a request formats them once its reply is sent: a Lab 2 primary's last invoke reply
    // resumes its handler only some promise jobs after the turn's end, which would write the op's lines first.
    o.trace.holdLinesWhile(() => env.serving > 0 || env.awaitingReplies());
    return env;
  }

  /** A client: calls and sends, serves nothing, has no disk. Its id is `client:<name>`. */
  static client(name: string, o: ClientEnvOptions = {}): RealEnv {
    const me = clientId(name);
    const exit = (): never => {
      throw new Error(`${me}: clients have no breakpoints`);
    };
    return new RealEnv(me, noDisk(me), o.trace ?? new TraceRecorder({ keep: false, hash: false }), exit, asIs);
  }

  // ---- messages -------------------------------------------------------------------------

  call<P, R>(peer: NodeId, method: Method<P, R>, params: P, opts: CallOptions): Promise<R> {
    return this.delivered(this.request(peer, method, this.paramsJson(method, params), opts));
  }

  callEach<P, R>(peers: readonly NodeId[], method: Method<P, R>, params: P, opts: CallOptions): Promise<R>[] {
    const paramsJson = this.paramsJson(method, params);
    return peers.map((peer) => this.delivered(this.request(peer, method, paramsJson, opts)));
  }

  /** The params' JSON text to send, or why they may not be sent (they fail the method's schema). */
  private paramsJson<P>(method: Method<P, unknown>, params: P): string | Error {
    const checked = method.params.safeParse(params);
    return checked.success ? JSON.stringify(params) : this.invalidParams(method.name, checked.error);
  }

  /** One request carrying `paramsJson` (paramsJson()'s): its reply, or its error. */
  private request<R>(peer: NodeId, method: Method<unknown, R>, paramsJson: string | Error, opts: CallOptions): Promise<R> {
    if (this.closed) return new Promise<R>(() => undefined); // a closed env is dead: nothing it starts resumes
    if (typeof paramsJson !== 'string') return Promise.reject(paramsJson);
    const id = this.nextMessage++;
    const msg = this.traced ? message(id, this.me, peer, method.name, 'req', summarizeText(paramsJson)) : undefined;
    const sent = this.emitMessage('send', msg);
    const link = this.linkTo(peer);
    if (link === undefined) {
      this.emitMessage('drop', msg, sent, 'not a node address');
      return Promise.reject(new RpcError('unreachable', peer, method.name, 'not a node address (HOST:PORT)'));
    }
    const frame = encodeRequest(id, quoted(method.name), paramsJson);
    const oversized = oversizedFrame(frame);
    if (oversized !== undefined) return Promise.reject(this.unsent(msg, sent, `${method.name} to ${peer}`, oversized));
    const reply = link.expect(id, method, opts.timeoutMs);
    this.pass(peer, method.name, msg, sent, () => link.transmit(frame));
    return reply;
  }

  serve<P, R>(method: Method<P, R>, handler: Handler<P, R>): void {
    this.mustServe();
    this.dispatcher.addMethod(method, handler);
  }

  /** The node's lab is in its start() (true) or has started (false): a call of a method not registered yet says why (Dispatcher.starting). */
  labStarting(inStart: boolean): void {
    this.dispatcher.starting(inStart);
  }

  /** The methods and notices the lab serves so far (the control plane checks a link-fault filter against them). */
  served(): string[] {
    return this.dispatcher.served();
  }

  send<P>(peer: NodeId, notice: Notice<P>, params: P): void {
    if (!this.closed) this.notify(peer, notice.name, this.noticeJson(notice, params), this.labelOf(notice, params));
  }

  sendEach<P>(peers: readonly NodeId[], notice: Notice<P>, params: P): void {
    if (this.closed) return;
    const paramsJson = this.noticeJson(notice, params);
    const label = this.labelOf(notice, params);
    for (const peer of peers) this.notify(peer, notice.name, paramsJson, label);
  }

  /** The trace label of a notice's params (checked by noticeJson), if traced and declared. */
  private labelOf<P>(notice: Notice<P>, params: P): string | undefined {
    return this.traced && notice.label !== undefined ? notice.label(params) : undefined;
  }

  /** The params' JSON text to send; params that fail the notice's schema are a lab error (thrown). */
  private noticeJson<P>(notice: Notice<P>, params: P): string {
    const checked = notice.params.safeParse(params);
    if (!checked.success) throw this.invalidParams(notice.name, checked.error);
    return JSON.stringify(params);
  }

  /** One notice `name` carrying `paramsJson` (noticeJson()'s, labelled `label`) to `peer`. */
  private notify(peer: NodeId, name: string, paramsJson: string, label: string | undefined): void {
    const id = this.nextMessage++;
    const msg = this.traced ? message(id, this.me, peer, name, 'notice', summarizeText(paramsJson), label) : undefined;
    const sent = this.emitMessage('send', msg);
    const link = this.linkTo(peer);
    if (link === undefined) return void this.emitMessage('drop', msg, sent, 'not a node address');
    const frame = encodeNotice(id, quoted(name), paramsJson);
    const oversized = oversizedFrame(frame);
    if (oversized !== undefined) return void this.unsent(msg, sent, `${name} to ${peer}`, oversized);
    this.pass(peer, name, msg, sent, () => link.transmit(frame));
  }

  /**
   * A frame too large to send (`why`: oversizedFrame's reason), a request, notice or reply: traced as a
   * drop, never sent, since the receiver would close the connection on it; said on stderr (the node's
   * log) the first time for each method and peer (a protocol resends such a message on every timeout).
   * The error for a call.
   */
  private unsent(msg: MessageSummary | undefined, sent: number | undefined, what: string, why: string): Error {
    this.emitMessage('drop', msg, sent, why);
    const error = new Error(`${this.me}: ${what} not sent: ${why}`);
    if (!this.saidUnsent.has(what)) console.error(`rsmlab: ${error.message} (said once for ${what}; every one is traced as a drop)`);
    this.saidUnsent.add(what);
    return error;
  }

  on<P>(notice: Notice<P>, handler: (params: P, from: NodeId) => void): void {
    this.mustServe();
    this.dispatcher.addNotice(notice, handler);
  }

  // ---- time, randomness, trace -----------------------------------------------------------

  setTimer(ms: number, fn: () => void, name?: string): TimerHandle {
    if (!Number.isFinite(ms) || ms < 0) throw new Error(`setTimer: bad delay ${ms} ms`);
    const id = ++this.nextTimer;
    if (this.closed) return { id };
    const timer = setTimeout(() => {
      this.timers.delete(id);
      this.trace.emitLater({ t: Date.now(), node: this.me, kind: 'timer', detail: name === undefined ? { id, ms } : { id, ms, name } });
      fn();
    }, ms);
    this.timers.set(id, timer);
    return { id };
  }

  clearTimer(timer: TimerHandle): void {
    clearTimeout(this.timers.get(timer.id));
    this.timers.delete(timer.id);
  }

  sleep(ms: number, name?: string): Promise<void> {
    return new Promise((resolve) => this.setTimer(ms, resolve, name));
  }

  now(): number {
    return Date.now();
  }

  random(): number {
    return Math.random();
  }

  nonce(): string {
    return randomUUID();
  }

  log(what: string, fields: Record<string, Json> = {}): void {
    this.note('log', { ...fields, what });
  }

  // ---- faults: breakpoints and partitions -------------------------------------------------

  breakpoint(n: BreakpointNumber): void {
    if (this.armed.has(n)) this.die({ n }, { reason: 'breakpoint', n });
  }

  faultPoint(name: string): void {
    if (this.armedPoints.has(name)) this.die({ point: name }, { reason: 'faultPoint', name });
  }

  /** Die at a hit breakpoint or fault point: trace it, flush, exit(1) as the seed's breakpoints do. */
  private die(hit: Record<string, Json>, crash: Record<string, Json>): void {
    this.note('breakpoint', { ...hit, hit: true });
    this.note('crash', crash);
    this.trace.flush();
    this.exit(1);
  }

  partitionPoint(): void {
    if (!this.links.partitionArmed) return;
    this.links.partitionArmed = false;
    this.links.partitioned = true;
    this.note('partition', { at: 'partitionPoint' });
  }

  armBreakpoint(n: BreakpointNumber): void {
    this.armed.add(n);
    this.note('breakpoint', { n, hit: false });
  }

  get breakpoints(): BreakpointNumber[] {
    return [...this.armed].sort();
  }

  armFaultPoint(name: string): void {
    this.armedPoints.add(name);
    this.note('breakpoint', { point: name, hit: false });
  }

  get faultPoints(): string[] {
    return [...this.armedPoints].sort();
  }

  /** Cut this node off now, or at its next partitionPoint(): from everyone, or from the other nodes only (peersOnly: clients still reach it). */
  partition(now: boolean, peersOnly = false): void {
    // Cutting now consumes an armed cut, as the simulator does: the node is partitioned either way.
    if (now) this.links.partitioned = true;
    this.links.partitionArmed = !now;
    this.links.peersOnly = peersOnly;
    this.note('partition', { at: now ? 'now' : 'armed', ...(peersOnly && { peersOnly }) });
  }

  heal(): void {
    this.links.partitioned = false;
    this.links.partitionArmed = false;
    this.links.peersOnly = false;
    this.note('heal', {});
  }

  setFaults(change: Partial<NetFaults>): NetFaults {
    const faults = this.links.setFaults(change);
    this.note('faults', { ...faults });
    return faults;
  }

  /** Record a lifecycle event (start, crash, ...) in this node's trace. */
  note(kind: TraceKind, detail: Record<string, Json>): void {
    this.trace.emit({ t: Date.now(), node: this.me, kind, detail });
  }

  /**
   * Stop serving, close every link and timer, flush the trace. From then on the env is dead, like a
   * crashed node in the simulator: its calls never settle, its sends and timers do nothing, so code
   * still running on it (a client retrying after its cluster closed) can neither act nor trace.
   */
  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    for (const link of this.peers.values()) link.close();
    this.peers.clear();
    await this.server?.close();
    this.trace.flush();
  }

  // ---- internals -----------------------------------------------------------------------

  private mustServe(): void {
    if (this.server === undefined) throw new Error(`${this.me}: clients do not serve`);
  }

  /** A lab handler (or the VSR engine's step) threw or rejected: the node crashes (node-process.ts traces and logs it); a closed env is already dead. */
  labThrew(where: string, error: unknown): void {
    if (!this.closed) this.crash(new LabError(this.me, where, error));
  }

  private invalidParams(name: string, error: z.ZodError): Error {
    return new Error(`${this.me}: invalid params for ${name}: ${describeIssues(error)}`);
  }

  /** Whether a call of this node awaits its reply. */
  private awaitingReplies(): boolean {
    for (const link of this.peers.values()) if (link.waiting) return true;
    return false;
  }

  private linkTo(peer: NodeId): PeerLink | undefined {
    const existing = this.peers.get(peer);
    if (existing !== undefined) return existing;
    const address = parseAddress(peer);
    if (address === undefined) return undefined;
    const link = new PeerLink(peer, linkUrl(address, this.me), (frame, method, settle) => this.replied(peer, frame, method, settle), this.traced);
    this.peers.set(peer, link);
    return link;
  }

  /** Send one message of `method` to or from `other` through this node's link faults (at once, in the usual case of none), tracing a drop. */
  private pass(other: NodeId, method: string, msg: MessageSummary | undefined, sent: number | undefined, deliver: () => void): void {
    const dropped = this.links.pass(other, method, deliver);
    if (dropped !== undefined) this.emitMessage('drop', msg, sent, dropped);
  }

  /** A reply arrived on one of our links: through the faults, then it settles its call. */
  private replied(peer: NodeId, frame: ResponseFrame, method: string, settle: Settle): void {
    const msg = this.traced ? message(typeof frame.id === 'number' ? frame.id : -1, peer, this.me, method, 'res', replySummary(frame)) : undefined;
    this.pass(peer, method, msg, undefined, () => this.settleReply(frame, msg, settle));
  }

  private settleReply(frame: ResponseFrame, msg: MessageSummary | undefined, settle: Settle): void {
    this.emitMessage('deliver', msg);
    settle(frame);
  }

  /** A frame arrived on our server port. */
  private received(text: string, inbound: Inbound): void {
    if (this.links.cuts(inbound.from)) return; // the seed's rpcs drops everything while unreachable (a peers-only cut: every node's)
    const frame = decodeFrame(text, this.traced);
    if (frame.type === 'request') this.requested(frame, inbound);
    else if (frame.type === 'notice') this.noticed(frame, inbound);
    else if (frame.type === 'invalid') inbound.reply(encodeError(frame.id, frame.code, frame.message));
  }

  private requested(frame: Extract<Frame, { type: 'request' }>, inbound: Inbound): void {
    const id = typeof frame.id === 'number' ? frame.id : this.nextMessage++;
    const msg = this.traced ? message(id, inbound.from, this.me, frame.method, 'req', summaryOf(frame.payload, frame.params)) : undefined;
    this.pass(inbound.from, frame.method, msg, undefined, () => this.dispatch(frame, inbound, id, msg));
  }

  /** Deliver a request to its handler and send its reply back on the connection it came by (through the faults). */
  private dispatch(frame: Extract<Frame, { type: 'request' }>, inbound: Inbound, id: number, msg: MessageSummary | undefined): void {
    this.emitMessage('deliver', msg);
    this.serving++;
    this.dispatcher.request(frame.id, frame.method, frame.params, inbound.from, (reply) => {
      this.serving--;
      if (reply.refused !== undefined) this.refusedResult(id, frame.method, inbound.from, reply.refused);
      const res = this.traced ? message(id, this.me, inbound.from, frame.method, 'res', summarizeText(reply.summary)) : undefined;
      const sent = this.emitMessage('send', res);
      this.pass(inbound.from, frame.method, res, sent, () => inbound.reply(reply.text));
    });
  }

  /** A handler's result too large to send: refused as a request is (unsent), before the error that replaces it goes back. */
  private refusedResult(id: number, method: string, peer: NodeId, refused: RefusedResult): void {
    const msg = this.traced ? message(id, this.me, peer, method, 'res', summarizeText(refused.resultJson)) : undefined;
    this.unsent(msg, this.emitMessage('send', msg), `reply to ${method} for ${peer}`, refused.why);
  }

  private noticed(frame: Extract<Frame, { type: 'notice' }>, inbound: Inbound): void {
    const id = frame.mid ?? this.nextMessage++;
    const msg = this.traced ? message(id, inbound.from, this.me, frame.method, 'notice', summaryOf(frame.payload, frame.params)) : undefined;
    this.pass(inbound.from, frame.method, msg, undefined, () => this.deliverNotice(frame, inbound.from, msg));
  }

  private deliverNotice(frame: Extract<Frame, { type: 'notice' }>, from: NodeId, msg: MessageSummary | undefined): void {
    const delivery = this.dispatcher.notice(frame.method, frame.params, from);
    if (typeof delivery === 'string') return void this.emitMessage('drop', msg, undefined, delivery); // refused at the wire boundary
    this.emitMessage('deliver', msg);
    delivery();
  }

  /** Trace a message event; each shape is one object literal (no fields added later, so every event of a shape shares one hidden class). */
  private emitMessage(kind: 'send' | 'deliver' | 'drop', msg: MessageSummary | undefined, cause?: number, reason?: string): number | undefined {
    if (msg === undefined) return undefined; // not traced
    const t = Date.now();
    const node = this.me;
    if (cause === undefined) return this.trace.emitLater(reason === undefined ? { t, node, kind, msg } : { t, node, kind, msg, detail: { reason } });
    return this.trace.emitLater(reason === undefined ? { t, node, kind, msg, cause } : { t, node, kind, msg, cause, detail: { reason } });
  }
}
