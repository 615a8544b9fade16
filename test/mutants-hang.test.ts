// The mutant gate's hang watchdog (its lanes', tester/lane.ts): a seed slow in wall time but
// stepping is judged by its scenario, never as hung, however short --hang-ms; a mutant stuck in a
// loop is caught as hung at its seed, and its worker killed; each catch's replay command names the
// mutant in its corpus module (FILE#ID). Over a corpus of two (test/fixtures/gate-corpus.ts).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { runGate } from '../tester/mutants/gate.js';
import { formatGate } from '../tester/mutants/report.js';

const corpus = join(process.cwd(), 'dist', 'test', 'fixtures', 'gate-corpus.js');
/**
 * Far shorter than slow-amnesiac's seed 1 of scenario 7 in wall time (2.8 s on the 2-core machine
 * it was written on, under a load of 11), far longer than the longest stretch without a beat in it
 * (0.13 s there: the first few thousand steps, cold).
 */
const hangMs = 500;

/** This process's mutant workers still running (from /proc: children whose command line runs the mutant worker). */
function mutantWorkers(): number[] {
  return readdirSync('/proc').filter((name) => /^\d+$/.test(name)).filter((pid) => {
    try {
      const ppid = Number(readFileSync(`/proc/${pid}/stat`, 'latin1').replace(/^.*\) /s, '').split(' ')[1]);
      return ppid === process.pid && readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes('mutants/worker.js');
    } catch {
      return false; // it exited while we looked
    }
  }).map(Number);
}

/** Wait until this process has no mutant workers (a closed lane's worker exits at once), or give up after 10 s. */
async function workersGone(): Promise<number[]> {
  for (let tries = 0; tries < 100 && mutantWorkers().length > 0; tries++) await new Promise((resolve) => setTimeout(resolve, 100));
  return mutantWorkers();
}

describe('mutant gate: hung means stuck, not slow', function () {
  this.timeout(60_000);

  it('a seed that outlasts --hang-ms in wall time but keeps stepping is judged by its scenario, not as hung', async () => {
    const result = await runGate({ lab: 'paxos', seeds: [1], jobs: 1, only: ['slow-amnesiac'], hangMs, corpus });
    const [verdict] = result.verdicts;
    expect(verdict, formatGate(result)).to.deep.include({ mutant: 'slow-amnesiac', caught: true, runs: 1 });
    expect(verdict!.problem, formatGate(result)).to.equal(undefined);
    expect(verdict!.by).to.deep.include({ scenario: '7', seed: 1, failed: 1, ran: 1 });
    expect(verdict!.by!.error).to.match(/view 5 is \{p1,p2,p3\}, expected \{p0,p1,p2\}/);
    // A mutant of a test's corpus replays as FILE#ID; the command, run as printed, fails the same check.
    const replay = `npx rsmlab sim paxos 7 --seed 1 --mutant ${corpus}#slow-amnesiac`;
    expect(verdict!.replay).to.equal(replay);
    const dir = mkdtempSync(join(tmpdir(), 'rsmlab-hang-replay-'));
    try {
      const cli = spawnSync(process.execPath, [join(process.cwd(), 'dist', 'src', 'cli', 'main.js'), ...replay.split(' ').slice(2)], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
      expect(cli.status, cli.stdout + cli.stderr).to.equal(1);
      expect(cli.stdout).to.include(`\nseed 1: ${verdict!.by!.error}\n`).and.include(`\nreplay: ${replay}\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a mutant stuck in a loop is caught as hung at its scenario and seed, and its worker is killed', async () => {
    const result = await runGate({ lab: 'paxos', seeds: [1, 2], jobs: 1, only: ['spinning'], hangMs, corpus });
    const [verdict] = result.verdicts;
    const hung = `hung: no progress for ${hangMs} ms at seed 1 of scenario 7: the run was killed`;
    expect(verdict, formatGate(result)).to.deep.include({ mutant: 'spinning', caught: true, problem: hung });
    expect(verdict!.by).to.deep.equal({ scenario: '7', failed: 1, ran: 1, seed: 1, error: hung });
    expect(verdict!.replay).to.equal(`npx rsmlab sim paxos 7 --seed 1 --mutant ${corpus}#spinning`);
    expect(formatGate(result)).to.include(`spinning  choosing a value  caught by 7 (first catch at seed 1, after 1 of 2 seeds): ${hung}\n${' '.repeat(28)}replay: ${verdict!.replay}\n`);
    expect(await workersGone(), 'mutant workers left running').to.deep.equal([]);
  });
});
