// Fault decisions and shrinking: every drop, duplicate, delay, crash, restart, breakpoint and
// partition of a simulated run is recorded under a stable name; a rerun with the same seed can veto
// any of them (the draws still happen, so the others keep their names); and `rsmlab shrink` finds a
// small set that still fails the same check for every broken variant the tests keep.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Lab } from '../src/lab.js';
import type { Json } from '../src/env/types.js';
import { parseVetoPolicy, type Decision } from '../src/env/sim/decisions.js';
import type { SimClusterOptions } from '../tester/sim-cluster.js';
import { findScenario } from '../tester/index.js';
import { runScenario, type ScenarioResult } from '../tester/run.js';
import { ddmin, failureKey, RERUN_EVENTS_MIN, shrinkFailure } from '../tester/shrink.js';
import { brokenVariants } from './fixtures/broken-variants.js';
import { get, probeCluster, probeLab, tell } from './fixtures/sim-probe.js';
import { simClusterOf } from '../tester/sim-cluster.js';
import { ScenarioFailure, type Scenario } from '../tester/scenario.js';

/** `count` notices from a client to p0 at one instant: what p0 got, the decisions and the trace hash. */
async function blast(options: Partial<SimClusterOptions>, count: number): Promise<{ got: number[]; decisions: Decision[]; hash: string }> {
  const got: number[] = [];
  const cluster = await probeCluster((env) => env.on(tell, ({ n }) => got.push(n)), { nodes: 1, ...options });
  const client = cluster.clientEnv('c');
  for (let n = 0; n < count; n++) client.send('p0', tell, { n });
  await cluster.sleep(1000);
  const decisions = [...cluster.sim.decisions.all];
  const hash = cluster.traceHash();
  await cluster.close();
  return { got, decisions, hash };
}

const faulty = { seed: 7, net: { loss: 0.2, dup: 0.1 } };

