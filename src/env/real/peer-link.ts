// One persistent outgoing WebSocket connection to a peer, with request-id correlation: calls wait
// for their reply, a timeout, or the connection dying ('unreachable', at once). The next transmit
// after a close opens a new connection. It never decides faults or traces: its owner does.
import WebSocket from 'ws';
import type { Socket } from 'node:net';
import { Coalescer } from './coalesce.js';
import { decodeFrame, type Frame } from '../../wire/frame.js';
import { RpcError, type NodeId } from '../types.js';
import { describeIssues, type Method } from '../method.js';
import { MAX_FRAME_BYTES } from './server.js';

export type ResponseFrame = Extract<Frame, { type: 'result' | 'error' }>;

/** Sees every reply to a waiting call before it settles it; may drop it (never call settle), delay or repeat it. */
export type ResponseGate = (frame: ResponseFrame, method: string, settle: () => void) => void;

interface PendingCall {
  readonly method: Method<unknown, unknown>;
  readonly timeoutMs: number;
  readonly resolve: (result: unknown) => void;
  readonly reject: (e: RpcError) => void;
  timer: NodeJS.Timeout | undefined;
}

const settleAtOnce: ResponseGate = (_frame, _method, settle) => settle();

export class PeerLink {
  private socket: WebSocket | undefined;
  private coalescer: Coalescer | undefined;
  private queued: string[] = [];
  private readonly pending = new Map<number | string, PendingCall>();

  constructor(
    readonly peer: NodeId,
    private readonly url: string,
    private readonly gate: ResponseGate = settleAtOnce,
  ) {}

  /** Wait for the reply to request `id`: its result checked against the method's result schema, or an RpcError (remote, timeout, unreachable). */
  expect<R>(id: number, method: Method<unknown, R>, timeoutMs: number): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const call: PendingCall = { method, timeoutMs, resolve: resolve as (result: unknown) => void, reject, timer: undefined };
      call.timer = setTimeout(this.expire, timeoutMs, id);
      this.pending.set(id, call);
    });
  }

  private readonly expire = (id: number): void => {
    const call = this.pending.get(id);
    if (call !== undefined) this.fail(id, 'timeout', `no reply within ${call.timeoutMs} ms`);
  };

  /** Send a frame, opening the connection first if there is none. */
  transmit(text: string): void {
    const socket = this.socket ?? this.open();
    if (socket.readyState === WebSocket.OPEN && this.coalescer !== undefined) {
      this.coalescer.hold();
      socket.send(text);
    } else {
      this.queued.push(text);
    }
  }

  /** Close the connection; calls still waiting fail as unreachable. */
  close(): void {
    this.socket?.terminate();
    this.closed('link closed');
  }

  private open(): WebSocket {
    const socket = new WebSocket(this.url, { perMessageDeflate: false, maxPayload: MAX_FRAME_BYTES });
    this.socket = socket;
    this.coalescer = undefined;
    socket.on('upgrade', (response) => {
      this.coalescer = new Coalescer(response.socket as Socket);
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
    const frame = decodeFrame(text);
    if (frame.type !== 'result' && frame.type !== 'error') return; // a confused peer; only replies travel this way
    const id = frame.id;
    const call = id === null ? undefined : this.pending.get(id);
    if (id === null || call === undefined) return; // a late reply to a call that timed out, or a duplicate
    this.gate(frame, call.method.name, () => this.settle(id, frame));
  }

  private settle(id: number | string, frame: ResponseFrame): void {
    const call = this.pending.get(id);
    if (call === undefined) return; // settled already: a duplicated reply
    this.pending.delete(id);
    clearTimeout(call.timer);
    if (frame.type === 'error') return call.reject(new RpcError('remote', this.peer, call.method.name, `${frame.code}: ${frame.message}`));
    const checked = call.method.result.safeParse(frame.result);
    if (checked.success) call.resolve(checked.data);
    else call.reject(new RpcError('remote', this.peer, call.method.name, `reply does not match its schema: ${describeIssues(checked.error)}`));
  }

  private fail(id: number | string, kind: 'timeout' | 'unreachable', detail: string): void {
    const call = this.pending.get(id);
    if (call === undefined) return;
    this.pending.delete(id);
    clearTimeout(call.timer);
    call.reject(new RpcError(kind, this.peer, call.method.name, detail));
  }

  private closed(reason: string): void {
    this.socket = undefined;
    this.queued = [];
    for (const id of [...this.pending.keys()]) this.fail(id, 'unreachable', reason);
  }
}
