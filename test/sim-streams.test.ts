// Per-purpose randomness: the scheduler's ties, the network, the disk and each node's own code draw
// from separate streams of the seed, so one extra env.random() in lab code moves no fault; env.nonce()
// is seeded in the simulator and cryptographically random in the real world.
// handout: framework test (passes without the lab solutions)
import { expect } from 'chai';
import type { Env, Json } from '../src/env/types.js';
import { RealEnv } from '../src/env/real/env.js';
import { Prng, Streams, streamSeed } from '../src/random.js';
import { events, probeCluster, tell } from './fixtures/sim-probe.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/**
 * Every node chats with the others every 3 ms over a lossy, duplicating network and appends to its
 * disk without fsync; p1 crashes and restarts mid-run. `extraDraw`: p0 draws one more env.random().
 */
async function chatty(seed: number, extraDraw: boolean): Promise<{ hash: string; faults: string[]; draws: Json }> {
  const draws: Record<string, number[]> = {};
  const build = (env: Env): void => {
    if (extraDraw && env.me === 'p0') env.random();
    const mine = (draws[env.me] ??= []);
    let round = 0;
    const tick = (): void => {
      mine.push(env.random());
      for (const peer of ['p0', 'p1', 'p2']) if (peer !== env.me) env.send(peer, tell, { n: round });
      void env.disk.append('log', new Uint8Array([round & 0xff]));
      if (++round < 40) env.setTimer(3, tick);
    };
    env.on(tell, () => undefined);
    tick();
  };
  const cluster = await probeCluster(build, { seed, net: { loss: 0.2, dup: 0.2, minDelayMs: 1, maxDelayMs: 8 }, disk: { unsyncedKept: 0.5, torn: 0.5 } });
  await cluster.sleep(50);
  await cluster.kill(1);
  await cluster.start(1);
  await cluster.sleep(200);
  const faults = (await events(cluster, 'drop', 'deliver', 'disk', 'crash')).map((e) => JSON.stringify(e));
  expect(Object.keys(draws).sort()).to.deep.equal(['p0', 'p1', 'p2']);
  expect(faults.filter((f) => f.includes('"deliver"')).length).to.be.greaterThan(100);
  const result = { hash: cluster.traceHash(), faults, draws: { p1: draws.p1!, p2: draws.p2! } };
  await cluster.close();
  return result;
}

describe('sim randomness streams', () => {
  it('derives a different stream seed for each purpose and each seed', () => {
    const seeds = new Set<number>();
    for (const seed of [0, 1, 2, 2 ** 32, 2 ** 53 - 1]) for (const p of ['ties', 'network', 'disk', 'faults', 'workload', 'lab:n0']) seeds.add(streamSeed(seed, p));
    expect(seeds.size).to.equal(30);
    for (const s of seeds) expect(Number.isSafeInteger(s) && s >= 0).to.equal(true);
    const a = new Streams(5);
    expect(a.lab('n0')).to.equal(a.lab('n0'));
    expect(a.lab('n0').float()).to.not.equal(a.lab('n1').float());
  });

  it('keeps the fault schedule of a run when lab code draws one more env.random()', async () => {
    for (const seed of [3, 4]) {
      const plain = await chatty(seed, false);
      const extra = await chatty(seed, true);
      expect(plain.faults.some((f) => f.includes('"drop"'))).to.equal(true);
      expect(plain.faults.some((f) => f.includes('"kept"'))).to.equal(true);
      expect(extra.faults).to.deep.equal(plain.faults);
      expect(extra.hash).to.equal(plain.hash);
      expect(extra.draws).to.deep.equal(plain.draws); // the other nodes' own draws stay too
    }
    expect((await chatty(5, false)).hash).to.not.equal((await chatty(3, false)).hash);
  });

  it('gives seeded, distinct UUID nonces in the simulator', async () => {
    const nonces = async (seed: number): Promise<string[]> => {
      const got: string[] = [];
      const cluster = await probeCluster((env) => void got.push(env.nonce(), env.nonce()), { seed });
      await cluster.close();
      return got;
    };
    const a = await nonces(8);
    expect(a).to.have.length(6);
    for (const n of a) expect(n).to.match(UUID);
    expect(new Set(a).size).to.equal(6);
    expect(await nonces(8)).to.deep.equal(a);
    expect(await nonces(9)).to.not.deep.equal(a);
  });

  it('gives cryptographically random UUID nonces in the real world', async () => {
    const env = RealEnv.client('nonce');
    const [a, b] = [env.nonce(), env.nonce()];
    expect(a).to.match(UUID);
    expect(b).to.match(UUID);
    expect(a).to.not.equal(b);
    await env.close();
  });

  it('formats a drawn UUID with its version and variant bits', () => {
    const prng = new Prng(1);
    for (let i = 0; i < 100; i++) expect(prng.uuid()).to.match(UUID);
  });
});
