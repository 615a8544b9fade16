// The simulated wire: every message crosses it as JSON would carry it (a copy that is exactly what
// JSON.parse of its text gives; the text itself is made only when something reads it), through the
// network model (delay, loss, duplication, partitions), and is validated at the receiver by the same
// Dispatcher as the real world's, so no object reference ever leaks between nodes. It owns message ids, pending calls
// and their timeouts, and traces every send, deliver and drop. It never decides what the network does
// (network.ts) or when things run (scheduler.ts).
import type { z } from 'zod';
import type { Method, Notice } from '../method.js';
import { describeIssues } from '../method.js';
import { answeredError, RpcError, type NodeId, type RpcErrorKind } from '../types.js';
import { checkParsed } from '../json-value.js';
import { notJson, type Dispatcher, type Reply } from '../../wire/dispatch.js';
import { encodeResult, type RpcId } from '../../wire/frame.js';
import { messageJson, summarizeText, type FormattedMessage } from '../../trace/event.js';
import type { TraceRecorder } from '../../trace/recorder.js';
import { SimEvent } from './event-queue.js';
import { runAs, type GuardedCode } from './guard.js';
import { jsonCopy } from './json-copy.js';
import { made, newPromise } from './promises.js';
import type { Network } from './network.js';
import type { Scheduler } from './scheduler.js';

/** One node incarnation (or client) as the wire sees it. */
export interface Endpoint {
  readonly me: NodeId;
  readonly dead: boolean;
  readonly dispatcher: Dispatcher;
  /** Whose code runs when this endpoint's handlers and continuations run (null: not lab code). */
  readonly code: GuardedCode | null;
}

/** Where messages go: the live endpoint for an address, and whether the address was ever a node. */
export interface Directory {
  endpoint(id: NodeId): Endpoint | undefined;
  known(id: NodeId): boolean;
}

/**
 * A message on the wire; it is also the event of its first copy's arrival. A request's or notice's
 * params and a success reply's result travel as plain JSON data (`value`, jsonCopy of what lab code
 * sent or returned), which the trace hashes in place of their text (a ValuedMessage: `value`,
 * `hashedAt`); their text is made only if something reads it: a trace line (at the send, before
 * any delivery) or a duplicate's delivery (made at transmit). An error reply carries its frame.
 */
class Message extends SimEvent implements FormattedMessage {
  sendSeq = 0;
  /** For the trace recorder (ValuedMessage): the seq of the event that hashed `value`; undefined for an error reply, hashed by its summary. */
  hashedAt: number | undefined;
  private summaryText: string | undefined;
  private labelText: string | undefined;
  private formatted: string | undefined;
  /** A success reply's result JSON, made when first read. */
  private resultJson: string | undefined;
  /** The receiver's params (a reply's result) for the first delivery (see takeParams), until it is taken. */
  private copy: unknown;
  constructor(
    private readonly wire: Transport,
    readonly id: number,
    readonly from: NodeId,
    readonly to: NodeId,
    readonly method: string,
    readonly type: 'req' | 'res' | 'notice',
    /** The params (req, notice) or the JSON-RPC reply frame (res) as JSON text: given for an error reply, else made from `value` when first read. */
    private text: string | undefined,
    /** The params, or a success reply's result, as plain JSON data; undefined for an error reply. */
    readonly value: unknown,
    /** An error reply's summary (the error). */
    private readonly summarized?: string,
    /** A notice's declared label of its params (Notice.label), if it has one. */
    private readonly labelOf?: (params: unknown) => string,
  ) {
    super();
    this.hashedAt = value === undefined ? undefined : -1;
    this.copy = value;
  }

  /** What a trace line shows of it: its params' JSON, a reply's result JSON or error, cut to a bounded length. */
  get summary(): string {
    return (this.summaryText ??= summarizeText(this.summarized ?? this.content()));
  }

  /** What a trace line shows it carries (Notice.label of its params), made with the line's summary, at the send. */
  get label(): string | undefined {
    return this.labelOf === undefined ? undefined : (this.labelText ??= this.labelOf(this.value));
  }

  /** The wire text, if the trace hash must absorb it: an error reply's that its summary cuts short (a value is hashed whole). */
  get full(): string | undefined {
    if (this.hashedAt !== undefined) return undefined;
    const text = this.wireText();
    return this.summary === this.summarized ? undefined : text;
  }

  /** The wire text (made now if it was not). */
  wireText(): string {
    return (this.text ??= this.type === 'res' ? encodeResult(this.id, this.content()) : this.content());
  }

