// `rsmlab test` on every core: one scenario's seeds split across worker processes, every seed run
// past the failing ones, the lowest failing seed reported with its replay command (and shrunk), and
// the same report whatever --jobs is, a lab's stack frames named by their .ts lines. Also the clear
// refusals of a bad --jobs, and the one rule of which world may run a scenario.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { loadScenarios } from '../tester/index.js';
import { runsIn } from '../tester/scenario.js';
import { simClusterOf } from '../tester/sim-cluster.js';
import type { Cluster } from '../tester/cluster.js';
import { notRunAfter, type ScenarioOutcome, type SuiteResult } from '../tester/suite.js';
import { loadArtifact } from '../src/dashboard/artifact.js';
import { isRunning } from './fixtures/pid.js';

const cli = join(process.cwd(), 'dist', 'src', 'cli', 'main.js');
const paxosBroken = join(process.cwd(), 'dist', 'test', 'fixtures', 'paxos-broken.js');
const rsmBroken = join(process.cwd(), 'dist', 'test', 'fixtures', 'rsm-broken.js');
const vsrBroken = join(process.cwd(), 'dist', 'test', 'fixtures', 'vsr-broken.js');

/**
 * How long one rsmlab child may run before it is killed: the longest, 1000 Paxos seeds with --jobs 2,
 * takes about 50 s of CPU on a quiet 2-core machine (half a minute of wall time) and shares the cores
 * with the rest of npm test (mocha runs two files at once). A child killed at this bound fails its
 * test with the output it had, and the bound's.
 */
const CHILD_MS = 300_000;

