// The student handout is derived from the reference tree: it must build, hold the students' README
// and the framework tests marked for it, and its graded scenarios must fail on the stubs (so the
// tests bite). The hand-out as a newcomer installs and runs it is test/newcomer.test.ts.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { rsmScenarios } from '../tester/rsm/scenarios.js';
import { generateHandout, HANDOUT_TEST_MARKER, STUDENT_README } from '../src/handout/generate.js';
import { STAFF_DOCS } from '../src/handout/instructor-only.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));

describe('handout', function () {
  this.timeout(240_000);
  let out: string;
  let parent: string;

  before(() => {
    // Beside a copy of shared/ so that the handout's tests find the Porcupine data as a student's clone would.
    parent = mkdtempSync(join(tmpdir(), 'rsmlab-handout-'));
    symlinkSync(join(repo, '..', 'shared'), join(parent, 'shared'));
    out = join(parent, 'handout');
    const summary = generateHandout(repo, out);
    expect(Object.keys(summary.stripped)).to.include.members(['labs/paxos/acceptor.ts', 'labs/paxos/proposer.ts']);
    symlinkSync(join(repo, 'node_modules'), join(out, 'node_modules'));
  });
  after(() => rmSync(parent, { recursive: true, force: true }));

  const run = (command: string, args: string[]) => spawnSync(command, args, { cwd: out, encoding: 'utf8', timeout: 200_000 });

  it('builds with the strict tsconfig', () => {
    const tsc = run(process.execPath, [join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.']);
    expect(tsc.status, tsc.stdout + tsc.stderr).to.equal(0);
  });

  it('with --world both, a test every simulator seed of which failed is not run in the real world, saying why', () => {
    const test = run(process.execPath, ['dist/src/cli/main.js', 'test', 'paxos', '--world', 'both', '--only', '0', '--seeds', '2', '--shrink-ms', '0', '--no-progress']);
    expect(test.status, test.stdout + test.stderr).to.equal(1);
    const [sim, real] = test.stdout.split('rsmlab test paxos — world real');
    expect(sim).to.match(/^0 .* FAILED +0\/2/m);
    expect(real).to.match(/^0 .* NOT RUN +0\/1/m);
    expect(real).to.include('\nNOT RUN paxos 0 (');
    expect(real).to.include('\n  not run: the simulator already failed (seed 1)\n  replay: npx rsmlab sim paxos 0 --seed 1\n');
  });

  it('leaves out the mutant corpora (each mutant is the solution with one bug), and says so when asked for them', () => {
    for (const lab of ['paxos', 'rsm', 'vsr', 'par']) expect(existsSync(join(out, 'tester', lab, 'mutants.ts')), lab).to.equal(false);
    expect(existsSync(join(out, 'test', 'mutants.test.ts'))).to.equal(false);
    for (const lab of ['paxos', 'vsr']) {
      const mutants = run(process.execPath, ['dist/src/cli/main.js', 'mutants', lab]);
      expect(mutants.status, mutants.stdout + mutants.stderr).to.equal(2);
      expect(mutants.stderr).to.include(`the ${lab} mutant corpus is not in this tree (the student hand-out leaves it out)`);
    }
    for (const command of ['sim', 'shrink']) {
      const replay = run(process.execPath, ['dist/src/cli/main.js', command, 'paxos', '7', '--seed', '1', '--mutant', 'amnesiac-accept']);
      expect(replay.status, replay.stdout + replay.stderr).to.equal(2);
      expect(replay.stderr).to.equal('rsmlab: the paxos mutant corpus is not in this tree (the student hand-out leaves it out)\n');
    }
  });

  it('leaves out the staff\'s docs, and nothing it ships links to them', () => {
    for (const doc of STAFF_DOCS) expect(existsSync(join(out, doc)), doc).to.equal(false);
    expect(readdirSync(join(out, 'handouts')).sort()).to.deep.equal(['lab0-tour.md', 'lab1-paxos.md', 'lab2-rsm.md', 'lab3-vsr.md', 'lab4-par.md', 'student-README.md']);
    const docs = ['README.md', ...readdirSync(join(out, 'handouts')).map((f) => join('handouts', f))];
    const names = [...STAFF_DOCS.map((d) => d.split('/').at(-1)!), 'DESIGN.md'];
    for (const doc of docs) {
      const text = readFileSync(join(out, doc), 'utf8');
      expect(names.filter((name) => text.includes(name)), doc).to.deep.equal([]);
    }
  });

  it('holds the students\' README and only the framework tests marked for it (its `npm test` and the lab scenarios: test/newcomer.test.ts)', () => {
    expect(readFileSync(join(out, 'README.md'), 'utf8')).to.equal(readFileSync(join(repo, STUDENT_README), 'utf8'));
    const marked = readdirSync(join(repo, 'test')).filter((f) => f.endsWith('.test.ts') && readFileSync(join(repo, 'test', f), 'utf8').includes(HANDOUT_TEST_MARKER));
    expect(readdirSync(join(out, 'test')).filter((f) => f.endsWith('.test.ts')).sort()).to.deep.equal(marked.sort());
    expect(marked).to.include.members(['check-models.test.ts', 'sim-scheduler.test.ts']).and.not.include('readme.test.ts');
    expect(existsSync(join(out, 'bin', 'rsmlab.js'))).to.equal(true);
  });

  /** Replace the first line of the student's proposer.prepare with `body`. */
  function writePrepare(body: string): void {
    const proposer = join(out, 'labs', 'paxos', 'proposer.ts');
    const stub = readFileSync(proposer, 'utf8');
    const source = stub.replace(/(protected async prepare\(instance: number, nodes: NodeId\[\]\): Promise<Promised \| null> \{\n)[^\n]*\n/, `$1    ${body}\n`);
    expect(source).to.not.equal(stub);
    writeFileSync(proposer, source);
  }

  /** Replace the student's proposer.prepare stub with `body`, rebuild, and run tests 0 and 1 on two seeds. */
  function runWithPrepare(body: string): { status: number | null; stdout: string } {
    writePrepare(body);
    const tsc = run(process.execPath, [join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.']);
    expect(tsc.status, tsc.stdout + tsc.stderr).to.equal(0);
    const test = run(process.execPath, ['dist/src/cli/main.js', 'test', 'paxos', '--world', 'sim', '--seeds', '2', '--only', '0,1', '--hang-ms', '4000', '--no-progress']);
    return { status: test.status, stdout: test.stdout };
  }

  it('a submission that hangs costs those tests only: killed by the watchdog, with a replay command', () => {
    const { status, stdout } = runWithPrepare('for (;;) instance += nodes.length * 0;');
    expect(status, stdout).to.equal(1);
    expect(stdout).to.match(/^0 .* HUNG +0\/2/m);
    expect(stdout).to.match(/^1 .* HUNG +0\/2/m);
    expect(stdout).to.include('no progress for 4000 ms at seed 1: the run was killed');
    // ... and where the student's loop is: the line of proposer.prepare they wrote it on.
    expect(stdout).to.match(/its code was stuck at:\n +at Proposer\.prepare \(\S*labs\/paxos\/proposer\.ts:\d+:\d+\)\n/);
    expect(stdout).to.include('replay: npx rsmlab sim paxos 0 --seed 1');
  });

  it('a submission that kills its own process costs those tests only, with a replay command', () => {
    const { status, stdout } = runWithPrepare('return globalThis.process.exit(nodes.length > instance ? 41 : 42);');
    expect(status, stdout).to.equal(1);
    expect(stdout).to.match(/^0 .* CRASHED +0\/2/m);
    expect(stdout).to.match(/^1 .* CRASHED +0\/2/m);
    expect(stdout).to.include('worker exited (code 42) at seed 1');
    expect(stdout).to.include('replay: npx rsmlab sim paxos 1 --seed 1');
  });

  it('a lab file edited and not rebuilt: `rsmlab test` builds it first, says so, and runs the new code', () => {
    writePrepare('return globalThis.process.exit(43);');
    const test = (): ReturnType<typeof run> => run(process.execPath, ['dist/src/cli/main.js', 'test', 'paxos', '--world', 'sim', '--seeds', '1', '--only', '0', '--no-progress']);
    const edited = test();
    expect(edited.stderr, edited.stderr).to.include('rsmlab: labs/paxos/proposer.ts changed since the last build: building first (npm run build)');
    expect(edited.stdout, 'the new code ran').to.include('worker exited (code 43) at seed 1');
    const again = test();
    expect(again.stderr, 'built once, not again').to.not.include('changed since the last build');
    expect(again.stdout).to.include('worker exited (code 43) at seed 1');
    // A scenario edited (an instructor's, say): built first too.
    const scenarios = join(out, 'tester', 'paxos', 'scenarios.ts');
    writeFileSync(scenarios, `${readFileSync(scenarios, 'utf8')}\n// edited\n`);
    expect(test().stderr).to.include('rsmlab: tester/paxos/scenarios.ts changed since the last build: building first (npm run build)');
  });

  it('a type error in a lab file: built and run as far as it compiled, and every later run says so again until it is fixed', () => {
    writePrepare('const typo: number = `${instance}/${nodes.length}`; return globalThis.process.exit(typo === typo ? 44 : 0);');
    const test = (): ReturnType<typeof run> => run(process.execPath, ['dist/src/cli/main.js', 'test', 'paxos', '--world', 'sim', '--seeds', '1', '--only', '0', '--no-progress']);
    const built = test();
    expect(built.stderr).to.match(/labs\/paxos\/proposer\.ts\(\d+,\d+\): error TS2322/).and.include('rsmlab: the build reported errors (above): the code runs as far as it compiled');
    expect(built.stdout, 'the code ran').to.include('worker exited (code 44) at seed 1');
    const again = test();
    expect(again.stderr, 'not built again, and still told').to.match(/^rsmlab: warning: the last build reported 1 type error, the first: labs\/paxos\/proposer\.ts\(\d+,\d+\): error TS2322: .* \(all of them: dist\/\.type-errors\); the code runs as far as it compiled$/m);
    expect(again.stderr).to.not.include('changed since the last build');
    writePrepare('return globalThis.process.exit(nodes.length > instance ? 45 : 45);');
    expect(test().stderr, 'fixed: built clean').to.not.include('error TS');
    expect(test().stderr, 'and no longer told').to.not.include('type error');
  });

  it('fails every Lab 2 scenario on the Lab 2 stubs even with Lab 1 solved, naming the rsm part to write', () => {
    cpSync(join(repo, 'labs', 'paxos'), join(out, 'labs', 'paxos'), { recursive: true });
    const tsc = run(process.execPath, [join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.']);
    expect(tsc.status, tsc.stdout + tsc.stderr).to.equal(0);
    const test = run(process.execPath, ['dist/src/cli/main.js', 'test', 'rsm', '--world', 'sim', '--seeds', '1', '--no-progress']);
    expect(test.status, test.stdout + test.stderr).to.equal(1);
    expect(test.stdout).to.include(`0/${rsmScenarios.length} tests passed`);
    expect(test.stdout).to.match(/TODO: rsm\./);
  });

  it('fails Lab 3\'s first scenario on the stubs, naming the engine handler to write as handouts/lab3-vsr.md quotes it', () => {
    const quoted = /`(lab code threw: TODO: engine\.[^`]*)`/.exec(readFileSync(join(repo, 'handouts', 'lab3-vsr.md'), 'utf8'));
    expect(quoted, 'lab3-vsr.md quotes a `lab code threw: TODO: engine.…` line').to.not.equal(null);
    // As the student README has it: `npm run lab3` rebuilds, then runs Lab 3's scenarios (here one, in the simulator).
    const test = run('npm', ['run', 'lab3', '--', '--world', 'sim', '--seeds', '1', '--only', '1', '--no-progress']);
    expect(test.status, test.stdout + test.stderr).to.equal(1);
    expect(test.stdout).to.match(/^> tsc -p \. /m).and.include('rsmlab test vsr — world sim, 1 seed');
    expect(test.stdout).to.include(quoted![1]!.replace(/\s+/g, ' '));
  });

  it('has an `npm run labN` for each lab, which rebuilds first; Lab 4\'s fails on the stubs at the recovery table', () => {
    const scripts = (JSON.parse(readFileSync(join(out, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    ['paxos', 'rsm', 'vsr', 'par'].forEach((lab, i) => {
      expect(scripts[`lab${i + 1}`]).to.equal(`node bin/rsmlab.js test ${lab}`);
      expect(scripts[`prelab${i + 1}`]).to.equal('npm run build');
    });
    const test = run('npm', ['run', 'lab4', '--', '--world', 'sim', '--seeds', '1', '--only', '13', '--shrink-ms', '0', '--no-progress']);
    expect(test.status, test.stdout + test.stderr).to.equal(1);
    expect(test.stdout).to.include('rsmlab test par — world sim, 1 seed').and.include('lab code threw: TODO: recovery-table.recoveryCase: the table is empty: write caseRows, the 14 cases @A–@N (handouts/lab4-par.md, "Recovery at startup")');
  });
});