  /** The JSON text of `value`: the params' wire text, or a success reply's result as its frame carries it. */
  content(): string {
    if (this.type !== 'res') return (this.text ??= JSON.stringify(this.value) ?? 'null');
    return (this.resultJson ??= JSON.stringify(this.value) ?? 'null');
  }

  /** Its part of a trace line, formatted once, and only if a line is made (the simulator traces a message up to three times). */
  get json(): string {
    return (this.formatted ??= messageJson(this));
  }

  fire(): boolean {
    return this.wire.deliver(this);
  }

  /**
   * The params (a reply's result) as the receiver gets them, JSON.parse of their text: the copy held
   * for the first delivery, else a parse of the text (a duplicate's).
   */
  takeParams(): unknown {
    const copy = this.copy;
    if (copy === undefined) return JSON.parse(this.content()) as unknown;
    this.copy = undefined;
    return copy;
  }
}

/** A success reply whose result is kept as plain JSON data (jsonCopy): its frame is written only if read. */
class CopiedReply implements Reply {
  constructor(
    private readonly id: RpcId,
    readonly value: unknown,
  ) {}

  get summary(): string {
    return JSON.stringify(this.value) ?? 'null';
  }

  get text(): string {
    return encodeResult(this.id, this.summary);
  }
}

/** The simulator's ReplyEncoder: a copy of the result as JSON carries it, or the error JSON gives (as the real world's reply). */
function copyReply(id: RpcId, result: unknown): Reply {
  let copy: unknown;
  try {
    copy = jsonCopy(result ?? null);
  } catch (e) {
    return notJson(id, e);
  }
  return new CopiedReply(id, copy ?? null); // (undefined: a function or symbol, which JSON writes as null)
}

/** The arrival of a duplicate copy of a message. */
class Duplicate extends SimEvent {
  constructor(
    private readonly wire: Transport,
    private readonly msg: Message,
  ) {
    super();
  }

  fire(): boolean {
    return this.wire.deliver(this.msg);
  }
}

/** A stack frame of the simulator's own code (this folder's modules): never where lab code went wrong. */
const SIM_FRAMES = new URL('.', import.meta.url).href;

/**
 * Where lab code called env.call, as an Error whose stack is that moment's. A failed call's RpcError
 * is made much later, by a timeout or a reply, with none of lab code's frames on the stack; atCallSite
 * gives it these. Taken only in the runs that show a failure to a person (a failing seed's report, a
 * replay: WorldOptions.callSites): a capture costs more than the call's two deliveries.
 */
function callSite(): Error {
  return new Error('call site');
}

/** `error` with the stack of `site` (callSite's) below its message, less the simulator's own frames: it reads as thrown where the call was made. */
function atCallSite(error: RpcError, site: Error): RpcError {
  const frames = (site.stack ?? '').split('\n').slice(1).filter((line) => !line.includes(SIM_FRAMES));
  error.stack = [`${error.name}: ${error.message}`, ...frames].join('\n');
  return error;
}

/** A call waiting for its reply; it is also the event of its own timeout. */
class PendingCall extends SimEvent {
  settled = false;
  /** Dropped once settled: a settled call waits in the queue until its timeout, holding nothing. */
  private resolve: ((value: unknown) => void) | undefined;
  private reject: ((error: RpcError) => void) | undefined;

  constructor(
    private readonly wire: Transport,
    readonly id: number,
    readonly caller: Endpoint,
    readonly peer: NodeId,
    readonly method: Method<unknown, unknown>,
    readonly timeoutMs: number,
    resolve: (value: unknown) => void,
    reject: (error: RpcError) => void,
    /** Where lab code made the call (callSite's), if this run takes call sites. */
    private site: Error | undefined,
  ) {
    super();
    this.resolve = resolve;
    this.reject = reject;
  }

  fire(): boolean {
    return this.wire.timeout(this);
  }

  /** Settle the caller's promise, in the caller's context. */
  succeed(value: unknown): void {
    const resolve = this.resolve!;
    this.release();
    runAs(this.caller.code);
    resolve(value);
  }

  fail(kind: RpcErrorKind, detail: string): void {
    this.failWith(new RpcError(kind, this.peer, this.method.name, detail));
  }

  /** Reject the caller's promise with `error` (its stack the call's, if taken), in the caller's context. */
  failWith(error: RpcError): void {
    const reject = this.reject!;
    const site = this.site;
    this.release();
    runAs(this.caller.code);
    reject(site === undefined ? error : atCallSite(error, site));
  }

  private release(): void {
    this.resolve = undefined;
    this.reject = undefined;
    this.site = undefined;
  }
}

/** Params are validated at the sender first, exactly as the real world's env does: the error if they fail. */
function invalidParams(sender: NodeId, name: string, schema: z.ZodType, params: unknown): Error | undefined {
  const checked = schema.safeParse(params);
  return checked.success ? undefined : new Error(`${sender}: invalid params for ${name}: ${describeIssues(checked.error)}`);
}

