// Crashes in the simulator: memory and pending promises gone, a dead incarnation can never act,
// the disk keeps what was fsynced, a restart builds a new node on that disk, and a breakpoint kills
// at its exact point.
// handout: framework test (passes without the lab solutions)
import { expect } from 'chai';
import { isRpcError, type Env } from '../src/env/types.js';
import { NodeCrashed } from '../src/env/sim/crash.js';
import { ping, note, type EchoStatus } from '../labs/echo/lab.js';
import { SimCluster } from '../tester/sim-cluster.js';
import { faultSites } from '../src/lab.js';
import { events, get, probeCluster, probeLab, tell } from './fixtures/sim-probe.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

describe('sim crash', () => {
  it('drops memory and pending promises: nothing a dead node started ever resumes or acts', async () => {
    const resumed: string[] = [];
    let n0: Env | undefined;
    const cluster = await probeCluster((env) => {
      env.serve(get, () => new Promise<{ value: number }>(() => undefined));
      if (env.me !== 'p0') return;
      n0 = env;
      void env.call('p1', get, { key: 'k' }, { timeoutMs: 500 }).finally(() => resumed.push('call'));
      void env.sleep(100).then(() => resumed.push('sleep'));
      env.setTimer(100, () => resumed.push('timer'));
      void env.disk.write('f', 0, bytes('x')).then(() => resumed.push('disk'));
    });
    await cluster.kill(0);
    const traced = (await cluster.traceJsonl()).split('\n').length;
    await cluster.sleep(1000);
    expect(resumed).to.deep.equal([]); // the write was still in flight at the kill (IO takes time): it never completes
    n0!.send('p1', tell, { n: 1 });
    n0!.log('after death');
    n0!.setTimer(1, () => resumed.push('late timer'));
    void n0!.disk.write('g', 0, bytes('y')).then(() => resumed.push('late disk'));
    void n0!.call('p1', get, { key: 'k' }, { timeoutMs: 1 }).catch(() => resumed.push('late call'));
    await cluster.sleep(100);
    expect(resumed).to.deep.equal([]);
    expect(cluster.sim.disk('p0').list()).to.deep.equal([]); // 'f' was never fsynced
    const after = (await cluster.traceJsonl()).trim().split('\n').slice(traced - 1).map((l) => JSON.parse(l) as { node: string; kind: string });
    expect(after.filter((e) => e.node === 'p0')).to.deep.equal([]);
    expect(await cluster.status(0)).to.equal(null);
    expect(cluster.alive(0)).to.equal(false);
  });

  it('keeps only what was fsynced, and restarts a new incarnation on that disk', async () => {
    const cluster = new SimCluster({ lab: 'echo', seed: 3, nodes: 1 });
    await cluster.start(0);
    const client = cluster.clientEnv('c');
    for (const t of ['a', 'b', 'c']) client.send('p0', note, { text: t });
    await cluster.sleep(50);
    expect(await cluster.status(0)).to.deep.equal({ pings: 0, notes: 3, count: 3, synced: 3 } satisfies EchoStatus);
    await client.call('p0', ping, { text: 'p' }, { timeoutMs: 100 });
    await cluster.kill(0, 'SIGKILL');
    expect(cluster.alive(0)).to.equal(false);
    await cluster.start(0);
    expect(await cluster.status(0)).to.deep.equal({ pings: 0, notes: 0, count: 3, synced: 3 } satisfies EchoStatus);
    const lifecycle = (await events(cluster, 'start', 'crash')).map((e) => [e.kind, e.detail]);
    expect(lifecycle).to.deep.equal([
      ['start', { lab: 'echo', first: 'p0', restarted: false }],
      ['crash', { reason: 'signal', signal: 'SIGKILL' }],
      ['start', { lab: 'echo', first: 'p0', restarted: true }],
    ]);
  });

  it('loses unsynced writes at a crash by default, keeps them when the run says so', async () => {
    const write = async (env: Env): Promise<void> => {
      await env.disk.write('synced', 0, bytes('old'));
      await env.disk.fsync('synced');
      await env.disk.write('synced', 0, bytes('new'));
      await env.disk.append('fresh', bytes('never fsynced'));
    };
    const contents = async (unsyncedKept: number): Promise<string[]> => {
      let seen: string[] = [];
      const cluster = new SimCluster({
        lab: probeLab(async (env) => {
          if ((await env.disk.list()).length === 0) return write(env);
          seen = await Promise.all((await env.disk.list()).map(async (f) => `${f}=${text(await env.disk.read(f))}`));
        }),
        seed: 1,
        nodes: 1,
        disk: { unsyncedKept },
      });
      await cluster.start(0);
      await cluster.kill(0);
      await cluster.start(0);
      return seen;
    };
    expect(await contents(0)).to.deep.equal(['synced=old']);
    expect(await contents(1)).to.deep.equal(['fresh=never fsynced', 'synced=new']);
  });

  it('kills a node at an armed breakpoint: nothing after it takes effect', async () => {
    const after: string[] = [];
    const cluster = await probeCluster((env) => {
      env.serve(get, () => {
        try {
          env.breakpoint(2);
        } catch (e) {
          after.push(e instanceof NodeCrashed ? 'unwound' : 'other');
        }
        env.send('p1', tell, { n: 1 });
        after.push('ran on');
        return { value: 1 };
      });
    }, {}, faultSites({ breakpoints: [2] }));
    const client = cluster.clientEnv('c');
    expect(await client.call('p0', get, { key: 'k' }, { timeoutMs: 100 })).to.deep.equal({ value: 1 });
    await cluster.breakpoint(0, 2);
    const error = await client.call('p0', get, { key: 'k' }, { timeoutMs: 100 }).catch((e: unknown) => e);
    expect(isRpcError(error, 'unreachable')).to.equal(true);
    expect(after).to.deep.equal(['ran on', 'unwound', 'ran on']); // its code ran on, but could not act:
    const n0 = (await events(cluster, 'send', 'breakpoint', 'crash')).filter((e) => e.node === 'p0').map((e) => [e.kind, e.detail ?? (e.msg as { type: string }).type]);
    expect(n0).to.deep.equal([
      ['send', 'notice'],
      ['send', 'res'],
      ['breakpoint', { n: 2, hit: false }],
      ['breakpoint', { n: 2, hit: true }],
      ['crash', { reason: 'breakpoint', n: 2 }],
    ]);
    await cluster.start(0); // a new incarnation: the breakpoint was armed in the old one only
    expect(await client.call('p0', get, { key: 'k' }, { timeoutMs: 100 })).to.deep.equal({ value: 1 });
  });

  it('kills the echo lab at breakpoint 1 before it counts the ping', async () => {
    const cluster = new SimCluster({ lab: 'echo', seed: 8, nodes: 2 });
    await cluster.start(0);
    await cluster.start(1);
    await cluster.breakpoint(1, 1);
    const error = await cluster.clientEnv('c').call('p1', ping, { text: 'x' }, { timeoutMs: 1000 }).catch((e: unknown) => e);
    expect(isRpcError(error, 'unreachable')).to.equal(true);
    expect(cluster.alive(1)).to.equal(false);
    expect(cluster.alive(0)).to.equal(true);
    await cluster.start(1);
    expect(await cluster.status(1)).to.include({ pings: 0 });
  });
});
