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

export class RpcServer {
  private constructor(
    private readonly wss: WebSocketServer,
    readonly host: string,
    readonly port: number,
  ) {}

  /** Listen on host:port; resolves once bound (rejects on e.g. EADDRINUSE). */
  static listen(host: string, port: number, onFrame: FrameHandler): Promise<RpcServer> {
    return new Promise((resolve, reject) => {
      const wss = new WebSocketServer({ host, port, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false, clientTracking: true });
      wss.once('error', reject);
      wss.once('listening', () => {
        wss.off('error', reject);
        wss.on('error', (e) => console.error(`rsmlab: server ${host}:${port}: ${e.message}`));
        resolve(new RpcServer(wss, host, port));
      });
      wss.on('connection', (socket, request) => RpcServer.accept(socket, request, onFrame));
    });
  }

  private static accept(socket: WebSocket, request: IncomingMessage, onFrame: FrameHandler): void {
    const inbound = new InboundSocket(peerIdOf(request), urlParam(request.url ?? '/', 'token'), socket, request.socket as Socket);
    socket.on('error', ignore); // frames over MAX_FRAME_BYTES or malformed: ws closes this connection only (1009/1007)
    socket.on('message', (data) => onFrame(textOf(data), inbound));
  }

  /** Stop listening and cut every open connection (peers see them close). */
  close(): Promise<void> {
    for (const socket of this.wss.clients) socket.terminate();
    return new Promise((resolve) => this.wss.close(() => resolve()));
  }
}