function checkTimeout(method: string, timeoutMs: number): void {
  if (!Number.isFinite(timeoutMs) || timeoutMs < 0) throw new Error(`call ${method}: bad timeoutMs ${timeoutMs}`);
}

interface ReplyFrame {
  result?: unknown;
  error?: { code: number; message: string };
}

export interface WireStats {
  sent: number;
  delivered: number;
  dropped: number;
}

export class Transport {
  private nextId = 1;
  private readonly calls = new Map<number, PendingCall>();
  readonly stats: WireStats = { sent: 0, delivered: 0, dropped: 0 };

  constructor(
    private readonly scheduler: Scheduler,
    private readonly net: Network,
    private readonly trace: TraceRecorder,
    private readonly directory: Directory,
    /** Take each call's call site (callSite()): WorldOptions.callSites. */
    private readonly callSites: boolean,
  ) {}

  call<P, R>(caller: Endpoint, peer: NodeId, method: Method<P, R>, params: P, timeoutMs: number): Promise<R> {
    checkTimeout(method.name, timeoutMs);
    return this.request(caller, peer, method, params, timeoutMs, invalidParams(caller.me, method.name, method.params, params));
  }

  /** A call to each peer in turn (the same messages, events and schedule), the params validated once. */
  callEach<P, R>(caller: Endpoint, peers: readonly NodeId[], method: Method<P, R>, params: P, timeoutMs: number): Promise<R>[] {
    checkTimeout(method.name, timeoutMs);
    const invalid = invalidParams(caller.me, method.name, method.params, params);
    return peers.map((peer) => this.request(caller, peer, method, params, timeoutMs, invalid));
  }

  /**
   * One request: its params copied as JSON carries them (jsonCopy: the receiver's copy, and what the
   * wire text is written from), or the reply rejected with `invalid`, their validation's error.
   */
  private request<P, R>(caller: Endpoint, peer: NodeId, method: Method<P, R>, params: P, timeoutMs: number, invalid: Error | undefined): Promise<R> {
    const reply = newPromise<R>();
    const { resolve, reject } = made;
    let copy: unknown;
    try {
      if (invalid !== undefined) throw invalid;
      copy = jsonCopy(params);
    } catch (e) {
      reject(e); // as a throw from the promise's executor
      return reply;
    }
    const id = this.nextId++;
    const site = this.callSites ? callSite() : undefined;
    const call = new PendingCall(this, id, caller, peer, method as Method<unknown, unknown>, timeoutMs, resolve, reject, site);
    this.calls.set(id, call);
    this.scheduler.schedule(call, Math.ceil(timeoutMs));
    this.transmit(this.paramsMessage(id, caller.me, peer, method.name, 'req', copy));
    return reply;
  }

  send<P>(sender: Endpoint, peer: NodeId, notice: Notice<P>, params: P): void {
    const invalid = invalidParams(sender.me, notice.name, notice.params, params);
    if (invalid !== undefined) throw invalid;
    const copy = jsonCopy(params);
    this.transmit(this.paramsMessage(this.nextId++, sender.me, peer, notice.name, 'notice', copy, notice.label as ((params: unknown) => string) | undefined));
  }

  /** A request or notice carrying `copy` (checkedCopy of its params; undefined, which JSON writes as null, is null), and a notice's label. */
  private paramsMessage(id: number, from: NodeId, to: NodeId, method: string, type: 'req' | 'notice', copy: unknown, labelOf?: (params: unknown) => string): Message {
    return new Message(this, id, from, to, method, type, undefined, copy ?? null, undefined, labelOf);
  }

  private transmit(msg: Message): void {
    msg.sendSeq = this.trace.emitMessage(this.scheduler.now, msg.from, 'send', msg);
    const full = msg.full;
    if (full !== undefined) this.trace.absorb(full); // its deliver and drop lines name the same text by id
    this.stats.sent++;
    const fate = this.net.fate(msg.from, msg.to, msg.method, msg.type === 'res');
    if (fate.copies === 0) return this.drop(msg, 'loss');
    this.scheduler.schedule(msg, fate.first);
    if (fate.copies === 2) {
      msg.content(); // the second copy's delivery parses it: made before the first hands out the value
      this.scheduler.schedule(new Duplicate(this, msg), fate.second);
    }
  }

  private drop(msg: Message, reason: string): void {
    this.trace.emitMessage(this.scheduler.now, msg.to, 'drop', msg, msg.sendSeq, { reason });
    this.stats.dropped++;
  }

