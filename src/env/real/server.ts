// The listening side of a port: a WebSocket server that names each incoming connection (a node
// from `?from=HOST:PORT`, anything else `client:<name>`) and hands every text frame to its owner.
// It never parses frames and never lets a bad peer (huge frame, garbage, vanishing) crash the process.
import { WebSocketServer, type WebSocket, type RawData } from 'ws';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { NodeId } from '../types.js';
import { isClientId, parseAddress } from './address.js';
import { Coalescer } from './coalesce.js';
import { MAX_FRAME_BYTES } from '../../wire/frame.js';

/** One incoming connection, as its owner sees it. */
export interface Inbound {
  /** Who is on the other end: a node id "HOST:PORT", or "client:<name>". */
  readonly from: NodeId;
  /** Send a frame back on this connection (dropped if it has closed). */
  reply(text: string): void;
  /** The connection URL's `?token=`, if any (the control plane's access check). */
  readonly token: string | null;
}

export type FrameHandler = (text: string, inbound: Inbound) => void;

let anonymous = 0;

function ignore(): void {}

/** The peer's id from the connection URL: `?from=HOST:PORT` or `?from=client:NAME`; otherwise an anonymous client. */
export function peerIdOf(request: IncomingMessage): NodeId {
  const from = fromParam(request.url ?? '/');
  return parseAddress(from) !== undefined || isClientId(from) ? from : `client:anonymous-${++anonymous}`;
}

function urlParam(url: string, name: string): string | null {
  try {
    return new URL(url, 'ws://x').searchParams.get(name);
  } catch {
    return null; // a garbled URL: an anonymous client without a token
  }
}

function fromParam(url: string): string {
  return urlParam(url, 'from') ?? '';
}

function textOf(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data).toString('utf8');
}

class InboundSocket implements Inbound {
  private readonly coalescer: Coalescer;

  constructor(
    readonly from: NodeId,
    readonly token: string | null,
    private readonly socket: WebSocket,
    tcp: Socket,
  ) {
    this.coalescer = new Coalescer(tcp, false);
  }

  reply(text: string): void {
    if (this.socket.readyState !== this.socket.OPEN) return;
    this.coalescer.send(text);
  }
}

/**
 * The most a server holds, over all its connections, in frames not yet whole: a peer may send a
 * frame's bound (MAX_FRAME_BYTES) short of its end and stop, so a dozen connections would otherwise
 * hold most of a gigabyte. Four whole frames: a Lab 3 view change may bring a long log from every
 * replica at once.
 */
export const UNFINISHED_BYTES_MAX = 4 * MAX_FRAME_BYTES;

/** The bytes of a client-to-server frame (masked, unfragmented) whose payload is `payload` bytes. */
function frameBytes(payload: number): number {
  return 2 + (payload > 0xffff ? 8 : payload > 125 ? 2 : 0) + 4 + payload;
}

function payloadBytes(data: RawData): number {
  return Array.isArray(data) ? data.reduce((sum, b) => sum + b.length, 0) : data.byteLength;
}

/**
 * The bytes each connection has received that are not yet part of a whole message (or ping, or
 * pong), and their sum. Past the bound, the connections holding the most are cut until it holds.
 */
class UnfinishedBytes {
  private total = 0;
  private readonly held = new Map<WebSocket, number>();

  constructor(
    private readonly max: number,
    private readonly where: string,
  ) {}

  received(socket: WebSocket, bytes: number): void {
    this.held.set(socket, (this.held.get(socket) ?? 0) + bytes);
    this.total += bytes;
    while (this.total > this.max) this.cut(this.largest());
  }

  /** `bytes` of the connection's became a whole message (at most what it holds: a fragmented frame has more headers). */
  finished(socket: WebSocket, bytes: number): void {
    const held = this.held.get(socket);
    if (held === undefined) return;
    const done = Math.min(held, bytes);
    this.held.set(socket, held - done);
    this.total -= done;
  }

  closed(socket: WebSocket): void {
    this.total -= this.held.get(socket) ?? 0;
    this.held.delete(socket);
  }

  private largest(): WebSocket {
    let most: [WebSocket, number] | undefined;
    for (const entry of this.held) if (most === undefined || entry[1] > most[1]) most = entry;
    return most![0];
  }

  private cut(socket: WebSocket): void {
    console.error(`rsmlab: server ${this.where}: cut a connection holding ${this.held.get(socket)} bytes of unfinished frames (the server holds at most ${this.max} in all)`);
    this.closed(socket);
    socket.terminate();
  }
}

export class RpcServer {
  private constructor(
    private readonly wss: WebSocketServer,
    readonly host: string,
    readonly port: number,
  ) {}

  /** Listen on host:port; resolves once bound (rejects on e.g. EADDRINUSE). `unfinishedMax`: tests set a small bound. */
  static listen(host: string, port: number, onFrame: FrameHandler, unfinishedMax = UNFINISHED_BYTES_MAX): Promise<RpcServer> {
    return new Promise((resolve, reject) => {
      const wss = new WebSocketServer({ host, port, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false, clientTracking: true });
      const unfinished = new UnfinishedBytes(unfinishedMax, `${host}:${port}`);
      wss.once('error', reject);
      wss.once('listening', () => {
        wss.off('error', reject);
        wss.on('error', (e) => console.error(`rsmlab: server ${host}:${port}: ${e.message}`));
        resolve(new RpcServer(wss, host, port));
      });
      wss.on('connection', (socket, request) => RpcServer.accept(socket, request, onFrame, unfinished));
    });
  }

  private static accept(socket: WebSocket, request: IncomingMessage, onFrame: FrameHandler, unfinished: UnfinishedBytes): void {
    const tcp = request.socket as Socket;
    const inbound = new InboundSocket(peerIdOf(request), urlParam(request.url ?? '/', 'token'), socket, tcp);
    // Counted before ws parses the chunk (its own listener came first), so a message it completes is counted first.
    tcp.prependListener('data', (chunk: Buffer) => unfinished.received(socket, chunk.length));
    const finished = (data: RawData): void => unfinished.finished(socket, frameBytes(payloadBytes(data)));
    socket.on('error', ignore); // frames over MAX_FRAME_BYTES or malformed: ws closes this connection only (1009/1007)
    socket.on('ping', finished);
    socket.on('pong', finished);
    socket.on('close', () => unfinished.closed(socket));
    socket.on('message', (data) => {
      finished(data);
      onFrame(textOf(data), inbound);
    });
  }

  /** Stop listening and cut every open connection (peers see them close). */
  close(): Promise<void> {
    for (const socket of this.wss.clients) socket.terminate();
    return new Promise((resolve) => this.wss.close(() => resolve()));
  }
}
