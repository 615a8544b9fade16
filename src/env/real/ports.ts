// Port pairs for real nodes (p for the protocol, p+1 for the control plane): even ports below the
// kernel's ephemeral range, checked free by binding, and reserved with a lock file per port in
// the temp dir so concurrent test runs never share one. It never starts nodes.
import { execFileSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Below Linux's default ephemeral range (32768+), so client sockets never take a node's port while it restarts. */
const LOW = 20000;
const HIGH = 32000;
const reservations = join(tmpdir(), 'rsmlab-ports');

function bindable(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

function alive(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid in a lock file, or 0 if it is gone or unreadable. */
function holderOf(file: string): number {
  try {
    return Number(readFileSync(file, 'utf8')) || 0;
  } catch {
    return 0;
  }
}

/** Take the lock file of `port` for `owner` (atomically: link() fails if it exists), reclaiming it from an owner that has died. */
function reserve(port: number, owner: number): boolean {
  const file = join(reservations, String(port));
  const mine = `${file}.${owner}.${randomInt(1 << 30)}`;
  writeFileSync(mine, String(owner));
  try {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        linkSync(mine, file);
        return true;
      } catch {
        if (alive(holderOf(file))) return false;
        rmSync(file, { force: true });
      }
    }
    return false;
  } finally {
    rmSync(mine, { force: true });
  }
}

/** Give back ports reserved by reservePortPairs. */
export function releasePorts(ports: readonly number[]): void {
  for (const port of ports) rmSync(join(reservations, String(port)), { force: true });
}

/** `count` free even ports p (with p+1 free too), ascending, reserved for process `owner` until released. */
export async function reservePortPairs(count: number, host = '127.0.0.1', owner = process.pid): Promise<number[]> {
  mkdirSync(reservations, { recursive: true });
  const ports: number[] = [];
  for (let tries = 0; ports.length < count; tries++) {
    if (tries > 1000) throw new Error(`no ${count} free port pairs in ${LOW}..${HIGH}`);
    const p = 2 * randomInt(LOW / 2, HIGH / 2);
    if (ports.includes(p) || !(await bindable(p, host)) || !(await bindable(p + 1, host))) continue;
    if (reserve(p, owner)) ports.push(p);
  }
  return ports.sort((a, b) => a - b);
}

/** reservePortPairs for a synchronous caller (a constructor): runs it in a short child process. */
export function reservePortPairsSync(count: number, host = '127.0.0.1'): number[] {
  const probe = fileURLToPath(new URL('./port-probe.js', import.meta.url));
  const out = execFileSync(process.execPath, [probe, String(count), host, String(process.pid)], { encoding: 'utf8' });
  return JSON.parse(out) as number[];
}

/**
 * A listen that failed because `address`'s port is taken (EADDRINUSE), said with what most often
 * holds it and what to do (`hint`); any other failure as it was. Node's own words name no remedy.
 */
export function portTaken(e: unknown, address: string, hint: string): unknown {
  const code = e instanceof Error ? (e as NodeJS.ErrnoException).code : undefined;
  return code === 'EADDRINUSE' ? new Error(`${address} is taken: another process listens there (${hint})`, { cause: e }) : e;
}