  private delivered(msg: Message): void {
    this.trace.emitMessage(this.scheduler.now, msg.to, 'deliver', msg, msg.sendSeq);
    this.stats.delivered++;
  }

  /** A copy of `msg` arrives. Returns whether code ran (see SimEvent.fire). */
  deliver(msg: Message): boolean {
    if (this.net.cut(msg.from, msg.to)) {
      this.drop(msg, 'partition');
      return false;
    }
    return msg.type === 'res' ? this.deliverReply(msg) : this.deliverToHandler(msg);
  }

  private deliverToHandler(msg: Message): boolean {
    const target = this.directory.endpoint(msg.to);
    if (target === undefined) {
      this.drop(msg, this.directory.known(msg.to) ? 'dead' : 'unknown');
      return msg.type === 'req' && this.refuse(msg);
    }
    const params = msg.takeParams();
    if (msg.type === 'req') {
      this.delivered(msg);
      runAs(target.code);
      target.dispatcher.request(msg.id, msg.method, params, msg.from, (reply) => this.reply(target, msg, reply), copyReply);
      return true;
    }
    const delivery = target.dispatcher.notice(msg.method, params, msg.from);
    if (typeof delivery === 'string') {
      this.drop(msg, delivery); // refused at the wire boundary: no handler, or params that fail the schema
      return false;
    }
    this.delivered(msg);
    runAs(target.code);
    delivery();
    return true;
  }

  /** The receiver is dead or unknown: the caller's connection is refused. */
  private refuse(msg: Message): boolean {
    const call = this.take(msg.id);
    if (call === undefined) return false;
    call.fail('unreachable', 'connection refused');
    return true;
  }

  private reply(callee: Endpoint, req: Message, reply: Reply): void {
    if (callee.dead) return; // died while handling: no reply ever leaves
    const valued = reply instanceof CopiedReply;
    this.transmit(new Message(this, req.id, callee.me, req.from, req.method, 'res', valued ? undefined : reply.text, valued ? reply.value : undefined, valued ? undefined : reply.summary));
  }

  private deliverReply(msg: Message): boolean {
    const call = this.calls.get(msg.id);
    if (call === undefined || call.caller.dead) {
      this.drop(msg, call === undefined ? 'late' : 'dead');
      if (call !== undefined) this.settle(call);
      return false;
    }
    this.delivered(msg);
    this.settle(call);
    runAs(call.caller.code);
    let result: unknown;
    if (msg.value !== undefined) {
      result = msg.takeParams(); // a success: the copy of the callee's result, or (a duplicate) a parse of its JSON, not of the frame around it
    } else {
      const frame = JSON.parse(msg.wireText()) as ReplyFrame;
      if (frame.error !== undefined) {
        call.failWith(answeredError(call.peer, call.method.name, frame.error.code, frame.error.message));
        return true;
      }
      result = frame.result;
    }
    const checked = checkParsed(call.method.result, result); // a copy or a parse: as the real world's PeerLink checks a reply
    if (checked.success) call.succeed(checked.data);
    else call.fail('remote', `invalid result: ${describeIssues(checked.error)}`);
    return true;
  }

  /** The pending call `id`, now settled, if its caller still waits for it. */
  private take(id: number): PendingCall | undefined {
    const call = this.calls.get(id);
    if (call === undefined) return undefined;
    this.settle(call);
    return call.caller.dead ? undefined : call;
  }

  /** `call` has its answer (or its end): it leaves the pending calls, and its timeout the queue. */
  private settle(call: PendingCall): void {
    this.calls.delete(call.id);
    call.settled = true;
    this.scheduler.cancel(call); // its timeout can no longer do anything
  }

  /**
   * Node `peer` died: every call waiting on it sees its connection close ('unreachable') one message
   * delay later, as in the real world, unless the link is cut by then (then the call times out).
   */
  peerDied(peer: NodeId): void {
    for (const call of this.calls.values()) {
      if (call.peer !== peer || call.caller.dead) continue;
      this.scheduler.task(this.net.delay(peer, call.caller.me), () => this.connectionClosed(call));
    }
  }

  private connectionClosed(call: PendingCall): void {
    if (call.settled || this.net.cut(call.peer, call.caller.me) || this.take(call.id) === undefined) return;
    call.fail('unreachable', 'connection closed');
  }

  timeout(call: PendingCall): boolean {
    if (call.settled || this.take(call.id) === undefined) return false;
    this.trace.emit({
      t: this.scheduler.now,
      node: call.caller.me,
      kind: 'timer',
      detail: { timeout: call.method.name, id: call.id, peer: call.peer },
    });
    call.fail('timeout', `no reply within ${call.timeoutMs} ms`);
    return true;
  }
}
