// Transport benchmark: rsmlab RPC calls/s from this process to an echo node process, one at a time
// and with 64 in flight, against the limit measured in the same run: raw `ws` echoing the same
// JSON text between the same two kinds of process. It reports; it never asserts on time.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { figure, median, type Figure } from './figure.js';
import { count } from './mode.js';
import { RealCluster } from '../tester/real-cluster.js';
import { RealEnv } from '../src/env/real/env.js';
import { releasePorts, reservePortPairs } from '../src/env/real/ports.js';
import { classicTiming } from '../src/timing.js';
import { ping } from '../labs/echo/lab.js';

/** Short rounds, alternating rsmlab and raw, so both see the same machine load; medians are reported. */
const ROUNDS = count(15, 1);
const SEQUENTIAL_CALLS = count(1000, 100);
const PIPELINED_CALLS = count(10000, 1000);
const WARM_UP_CALLS = count(2000, 200);
const IN_FLIGHT = 64;
const TEXT = 'the quick brown fox';

/**
 * How long a timed round first runs its operations untimed. Processes that sat idle for a few hundred
 * ms (while the other side of a comparison ran) come back slow, and take about 100-150 ms of load to
 * reach their pace again, on this host for raw `ws` and rsmlab alike: after a 300 ms pause, Lab 2's
 * sequential ops ran at 2.5k/s for their first 50, 3k/s until the 400th, then 4.3-5k/s; the raw
 * relay's at 4.4k, 5k, then 6.7k/s. With no pause both were flat from the first op (5k and 8k/s).
 * A round of a few hundred ops measured mostly that wake-up, and it weighs more on the slower path.
 */
export const LEAD_IN_MS = 250;

/** Run `op` one at a time for `ms` ms, untimed: the lead-in before a timed round (LEAD_IN_MS). */
export async function leadIn(op: () => Promise<unknown>, ms = LEAD_IN_MS): Promise<void> {
  const until = performance.now() + ms;
  while (performance.now() < until) await op();
}

/** Run `total` operations with `width` in flight; resolves with operations per second. */
export async function rate(total: number, width: number, op: () => Promise<unknown>): Promise<number> {
  let started = 0;
  const lane = async (): Promise<void> => {
    while (started < total) {
      started++;
      await op();
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: width }, lane));
  return total / ((performance.now() - t0) / 1000);
}

/**
 * A raw ws client's options. Its masking key is zero, as on rsmlab's peer links (src/env/real/coalesce.ts):
 * ws then skips masking, so the limit does not pay a per-byte cost the links no longer pay.
 */
const RAW_CLIENT: WebSocket.ClientOptions = { perMessageDeflate: false, generateMask: (mask) => void mask.fill(0) };
/** The same options, in the code of a raw process. */
const RAW_CLIENT_JS = '{ perMessageDeflate: false, generateMask: (mask) => mask.fill(0) }';

