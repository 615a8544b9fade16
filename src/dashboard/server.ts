// The dashboard's HTTP and WebSocket server: it serves the page and its script and style, the
// viewer's data, a live feed pushed over a WebSocket, and control requests, which must carry the
// token (every one, on every address). It binds loopback unless given another address and a
// token, refuses foreign Host and Origin headers, and never serves anything from elsewhere.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Json } from '../env/types.js';
import type { ViewData } from './artifact.js';
import { BadRequest, type LiveFeed, type LiveUpdate } from './live.js';
import { asset, servedPage, type PageMode } from './page.js';
import { accessFor, isLoopback, tokenMatches, type Access } from '../control/access.js';
import { portTaken } from '../env/real/ports.js';

export interface DashboardOptions {
  mode: PageMode;
  host?: string;
  /** 0: any free port. */
  port: number;
  /** Required for a non-loopback host; on loopback a random one is made and given to the page. */
  token?: string;
  /** Live and sim modes: the feed to tick and the control requests' target. */
  feed?: LiveFeed;
  /** Extra requests of the sim mode's player (play, pause, step, speed). */
  player?: (body: unknown) => Promise<Json>;
  /** View mode: what the viewer shows. */
  view?: ViewData;
  tickMs?: number;
}

const MAX_BODY = 64 * 1024;
/** Nothing but this server: no outside script, style, font or connection. */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
export const TOKEN_HEADER = 'x-rsmlab-token';

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'content-security-policy': CSP, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new BadRequest('request body too large'));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export class DashboardServer {
  private readonly access: Access;
  private readonly http: Server;
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  private ticker: NodeJS.Timeout | undefined;
  private latest: LiveUpdate | undefined;
  private ticking = false;
  private port = 0;

  private constructor(private readonly options: DashboardOptions) {
    this.access = accessFor(options.host ?? '127.0.0.1', options.token);
    this.http = createServer((req, res) => void this.handle(req, res));
    this.http.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => this.upgrade(req, socket, head));
  }

  /** Listen (resolves once bound) and start ticking the live feed. */
  static async start(options: DashboardOptions): Promise<DashboardServer> {
    const server = new DashboardServer(options);
    await new Promise<void>((resolve, reject) => {
      server.http.once('error', (e) => reject(portTaken(e, `port ${options.port}`, 'another rsmlab view, dashboard or npm start? --port 0 takes any free port')));
      server.http.listen(options.port, server.access.host, () => resolve());
    });
    server.port = (server.http.address() as AddressInfo).port;
    if (options.feed) server.ticker = setInterval(() => void server.tick(), options.tickMs ?? 300);
    return server;
  }

  get url(): string {
    const host = this.access.host.includes(':') ? `[${this.access.host}]` : this.access.host;
    const base = `http://${host}:${this.port}/`;
    return this.access.tokenInPage ? base : `${base}#token=${this.access.token}`;
  }

  get token(): string {
    return this.access.token;
  }

  /** The last live update (for tests and tools). */
  get lastUpdate(): LiveUpdate | undefined {
    return this.latest;
  }

  private async tick(): Promise<void> {
    if (this.ticking || !this.options.feed) return;
    this.ticking = true;
    try {
      this.latest = await this.options.feed.tick();
      const text = JSON.stringify(this.latest);
      for (const ws of this.wss.clients) if (ws.readyState === ws.OPEN) ws.send(text);
    } catch (e) {
      process.stderr.write(`rsmlab dashboard: ${e instanceof Error ? e.message : String(e)}\n`);
    } finally {
      this.ticking = false;
    }
  }

  /** A loopback server answers only to its own names (no DNS rebinding); any server only to its own pages' origin. */
  private foreign(req: IncomingMessage): string | undefined {
    const host = req.headers.host ?? '';
    if (isLoopback(this.access.host)) {
      const ok = [`127.0.0.1:${this.port}`, `localhost:${this.port}`, `[::1]:${this.port}`, `${this.access.host}:${this.port}`];
      if (!ok.includes(host)) return `foreign Host header '${host}'`;
    }
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== 'null' && origin !== `http://${host}`) return `foreign Origin '${origin}'`;
    return undefined;
  }

  private authorized(req: IncomingMessage, given: string | null | undefined): boolean {
    return tokenMatches(this.access.token, given ?? (req.headers[TOKEN_HEADER] as string | undefined));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const foreign = this.foreign(req);
    if (foreign) return sendJson(res, 403, { error: foreign });
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    try {
      if (req.method === 'GET' && path === '/') return send(res, 200, 'text/html; charset=utf-8', servedPage({ mode: this.options.mode, token: this.access.tokenInPage ? this.access.token : null, data: null }));
      if (req.method === 'GET' && path === '/favicon.ico') return send(res, 204, 'image/x-icon', '');
      if (req.method === 'GET' && path === '/app.js') return send(res, 200, 'text/javascript; charset=utf-8', asset('app.js'));
      if (req.method === 'GET' && path === '/app.css') return send(res, 200, 'text/css; charset=utf-8', asset('app.css'));
      if (req.method === 'GET' && path === '/api/view' && this.options.view) return sendJson(res, 200, this.options.view);
      if (req.method === 'GET' && path === '/api/state') return sendJson(res, 200, this.latest ?? null);
      if (req.method === 'GET' && path === '/api/events') return sendJson(res, 200, this.options.feed?.history ?? []);
      if (req.method === 'POST' && (path === '/api/control' || path === '/api/player')) return await this.post(req, res, path);
      return sendJson(res, 404, { error: `no ${req.method} ${path}` });
    } catch (e) {
      return sendJson(res, e instanceof BadRequest ? 400 : 500, { error: e instanceof Error ? e.message : String(e) });
    }
  }

  private async post(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    // The token is checked before the body is even read: a request without it changes nothing.
    if (!this.authorized(req, undefined)) return sendJson(res, 401, { error: `missing or wrong ${TOKEN_HEADER}` });
    const text = await readBody(req);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new BadRequest('the body is not JSON');
    }
    if (path === '/api/player') {
      if (!this.options.player) throw new BadRequest('this dashboard has no simulation player');
      return sendJson(res, 200, await this.options.player(body));
    }
    if (!this.options.feed) throw new BadRequest('this page has no cluster to control');
    const result = await this.options.feed.act(body);
    void this.tick();
    return sendJson(res, 200, result);
  }

  private upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const refuse = (status: string): void => {
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
    };
    if (this.foreign(req) !== undefined) return refuse('403 Forbidden');
    if (url.pathname !== '/live' || !this.options.feed) return refuse('404 Not Found');
    if (!this.authorized(req, url.searchParams.get('token'))) return refuse('401 Unauthorized');
    this.wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      ws.on('error', () => undefined);
      if (this.latest) ws.send(JSON.stringify(this.latest));
    });
  }

  async close(): Promise<void> {
    if (this.ticker) clearInterval(this.ticker);
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }
}
