// RealCluster with echo nodes as real processes: calls through a client env, SIGKILL and restart
// with the durable count kept, a breakpoint that exits(1), a violated invariant that crashes the
// node, SIGKILL for a node stuck in a loop, an armed partition, no orphans when the cluster's
// process dies (even while a node is still starting), and the merged trace.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RealCluster } from '../tester/real-cluster.js';
import { isRpcError, type Env, type Json } from '../src/env/types.js';
import { scaleTiming, classicTiming } from '../src/timing.js';
import { compareNodeIds } from '../src/env/node-id.js';
import { check, note, ping, spin } from '../labs/echo/lab.js';
import { controlCall } from '../src/control/client.js';
import * as control from '../src/control/protocol.js';
import { isRunning } from './fixtures/pid.js';
import { releasePorts, reservePortPairs } from '../src/env/real/ports.js';

const mainJs = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));


async function until(what: string, check: () => Promise<boolean>, attempts = 200): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`gave up waiting for ${what}`);
}

describe('RealCluster (echo nodes as processes)', function () {
  let cluster: RealCluster;
  let client: Env;

  before(async function () {
    cluster = new RealCluster({ lab: 'echo', nodes: 3, timing: scaleTiming(classicTiming, 0.1) });
    for (let i = 0; i < 3; i++) await cluster.start(i);
    client = cluster.clientEnv('tester');
  });

  after(async function () {
    await cluster?.close();
  });

  it('orders ids and answers calls from a client env', async function () {
    expect(compareNodeIds(cluster.id(0), cluster.id(1))).to.be.lessThan(0);
    expect(compareNodeIds(cluster.id(1), cluster.id(2))).to.be.lessThan(0);
    expect(cluster.indexOf(cluster.id(2))).to.equal(2);
    for (let i = 0; i < 3; i++) {
      expect(await client.call(cluster.id(i), ping, { text: `hi ${i}` }, { timeoutMs: 2000 })).to.deep.equal({ text: `hi ${i}`, count: 0 });
    }
    expect(await cluster.status(0)).to.deep.equal({ pings: 1, notes: 0, count: 0, synced: 0 });
  });

  it('keeps the durable count across SIGKILL and restart', async function () {
    for (let k = 0; k < 5; k++) client.send(cluster.id(1), note, { text: `n${k}` });
    await until('5 notes synced at node 1', async () => ((await cluster.status(1)) as { synced?: number } | null)?.synced === 5);
    await cluster.kill(1, 'SIGKILL');
    expect(cluster.alive(1)).to.equal(false);
    expect(cluster.exitStatus(1)).to.deep.equal({ code: null, signal: 'SIGKILL' });
    expect(await cluster.status(1)).to.equal(null);
    const refused = await client.call(cluster.id(1), ping, { text: 'x' }, { timeoutMs: 60_000 }).catch((e: unknown) => e);
    expect(isRpcError(refused, 'unreachable'), String(refused)).to.equal(true);
    await cluster.start(1);
    expect(await cluster.status(1)).to.deep.equal({ pings: 0, notes: 0, count: 5, synced: 5 });
    expect(await client.call(cluster.id(1), ping, { text: 'back' }, { timeoutMs: 2000 })).to.deep.equal({ text: 'back', count: 5 });
  });

  it('exits with code 1 at an armed breakpoint', async function () {
    await cluster.breakpoint(2, 1);
    const failed = await client.call(cluster.id(2), ping, { text: 'die' }, { timeoutMs: 60_000 }).catch((e: unknown) => e);
    expect(isRpcError(failed, 'unreachable'), String(failed)).to.equal(true);
    expect(await cluster.exited(2)).to.deep.equal({ code: 1, signal: null });
    expect(cluster.alive(2)).to.equal(false);
    await cluster.start(2);
    expect(await cluster.status(2)).to.deep.equal({ pings: 0, notes: 0, count: 0, synced: 0 });
  });

  it('crashes loudly (exit 70) when a handler violates an invariant, and exits 143 on SIGTERM', async function () {
    expect(await client.call(cluster.id(2), check, { ok: true }, { timeoutMs: 2000 })).to.deep.equal({ ok: true });
    const crashed = await client.call(cluster.id(2), check, { ok: false }, { timeoutMs: 60_000 }).catch((e: unknown) => e);
    expect(isRpcError(crashed, 'unreachable'), String(crashed)).to.equal(true);
    expect(await cluster.exited(2)).to.deep.equal({ code: 70, signal: null });
    expect(cluster.logTail(2)).to.contain('InvariantViolation: echo.check: asked to violate an invariant');
    await cluster.start(2);
    await cluster.kill(2);
    expect(cluster.exitStatus(2)).to.deep.equal({ code: 143, signal: null });
    await cluster.start(2);
  });

  it('kills a node stuck in a loop with SIGKILL when SIGTERM gets no answer, and its node.log says so', async function () {
    client.send(cluster.id(2), spin, {});
    const stuck = await client.call(cluster.id(2), ping, { text: 'anyone?' }, { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(isRpcError(stuck, 'timeout'), String(stuck)).to.equal(true);
    await cluster.kill(2); // SIGTERM: its handler never runs
    expect(cluster.exitStatus(2)).to.deep.equal({ code: null, signal: 'SIGKILL' });
    expect(cluster.logTail(2)).to.match(/did not stop within 5000 ms of SIGTERM .*: killed with SIGKILL/);
    await cluster.start(2);
    expect(await client.call(cluster.id(2), ping, { text: 'back' }, { timeoutMs: 2000 })).to.include({ text: 'back' });
  });

  it('cuts an armed partition at partitionPoint and heals it', async function () {
    await cluster.partition(0);
    const cut = await client.call(cluster.id(0), ping, { text: 'cut' }, { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(isRpcError(cut, 'timeout'), String(cut)).to.equal(true);
    expect(await cluster.status(0)).to.deep.equal({ pings: 2, notes: 0, count: 0, synced: 0 }); // the cut ping ran, its reply was dropped
    const still = await client.call(cluster.id(0), ping, { text: 'still cut' }, { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(isRpcError(still, 'timeout'), String(still)).to.equal(true);
    await cluster.heal(0);
    expect(await client.call(cluster.id(0), ping, { text: 'healed' }, { timeoutMs: 2000 })).to.deep.equal({ text: 'healed', count: 0 });
    expect(await cluster.status(0)).to.deep.equal({ pings: 3, notes: 0, count: 0, synced: 0 });
  });

  it('leaves no orphans: nodes exit when the process that runs the cluster dies', async function () {
    const script = `import { RealCluster } from ${JSON.stringify(new URL('../tester/real-cluster.js', import.meta.url).href)};
const cluster = new RealCluster({ lab: 'echo', nodes: 1, timing: ${JSON.stringify(cluster.timing)} });
await cluster.start(0);
process.stdout.write(JSON.stringify({ dir: cluster.dir, node: cluster.id(0) }) + '\\n');
setInterval(() => undefined, 1000);`;
    const owner = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [line] = (await once(owner.stdout!, 'data')) as [Buffer];
    const { dir, node } = JSON.parse(String(line)) as { dir: string; node: string };
    const { pid } = await controlCall(node, control.status, {});
    expect(isRunning(pid)).to.equal(true);
    try {
      owner.kill('SIGKILL');
      await until('the orphaned node to exit', async () => !isRunning(pid));
      expect(readFileSync(join(dir, 'p0', 'trace.jsonl'), 'utf8')).to.contain('"reason":"parent exited"');
    } finally {
      if (isRunning(pid)) process.kill(pid, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('leaves no orphan of a node whose parent dies while it is still starting: it exits once started', async function () {
    // The channel closes before the node listens for it (as when `rsmlab start` is killed a second
    // after it spawned its nodes): before, that close went unseen and the node ran on for good.
    const [port] = await reservePortPairs(1);
    const dir = mkdtempSync(join(tmpdir(), 'rsmlab-early-orphan-'));
    const node = spawn(process.execPath, [mainJs, 'node', '--lab', 'echo', '--port', String(port), '--first', `127.0.0.1:${port}`, '--dir', dir], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
    try {
      node.disconnect();
      await until('the node to exit', async () => node.exitCode !== null || node.signalCode !== null, 400);
    } finally {
      node.kill('SIGKILL');
      releasePorts([port!]);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('merges the nodes\' and clients\' traces by time', async function () {
    const events = (await cluster.traceJsonl())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { t: number; node: string; kind: string; detail?: Record<string, Json>; msg?: { type: string; method: string } });
    const times = events.map((e) => e.t);
    expect(times).to.deep.equal([...times].sort((a, b) => a - b));
    const starts = events.filter((e) => e.kind === 'start').map((e) => e.node);
    expect(starts).to.include.members([cluster.id(0), cluster.id(1), cluster.id(2)]);
    expect(starts.filter((n) => n === cluster.id(1))).to.have.length(2); // restarted: the trace was appended to
    expect(events.some((e) => e.node === cluster.id(2) && e.kind === 'breakpoint' && e.detail?.hit === true)).to.equal(true);
    const crashes = events.filter((e) => e.node === cluster.id(2) && e.kind === 'crash').map((e) => e.detail?.reason);
    expect(crashes).to.deep.equal(['breakpoint', 'error', 'signal']);
    expect(events.some((e) => e.node === 'client:tester' && e.kind === 'send' && e.msg?.method === 'echo.ping')).to.equal(true);
    expect(events.some((e) => e.node === cluster.id(0) && e.kind === 'partition' && e.detail?.at === 'partitionPoint')).to.equal(true);
  });
});