describe('rsmlab test: seeds on every core', function () {
  // A test runs at most three children one after the other (a report, its replay, its shrinking):
  // mocha's bound is theirs plus a margin, so a slow child is killed and reported before mocha gives up on the test.
  this.timeout(3 * CHILD_MS + 60_000);
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'rsmlab-suite-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  type Run = { status: number | null; stdout: string; stderr: string };
  /** A child's outcome; one killed at CHILD_MS says so on its stderr (its status is null). */
  const outcome = (status: number | null, signal: NodeJS.Signals | null, stdout: string, stderr: string): Run => ({ status, stdout, stderr: signal === null ? stderr : `${stderr}\n(ended by ${signal}; a child is killed after ${CHILD_MS} ms)` });
  const argv = (args: string[]): string[] => [cli, ...args, ...(args[0] === 'test' ? ['--no-progress'] : []), '--artifacts', join(dir, 'failures')];

  function rsmlab(...args: string[]): Run {
    const r = spawnSync(process.execPath, argv(args), { encoding: 'utf8', timeout: CHILD_MS });
    return outcome(r.status, r.signal, r.stdout, r.stderr);
  }

  /** The same run with --jobs 2 and with --jobs 1, both at once (the jobs-1 run leaves a core idle otherwise). */
  async function twoAndOne(...args: string[]): Promise<[Run, Run]> {
    const run = (jobs: string): Promise<Run> =>
      new Promise((resolve, reject) => {
        const child = spawn(process.execPath, argv([...args, '--jobs', jobs]), { stdio: ['ignore', 'pipe', 'pipe'], timeout: CHILD_MS });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.on('error', reject);
        child.on('close', (status, signal) => resolve(outcome(status, signal, stdout, stderr)));
      });
    return Promise.all([run('2'), run('1')]);
  }

  // The reference Paxos passes every scenario on 1000 seeds (test/paxos-sim.test.ts relies on this).
  it('`rsmlab test paxos --world sim --seeds 1000 --jobs 2`: every scenario passes on every seed', async () => {
    const scenarios = (await loadScenarios('paxos')).length;
    const two = rsmlab('test', 'paxos', '--world', 'sim', '--seeds', '1000', '--jobs', '2');
    expect(two.status, two.stdout + two.stderr).to.equal(0); // (a child killed at CHILD_MS says so here, not as an empty report)
    expect(two.stdout).to.include('1000 seeds (1..1000)');
    expect(two.stdout).to.include(`${scenarios}/${scenarios} tests passed`);
    expect(two.stdout.match(/ PASSED +1000\/1000 /g)).to.have.length(scenarios);
  });

  // A passing run's report, whatever --jobs is (the next tests compare failing runs'). 120 seeds split
  // into chunks of 15 for --jobs 2, several per lane and scenario; comparing the 1000-seed run above
  // with a --jobs 1 run too would double its CPU for no claim these seeds do not make.
  it('`rsmlab test paxos --world sim --seeds 120 --jobs 2` prints the same report as --jobs 1, every seed passing', async () => {
    const scenarios = (await loadScenarios('paxos')).length;
    const [two, one] = await twoAndOne('test', 'paxos', '--world', 'sim', '--seeds', '120');
    expect(two.status, two.stdout + two.stderr).to.equal(0);
    expect(one.status, one.stdout + one.stderr).to.equal(0); // (a child killed at CHILD_MS says so here, not as an empty report)
    expect(two.stdout).to.equal(one.stdout);
    expect(two.stdout).to.include('120 seeds (1..120)');
    expect(two.stdout.match(/ PASSED +120\/120 /g)).to.have.length(scenarios);
  });

  it('goes on past failing seeds, counts them, and names the lowest with its replay command; the same for any --jobs', async () => {
    const [two, one] = await twoAndOne('test', 'rsm', '--world', 'sim', '--seeds', '20', '--only', 'loss-backups', '--shrink-ms', '0', '--lab-module', `${rsmBroken}#carelessPrimaryLab`);
    expect(two.status, two.stdout + two.stderr).to.equal(1);
    expect(two.stdout).to.equal(one.stdout);
    const counted = /(\d+) of 20 seeds failed \(lowest: (\d+)\)\n/.exec(two.stdout);
    expect(counted, two.stdout).to.not.equal(null);
    const [failed, lowest] = [Number(counted![1]), Number(counted![2])];
    expect(failed).to.be.within(2, 19);
    expect(two.stdout).to.match(new RegExp(`FAILED +${20 - failed}/20 `));
    expect(two.stdout).to.include(`seed ${lowest}: ScenarioFailure: `);
    expect(two.stdout).to.include(`replay: npx rsmlab sim rsm loss-backups --seed ${lowest} --lab-module ${rsmBroken}#carelessPrimaryLab`);
    expect(two.stdout).to.include(join(dir, 'failures', `rsm-loss-backups-sim-seed${lowest}`));
    expect(two.stdout).to.not.include('shrunk');
  });

  it('--fail-fast stops at the first failing seed; the lowest one is still found', () => {
    const r = rsmlab('test', 'rsm', '--world', 'sim', '--seeds', '20', '--only', 'loss-backups', '--shrink-ms', '0', '--fail-fast', '--jobs', '1', '--lab-module', `${rsmBroken}#carelessPrimaryLab`);
    expect(r.status, r.stdout + r.stderr).to.equal(1);
    const m = /1 of 20 seeds failed \(lowest: (\d+)\); (\d+) not run \(stopped at the first failure\)/.exec(r.stdout);
    expect(m, r.stdout).to.not.equal(null);
    expect(Number(m![2])).to.equal(20 - Number(m![1]));
  });

  it('a worker stuck in lab code dies with its parent, even one killed by SIGKILL (nothing spins on)', async () => {
    const parent = spawn(process.execPath, [cli, 'sim', 'paxos', '6', '--seed', '1', '--hang-ms', '600000', '--lab-module', `${paxosBroken}#spinningPaxosLab`, '--artifacts', join(dir, 'orphan')], { stdio: 'ignore' });
    const childOf = (pid: number): number | undefined => {
      const r = spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' });
      return r.stdout.trim() === '' ? undefined : Number(r.stdout.trim().split('\n')[0]);
    };
    const until = async (what: string, done: () => boolean): Promise<void> => {
      for (let i = 0; i < 200 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(done(), what).to.equal(true);
    };
    let worker: number | undefined;
    await until('the sim worker started', () => (worker = childOf(parent.pid!)) !== undefined);
    // Past its start: seed 1 of the spinning lab reaches its loop within a second of simulated work.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(isRunning(worker!), 'the worker spins on, its parent waiting 600 s for a beat').to.equal(true);
    parent.kill('SIGKILL');
    await until('the worker died with its parent', () => !isRunning(worker!));
  });

  it('Ctrl-C during a real-world test leaves no cluster folder behind', async () => {
    // Its own temporary folder (TMPDIR) and process group, Ctrl-C to the group as a terminal sends it.
    const tmp = mkdtempSync(join(tmpdir(), 'rsmlab-ctrl-c-'));
    const clusters = (): string[] => readdirSync(tmp).filter((f) => f.startsWith('rsmlab-paxos-'));
    const run = spawn(process.execPath, argv(['test', 'paxos', '--world', 'real', '--only', '3']), { stdio: 'ignore', detached: true, env: { ...process.env, TMPDIR: tmp } });
    const exited = new Promise((resolve) => run.once('exit', resolve));
    const until = async (what: string, done: () => boolean): Promise<void> => {
      for (let i = 0; i < 300 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(done(), what).to.equal(true);
    };
    try {
      await until('the real cluster started', () => clusters().length > 0);
      process.kill(-run.pid!, 'SIGINT');
      await exited;
      await until(`its folder removed (left: ${clusters().join(', ')})`, () => clusters().length === 0);
    } finally {
      try {
        process.kill(-run.pid!, 'SIGKILL');
      } catch {
        // the group is gone
      }
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('says in words that lab code ran out of memory (V8 dies with no JavaScript stack), and how to see where', () => {
    // A proposer that fills an array for ever, in workers whose heap is bounded at 64 MB (NODE_OPTIONS reaches them): they die of it at once.
    const r = spawnSync(process.execPath, argv(['test', 'paxos', '--world', 'sim', '--seeds', '1', '--only', '6', '--lab-module', `${paxosBroken}#hoardingPaxosLab`]), { encoding: 'utf8', timeout: CHILD_MS, env: { ...process.env, NODE_OPTIONS: '--max-old-space-size=64' } });
    expect(r.status, r.stdout + r.stderr).to.equal(1);
    expect(r.stdout).to.match(/^6 .* CRASHED +0\/1/m);
    expect(r.stdout).to.include('the lab code ran out of memory (worker exited (');
    expect(r.stdout).to.include('Replay the seed with a short --hang-ms (2000)');
    expect(r.stdout, "V8's own dump is left out").to.not.include('JavaScript heap out of memory');
  });

  it('calls a seed hung only when its simulation stops: a run longer than --hang-ms passes, a lab stuck in a loop is killed', () => {
    type Test = { id: string; status: string; elapsed_ms: number; failure?: { error: string } };
    const tests = (r: Run): Test[] => (JSON.parse(r.stdout) as { tests: Test[] }).tests;
    // One seed whose simulation runs well past --hang-ms of wall time (par vopr-ring seed 10: about
    // 0.8 s warm, more in a fresh worker), beating every 100 ms throughout: a watchdog on the seed's
    // wall time instead of its beats kills it at 400 ms (checked), a beat-gap one never does: a gap
    // while the worker was starved (it ran under 200 ms of CPU meanwhile) is no hang. Judged by the gap
    // alone, this failed at load 6 (tester/lane.ts).
    const slow = rsmlab('test', 'par', '--world', 'sim', '--seeds', '1', '--seed', '10', '--only', 'vopr-ring', '--jobs', '1', '--hang-ms', '400', '--json');
    expect(slow.status, slow.stdout + slow.stderr).to.equal(0);
    const [long] = tests(slow);
    expect(long).to.deep.include({ id: 'vopr-ring', status: 'passed' });
    expect(long!.elapsed_ms, 'the run outlasted --hang-ms').to.be.greaterThan(400);
    const stuck = rsmlab('test', 'paxos', '--world', 'sim', '--seeds', '1', '--only', '5,6', '--hang-ms', '1000', '--json', '--lab-module', `${paxosBroken}#spinningPaxosLab`);
    expect(stuck.status, stuck.stdout + stuck.stderr).to.equal(1);
    expect(tests(stuck).map((t) => [t.id, t.status])).to.deep.equal([['5', 'passed'], ['6', 'hung']]);
    expect(tests(stuck)[1]!.failure?.error).to.match(/no progress for 1000 ms at seed 1: the run was killed/);
    // Where: the worker's inspector paused the loop, and the stack names its line (paxos-broken.ts: `while (instance === 6 ...) spins++;`).
    const where = /its code was stuck at:\n {4}at SpinningProposer\.prepare \(\S*test\/fixtures\/paxos-broken\.ts:66:\d+\)\n {4}at SpinningProposer\.round \(\S*labs\/paxos\/proposer\.ts:\d+:\d+\)/;
    expect(tests(stuck)[1]!.failure?.error).to.match(where);
    // Its replay, with the same limit, says the same and ends: it does not spin on for ever.
    const replay = (tests(stuck)[1] as Test & { failure: { replay: string } }).failure.replay;
    expect(replay).to.equal(`npx rsmlab sim paxos 6 --seed 1 --lab-module ${paxosBroken}#spinningPaxosLab --hang-ms 1000`);
    const replayed = rsmlab(...replay.replace(/^npx rsmlab /, '').split(' '));
    expect(replayed.status, replayed.stdout + replayed.stderr).to.equal(1);
    expect(replayed.stdout).to.match(/^paxos 6 \(.*\) seed 1: HUNG\nno progress for 1000 ms at seed 1: the run was killed; /);
    expect(replayed.stdout).to.match(where);
    // Like any failure it gives the command that replays it: the very one it was run by.
    expect(replayed.stdout).to.include(`\nreplay: ${replay}\n`);
    // It leaves the run's trace and notes up to the step that never ended: p2 proposing instance 6 among three nodes.
    const folder = join(dir, 'failures', 'paxos-6-sim-seed1');
    expect(replayed.stdout).to.include(`\ntrace and notes: ${folder}\nsee it: npx rsmlab view ${folder}\n`);
    const last = readFileSync(join(folder, 'trace.jsonl'), 'utf8').trim().split('\n').at(-1)!;
    expect((JSON.parse(last) as { node: string; detail: object }).detail, last).to.deep.include({ what: 'paxos.propose', instance: 6, nodes: ['p0', 'p1', 'p2'] });
    // The viewer opens it as any failure: what failed first, and every event up to the hang.
    const view = loadArtifact(folder);
    expect(view.failure).to.match(/^no progress for 1000 ms at seed 1: the run was killed; its code was stuck at:\n {4}at SpinningProposer\.prepare /);
    expect(view.traces[0]?.events.at(-1)?.seq).to.equal((JSON.parse(last) as { seq: number }).seq);
    // So does shrinking it, which reruns the same seed.
    const shrunk = rsmlab('shrink', 'paxos', '6', '--seed', '1', '--hang-ms', '1000', '--lab-module', `${paxosBroken}#spinningPaxosLab`);
    expect(shrunk.status, shrunk.stdout + shrunk.stderr).to.equal(1);
    expect(shrunk.stdout).to.match(/^paxos 6 \(.*\) seed 1: HUNG\nno progress for 1000 ms at seed 1: the run was killed; /);
    expect(shrunk.stdout).to.match(where);
    expect(shrunk.stdout).to.include(`\nreplay: ${replay}\n`);
  });

  it('shrinks the lowest failing seed in the report: the smallest failing run and its replay first, its fault decisions and trace events beside the original\'s, then the original run', async () => {
    const [two, one] = await twoAndOne('test', 'paxos', '--world', 'sim', '--seeds', '6', '--only', '7', '--lab-module', `${paxosBroken}#amnesiacPaxosLab`);
    expect(two.status, two.stdout + two.stderr).to.equal(1);
    expect(one.stdout).to.equal(two.stdout);
    const m = /the smallest failing run: seed \d+ with \d+ of its \d+ fault decisions, .*:\n +replay: (npx rsmlab sim paxos 7 --seed \d+ --lab-module \S+ --veto (\S+))\n(?: +.*\n){2} +fault decisions (\d+) \(.*\) → (\d+) \(.*\)\n +left: (.*)\n +trace events: \d+ \(the original run: \d+.*\)\n +the original run, with every fault decision of seed \d+:\n +replay: npx rsmlab sim paxos 7 --seed \d+ --lab-module \S+\n/.exec(two.stdout);
    expect(m, two.stdout).to.not.equal(null);
    expect(Number(m![4])).to.be.lessThan(Number(m![3]));
    expect(m![5]).to.include('breakpoint p0 4#1');
    const replay = m![1]!.replace(/^npx rsmlab /, '').split(' ');
    const shrunk = rsmlab(...replay);
    expect(shrunk.status, shrunk.stdout + shrunk.stderr).to.equal(1);
    expect(shrunk.stdout).to.match(/: FAIL\n/);
    expect(shrunk.stdout).to.include(`fault decisions: ${m![4]} (`);
    expect(shrunk.stdout).to.include('view 5 is {p1,p2,p3}, expected {p0,p1,p2}');
  });

  for (const bad of ['0', '-1', '1.5', 'two']) {
    it(`refuses --jobs ${bad} with a clear error and exit 2`, () => {
      const r = rsmlab('test', 'paxos', '--world', 'sim', '--seeds', '1', '--jobs', bad);
      expect(r.status).to.equal(2);
      expect(r.stderr).to.match(/--jobs must be (at least 1|a whole number)/);
      expect(r.stdout).to.equal('');
    });
  }

  it('refuses a negative --shrink-ms, a --lab-module that exports no Lab and one whose Lab declares no fault sites, with exit 2', () => {
    const negative = rsmlab('test', 'paxos', '--world', 'sim', '--seeds', '1', '--shrink-ms', '-1');
    expect(negative.status).to.equal(2);
    expect(negative.stderr).to.include('--shrink-ms must be at least 0');
    const missing = rsmlab('test', 'paxos', '--world', 'sim', '--seeds', '1', '--lab-module', `${paxosBroken}#noSuchLab`);
    expect(missing.status).to.equal(2);
    expect(missing.stderr).to.include(`${paxosBroken} exports no Lab named 'noSuchLab'`);
    const siteless = rsmlab('test', 'paxos', '--world', 'sim', '--seeds', '1', '--lab-module', `${paxosBroken}#sitelessPaxosLab`);
    expect(siteless.status).to.equal(2);
    expect(siteless.stderr).to.include(`${paxosBroken}'s Lab 'sitelessPaxosLab' declares no fault sites: a Lab declares the breakpoints`);
    expect(siteless.stdout).to.equal('');
    expect(rsmlab('test', 'paxos', '--seeds', '1', '--lab-module', `${paxosBroken}#amnesiacPaxosLab`).stderr).to.include('--lab-module runs a Lab object in the simulator only');
  });

  it("a failing seed's stack names the lab's .ts lines, from a worker process and in its replay (`rsmlab sim` runs with source maps)", () => {
    const r = rsmlab('test', 'vsr', '--world', 'sim', '--seeds', '1', '--only', '1', '--jobs', '1', '--shrink-ms', '0', '--lab-module', `${vsrBroken}#lostClientTableLab`);
    expect(r.status, r.stderr).to.equal(1);
    expect(r.stdout).to.match(/TypeError: Cannot read properties of undefined \(reading '\w+'\)/); // the client table's first use, whichever it is
    const stackFrames = (text: string): string[] => text.split('\n').filter((l) => /^\s+at /.test(l)).map((l) => l.trim());
    const frames = stackFrames(r.stdout);
    expect(frames, r.stdout).to.not.deep.equal([]);
    for (const frame of frames) expect(frame).to.match(/[/\\]labs[/\\]vsr[/\\]\w+\.ts:\d+:\d+\)$/);
    const replay = /^\s*replay: npx rsmlab (sim .*)$/m.exec(r.stdout)?.[1];
    expect(replay, r.stdout).to.equal(`sim vsr 1 --seed 1 --lab-module ${vsrBroken}#lostClientTableLab`);
    const replayed = rsmlab('sim', 'vsr', '1', '--seed', '1', '--lab-module', `${vsrBroken}#lostClientTableLab`);
    expect(replayed.status, replayed.stderr).to.equal(1);
    expect(stackFrames(replayed.stdout), replayed.stdout).to.deep.equal(frames);
  });

  it("a failed call lab code left uncaught shows the lab's lines where the call was made, in the report and its replay", () => {
    const variant = `${paxosBroken}#uncaughtCallPaxosLab`;
    const r = rsmlab('test', 'paxos', '--world', 'sim', '--seeds', '1', '--only', '1', '--jobs', '1', '--shrink-ms', '0', '--lab-module', variant);
    expect(r.status, r.stderr).to.equal(1);
    const error = /RpcError: paxos\.\w+ to p2: unreachable \(connection refused\)\n((?:\s+at .*\n)+)/.exec(r.stdout);
    expect(error, r.stdout).to.not.equal(null);
    const frames = error![1]!.trim().split('\n').map((l) => l.trim());
    for (const frame of frames) expect(frame, r.stdout).to.match(/[/\\]labs[/\\]paxos[/\\]proposer\.ts:\d+:\d+\)$/);
    expect(frames.some((frame) => /^at UncaughtCallProposer\.(prepare|accept|decide) /.test(frame)), r.stdout).to.equal(true);
    const replayed = rsmlab('sim', 'paxos', '1', '--seed', '1', '--lab-module', variant);
    expect(replayed.status, replayed.stderr).to.equal(1);
    expect(replayed.stdout, replayed.stdout).to.include(`unreachable (connection refused)\n    ${frames.join('\n    ')}\n`);
  });
});

describe('which world may run a scenario', () => {
  it('runsIn: the worlds a scenario declares, both by default; a simulator-only body given another cluster names the missing declaration', () => {
    expect([runsIn({}, 'sim'), runsIn({}, 'real')]).to.deep.equal([true, true]);
    expect([runsIn({ worlds: ['sim'] }, 'sim'), runsIn({ worlds: ['sim'] }, 'real')]).to.deep.equal([true, false]);
    expect(() => simClusterOf({ world: 'real' } as unknown as Cluster)).to.throw("a simulator-only scenario was given a real cluster: it must declare worlds ['sim']");
  });
});

describe('rsmlab test --world both: what the real world does not run', () => {
  const outcome = (id: string, fields: Partial<ScenarioOutcome>): ScenarioOutcome => ({ id, title: id, points: 1, status: 'failed', passedSeeds: 0, failedSeeds: 3, skippedSeeds: 0, totalSeeds: 3, lowestFailingSeed: 2, replay: `npx rsmlab sim paxos ${id} --seed 2`, elapsedMs: 1, ...fields });
  const sim: SuiteResult = {
    lab: 'paxos',
    world: 'sim',
    seeds: [1, 2, 3],
    outcomes: [
      outcome('every-seed-failed', {}),
      outcome('hung', { status: 'hung', failedSeeds: 1, skippedSeeds: 2 }),
      outcome('some-seeds-passed', { passedSeeds: 2, failedSeeds: 1 }),
      outcome('passed', { status: 'passed', passedSeeds: 3, failedSeeds: 0 }),
    ],
  };

  it('skips a scenario none of whose simulator seeds passed, saying why with the replay of its failure; one some seeds passed still runs', () => {
    expect([...notRunAfter([sim])]).to.deep.equal([
      ['every-seed-failed', { why: 'the simulator already failed (seed 2)', replay: 'npx rsmlab sim paxos every-seed-failed --seed 2' }],
      ['hung', { why: 'the simulator already failed (seed 2: hung)', replay: 'npx rsmlab sim paxos hung --seed 2' }],
    ]);
    expect([...notRunAfter([])], 'no simulator run before: everything runs').to.deep.equal([]);
  });
});
