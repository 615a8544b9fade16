// The Gradescope autograder bundle (`rsmlab autograder`): unpacked as Gradescope would, set up,
// and run with run_autograder against sample submissions of every shape (src/grade/upload.ts), with
// Gradescope's paths moved into a temporary folder; results.json must be valid Gradescope output
// with the right score.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import AdmZip from 'adm-zip';
import { expect } from 'chai';
import { UPLOAD_INSTRUCTION } from '../src/grade/upload.js';
import { paxosScenarios } from '../tester/paxos/scenarios.js';
import { lyingStatus } from './fixtures/lying-status.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
/** A line of the proposer's prepare, after which a planted loop spins (grade.test plants the same). */
const PREPARE = '    const args = { instance, n: this.my_n };\n';

interface Results {
  score: number;
  execution_time?: number;
  output?: string;
  tests?: { name: string; score: number; max_score: number; status: string; execution_time: number; output: string }[];
}

/** Gradescope's results.json: a numeric score equal to the sum of the tests', each test named, scored and timed (seconds, their sum the run's). */
function checkResults(results: Results): void {
  expect(results.score).to.be.a('number');
  for (const t of results.tests ?? []) {
    expect(Object.keys(t).sort()).to.deep.equal(['execution_time', 'max_score', 'name', 'output', 'score', 'status']);
    expect(t.status).to.be.oneOf(['passed', 'failed']);
    expect(t.score).to.be.within(0, t.max_score);
    expect(t.execution_time).to.be.a('number').and.at.least(0);
  }
  expect((results.tests ?? []).reduce((sum, t) => sum + t.score, 0)).to.equal(results.score);
  if (results.tests !== undefined && results.tests.length > 0) {
    expect(results.execution_time).to.be.closeTo(results.tests.reduce((sum, t) => sum + t.execution_time, 0), 0.001 * results.tests.length);
    if (results.tests.some((t) => t.status === 'passed')) expect(results.tests.some((t) => t.execution_time > 0), 'some test that ran took time').to.equal(true);
  }
}

