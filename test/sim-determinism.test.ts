// Same seed, same trace, byte for byte: in one process, in two separate processes, and through a
// trace's round trip by the reader; a different seed gives a different trace. A run watched live
// (paced slice by slice, or paused) is the same run.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { replay } from './fixtures/sim-replay.js';
import { tmpdir } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { RATES, SimPlayer } from '../src/dashboard/sim-player.js';
import { findScenario } from '../tester/index.js';
import { runScenario } from '../tester/run.js';
import type { SimCluster } from '../tester/sim-cluster.js';

const run = promisify(execFile);
const main = fileURLToPath(new URL('./fixtures/sim-replay-main.js', import.meta.url));

describe('sim determinism', () => {
  it('gives the same trace hash for the same seed and a different one for another seed', async () => {
    const a = await replay(42);
    expect(a.events).to.be.greaterThan(200);
    expect(a.absorbed).to.be.greaterThan(20); // the hash covers the disk operations (and any long message) too
    expect((await replay(42)).hash).to.equal(a.hash);
    expect((await replay(43)).hash).to.not.equal(a.hash);
  });

  it('gives the same trace hash when other runs share the process at the same time', async () => {
    const alone = await replay(42);
    const together = await Promise.all([replay(42), replay(7), replay(42)]);
    expect(together[0]).to.deep.equal(alone);
    expect(together[2]).to.deep.equal(alone);
  });

  it('gives the same full-text trace hash (lines, full wire texts, disk operations) in two separate processes', async () => {
    const [one, two] = await Promise.all([run(process.execPath, [main, '42']), run(process.execPath, [main, '42'])]);
    expect(one.stdout).to.match(/^[0-9a-f]{32}\n$/);
    expect(two.stdout).to.equal(one.stdout);
    expect(one.stdout.trim()).to.equal((await replay(42)).hash);
  });

  it('gives a failing run the hash and event count of the trace it wrote, taken at the failure (stopped lab code may run on a few promise jobs)', async () => {
    // Seed 1 of this mutant on log-view: lab code recorded one more event after the failure, in the
    // await that read the trace, and the count (and hash) printed took it in while the trace did not.
    const dir = mkdtempSync(join(tmpdir(), 'rsmlab-determinism-'));
    try {
      const result = await runScenario(await findScenario('vsr', 'log-view'), { world: 'sim', seed: 1, variant: { mutant: 'highest-op' }, keepTrace: true, artifactsDir: dir });
      expect(result.ok).to.equal(false);
      const lines = result.trace!.split('\n').filter((l) => l !== '');
      expect(result.traceEvents).to.equal(lines.length);
      expect((JSON.parse(lines.at(-1)!) as { seq: number }).seq).to.equal(lines.length - 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a watched run (the dashboard paces it slice by slice)', () => {
  /** The dashboard's player at its fastest, playing or paused; it reads the run's clock once the run has made its cluster. */
  async function player(playing: boolean): Promise<{ player: SimPlayer; watch: { pacer: SimPlayer; cluster(c: SimCluster): void }; cluster(): SimCluster | undefined }> {
    let made: SimCluster | undefined;
    const p = new SimPlayer(() => made?.sim.now ?? 0, { playing });
    await p.handle({ action: 'speed', speed: RATES.length - 1 });
    return { player: p, watch: { pacer: p, cluster: (c) => (made = c) }, cluster: () => made };
  }

  it('runs exactly as the same seed unwatched: one trace hash', async () => {
    const scenario = await findScenario('vsr', '1');
    const alone = await runScenario(scenario, { world: 'sim', seed: 3, artifactsDir: tmpdir() });
    const watched = await runScenario(scenario, { world: 'sim', seed: 3, artifactsDir: tmpdir(), watch: (await player(true)).watch });
    expect([alone.ok, watched.ok], watched.error).to.deep.equal([true, true]);
    expect(watched.traceHash).to.equal(alone.traceHash);
  });

  it('holds a paused run still from its first instant, startup included, and goes on when played', async () => {
    const scenario = await findScenario('vsr', '1');
    const paused = await player(false);
    const result = runScenario(scenario, { world: 'sim', seed: 3, artifactsDir: tmpdir(), watch: paused.watch });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(paused.cluster()?.sim.now).to.equal(0);
    expect(paused.cluster()?.labNode(0), "p0's lab is still starting (its disk reads take virtual time)").to.equal(null);
    await paused.player.handle({ action: 'play' });
    expect((await result).ok).to.equal(true);
    expect(paused.cluster()?.sim.now).to.be.greaterThan(1000);
  });
});
