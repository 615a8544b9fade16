// `rsmlab test --world both` as a grader runs it: the table, Gradescope's results.json, JUnit XML
// and --json each name every test with the one world it ran in, and nothing else.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { progressLines } from '../src/cli/test-command.js';

const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

interface JsonTest { name: string; world: string; id: string; status: string; score: number; max_score: number; passed_seeds: number; total_seeds: number }

describe('rsmlab test: every output labels each world', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'rsmlab-output-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const run = (...args: string[]) => spawnSync(process.execPath, [cli, 'test', 'paxos', '--world', 'both', '--only', '0', '--seeds', '2', '--no-progress', ...args], { cwd: dir, encoding: 'utf8', timeout: 100_000 });

  it('the table has one section per world; Gradescope, JUnit and --json name the world of each test', () => {
    const r = run('--json', '--gradescope', 'results.json', '--junit', 'junit.xml');
    expect(r.status, r.stderr).to.equal(0);
    const title = 'start 3 nodes: views {p0}, {p0,p1}, {p0,p1,p2}';

    const json = JSON.parse(r.stdout) as { lab: string; worlds: { world: string; seeds: number }[]; passed: number; total: number; score: number; max_score: number; tests: JsonTest[] };
    expect(json.worlds).to.deep.equal([{ world: 'sim', seeds: 2, first_seed: 1 }, { world: 'real', seeds: 1, first_seed: 1 }]);
    expect(json.tests.map((t) => [t.name, t.world, t.id, t.status, t.passed_seeds, t.total_seeds])).to.deep.equal([
      [`paxos 0: ${title} [sim]`, 'sim', '0', 'passed', 2, 2],
      [`paxos 0: ${title} [real]`, 'real', '0', 'passed', 1, 1],
    ]);
    expect([json.passed, json.total, json.score, json.max_score]).to.deep.equal([2, 2, 20, 20]);

    const gradescope = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as { score: number; tests: { name: string; status: string }[] };
    expect(gradescope.tests.map((t) => t.name)).to.deep.equal(json.tests.map((t) => t.name));
    expect(gradescope.score).to.equal(20);

    const junit = readFileSync(join(dir, 'junit.xml'), 'utf8');
    const suites = [...junit.matchAll(/<testsuite name="([^"]+)" tests="(\d+)"[^>]*>\s*<testcase classname="([^"]+)" name="([^"]+)"/g)].map((m) => m.slice(1));
    expect(suites).to.deep.equal([
      ['rsmlab paxos (sim)', '1', 'rsmlab.paxos.sim', `0: ${title}`],
      ['rsmlab paxos (real)', '1', 'rsmlab.paxos.real', `0: ${title}`],
    ]);
    expect(junit).to.match(/^<testsuites tests="2" failures="0"/m);
  });

  it('without --json, the table heads each world and counts its seeds', () => {
    const r = run();
    expect(r.status, r.stderr).to.equal(0);
    expect([...r.stdout.matchAll(/^rsmlab test paxos — world (\w+), (.*)$/gm)].map((m) => [m[1], m[2]])).to.deep.equal([
      ['sim', '2 seeds (1..2)'],
      ['real', 'seed 1'],
    ]);
  });
});

describe('rsmlab test: progress on a stderr that is no terminal', () => {
  it('is a line every 15 s of a run (none for a shorter one), never a bar redrawn', () => {
    const lines: string[] = [];
    let now = 1_000;
    const progress = progressLines('paxos sim', (line) => lines.push(line), () => now);
    for (const [at, done] of [[5_000, 10], [15_999, 40], [16_000, 41], [20_000, 60], [31_000, 90], [32_000, 95]] as const) {
      now = at;
      progress(done, 100);
    }
    expect(lines).to.deep.equal(['rsmlab: paxos sim: 41/100 runs, 15 s\n', 'rsmlab: paxos sim: 90/100 runs, 30 s\n']);
  });
});