describe('rsmlab autograder', function () {
  this.timeout(300_000);
  let root: string;
  let source: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'rsmlab-autograder-'));
    chmodSync(root, 0o755); // as /autograder is: searchable, so that (as root) each submission runs as a user of its own
    // In a folder not made yet: the command makes it.
    const zip = join(root, 'bundle', 'autograder.zip');
    const made = spawnSync(process.execPath, [join(repo, 'dist', 'src', 'cli', 'main.js'), 'autograder', '--lab', 'paxos', '--out', zip, '--seeds', '1', '--hang-ms', '5000'], { encoding: 'utf8' });
    expect(made.status, made.stdout + made.stderr).to.equal(0);
    source = join(root, 'source');
    new AdmZip(zip).extractAllTo(source, true, true);
    // Gradescope's setup.sh would run `npm ci`; here the packages come from this tree.
    symlinkSync(join(repo, 'node_modules'), join(source, 'node_modules'));
    const setup = spawnSync('bash', [join(source, 'setup.sh')], { cwd: source, encoding: 'utf8', timeout: 240_000 });
    expect(setup.status, setup.stdout + setup.stderr).to.equal(0);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('carries setup.sh and run_autograder (executable) and no solutions', () => {
    for (const script of ['setup.sh', 'run_autograder']) expect(spawnSync('test', ['-x', join(source, script)]).status, script).to.equal(0);
    // Its grading bound, under Gradescope's default 10 minutes: a slow submission keeps the tests it finished.
    expect(readFileSync(join(source, 'run_autograder'), 'utf8')).to.include('--jobs 1 --seeds 1 --hang-ms 5000 --memory-mb 512 --timeout-ms 540000 >');
    const acceptor = readFileSync(join(source, 'labs', 'paxos', 'acceptor.ts'), 'utf8');
    expect(acceptor).to.include('TODO: acceptor.preparereq');
    expect(acceptor).to.not.include('BEGIN SOLUTION');
    for (const lab of ['paxos', 'rsm', 'vsr', 'par']) expect(existsSync(join(source, 'tester', lab, 'mutants.ts')), lab).to.equal(false);
  });

  function runAutograder(name: string, fill: (submission: string) => void): Results {
    const home = join(root, name);
    mkdirSync(join(home, 'submission'), { recursive: true });
    fill(join(home, 'submission'));
    const run = spawnSync('bash', [join(source, 'run_autograder')], { encoding: 'utf8', timeout: 240_000, env: { ...process.env, AUTOGRADER_ROOT: home, AUTOGRADER_SOURCE: source } });
    expect(run.status, run.stdout + run.stderr).to.equal(0);
    const results = JSON.parse(readFileSync(join(home, 'results', 'results.json'), 'utf8')) as Results;
    checkResults(results);
    return results;
  }

  it('run_autograder grades an upload of a labs folder\'s contents with a planted bug and a hang: valid results.json, tests 7 and 6 lost, the hang with where it was stuck', () => {
    const results = runAutograder('planted', (submission) => {
      cpSync(join(repo, 'labs'), submission, { recursive: true });
      const edit = (file: string, from: string, to: string): void => {
        const text = readFileSync(join(submission, file), 'utf8');
        expect(text, file).to.include(from);
        writeFileSync(join(submission, file), text.replace(from, to));
      };
      edit(join('paxos', 'acceptor.ts'), '    await this.log.logaccept(this.n_a, this.v_a);\n', '');
      edit(join('paxos', 'proposer.ts'), PREPARE, `${PREPARE}    while (instance === 6 && nodes.length === 3) args.n = this.my_n;\n`);
    });
    expect(results.tests).to.have.length(paxosScenarios.length);
    const failed = results.tests!.filter((t) => t.status === 'failed');
    expect(results.score).to.equal(10 * (paxosScenarios.length - failed.length));
    const seven = failed.find((t) => t.name.startsWith('paxos 7:'));
    expect(seven, JSON.stringify(failed.map((t) => t.name))).to.not.equal(undefined);
    expect(seven!.output).to.include('replay: npx rsmlab sim paxos 7 --seed 1');
    // One submission at a time, as on Gradescope: the hang says where the student's loop is, in their file.
    const six = failed.find((t) => t.name.startsWith('paxos 6:'));
    expect(six?.output, JSON.stringify(failed.map((t) => t.name))).to.match(/no progress for 5000 ms at seed 1: the run was killed; its code was stuck at:\n +at Proposer\.prepare \(labs\/paxos\/proposer\.ts:\d+:\d+\)\n/);
  });

  it("run_autograder grades the files the hand-out gives as it gives them: the stubs with a status.ts that reports every test passed score 0, and the results name it", () => {
    const results = runAutograder('lying', (submission) => {
      cpSync(join(source, 'labs'), join(submission, 'labs'), { recursive: true });
      const status = join(submission, 'labs', 'paxos', 'status.ts');
      writeFileSync(status, lyingStatus(readFileSync(status, 'utf8')));
    });
    expect(results.tests).to.have.length(paxosScenarios.length);
    expect(results.score).to.equal(0);
    expect(results.output).to.include("labs/paxos/status.ts: your changes were replaced by the hand-out's copy.");
  });

  /** Every test passed, with full points. */
  function expectFullMarks(results: Results): void {
    expect(results.tests).to.have.length(paxosScenarios.length);
    expect(results.tests!.filter((t) => t.status !== 'passed').map((t) => t.name)).to.deep.equal([]);
    expect(results.score).to.equal(10 * paxosScenarios.length);
  }

  it('run_autograder grades the labs/ folder of a repository uploaded one folder deep, and says where it took it', () => {
    const results = runAutograder('one-deep', (submission) => {
      cpSync(join(repo, 'labs'), join(submission, 'rsmlab-main', 'labs'), { recursive: true });
      writeFileSync(join(submission, 'rsmlab-main', 'README.md'), '# my labs\n');
    });
    expectFullMarks(results);
    expect(results.output).to.equal('Graded the labs/ folder at rsmlab-main/labs/ in your upload.');
  });

  it('run_autograder grades Lab 1\'s files uploaded without their folders in labs/paxos/, and says so', () => {
    const results = runAutograder('flat', (submission) => cpSync(join(repo, 'labs', 'paxos'), submission, { recursive: true }));
    expectFullMarks(results);
    expect(results.output).to.match(/^Your upload has no labs\/ folder: graded labs\/paxos\/acceptor\.ts, /).and.include(UPLOAD_INSTRUCTION);
  });

  it('run_autograder scores an empty upload, or files that fit no one folder of labs/, 0 with what to upload', () => {
    const empty = runAutograder('empty', () => undefined);
    expect(empty.score).to.equal(0);
    expect(empty.tests, 'every test is listed, at 0').to.have.length(paxosScenarios.length);
    expect(empty.output).to.equal(`problem: nothing to grade: the upload is empty. ${UPLOAD_INSTRUCTION}`);
    const ambiguous = runAutograder('ambiguous', (submission) => {
      for (const file of ['lab.ts', 'protocol.ts', 'status.ts']) cpSync(join(repo, 'labs', 'paxos', file), join(submission, file));
    });
    expect(ambiguous.score).to.equal(0);
    expect(ambiguous.output).to.include('lab.ts, protocol.ts, status.ts could belong in labs/paxos/ or labs/rsm/ or labs/vsr/').and.include(UPLOAD_INSTRUCTION);
    expect(UPLOAD_INSTRUCTION).to.include('labs/paxos/acceptor.ts');
  });
});