/** A raw ws peer: sends a text frame, resolves on the next frame back (the echo); no parsing, no ids. */
export class RawEcho {
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly socket: WebSocket) {
    socket.on('message', () => this.waiting.shift()!());
  }

  static async connect(port: number): Promise<RawEcho> {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/`, RAW_CLIENT);
    await once(socket, 'open');
    return new RawEcho(socket);
  }

  roundTrip(text: string): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.socket.send(text);
    });
  }

  close(): void {
    this.socket.terminate();
  }
}

/** A child process running `code` (an ES module) that resolves once the process prints that it is ready. */
async function rawProcess(code: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] });
  await once(child.stdout!, 'data');
  return child;
}

/** A child process running a bare ws server that sends every text frame straight back, or answers it with `reply`. */
export async function rawEchoServer(port: number, reply?: string): Promise<ChildProcess> {
  const answer = reply === undefined ? 'd' : JSON.stringify(reply);
  return rawProcess(`import { WebSocketServer } from 'ws';
const wss = new WebSocketServer({ host: '127.0.0.1', port: ${port}, perMessageDeflate: false });
wss.on('connection', (c) => c.on('message', (d) => c.send(${answer}, { binary: false })));
wss.on('listening', () => process.stdout.write('ready\\n'));`);
}

/**
 * A child process relaying like an RSM primary with bare ws: each frame from its client sends `forward`
 * to every backup (raw echo servers on `backupPorts`) at once; when all have answered, `reply` to the client.
 */
export async function rawRelayServer(port: number, backupPorts: readonly number[], forward: string, reply: string): Promise<ChildProcess> {
  return rawProcess(`import WebSocket, { WebSocketServer } from 'ws';
const connect = (p) => new Promise((resolve) => {
  const s = new WebSocket('ws://127.0.0.1:' + p + '/', ${RAW_CLIENT_JS});
  s.on('open', () => resolve(s));
});
const backups = await Promise.all(${JSON.stringify(backupPorts)}.map(connect));
let client;
let waiting = 0;
for (const b of backups) b.on('message', () => { if (--waiting === 0) client.send(${JSON.stringify(reply)}); });
const wss = new WebSocketServer({ host: '127.0.0.1', port: ${port}, perMessageDeflate: false });
wss.on('connection', (c) => c.on('message', () => {
  client = c;
  waiting = backups.length;
  for (const b of backups) b.send(${JSON.stringify(forward)});
}));
wss.on('listening', () => process.stdout.write('ready\\n'));`);
}

/** The exact frame text rsmlab sends for one ping, so the raw limit moves the same bytes. */
function pingFrame(id: number): string {
  return `{"jsonrpc":"2.0","id":${id},"method":"echo.ping","params":{"text":"${TEXT}"}}`;
}

export async function run(): Promise<Figure[]> {
  const cluster = new RealCluster({ lab: 'echo', nodes: 1, timing: classicTiming });
  const ports = await reservePortPairs(1);
  const raw = await rawEchoServer(ports[0]!);
  const client = RealEnv.client('bench');
  const echo = await RawEcho.connect(ports[0]!);
  try {
    await cluster.start(0);
    const node = cluster.id(0);
    const call = (): Promise<unknown> => client.call(node, ping, { text: TEXT }, { timeoutMs: 10_000 });
    let id = 2 ** 40;
    const bounce = (): Promise<void> => echo.roundTrip(pingFrame(id++));
    await rate(WARM_UP_CALLS, IN_FLIGHT, call); // warm up both paths (JIT, connections)
    await rate(WARM_UP_CALLS, IN_FLIGHT, bounce);
    const seq = { rsmlab: [] as number[], raw: [] as number[] };
    const pipe = { rsmlab: [] as number[], raw: [] as number[] };
    // Each timed round right after a lead-in on its own path: the other path's round left it idle (LEAD_IN_MS).
    const timed = async (width: number, op: () => Promise<unknown>, total: number): Promise<number> => {
      await leadIn(op);
      return rate(total, width, op);
    };
    for (let round = 0; round < ROUNDS; round++) {
      seq.rsmlab.push(await timed(1, call, SEQUENTIAL_CALLS));
      seq.raw.push(await timed(1, bounce, SEQUENTIAL_CALLS));
      pipe.rsmlab.push(await timed(IN_FLIGHT, call, PIPELINED_CALLS));
      pipe.raw.push(await timed(IN_FLIGHT, bounce, PIPELINED_CALLS));
    }
    return [
      figure('transport.calls_sequential', median(seq.rsmlab), 'calls/s', median(seq.raw)),
      figure(`transport.calls_${IN_FLIGHT}_in_flight`, median(pipe.rsmlab), 'calls/s', median(pipe.raw)),
    ];
  } finally {
    echo.close();
    await client.close();
    raw.kill('SIGKILL');
    releasePorts(ports);
    await cluster.close();
  }
}
