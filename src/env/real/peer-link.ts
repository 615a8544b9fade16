// One persistent outgoing WebSocket connection to a peer, with request-id correlation: calls wait
// for their reply, a timeout, or the connection dying ('unreachable', at once). The next transmit
// after a close opens a new connection. It never decides faults or traces: its owner does.
// Timeouts share one timer per link, armed for the earliest deadline: a call costs no timer of its own.
// The timer never holds the process open: a waiting call's connection does (a closed one fails it).
import WebSocket from 'ws';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Coalescer } from './coalesce.js';
import { PendingCalls } from './pending-calls.js';
import { decodeFrame, MAX_FRAME_BYTES, type Frame } from '../../wire/frame.js';
import { answeredError, RpcError, type NodeId } from '../types.js';
import { describeIssues, type Method } from '../method.js';
import { checkParsed } from '../json-value.js';

export type ResponseFrame = Extract<Frame, { type: 'result' | 'error' }>;

/** Settles the call a reply answers (a repeat of a settled one does nothing). */
export type Settle = (frame: ResponseFrame) => void;

/** Sees every reply to a waiting call before it settles it; may drop it (never call settle), delay or repeat it. */
export type ResponseGate = (frame: ResponseFrame, method: string, settle: Settle) => void;

interface PendingCall {
  readonly method: Method<unknown, unknown>;
  readonly timeoutMs: number;
  /** performance.now() at which the call times out. */
  readonly deadline: number;
  readonly resolve: (result: unknown) => void;
  readonly reject: (e: RpcError) => void;
}

/** The longest delay setTimeout takes as it is (a longer one fires after 1 ms). */
const MAX_TIMER_MS = 2 ** 31 - 1;

const settleAtOnce: ResponseGate = (frame, _method, settle) => settle(frame);

export class PeerLink {
  private socket: WebSocket | undefined;
  private coalescer: Coalescer | undefined;
  private queued: string[] = [];
  private readonly pending = new PendingCalls<PendingCall>();
  /** The timeout sweep, armed for `timerAt` (a deadline); unref'd, so a call costs no ref/unref of it. */
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;

  constructor(
    readonly peer: NodeId,
    private readonly url: string,
    private readonly gate: ResponseGate = settleAtOnce,
    /** Whether replies keep their payload text (for the owner's trace); see decodeFrame. */
    private readonly payloads = true,
  ) {}

  /** Wait for the reply to request `id`: its result checked against the method's result schema, or an RpcError (remote, timeout, unreachable). */
  expect<R>(id: number, method: Method<unknown, R>, timeoutMs: number): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const deadline = performance.now() + timeoutMs;
      this.pending.add(id, { method, timeoutMs, deadline, resolve: resolve as (result: unknown) => void, reject });
      if (deadline < this.timerAt) this.arm(deadline);
    });
  }

  /** Whether any call on this link awaits its reply. */
  get waiting(): boolean {
    return this.pending.size > 0;
  }

  /** (Re)arm the sweep for `deadline` (a timer waits at most MAX_TIMER_MS; the sweep then re-arms). */
  private arm(deadline: number): void {
    clearTimeout(this.timer);
    this.timerAt = deadline;
    this.timer = setTimeout(this.sweep, Math.min(MAX_TIMER_MS, Math.max(1, Math.ceil(deadline - performance.now())))).unref();
  }

  /** Time out every call past its deadline, earliest first, and arm for the next deadline. */
  private readonly sweep = (): void => {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = performance.now();
    const expired: [number, PendingCall][] = [];
    let next = Infinity;
    for (const entry of this.pending.entries()) {
      if (entry[1].deadline <= now) expired.push(entry);
      else next = Math.min(next, entry[1].deadline);
    }
    if (next < Infinity) this.arm(next);
    expired.sort((a, b) => a[1].deadline - b[1].deadline);
    for (const [id, call] of expired) this.fail(id, 'timeout', `no reply within ${call.timeoutMs} ms`);
  };

  /** Send a frame, opening the connection first if there is none. */
  transmit(text: string): void {
    const socket = this.socket ?? this.open();
    if (socket.readyState === WebSocket.OPEN && this.coalescer !== undefined) {
      this.coalescer.send(text);
    } else {
      this.queued.push(text);
    }
  }

  /** Close the connection; calls still waiting fail as unreachable. */
  close(): void {
    this.socket?.terminate();
    this.closed('link closed');
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  private open(): WebSocket {
    const socket = new WebSocket(this.url, { perMessageDeflate: false, maxPayload: MAX_FRAME_BYTES });
    this.socket = socket;
    this.coalescer = undefined;
    socket.on('upgrade', (response) => {
      this.coalescer = new Coalescer(response.socket as Socket, true);
    });
    socket.on('open', () => this.flush());
    socket.on('message', (data) => this.received(String(data)));
    socket.on('error', (e) => {
      if (this.socket === socket) this.closed(e.message);
    });
    socket.on('close', (code) => {
      if (this.socket === socket) this.closed(`connection closed (${code})`);
    });
    return socket;
  }

  private flush(): void {
    const frames = this.queued;
    this.queued = [];
    for (const text of frames) this.transmit(text);
  }

  private received(text: string): void {
    const frame = decodeFrame(text, this.payloads);
    if (frame.type !== 'result' && frame.type !== 'error') return; // a confused peer; only replies travel this way
    const id = frame.id;
    const call = id === null ? undefined : this.pending.get(id);
    if (id === null || call === undefined) return; // a late reply to a call that timed out, or a duplicate
    this.gate(frame, call.method.name, this.settle);
  }

  /** (One function for every reply: no closure per call.) */
  private readonly settle = (frame: ResponseFrame): void => {
    const call = frame.id === null ? undefined : this.pending.take(frame.id);
    if (call === undefined) return; // settled already: a duplicated reply
    if (frame.type === 'error') return call.reject(answeredError(this.peer, call.method.name, frame.code, frame.message));
    const checked = checkParsed(call.method.result, frame.result);
    if (checked.success) call.resolve(checked.data);
    else call.reject(new RpcError('remote', this.peer, call.method.name, `reply does not match its schema: ${describeIssues(checked.error)}`));
  };

  private fail(id: number, kind: 'timeout' | 'unreachable', detail: string): void {
    const call = this.pending.take(id);
    call?.reject(new RpcError(kind, this.peer, call.method.name, detail));
  }

  private closed(reason: string): void {
    this.socket = undefined;
    this.queued = [];
    for (const [id] of this.pending.entries()) this.fail(id, 'unreachable', reason);
  }
}
