// Who may drive a cluster: the dashboard and the control plane bind loopback by default, any other
// address needs an explicit flag and a token, every control request is checked against the token,
// a request without it is refused and changes nothing, a bad one is refused whole with its reason
// (a good one reaches the control interface as the control plane takes it), and the page loads
// nothing from elsewhere.
// handout: framework test (passes without the lab solutions)
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import WebSocket from 'ws';
import type { NodeId } from '../src/env/types.js';
import type { FaultControl, FaultStatus } from '../src/control/fault-control.js';
import { changeNetFaults, noNetFaults } from '../src/env/net-faults.js';
import { LiveFeed, type LiveSource } from '../src/dashboard/live.js';
import { DashboardServer, TOKEN_HEADER } from '../src/dashboard/server.js';
import { asset } from '../src/dashboard/page.js';
import { controlCall } from '../src/control/client.js';
import * as control from '../src/control/protocol.js';
import { releasePorts, reservePortPairsSync } from '../src/env/real/ports.js';
import { isRpcError } from '../src/env/types.js';

const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

/** A FaultControl that only records what it was asked to do. */
function recordingControl(calls: string[]): FaultControl {
  const state = { partitioned: false, partitionArmed: false };
  const status = async (node: NodeId): Promise<FaultStatus> => ({ node, alive: true, lab: 'fake', pid: null, ...state, breakpoints: [], faultPoints: [], faults: { loss: 0, dup: 0, delayMs: 0 }, state: null });
  const refuse = (what: string) => async (): Promise<never> => {
    calls.push(what);
    throw new Error(`${what} not used here`);
  };
  return {
    world: 'sim',
    crash: refuse('crash'),
    restart: refuse('restart'),
    partition: async (node, now) => {
      calls.push(`partition ${node} ${now}`);
      state.partitioned = true;
      return { ...state };
    },
    heal: refuse('heal'),
    breakpoint: refuse('breakpoint'),
    faultPoint: refuse('faultPoint'),
    netFaults: async (node, change) => {
      calls.push(`netFaults ${node} ${JSON.stringify(change)}`);
      return changeNetFaults(noNetFaults, change);
    },
    diskFault: refuse('diskFault'),
    clearDiskFaults: refuse('clearDiskFaults'),
    diskFiles: refuse('diskFiles'),
    status,
  };
}