describe('fault decisions', () => {
  it('names every drop, duplicate and late delivery of a run, the same names for the same seed', async () => {
    const a = await blast(faulty, 300);
    const b = await blast(faulty, 300);
    expect(b.decisions).to.deep.equal(a.decisions);
    const kinds = new Set(a.decisions.map((d) => d.kind));
    expect([...kinds].sort()).to.deep.equal(['delay', 'drop', 'duplicate']);
    const drops = a.decisions.filter((d) => d.kind === 'drop');
    expect(drops.length).to.equal(300 - new Set(a.got).size);
    expect(drops[0]!.id).to.match(/^drop client:c>p0 probe\.tell#\d+$/);
    expect(a.decisions.every((d) => !d.vetoed)).to.equal(true);
  });

  it('a vetoed drop delivers its message, and every other decision keeps its name and outcome (the draws still happen)', async () => {
    const a = await blast(faulty, 300);
    const drop = a.decisions.find((d) => d.kind === 'drop')!;
    const n = Number(/#(\d+)$/.exec(drop.id)![1]) - 1;
    expect(a.got).to.not.include(n);
    const b = await blast({ ...faulty, veto: { veto: [drop.id] } }, 300);
    expect(b.got).to.include(n);
    // The message that now travels may be late or doubled: decisions of its own. All others are as they were.
    const others = (ds: Decision[]): string[] => ds.map((d) => d.id).filter((id) => !id.endsWith(drop.id.slice('drop '.length)));
    expect(others(b.decisions)).to.deep.equal(others(a.decisions));
    expect(b.decisions.filter((d) => d.vetoed).map((d) => d.id)).to.deep.equal([drop.id]);
    // The same copies of every other message arrive (ties at one instant may fall another way).
    const sorted = (got: number[]): number[] => [...got].sort((x, y) => x - y);
    expect(sorted(b.got.filter((m) => m !== n))).to.deep.equal(sorted(a.got));
  });

  it('keeping every decision replays the run exactly; keeping none gives a run without faults', async () => {
    const a = await blast(faulty, 300);
    const all = await blast({ ...faulty, veto: { keep: a.decisions.map((d) => d.id) } }, 300);
    expect(all.hash).to.equal(a.hash);
    const none = await blast({ ...faulty, veto: { keep: [] } }, 300);
    expect([...none.got].sort((x, y) => x - y)).to.deep.equal(Array.from({ length: 300 }, (_, i) => i));
    expect(none.decisions.every((d) => d.vetoed)).to.equal(true);
  });

  it('scripted faults are decisions too: a vetoed kill leaves the node up, its restart does nothing, a vetoed partition cuts nothing', async () => {
    const build = (env: Parameters<Parameters<typeof probeCluster>[0]>[0]): void => env.serve(get, () => ({ value: 1 }));
    const plain = await probeCluster(build, { seed: 3 });
    await plain.kill(1);
    await plain.start(1);
    await plain.partition(2, true);
    expect(plain.sim.decisions.all.filter((d) => d.kind !== 'delay').map((d) => d.id)).to.deep.equal(['crash p1#1', 'restart p1#1', 'partition p2#1']);
    const vetoed = await probeCluster(build, { seed: 3, veto: { veto: ['crash p1#1', 'partition p2#1'] } });
    await vetoed.kill(1);
    expect(vetoed.alive(1)).to.equal(true);
    await vetoed.start(1);
    await vetoed.partition(2, true);
    const answer = vetoed.clientEnv('c').call('p2', get, { key: 'x' }, { timeoutMs: 100 });
    await vetoed.sleep(101);
    expect(await answer).to.deep.equal({ value: 1 });
    const scripted = vetoed.sim.decisions.all.filter((d) => d.kind !== 'delay');
    expect(scripted.map((d) => `${d.id}${d.vetoed ? ' (vetoed)' : ''}`)).to.deep.equal(['crash p1#1 (vetoed)', 'partition p2#1 (vetoed)']);
  });

  it('drawn disk faults are decisions: a vetoed lost write lands, and every other disk decision stays as it was', async () => {
    /** 40 appends of 10 bytes (each fsynced) on p0, with writes lost at random: how many landed, and the decisions. */
    const appends = async (veto?: { veto: string[] }): Promise<{ landed: number; ids: string[]; vetoed: string[] }> => {
      const build = async (env: Parameters<Parameters<typeof probeCluster>[0]>[0]): Promise<void> => {
        for (let i = 0; i < 40; i++) {
          await env.disk.append('log', new Uint8Array(10).fill(i + 1));
          await env.disk.fsync('log');
        }
      };
      const cluster = await probeCluster(build, { seed: 5, nodes: 1, disk: { lostWrite: 0.2 }, ...(veto ? { veto } : {}) });
      await cluster.sleep(1000);
      const disk = cluster.sim.decisions.all.filter((d) => d.kind === 'disk');
      const bytes = cluster.sim.disk('p0').read('log');
      const landed = Array.from({ length: 40 }, (_, i) => bytes[10 * i] === i + 1).filter(Boolean).length;
      const result = { landed, ids: disk.map((d) => d.id), vetoed: disk.filter((d) => d.vetoed).map((d) => d.id) };
      await cluster.close();
      return result;
    };
    const a = await appends();
    expect(a.ids.length).to.be.within(2, 20);
    expect(a.ids[0]).to.match(/^disk p0 lost-write log#\d+$/);
    const b = await appends({ veto: [a.ids[0]!] });
    expect(b.ids).to.deep.equal(a.ids);
    expect(b.vetoed).to.deep.equal([a.ids[0]]);
    expect(a.landed).to.equal(40 - a.ids.length);
    expect(b.landed).to.equal(a.landed + 1);
  });

  it('reads a veto file, and refuses one that says neither or both', () => {
    expect(parseVetoPolicy({ keep: ['crash p0#1'] })).to.deep.equal({ keep: ['crash p0#1'] });
    expect(parseVetoPolicy({ veto: [], seed: 3 })).to.deep.equal({ veto: [] });
    for (const bad of [{}, { keep: [], veto: [] }, { keep: [1] }, [], 'keep'] as Json[]) expect(() => parseVetoPolicy(bad)).to.throw(/either "keep" .* or "veto"/);
  });
});

describe('shrinking', () => {
  it('ddmin finds a 1-minimal failing subset', async () => {
    const items = 'abcdefghijklmnopqrstuvwxyz'.split('');
    let runs = 0;
    const fails = async (subset: string[]): Promise<boolean> => (runs++, subset.includes('c') && subset.includes('q') && subset.includes('r'));
    expect(await ddmin(items, fails, () => false)).to.deep.equal({ kept: ['c', 'q', 'r'], complete: true });
    expect(runs).to.be.lessThan(100);
    expect(await ddmin(items, async () => true, () => false)).to.deep.equal({ kept: [], complete: true });
    expect((await ddmin(items, fails, () => true)).complete).to.equal(false);
  });

  it("bounds each rerun by the failing run's length: a rerun that would wait for ever fails as a runaway, and the shrink ends", async () => {
    // Fails when a notice is dropped; with the drop vetoed, it waits for ever for one. Unbounded, the
    // first rerun would fire the simulator's 50 million events (minutes, and every decision kept).
    const got: number[] = [];
    let waits = 0;
    const scenario: Scenario = {
      id: 'forever',
      title: 'a dropped notice fails; without one, it waits for ever',
      lab: 'probe',
      nodes: 1,
      points: 1,
      worlds: ['sim'],
      simLab: probeLab((env) => env.on(tell, ({ n }) => got.push(n))),
      async run({ cluster }) {
        got.length = 0;
        await cluster.start(0);
        simClusterOf(cluster).sim.configureNet({ loss: 0.5 });
        const client = cluster.clientEnv('c');
        for (let n = 0; n < 4; n++) client.send(cluster.id(0), tell, { n });
        await cluster.sleep(100);
        if (got.length < 4) throw new ScenarioFailure(`p0 got ${got.length} of 4 notices`);
        for (;; waits++) await cluster.sleep(10);
      },
    };
    const failed = await runScenario(scenario, { world: 'sim', seed: 1, artifactsDir: dir });
    expect(failed.error, 'seed 1 drops a notice').to.match(/^ScenarioFailure: p0 got \d of 4 notices/);
    const rerun = await runScenario(scenario, { world: 'sim', seed: 1, quiet: true, veto: { keep: [] }, maxEvents: 4 * failed.simEvents! });
    expect(rerun.error).to.match(new RegExp(`runaway: more than ${4 * failed.simEvents!} events in this run`));
    waits = 0;
    const shrunk = await shrinkFailure(scenario, failed, { budgetMs: 600_000, artifactsDir: dir });
    expect(shrunk.complete, 'ddmin finished: every rerun ended').to.equal(true);
    // Each wait is an event: no rerun (nor the shrunk run, which fails before waiting) went past the bound.
    expect(waits, `${shrunk.runs} reruns`).to.be.at.most(shrunk.runs * RERUN_EVENTS_MIN);
    expect(shrunk.kept.every((id) => id.startsWith('drop ')), shrunk.kept.join(', ')).to.equal(true);
  });

  it('"the same check" is the error class and first line with numbers and digests masked', () => {
    expect(failureKey('ScenarioFailure: p1 (n1): view 5 is {n1,n2,n3}, expected {n0,n1,n2}\n    at x (y.js:1:2)')).to.equal('ScenarioFailure: p# (n#): view # is {n#,n#,n#}, expected {n#,n#,n#}');
    expect(failureKey('ScenarioFailure: state d4c3e2f0e2219fd4 at 3.29')).to.equal(failureKey('ScenarioFailure: state 39abfd06505c892d at 4.1'));
    expect(failureKey('ScenarioFailure: view 5 is {n1,n2}')).to.not.equal(failureKey('ScenarioFailure: view 5 is {n1,n2,n3}'));
    expect(failureKey('TypeError: x is undefined')).to.not.equal(failureKey('RangeError: x is undefined'));
  });

  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'rsmlab-shrink-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));


  async function lowestFailing(lab: Lab, labName: string, id: string): Promise<ScenarioResult> {
    const scenario = await findScenario(labName, id);
    for (let seed = 1; seed <= 40; seed++) {
      const result = await runScenario(scenario, { world: 'sim', seed, lab, artifactsDir: dir });
      if (!result.ok) return result;
    }
    throw new Error(`${labName} ${id} passed 40 seeds`);
  }

  for (const v of brokenVariants) {
    it(`shrinks the lowest failing seed of the ${v.name} (${v.labName} ${v.scenario}), and the shrunk run fails the same check`, async () => {
      const { labName, scenario: id } = v;
      const scenario = await findScenario(labName, id);
      const failed = await lowestFailing(v.lab, labName, id);
      // A bound in reruns, not in time: the result is the same on any machine.
      const shrunk = await shrinkFailure(scenario, failed, { budgetMs: 600_000, maxRuns: 60, lab: v.lab, artifactsDir: dir });
      expect(shrunk.decisionsAfter).to.be.lessThan(shrunk.decisionsBefore);
      expect(shrunk.decisionsAfter).to.equal(shrunk.kept.length);
      expect(shrunk.check).to.equal(failureKey(failed.error!));
      const veto = parseVetoPolicy(JSON.parse(readFileSync(join(shrunk.artifacts, 'veto.json'), 'utf8')) as Json);
      const again = await runScenario(scenario, { world: 'sim', seed: failed.seed, lab: v.lab, quiet: true, veto });
      expect(again.ok).to.equal(false);
      expect(failureKey(again.error!)).to.equal(shrunk.check);
      expect(again.decisions!.filter((d) => !d.vetoed).map((d) => d.id)).to.deep.equal(shrunk.kept);
      expect(readFileSync(join(shrunk.artifacts, 'trace.jsonl'), 'utf8').trim().split('\n')).to.have.length(shrunk.eventsAfter);
      expect(shrunk.replay).to.equal(`npx rsmlab sim ${labName} ${id} --seed ${failed.seed} --veto ${join(shrunk.artifacts, 'veto.json')}`);
    });
  }

  it('`rsmlab shrink` prints the smallest failing run and its replay command first, then the original run; a passing seed is an error (exit 2)', () => {
    const cli = join(process.cwd(), 'dist', 'src', 'cli', 'main.js');
    const variant = `${join(process.cwd(), 'dist', 'test', 'fixtures', 'paxos-broken.js')}#stubbornPaxosLab`;
    const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args, '--artifacts', join(dir, 'cli')], { encoding: 'utf8', timeout: 120_000 });
    const r = run('shrink', 'paxos', '6', '--seed', '1', '--lab-module', variant);
    expect(r.status, r.stdout + r.stderr).to.equal(0);
    expect(r.stdout).to.include('paxos 6 (breakpoint 4 on p0: accepted view 5 wins) seed 1: FAIL');
    expect(r.stdout).to.match(/fault decisions \d+ \(delay \d+, .*\) → 3 \(breakpoint 1, crash 1, restart 1\)/);
    expect(r.stdout).to.include(`the smallest failing run: seed 1 with 3 of its `);
    expect(r.stdout).to.include(`(shrunk in `);
    expect(r.stdout).to.include(`:\n  replay: npx rsmlab sim paxos 6 --seed 1 --lab-module ${variant} --veto ${join(dir, 'cli', 'paxos-6-sim-seed1', 'shrunk', 'veto.json')}\n`);
    expect(r.stdout).to.include(`\nthe original run, with every fault decision of seed 1:\n  replay: npx rsmlab sim paxos 6 --seed 1 --lab-module ${variant}\n`);
    const pass = run('shrink', 'paxos', '6', '--seed', '1');
    expect(pass.status).to.equal(2);
    expect(pass.stderr).to.include('paxos 6 passes with seed 1: there is no failure to shrink');
  });

  it('a run that failed before the world made one fault decision is not shrunk: rsmlab test reports that one run, rsmlab shrink says why', () => {
    const cli = join(process.cwd(), 'dist', 'src', 'cli', 'main.js');
    const variant = `${join(process.cwd(), 'dist', 'test', 'fixtures', 'paxos-broken.js')}#failingStartPaxosLab`;
    const artifacts = join(dir, 'no-decisions');
    const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args, '--lab-module', variant, '--artifacts', artifacts], { encoding: 'utf8', timeout: 120_000 });
    const test = run('test', 'paxos', '--world', 'sim', '--only', '0', '--seeds', '1', '--no-progress');
    expect(test.status, test.stdout + test.stderr).to.equal(1);
    expect(test.stdout).to.include('lab code threw: a node that never starts (in p0, start)').and.not.include('smallest failing run');
    expect(readdirSync(join(artifacts, 'paxos-0-sim-seed1')).sort()).to.deep.equal(['failure.txt', 'notes.txt', 'trace.jsonl']);
    const shrink = run('shrink', 'paxos', '0', '--seed', '1');
    expect(shrink.status, shrink.stdout + shrink.stderr).to.equal(0);
    expect(shrink.stdout).to.match(/\nnothing to shrink: the run failed before the world made one fault decision \(it is its own smallest\)\n?$/).and.not.include('smallest failing run:');
  });
});