function source(calls: string[]): LiveSource {
  return { world: 'sim', title: 'fake', nodes: ['p0'], control: recordingControl(calls), events: () => [] };
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function http(url: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers ?? {} }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

const partitionP0 = JSON.stringify({ action: 'partition', node: 'p0', now: true });

describe('dashboard access', function () {
  this.timeout(30_000);
  let calls: string[];
  let server: DashboardServer;
  let base: string;

  beforeEach(async () => {
    calls = [];
    server = await DashboardServer.start({ mode: 'live', port: 0, feed: new LiveFeed(source(calls)), tickMs: 50 });
    base = server.url;
  });
  afterEach(() => server.close());

  it('binds 127.0.0.1 by default and gives its own page a random token', async () => {
    expect(base).to.match(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(server.token).to.match(/^[0-9a-f]{32}$/);
    const page = await http(base);
    expect(page.status).to.equal(200);
    expect(page.body).to.include(server.token);
  });

  it('refuses a control request without the token, or with a wrong one, and changes nothing', async () => {
    const none = await http(`${base}api/control`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: partitionP0 });
    expect(none.status).to.equal(401);
    const wrong = await http(`${base}api/control`, { method: 'POST', headers: { [TOKEN_HEADER]: 'x'.repeat(32) }, body: partitionP0 });
    expect(wrong.status).to.equal(401);
    const player = await http(`${base}api/player`, { method: 'POST', body: JSON.stringify({ action: 'play' }) });
    expect(player.status).to.equal(401);
    expect(calls).to.deep.equal([]);
    const right = await http(`${base}api/control`, { method: 'POST', headers: { [TOKEN_HEADER]: server.token }, body: partitionP0 });
    expect(right.status, right.body).to.equal(200);
    expect(JSON.parse(right.body)).to.deep.equal({ partitioned: true, partitionArmed: false });
    expect(calls).to.deep.equal(['partition p0 true']);
  });

  it('answers a bad request with 400 and a reason, and calls nothing', async () => {
    const notJson = await http(`${base}api/control`, { method: 'POST', headers: { [TOKEN_HEADER]: server.token }, body: '{nope' });
    expect(notJson.status).to.equal(400);
    const badNode = await http(`${base}api/control`, { method: 'POST', headers: { [TOKEN_HEADER]: server.token }, body: JSON.stringify({ action: 'heal', node: 'p9' }) });
    expect(badNode.status).to.equal(400);
    expect(JSON.parse(badNode.body).error).to.match(/no node p9/);
    const badAction = await http(`${base}api/control`, { method: 'POST', headers: { [TOKEN_HEADER]: server.token }, body: JSON.stringify({ action: 'explode', node: 'p0' }) });
    expect(badAction.status).to.equal(400);
    // one bad method name refuses the whole change: the delay is not set either
    const badMethod = await http(`${base}api/control`, { method: 'POST', headers: { [TOKEN_HEADER]: server.token }, body: JSON.stringify({ action: 'netFaults', node: 'p0', delayMs: 50, methods: ['rsm.invoke', 'two words'] }) });
    expect(badMethod.status).to.equal(400);
    expect(JSON.parse(badMethod.body).error).to.match(/methods\.1: a method name/);
    expect(calls).to.deep.equal([]);
  });

  it('passes link faults on to the node as the control plane takes them: methods named, or [] for every method again', async () => {
    const netFaults = async (change: object) => {
      const reply = await http(`${base}api/control`, { method: 'POST', headers: { [TOKEN_HEADER]: server.token }, body: JSON.stringify({ action: 'netFaults', node: 'p0', ...change }) });
      expect(reply.status, reply.body).to.equal(200);
      return JSON.parse(reply.body) as unknown;
    };
    expect(await netFaults({ loss: 0, dup: 0, delayMs: 50, methods: ['rsm.invoke'] })).to.deep.equal({ loss: 0, dup: 0, delayMs: 50, methods: ['rsm.invoke'] });
    expect(await netFaults({ delayMs: 50, methods: [] })).to.deep.equal({ loss: 0, dup: 0, delayMs: 50 });
    expect(calls).to.deep.equal(['netFaults p0 {"loss":0,"dup":0,"delayMs":50,"methods":["rsm.invoke"]}', 'netFaults p0 {"delayMs":50,"methods":[]}']);
  });

  it('refuses a foreign Host (DNS rebinding) and a foreign Origin even with the token', async () => {
    const port = new URL(base).port;
    const rebound = await http(`${base}api/control`, { method: 'POST', headers: { host: `evil.example:${port}`, [TOKEN_HEADER]: server.token }, body: partitionP0 });
    expect(rebound.status).to.equal(403);
    const crossSite = await http(`${base}api/control`, { method: 'POST', headers: { origin: 'http://evil.example', [TOKEN_HEADER]: server.token }, body: partitionP0 });
    expect(crossSite.status).to.equal(403);
    expect(calls).to.deep.equal([]);
  });

  it('opens the live WebSocket only with the token', async () => {
    const ws = (token: string) => new WebSocket(`${base.replace('http', 'ws')}live?token=${token}`);
    const refused = await new Promise<string>((resolve) => {
      const socket = ws('wrong');
      socket.on('unexpected-response', (_req, res) => resolve(String(res.statusCode)));
      socket.on('open', () => resolve('open'));
      socket.on('error', () => undefined);
    });
    expect(refused).to.equal('401');
    const update = await new Promise<{ type: string; nodes: unknown[] }>((resolve, reject) => {
      const socket = ws(server.token);
      socket.on('message', (data: Buffer) => {
        resolve(JSON.parse(data.toString()) as { type: string; nodes: unknown[] });
        socket.close();
      });
      socket.on('error', reject);
    });
    expect(update.type).to.equal('update');
    expect(update.nodes).to.have.length(1);
  });

  it('serves a page that loads nothing from elsewhere: a self-only CSP and no outside URL in page, script or style', async () => {
    const page = await http(base);
    const csp = String(page.headers['content-security-policy']);
    expect(csp).to.include("default-src 'none'");
    expect(csp).to.include("script-src 'self'");
    expect(csp).to.include("connect-src 'self'");
    for (const text of [page.body, asset('app.js'), asset('app.css')]) {
      expect(text).to.not.match(/https?:\/\//);
      expect(text).to.not.match(/(src|href)\s*=\s*["']\/\//);
      expect(text).to.not.match(/@import|@font-face|url\(/);
    }
  });

  it('binds another address only with a token, which the page then does not carry', async () => {
    let refused = '';
    await DashboardServer.start({ mode: 'live', host: '0.0.0.0', port: 0, feed: new LiveFeed(source(calls)) }).then(
      (s) => s.close(),
      (e: Error) => (refused = e.message),
    );
    expect(refused).to.match(/needs --token/);
    const token = 'a-token-of-32-characters-or-so-x';
    const open = await DashboardServer.start({ mode: 'live', host: '0.0.0.0', port: 0, token, feed: new LiveFeed(source(calls)) });
    try {
      expect(open.url).to.match(new RegExp(`#token=${token}$`));
      const local = open.url.replace('0.0.0.0', '127.0.0.1').replace(/#.*/, '');
      expect((await http(local)).body).to.not.include(token);
      expect((await http(`${local}api/control`, { method: 'POST', body: partitionP0 })).status).to.equal(401);
      expect(calls).to.deep.equal([]);
      expect((await http(`${local}api/control`, { method: 'POST', headers: { [TOKEN_HEADER]: token }, body: partitionP0 })).status).to.equal(200);
      expect(calls).to.deep.equal(['partition p0 true']);
    } finally {
      await open.close();
    }
  });

  it('the CLI refuses a non-loopback address without a token, at once, with exit 2', () => {
    for (const args of [['dashboard', '--members', '127.0.0.1:1', '--host', '0.0.0.0', '--port', '0'], ['start', '--host', '0.0.0.0', '--port', '0']]) {
      const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 20_000 });
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).to.equal(2);
      expect(r.stderr).to.match(/needs --token/);
    }
  });
});

describe('control plane access', function () {
  this.timeout(30_000);
  const token = 'control-plane-token-0123456789';
  let dir: string;
  let ports: number[];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rsmlab-access-'));
    ports = reservePortPairsSync(1);
  });
  afterEach(() => {
    releasePorts(ports);
    rmSync(dir, { recursive: true, force: true });
  });

  const nodeArgs = (port: number) => ['node', '--lab', 'echo', '--port', String(port), '--first', `127.0.0.1:${port}`, '--dir', dir, '--control-host', '0.0.0.0'];

  it('a node refuses a non-loopback control plane without --control-token, before it listens', () => {
    const r = spawnSync(process.execPath, [cli, ...nodeArgs(ports[0]!)], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status, r.stderr).to.equal(2);
    expect(r.stderr).to.match(/needs --control-token/);
  });

  it('with a token, a control call without it is refused and changes nothing; with it, it works', async () => {
    const port = ports[0]!;
    const node = `127.0.0.1:${port}`;
    const child = spawn(process.execPath, [cli, ...nodeArgs(port), '--control-token', token], { stdio: 'ignore' });
    try {
      for (let i = 0; ; i++) {
        const up = await controlCall(node, control.status, {}, 500, token).then(() => true, () => false);
        if (up) break;
        if (i > 200) throw new Error('the node never served its control plane');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const refused = await controlCall(node, control.netRepair, { heal: false, now: true }, 1000).then(
        () => 'done',
        (e: unknown) => (isRpcError(e, 'remote') ? e.message : String(e)),
      );
      expect(refused).to.match(/unauthorized/);
      const wrong = await controlCall(node, control.breakpoint, { n: 1 }, 1000, 'not-the-token-at-all').then(() => 'done', () => 'refused');
      expect(wrong).to.equal('refused');
      const status = await controlCall(node, control.status, {}, 1000, token);
      expect(status).to.deep.include({ partitioned: false, breakpoints: [] });
      const ctl = spawnSync(process.execPath, [cli, 'ctl', node, 'partition', '--now', '--token', token], { encoding: 'utf8', timeout: 20_000 });
      expect(ctl.status, ctl.stderr).to.equal(0);
      expect(JSON.parse(ctl.stdout)).to.deep.equal({ partitioned: true, partitionArmed: false });
      const noToken = spawnSync(process.execPath, [cli, 'ctl', node, 'heal'], { encoding: 'utf8', timeout: 20_000 });
      expect(noToken.status).to.equal(2);
      expect(noToken.stderr).to.match(/unauthorized/);
      expect((await controlCall(node, control.status, {}, 1000, token)).partitioned).to.equal(true);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
