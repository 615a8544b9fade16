// Batch grading (`rsmlab grade`): three sample submissions (the reference, the bare hand-out, one
// with a planted bug and a planted hang) get the right score in every format without the hang
// stalling the batch; a file the hand-out gives is graded as it gives it, whatever the submission
// made of it, and the student is told; and a submission that loops, throws at import, exits, floods stdout,
// exhausts memory, leaves processes (escaped from its process group too) and ports behind, writes
// outside its own outputs or leaves links there still gets a report with a clear reason, and (as
// root) writes nothing of the grader's or of another student's and reads no other grading tree. A folder of downloaded uploads
// (Lab 1's files alone, labs/ one folder down, nothing to grade) grades as the autograder grades each.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { stripSolutions } from '../src/handout/strip.js';
import { buildFramework, buildWorkspace, compiled, graderTree, LINK_IGNORED } from '../src/grade/workspace.js';
import { FOLDERS_LEFT, gradesCsv, runIsolated, type StudentGrade } from '../src/grade/batch.js';
import { freshIds, runUsers } from '../src/grade/sandbox.js';
import { UPLOAD_INSTRUCTION } from '../src/grade/upload.js';
import { filesUnder } from '../src/files-under.js';
import { paxosScenarios } from '../tester/paxos/scenarios.js';
import { lyingStatus } from './fixtures/lying-status.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(repo, 'dist', 'src', 'cli', 'main.js');

/** A submission folder `name` holding a copy of the reference labs/, each file passed through `edit`. */
function submission(root: string, name: string, edit: (file: string, text: string) => string = (_f, t) => t): void {
  const labs = join(repo, 'labs');
  for (const file of filesUnder(labs)) {
    const rel = relative(labs, file);
    const target = join(root, name, 'labs', rel);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, edit(rel, readFileSync(file, 'utf8')));
  }
}

/** Replace `find` in lab file `rel` (which must contain it) with `replace`. */
function plant(rel: string, find: string, replace: string): (file: string, text: string) => string {
  return (file, text) => {
    if (file !== rel) return text;
    expect(text, `${rel} holds the line to plant in`).to.include(find);
    return text.replace(find, replace);
  };
}

function grade(submissions: string, out: string, extra: string[], lab = 'paxos'): { status: number | null; output: string; stderr: string } {
  const run = spawnSync(process.execPath, [cli, 'grade', '--lab', lab, '--submissions', submissions, '--out', out, ...extra], { encoding: 'utf8', timeout: 240_000 });
  return { status: run.status, output: `${run.stdout}${run.stderr}`, stderr: run.stderr };
}

interface Gradescope {
  score: number;
  tests: { name: string; score: number; max_score: number; status: string; output: string }[];
}

/** Whether a run with a user of its own can be had here: the grader is root and others can search every folder down to its packages. */
function ownUsersExpected(): boolean {
  const parts = realpathSync(join(repo, 'node_modules', 'zod')).split(sep);
  const searchable = parts.every((_, k) => (statSync(parts.slice(0, k + 1).join(sep) || sep).mode & 0o001) !== 0);
  return process.getuid?.() === 0 && searchable;
}

/** File `name` of process `pid`'s /proc folder, '' once the process is gone. */
function procFile(pid: number, name: string): string {
  try {
    return readFileSync(`/proc/${pid}/${name}`, 'latin1');
  } catch {
    return '';
  }
}

/** A grader's tree at `dir` (the framework linked from this one) whose tsc kills itself at once, as its time bound or the OOM killer would. */
function killingTsc(dir: string): string {
  mkdirSync(join(dir, 'node_modules', 'typescript', 'bin'), { recursive: true });
  for (const entry of ['src', 'tester', 'package.json']) symlinkSync(join(repo, entry), join(dir, entry));
  writeFileSync(join(dir, 'node_modules', 'typescript', 'bin', 'tsc'), "process.kill(process.pid, 'SIGKILL');\n");
  return dir;
}

const PREPARE = '    const args = { instance, n: this.my_n };\n';
/** The planted bug: acceptreq no longer logs n_a/v_a (test 7 loses view 5). */
const plantedBug = plant('paxos/acceptor.ts', '    await this.log.logaccept(this.n_a, this.v_a);\n', '');
/** The planted hang: proposing view 6 among three nodes loops forever. */
const plantedHang = plant('paxos/proposer.ts', PREPARE, `${PREPARE}    while (instance === 6 && nodes.length === 3) args.n = this.my_n;\n`);
/** The 'planted' sample: the reference with the bug and the hang. */
const plantedBugAndHang = (file: string, text: string): string => plantedHang(file, plantedBug(file, text));
const ACCEPTOR_TOP = '/** Called once per decided instance';
/** Lab 1's acceptor.ts (a file students write) with `code` at its top level: every worker that loads the lab runs it. */
const atAcceptorTop = (code: string): ((file: string, text: string) => string) => plant('paxos/acceptor.ts', ACCEPTOR_TOP, `${code}\n${ACCEPTOR_TOP}`);
const ENGINE_TOP = '/** Run one event through the replica; returns the commands it produced, in order. */';
/** Lab 3's engine.ts (a file students write) with `code` at its top level: Lab 3's tester imports it in the grading process too. */
const atEngineTop = (code: string): ((file: string, text: string) => string) => plant('vsr/engine.ts', ENGINE_TOP, `${code}\n${ENGINE_TOP}`);

describe('rsmlab grade', function () {
  this.timeout(300_000);
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'rsmlab-grade-'));
    chmodSync(root, 0o755); // searchable by others: a run with a user of its own reaches its tree and outputs
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('grades the reference, the bare hand-out and a planted bug + hang: right scores in CSV, report, results.json and JUnit', () => {
    const subs = join(root, 'samples');
    submission(subs, 'reference');
    submission(subs, 'handout', (file, text) => (file.endsWith('.ts') ? stripSolutions(file, text).text : text));
    submission(subs, 'planted', plantedBugAndHang);
    const out = join(root, 'samples-out');
    const { status, output, stderr } = grade(subs, out, ['--seeds', '1', '--hang-ms', '2000', '--jobs', '2']);
    expect(status, output).to.equal(0);
    // Each submission is told on stderr as it is graded, in the order they finish: 1/3, 2/3, 3/3.
    const told = [...stderr.matchAll(/^rsmlab grade: (\d)\/3 graded, \d+m\d\ds: (\S+) (\d+)\/(\d+)/gm)];
    expect(told.map((m) => m[1]), stderr).to.deep.equal(['1', '2', '3']);
    expect(told.map((m) => m[2]).sort(), stderr).to.deep.equal(['handout', 'planted', 'reference']);

    // Every format says the same: grades.csv, report.txt, results.json and junit.xml.
    const ids = paxosScenarios.map((sc) => sc.id);
    const max = 10 * ids.length;
    const csv = readFileSync(join(out, 'grades.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).to.equal(`student,score,max,${ids.map((id) => `test ${id}`).join(',')},problem`);
    const rows = new Map(csv.slice(1).map((line) => [line.split(',')[0]!, line.split(',')]));
    expect([...rows.keys()]).to.deep.equal(['handout', 'planted', 'reference']);
    const points = (student: string): Map<string, number> => new Map(ids.map((id, k) => [id, Number(rows.get(student)![3 + k])]));
    expect([...points('reference').values()].every((p) => p === 10), csv.join('\n')).to.equal(true);
    expect([...points('handout').values()].every((p) => p === 0), csv.join('\n')).to.equal(true);
    const planted = points('planted');
    for (const id of ['0', '1', '2', '3', '4', '5']) expect(planted.get(id), `planted test ${id}`).to.equal(10);
    for (const id of ['6', '7', 'catch-up']) expect(planted.get(id), `planted test ${id}`).to.equal(0);
    for (const student of ['reference', 'handout', 'planted']) {
      const score = [...points(student).values()].reduce((a, b) => a + b, 0);
      expect(rows.get(student)!.slice(1, 3), student).to.deep.equal([String(score), String(max)]);
      expect(output, student).to.match(new RegExp(`^${student} +${score}/${max}$`, 'm'));
      expect(told.find((m) => m[2] === student)?.slice(3), student).to.deep.equal([String(score), String(max)]);
      expect(readFileSync(join(out, student, 'report.txt'), 'utf8'), student).to.include(`score: ${score}/${max}`);
      const gs = JSON.parse(readFileSync(join(out, student, 'results.json'), 'utf8')) as Gradescope;
      expect(gs.score, student).to.equal(score);
      expect(gs.tests.map((t) => t.score), student).to.deep.equal([...points(student).values()]);
      const junit = readFileSync(join(out, student, 'junit.xml'), 'utf8');
      expect(junit, student).to.include(`tests="${ids.length}" failures="${ids.length - score / 10}"`);
    }

    const report = readFileSync(join(out, 'planted', 'report.txt'), 'utf8');
    expect(report).to.match(/^6 .* HUNG /m);
    expect(report).to.match(/^7 .* FAILED /m);
    expect(report).to.include('no progress for 2000 ms at seed 1: the run was killed');
    expect(report, 'grading opens no hung worker\'s inspector (another submission could reach its port)').to.not.include('stuck at');
    expect(report).to.include('replay: npx rsmlab sim paxos 7 --seed 1');
    expect(report).to.match(/see it: npx rsmlab view .*planted\/failures\/paxos-7-sim-seed1/);
    // The student's results.json gives the replay but no folder of the grading machine (on Gradescope, gone with the run), and says why.
    const plantedResults = JSON.parse(readFileSync(join(out, 'planted', 'results.json'), 'utf8')) as Gradescope & { output?: string };
    expect(plantedResults.tests.find((t) => t.name.startsWith('paxos 7: '))?.output).to.include('replay: npx rsmlab sim paxos 7 --seed 1');
    expect(JSON.stringify(plantedResults)).to.not.include('failures/').and.not.include('trace and notes:');
    expect(plantedResults.output).to.equal(FOLDERS_LEFT);
    expect(readFileSync(join(out, 'handout', 'report.txt'), 'utf8')).to.match(/TODO: (acceptor|proposer)\./);
    // Its stack frames name the student's .ts file and line, relative to their folder: no path or .js of the grading tree.
    for (const file of ['report.txt', 'results.json', 'junit.xml']) {
      const text = readFileSync(join(out, 'handout', file), 'utf8');
      expect(text, file).to.match(/at \S+ \(labs\/paxos\/(acceptor|proposer)\.ts:\d+:\d+\)/);
      expect(text, file).to.not.include('.work').and.not.include('dist/labs');
    }
  });

  it("grades a given file the submission changed as the hand-out gives it (a status.ts that reports every test passed scores what the stubs score) and leaves out a file it added that is not .ts; the report names both", () => {
    const subs = join(root, 'given');
    const stubs = (file: string, text: string): string => (file.endsWith('.ts') ? stripSolutions(file, text).text : text);
    submission(subs, 'handout', stubs);
    submission(subs, 'liar', (file, text) => (file === join('paxos', 'status.ts') ? lyingStatus(text) : stubs(file, text)));
    // The reference with a module of the student's own, which acceptor.ts imports: a file the student added is graded.
    submission(subs, 'helper', atAcceptorTop("import { helped } from './helper.js';\nvoid helped;"));
    writeFileSync(join(subs, 'helper', 'labs', 'paxos', 'helper.ts'), 'export const helped = 1;\n');
    // And a stray package.json, which would have tsc compile labs/paxos/ as CommonJS: ignored, and named.
    writeFileSync(join(subs, 'helper', 'labs', 'paxos', 'package.json'), '{ "type": "commonjs" }\n');
    const out = join(root, 'given-out');
    const { status, output } = grade(subs, out, ['--seeds', '1', '--only', '0', '--hang-ms', '5000', '--jobs', '2']);
    expect(status, output).to.equal(0);
    const csv = readFileSync(join(out, 'grades.csv'), 'utf8');
    expect(csv, csv).to.match(/^handout,0,10,0,/m).and.match(/^liar,0,10,0,/m).and.match(/^helper,10,10,10,$/m);
    const replaced = "labs/paxos/status.ts: your changes were replaced by the hand-out's copy.";
    const graded = 'Only the files you write are graded as you uploaded them: labs/paxos/acceptor.ts, labs/paxos/proposer.ts, labs/rsm/rsm.ts, labs/vsr/engine.ts, ';
    const outputOf = (student: string): string => (JSON.parse(readFileSync(join(out, student, 'results.json'), 'utf8')) as { output?: string }).output ?? '';
    for (const told of [readFileSync(join(out, 'liar', 'report.txt'), 'utf8'), outputOf('liar')]) expect(told).to.include(replaced).and.include(graded);
    for (const student of ['handout', 'helper']) expect(readFileSync(join(out, student, 'report.txt'), 'utf8'), student).to.not.include('replaced');
    expect(readFileSync(join(out, 'helper', 'report.txt'), 'utf8')).to.include('labs/paxos/package.json: ignored (only .ts files of labs/ are graded).');
    expect(readFileSync(join(out, 'handout', 'report.txt'), 'utf8')).to.not.include('ignored');
  });

  it("grades a folder of downloaded uploads as the autograder graded each: Lab 1's files alone, labs/ one folder down, nothing to grade", () => {
    const subs = join(root, 'uploads');
    submission(join(subs, 'nested'), 'rsmlab-main');
    cpSync(join(repo, 'labs', 'paxos'), join(subs, 'flat'), { recursive: true });
    mkdirSync(join(subs, 'notes'), { recursive: true });
    writeFileSync(join(subs, 'notes', 'notes.txt'), 'my answers\n');
    const out = join(root, 'uploads-out');
    const { status, output } = grade(subs, out, ['--seeds', '1', '--jobs', '2']);
    expect(status, output).to.equal(0);
    const max = 10 * paxosScenarios.length;
    expect(output).to.match(new RegExp(`^flat +${max}/${max}$`, 'm')).and.match(new RegExp(`^nested +${max}/${max}$`, 'm')).and.match(new RegExp(`^notes +0/${max} +\\(nothing to grade: `, 'm'));
    const report = (student: string): string => readFileSync(join(out, student, 'report.txt'), 'utf8');
    expect(report('nested')).to.include('Graded the labs/ folder at rsmlab-main/labs/ in your upload.');
    // Placed files: the note says the rest of labs/ is the hand-out's, without naming each stub of Labs 2-4.
    expect(report('flat')).to.match(/^Your upload has no labs\/ folder: graded labs\/paxos\/acceptor\.ts, /m).and.not.include('labs/rsm/rsm.ts');
    expect(report('notes')).to.include(`problem: nothing to grade: it holds no labs/ folder and no .ts file (only notes.txt). ${UPLOAD_INSTRUCTION}`);
    expect(existsSync(join(subs, 'flat', 'labs')), 'the submission folder is left as it was').to.equal(false);
  });

  it('grades the same submission to the same score on every run', () => {
    // Its own copies of the planted sample: two graded at once (--jobs 2), then one alone (--jobs 1);
    // on tests 5 (passes), 6 (hangs) and 7 (fails).
    const together = join(root, 'same-together');
    const alone = join(root, 'same-alone');
    for (const [subs, name] of [[together, 'planted'], [together, 'twin'], [alone, 'planted']] as const) submission(subs, name, plantedBugAndHang);
    const rows = (subs: string): Map<string, string> => {
      // The run alone also says nothing on stderr as it goes (--no-progress).
      const { status, output, stderr } = grade(subs, `${subs}-out`, ['--seeds', '1', '--hang-ms', '2000', '--only', '5,6,7', ...(subs === together ? ['--jobs', '2'] : ['--jobs', '1', '--no-progress'])]);
      expect(status, output).to.equal(0);
      expect(stderr.includes('rsmlab grade: '), stderr).to.equal(subs === together);
      return new Map(readFileSync(join(`${subs}-out`, 'grades.csv'), 'utf8').trim().split('\n').slice(1).map((line) => [line.split(',')[0]!, line.slice(line.indexOf(','))]));
    };
    const [first, again] = [rows(together), rows(alone)];
    expect([...first.keys(), ...again.keys()]).to.deep.equal(['planted', 'twin', 'planted']);
    const score = first.get('planted')!;
    expect(score.split(',').slice(3, -1), 'some tests pass and some fail: the scores compared are not all alike').to.include.members(['0', '10']);
    expect(first.get('twin'), 'the twin graded beside it').to.equal(score);
    expect(again.get('planted'), 'graded alone in another run').to.equal(score);
    const statuses = (subs: string, name: string) => (JSON.parse(readFileSync(join(`${subs}-out`, name, 'results.json'), 'utf8')) as Gradescope).tests.map((t) => `${t.name} ${t.status} ${t.score}`);
    expect(statuses(together, 'twin')).to.deep.equal(statuses(together, 'planted'));
    expect(statuses(alone, 'planted')).to.deep.equal(statuses(together, 'planted'));
  });

  it('isolates a submission that loops, throws at import, exits, floods stdout, exhausts memory, leaves processes and ports behind, writes elsewhere or leaves links', async () => {
    const subs = join(root, 'isolation');
    const ownUsers = ownUsersExpected();
    const port = 20_000 + (process.pid % 20_000);
    // Graded first, side by side (two lanes): ab-loops, hung twice over, is still being graded when aa-elsewhere's code runs.
    submission(subs, 'ab-loops', plant('paxos/proposer.ts', PREPARE, `${PREPARE}    for (;;) args.n = this.my_n;\n`));
    submission(subs, 'throws-at-import', atAcceptorTop("throw new Error('planted: acceptor.ts fails at import');\n"));
    submission(subs, 'exits', plant('paxos/proposer.ts', PREPARE, `${PREPARE}    globalThis.process.exit(instance + 40);\n`));
    // A student file's top level runs in every worker that loads the lab (Lab 1's grading process loads none of them).
    submission(subs, 'floods-stdout', atAcceptorTop("for (let i = 0; i < 2000; i++) console.log('flood '.repeat(2000));"));
    submission(subs, 'allocates', plant('paxos/proposer.ts', PREPARE, `${PREPARE}    const hoard: number[][] = [];\n    for (;;) hoard.push(new Array(1_000_000).fill(instance));\n`));
    // Sleepers unique to this run (another run of this test at the same time cannot be mistaken for
    // ours), each touching its marker first: one in the grading process's group, and four that
    // escape it: a detached spawn (a session of its own), setsid(1), a double fork whose middle
    // process exits at once (the sleeper is an orphan in a new session, reparented away from the run),
    // and one with an emptied environment whose (detached) parent waits for it.
    const escapes = {
      child: (sh: string) => `cp.spawn('sh', ['-c', '${sh}'], { stdio: 'ignore' })`,
      detached: (sh: string) => `cp.spawn('sh', ['-c', '${sh}'], { stdio: 'ignore', detached: true }).unref()`,
      setsid: (sh: string) => `cp.spawn('setsid', ['sh', '-c', '${sh}'], { stdio: 'ignore' })`,
      'double-fork': (sh: string) => `cp.spawn('sh', ['-c', '(setsid sh -c "${sh}" &)'], { stdio: 'ignore' })`,
      'emptied-env': (sh: string) => `cp.spawn('sh', ['-c', 'env -i PATH=/usr/bin:/bin sh -c "${sh}" & wait'], { stdio: 'ignore', detached: true }).unref()`,
      // Without its token and its parent: only a run with a user of its own can find it (grader.md's limits).
      ...(ownUsers && { 'emptied-orphan': (sh: string) => `cp.spawn('sh', ['-c', '(env -i PATH=/usr/bin:/bin setsid sh -c "${sh}" &)'], { stdio: 'ignore' })` }),
    };
    const sleeper = (k: number): string => `sleep 31${k}.${process.pid}`;
    const out = join(root, 'isolation-out');
    const marker = (name: string): string => join(out, 'leaves-processes', `spawned-${name}`); // its own output folder: it may write there
    const spawns = Object.entries(escapes).map(([name, spawn], k) => spawn(`touch ${marker(name)}; exec ${sleeper(k)}`));
    const leave = `void import('node:' + 'child_process').then((cp) => { ${spawns.join('; ')}; });\nvoid import('node:' + 'net').then((net) => net.createServer().on('error', () => undefined).listen(${port}));`;
    submission(subs, 'leaves-processes', atAcceptorTop(leave));
    // Tries to write the grader's packages and tree, and every other student's grading tree (its folder
    // under .work, beside its own), outputs and submission, and to read every other student's grading
    // tree, the grader's solution and another student's submission; notes what each did in its own output folder.
    const planted = `.planted-${process.pid}`;
    const targets = [
      `fs.realpathSync('node_modules') + '/${planted}'`,
      `'${repo}/${planted}'`,
      `...others(work, 's-aa-elsewhere').map((n) => 'tree:' + work + '/' + n + '/${planted}')`,
      `...others('${out}', 'aa-elsewhere').map((n) => 'outputs:${out}/' + n + '/${planted}')`,
      `...others('${subs}', 'aa-elsewhere').map((n) => 'submission:${subs}/' + n + '/${planted}')`,
      `...others(work, 's-aa-elsewhere').map((n) => 'read-tree:' + work + '/' + n + '/tree/package.json')`,
      `'read-solution:${repo}/labs/paxos/acceptor.ts'`,
      `'read-submission:${subs}/ab-loops/labs/paxos/acceptor.ts'`,
    ];
    const tries = [
      "void import('node:' + 'fs').then((fs) => {",
      "  const others = (dir: string, own: string): string[] => fs.readdirSync(dir).filter((n) => n !== own && n !== '.work' && fs.statSync(dir + '/' + n).isDirectory());",
      "  const work = fs.realpathSync('../..');", // the grading tree's folder's folder: .work
      '  const done: Record<string, string> = {};',
      `  for (const t of [${targets.join(', ')}]) {`,
      "    const path = t.replace(/^[\\w-]+:/, '');",
      "    const read = t.startsWith('read-');",
      "    try { if (read) fs.readFileSync(path); else fs.writeFileSync(path, 'x'); done[t] = read ? 'read' : 'written'; } catch (e) { done[t] = (e as { code: string }).code; }",
      '  }',
      `  fs.writeFileSync('${out}/aa-elsewhere/attempts.json', JSON.stringify(done));`,
      '});',
    ].join('\n');
    submission(subs, 'aa-elsewhere', atAcceptorTop(tries));
    // As a worker exits, leaves a result.json that links to a file only the grader may read
    // (the batch takes outcomes over IPC, never from a file) and turns report.txt into a link to a file
    // of the grader's: neither may be followed.
    const secret = join(root, 'secret.txt');
    const victim = join(root, 'victim.txt');
    writeFileSync(secret, 'SECRET-of-the-grader', { mode: 0o600 });
    writeFileSync(victim, 'the grader\'s file', { mode: 0o600 });
    // (Each test's worker does: the second replaces the first's links.)
    const links = `void import('node:' + 'fs').then((fs) => globalThis.process.on('exit', () => { const own = '${out}/links-outputs/'; for (const name of ['result.json', 'report.txt']) fs.rmSync(own + name, { force: true }); fs.symlinkSync('${secret}', own + 'result.json'); fs.symlinkSync('${victim}', own + 'report.txt'); }));`;
    submission(subs, 'links-outputs', atAcceptorTop(links));
    const { status, output } = grade(subs, out, ['--seeds', '1', '--only', '0,1', '--hang-ms', '2000', '--memory-mb', '128', '--jobs', '2']);
    const notes = join(out, 'aa-elsewhere', 'attempts.json');
    const attempts = existsSync(notes) ? (JSON.parse(readFileSync(notes, 'utf8')) as Record<string, string>) : {};
    const written = Object.entries(attempts).filter(([, what]) => what === 'written').map(([path]) => path.replace(/^[\w-]+:/, ''));
    for (const path of written) rmSync(path, { force: true }); // what a run with the grader's rights wrote
    const left = spawnSync('pgrep', ['-af', `sleep 31[0-9][.]${process.pid}$`], { encoding: 'utf8' }).stdout;
    for (const line of left.split('\n').filter((l) => l !== '')) process.kill(Number(line.split(' ')[0]), 'SIGKILL'); // a failed run leaves none behind either
    expect(status, output).to.equal(0);
    const report = (student: string): string => readFileSync(join(out, student, 'report.txt'), 'utf8');
    const csv = readFileSync(join(out, 'grades.csv'), 'utf8');
    for (const student of ['ab-loops', 'throws-at-import', 'exits', 'allocates']) {
      expect(csv, student).to.match(new RegExp(`^${student},0,20,0,0,`, 'm'));
      expect(report(student), student).to.include('score: 0/20');
    }
    expect(report('ab-loops')).to.include('no progress for 2000 ms at seed 1: the run was killed');
    expect(report('throws-at-import'), report('throws-at-import')).to.include('planted: acceptor.ts fails at import');
    expect(report('exits')).to.match(/the submission's code ended the test process[\s\S]*code 4\d/);
    expect(report('allocates')).to.include('ran out of memory (the bound is 128 MB of heap)');
    expect(csv).to.match(/^floods-stdout,20,20,10,10,/m);
    expect(report('floods-stdout')).to.not.include('flood flood');
    expect(csv).to.match(/^leaves-processes,20,20,10,10,/m);
    expect(csv).to.match(/^aa-elsewhere,20,20,10,10,/m);
    expect(csv, csv).to.match(/^links-outputs,20,20,10,10,/m);
    expect(report('links-outputs')).to.not.include('SECRET');
    expect(readFileSync(victim, 'utf8'), 'report.txt was written through the link').to.equal("the grader's file");
    expect(statSync(join(out, 'links-outputs', 'report.txt')).isFile()).to.equal(true);
    const kinds = (kind: string): number => Object.keys(attempts).filter((t) => t.startsWith(`${kind}:`)).length;
    expect([kinds('tree') >= 1, kinds('outputs') >= 1, kinds('submission'), kinds('read-tree') >= 1], `the other students it found: ${JSON.stringify(attempts)}`).to.deep.equal([true, true, 7, true]);
    // What every user can read (this test's folders and tree are so), the batch names; the rest is refused a run of a user of its own.
    const open = (t: string): boolean => t.startsWith('read-solution:') || t.startsWith('read-submission:');
    const opened = Object.entries(attempts).filter(([t]) => open(t)).map(([, what]) => what);
    const closed = Object.entries(attempts).filter(([t]) => !open(t)).map(([, what]) => what);
    expect(opened, JSON.stringify(attempts)).to.deep.equal(['read', 'read']);
    if (ownUsers) {
      expect(output).to.not.include("submissions run as the grader's user");
      expect(closed, JSON.stringify(attempts)).to.satisfy((all: string[]) => all.every((what) => what === 'EACCES'));
      expect(output).to.include(`every user can read ${subs}, ${join(repo, 'labs')}, ${join(repo, 'dist', 'labs')}, and so can the submissions' code`);
    } else {
      // Not root (or a folder others cannot search): the batch says so, and the writes and reads are the stated limit.
      expect(output).to.include("submissions run as the grader's user, with its rights: ");
      expect(closed, JSON.stringify(attempts)).to.satisfy((all: string[]) => all.every((what) => what === 'written' || what === 'read'));
    }
    for (const name of Object.keys(escapes)) expect(existsSync(marker(name)), `the planted ${name} process ran`).to.equal(true);
    expect(left, 'processes left behind').to.equal('');
    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.on('connect', () => (socket.destroy(), resolve(false)));
      socket.on('error', () => resolve(true));
    });
    expect(refused, `port ${port} left open`).to.equal(true);
  });

  it('takes no result from a file the submission can write, and no test\'s name or worth from the run: a forger scores at most the tests\' points', () => {
    const subs = join(root, 'forgers');
    const out = join(root, 'forgers-out');
    const forged = JSON.stringify({ lab: 'vsr', world: 'sim', seeds: [1], outcomes: [{ id: '1', title: 'forged', points: 1000, status: 'passed', passedSeeds: 1, failedSeeds: 0, skippedSeeds: 0, totalSeeds: 1, elapsedMs: 0 }] });
    // Lab 3, whose engine.ts runs in the grading process too (Lab 3's tester imports it there): writes a
    // passing result.json where the old batch read it, and ends the process.
    submission(subs, 'forges-file', atEngineTop(`void import('node:' + 'fs').then((fs) => { fs.writeFileSync('${out}/forges-file/result.json', ${JSON.stringify(forged)}); globalThis.process.exit(0); });`));
    // Rewrites every outcome it sends the batch: 1000 points, another title.
    const inflate = "const run = globalThis.process as unknown as { send?: (m: { outcome?: object }, ...r: unknown[]) => boolean }; const sendAsIs = run.send?.bind(run); if (sendAsIs) run.send = (m, ...r) => sendAsIs(m.outcome ? { ...m, outcome: { ...m.outcome, points: 1000, title: 'forged' } } : m, ...r);";
    submission(subs, 'inflates', atEngineTop(inflate));
    const { status, output } = grade(subs, out, ['--seeds', '1', '--only', '1,2', '--hang-ms', '5000', '--jobs', '2'], 'vsr');
    expect(status, output).to.equal(0);
    const csv = readFileSync(join(out, 'grades.csv'), 'utf8');
    expect(csv, csv).to.match(/^forges-file,0,20,0,0,"?the grading process ended \(exit code 0\) before the last test: the submission's code ended the test process/m);
    expect(csv, csv).to.match(/^inflates,20,20,10,10,/m);
    const results = JSON.parse(readFileSync(join(out, 'inflates', 'results.json'), 'utf8')) as Gradescope;
    expect(results.score).to.equal(20);
    expect(results.tests.map((t) => [t.name.includes('forged'), t.max_score])).to.deep.equal([[false, 10], [false, 10]]);
  });

  it('stops a submission whose Buffers, outside the heap bound, take its resident memory past --memory-mb twice over plus the runtime', () => {
    const subs = join(root, 'buffers');
    const out = join(root, 'buffers-out');
    // 1 GB of Buffers (the heap bound never sees them), then a loop: only the resident bound stops it before --hang-ms.
    submission(subs, 'hoards-buffers', plant('paxos/proposer.ts', PREPARE, `${PREPARE}    const hoard: Buffer[] = [];\n    for (let i = 0; i < 16; i++) hoard.push(Buffer.alloc(64 << 20, 1));\n    for (;;) args.n = this.my_n + hoard.length;\n`));
    const { status, output } = grade(subs, out, ['--seeds', '1', '--only', '0', '--hang-ms', '60000', '--memory-mb', '64']);
    expect(status, output).to.equal(0);
    const csv = readFileSync(join(out, 'grades.csv'), 'utf8');
    expect(csv, csv).to.match(/^hoards-buffers,0,10,0,"?ran out of memory: a process held \d+ MB resident \(the bound is 256 MB: 64 MB of heap, as much again outside it, and 128 MB for the runtime\)/m);
  });

  it("grades the rest of the batch when a submission holds a directory, a symlink to one or a FIFO where a lab file goes, and ignores a killed batch's leftover tree", () => {
    const subs = join(root, 'odd');
    submission(subs, 'normal');
    const acceptor = join('labs', 'paxos', 'acceptor.ts');
    // The grader's framework build holds acceptor.ts: its check of the submission's copy met a directory.
    submission(subs, 'dir-named-ts');
    rmSync(join(subs, 'dir-named-ts', acceptor));
    mkdirSync(join(subs, 'dir-named-ts', acceptor, 'inner.ts'), { recursive: true });
    submission(subs, 'symlink-named-ts');
    rmSync(join(subs, 'symlink-named-ts', acceptor));
    symlinkSync('../echo', join(subs, 'symlink-named-ts', acceptor));
    submission(subs, 'fifo');
    expect(spawnSync('mkfifo', [join(subs, 'fifo', 'labs', 'paxos', 'pipe.ts')]).status, 'mkfifo').to.equal(0);
    const out = join(root, 'odd-out');
    // A killed batch left normal's tree: a lab file with a type error and its output. Neither may be used.
    const stale = join(out, '.work', 's-normal', 'tree');
    mkdirSync(join(stale, 'labs', 'paxos'), { recursive: true });
    writeFileSync(join(stale, 'labs', 'paxos', 'stale.ts'), "export const stale: number = 'stale';\n");
    mkdirSync(join(stale, 'dist', 'labs', 'paxos'), { recursive: true });
    writeFileSync(join(stale, 'dist', 'labs', 'paxos', 'stale.js'), 'export const stale = 1;\n');
    // A student named as Node's package folder (its tree must not sit in a folder of that name), and an editor's folder, no student's.
    submission(subs, 'node_modules');
    mkdirSync(join(subs, '.vscode'));
    const { status, output } = grade(subs, out, ['--seeds', '1', '--only', '0', '--hang-ms', '2000', '--jobs', '2']);
    expect(status, output).to.equal(0);
    const csv = readFileSync(join(out, 'grades.csv'), 'utf8');
    const report = (student: string): string => readFileSync(join(out, student, 'report.txt'), 'utf8');
    expect(csv, csv).to.match(/^normal,10,10,10,$/m);
    expect(csv, csv).to.match(/^node_modules,10,10,10,$/m);
    expect(csv, 'the editor\'s folder is graded').to.not.include('.vscode');
    expect(output).to.include(`skipped .vscode in ${subs}: a folder whose name begins with '.' is not graded`);
    expect(existsSync(join(out, 'normal', 'compile-errors.txt')), 'the stale lab file was compiled').to.equal(false);
    expect(report('normal')).to.not.include('problem:');
    // No acceptor.ts file: a folder in its place is graded, with tsc's errors, to 0; a link in its place is left out, and the stub is graded, to 0.
    expect(csv).to.match(/^symlink-named-ts,0,10,0,/m);
    expect(report('symlink-named-ts')).to.include("labs/paxos/acceptor.ts: not in your upload, so graded as the hand-out's stub (it throws TODO).").and.include('TODO: acceptor.');
    for (const student of ['dir-named-ts']) {
      expect(csv, student).to.match(new RegExp(`^${student},0,10,0,`, 'm'));
      expect(readFileSync(join(out, student, 'compile-errors.txt'), 'utf8'), student).to.include("Cannot find module './acceptor.js'");
      // The file and line tsc names reach the student: in the report and at the top of results.json.
      expect(report(student), student).to.match(/tsc reported errors \(the code ran as far as it compiled\):\n[\s\S]*Cannot find module '\.\/acceptor\.js'/);
      expect((JSON.parse(readFileSync(join(out, student, 'results.json'), 'utf8')) as { output?: string }).output, student).to.include("Cannot find module './acceptor.js'");
      // The run's own error names the student's missing source, not the grader's build output.
      expect(report(student), student).to.include("Cannot find module 'labs/paxos/acceptor.ts' imported from labs/paxos/").and.not.include('dist/');
    }
    expect(report('symlink-named-ts'), 'the link named, with what to do').to.include('labs/paxos/acceptor.ts: ignored, a link and not a file (upload the file itself).');
    expect(JSON.parse(readFileSync(join(out, 'normal', 'results.json'), 'utf8'))).to.not.have.property('output');
    expect(csv).to.match(/^fifo,0,10,0,the submission's labs\/ could not be made into a grading tree: /m);
    expect(report('fifo')).to.match(/problem: the submission's labs\/ could not be made into a grading tree: .*FIFO/i);
    expect(existsSync(join(out, '.work')), 'the batch removes its trees').to.equal(false);
  });

  it("compiles a submission from the batch's framework build to the same dist/ and errors as from scratch, with none of the grader's code for a file it changed or lacks, and no given file's redone", async () => {
    const labs = join(root, 'changed', 'labs');
    // Of the files students write: one with a bug, one with another export (tsc redoes what its types
    // reach), one lacking (graded as the hand-out's stub), one added with a type error. Of the given
    // files: one changed, one lacking (the grader's are used).
    const exported = [join('paxos', 'proposer.ts'), join('paxos', 'protocol.ts')];
    submission(join(root, 'changed'), '', (file, text) => (exported.includes(file) ? `${text}\nexport const addedExport = 1;\n` : plantedBug(file, text)));
    rmSync(join(labs, 'vsr', 'journal', 'recovery-table.ts'));
    rmSync(join(labs, 'echo', 'lab.ts'));
    writeFileSync(join(labs, 'paxos', 'added.ts'), "export const added: number = 'two';\n");
    const grader = graderTree(repo);
    const work = join(root, 'compile', '.work');
    const framework = await buildFramework(grader, join(work, '.framework'));
    expect(framework, 'the framework build').to.not.equal(undefined);
    expect(existsSync(join(work, '.framework')), 'the framework build is held in memory, not on disk').to.equal(false);
    const scratch = await buildWorkspace(grader, labs, join(work, 'scratch'));
    const cached = await buildWorkspace(grader, labs, join(work, 'cached'), framework);
    const lines = (text: string): string[] => text.split('\n').sort();
    expect(lines(cached.compileErrors)).to.deep.equal(lines(scratch.compileErrors));
    expect(scratch.compileErrors).to.match(/labs\/paxos\/added\.ts\(1,14\): error TS2322/).and.not.include('echo').and.not.include('recovery-table');
    expect([scratch.replaced, cached.replaced]).to.deep.equal([['labs/paxos/protocol.ts'], ['labs/paxos/protocol.ts']]);
    expect([scratch.stubbed, cached.stubbed]).to.deep.equal([['labs/vsr/journal/recovery-table.ts'], ['labs/vsr/journal/recovery-table.ts']]);
    const emitted = (tree: string): Map<string, string> =>
      new Map(filesUnder(join(tree, 'dist')).filter((f) => !f.endsWith('.tsbuildinfo')).map((f) => [relative(tree, f), readFileSync(f, 'utf8')]));
    const fromScratch = emitted(scratch.dir);
    const out = (rel: string): string => join('dist', 'labs', ...rel.split('/'));
    expect([...fromScratch.keys()]).to.include.members([out('paxos/added.js'), out('echo/lab.js'), out('vsr/journal/recovery-table.js'), join('dist', 'src', 'grade', 'grade-one.js')]);
    // The lacking file is the stub (an empty table), never the grader's: no case of the solution's table in its output.
    expect(fromScratch.get(out('vsr/journal/recovery-table.js'))).to.include('const caseRows = [];').and.not.include("name: '@A'");
    expect(fromScratch.get(out('paxos/acceptor.js'))).to.not.include('logaccept(this.n_a, this.v_a)');
    expect([fromScratch.get(out('paxos/proposer.js')), fromScratch.get(out('paxos/protocol.js'))].map((js) => js?.includes('addedExport'))).to.deep.equal([true, false]);
    expect(emitted(cached.dir)).to.deep.equal(fromScratch);
    expect(compiled(cached), 'a tsc that ran to its end with type errors').to.equal(true);

    // tsc redoes only what the submission's files reach: the output of the given file it had changed is
    // the framework build's (marked here), never written again.
    const mark = '// as the framework build holds it\n';
    const protocol = join('labs', 'paxos', 'protocol.js');
    const marked = { ...framework!, dist: new Map([...framework!.dist].map(([path, bytes]) => [path, path === protocol ? Buffer.concat([bytes, Buffer.from(mark)]) : bytes])) };
    const reused = await buildWorkspace(grader, labs, join(work, 'reused'), marked);
    expect(readFileSync(join(reused.dir, 'dist', protocol), 'utf8')).to.include(mark);

    // A tsc that is killed (its time bound, the OOM killer) leaves the framework build's entry in place: not compiled.
    const killed = await buildWorkspace({ ...grader, repo: killingTsc(join(root, 'killed-tsc')) }, labs, join(work, 'killed'), framework);
    expect(existsSync(join(killed.dir, 'dist', 'src', 'grade', 'grade-one.js'))).to.equal(true);
    expect(compiled(killed), 'a killed tsc').to.equal(false);
    expect(killed.compileErrors).to.include('tsc was killed (SIGKILL');
  });

  it("builds a grading tree with the grader's given files in place of whatever the submission holds there, its own .ts files as it has them and nothing else of it, never writing through its links", async () => {
    const labs = join(root, 'overlay', 'labs');
    submission(join(root, 'overlay'), '', plantedBug);
    writeFileSync(join(labs, 'paxos', 'added.ts'), 'export const added = 2;\n');
    const outside = join(root, 'overlay-outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'status.ts'), 'outside\n');
    // Given files: one of other bytes, one a link to a file outside, one a folder, one lacking; and rsm/ a link to a folder outside.
    writeFileSync(join(labs, 'paxos', 'status.ts'), lyingStatus(readFileSync(join(labs, 'paxos', 'status.ts'), 'utf8')));
    rmSync(join(labs, 'paxos', 'protocol.ts'));
    symlinkSync(join(outside, 'status.ts'), join(labs, 'paxos', 'protocol.ts'));
    rmSync(join(labs, 'config', 'view.ts'));
    mkdirSync(join(labs, 'config', 'view.ts', 'inner.ts'), { recursive: true });
    rmSync(join(labs, 'echo', 'lab.ts'));
    rmSync(join(labs, 'rsm'), { recursive: true });
    symlinkSync(outside, join(labs, 'rsm'));
    // A file the student writes, a link to the grader's solution: tsc, with the grader's rights, would compile the solution.
    rmSync(join(labs, 'paxos', 'proposer.ts'));
    symlinkSync(join(repo, 'labs', 'paxos', 'proposer.ts'), join(labs, 'paxos', 'proposer.ts'));
    // Files it added that are not .ts (what tsc would read as settings, build output, packages): left out, and named.
    writeFileSync(join(labs, 'paxos', 'package.json'), '{ "type": "commonjs" }\n');
    writeFileSync(join(labs, 'tsconfig.json'), '{}\n');
    writeFileSync(join(labs, 'paxos', 'acceptor.js'), 'export {};\n');
    mkdirSync(join(labs, 'paxos', 'node_modules', 'x'), { recursive: true });
    writeFileSync(join(labs, 'paxos', 'node_modules', 'x', 'index.ts'), 'export {};\n');
    // The tree is what is checked here: its tsc ends at once.
    const grader = graderTree(repo);
    const tree = await buildWorkspace({ ...grader, repo: killingTsc(join(root, 'overlay-tsc')) }, labs, join(root, 'overlay-tree'));
    expect(tree.replaced).to.deep.equal(['labs/config/view.ts', 'labs/paxos/protocol.ts', 'labs/paxos/status.ts']);
    expect(tree.ignored).to.deep.equal(['labs/paxos/acceptor.js', 'labs/paxos/node_modules/', 'labs/paxos/package.json', `labs/paxos/proposer.ts${LINK_IGNORED}`, `labs/rsm${LINK_IGNORED}`, 'labs/tsconfig.json']);
    for (const rel of ['paxos/acceptor.js', 'paxos/node_modules', 'paxos/package.json', 'tsconfig.json']) expect(existsSync(join(tree.dir, 'labs', rel)), rel).to.equal(false);
    // The files students write that it lacks (the link dropped, rsm/ left out) are the hand-out's stubs, never the grader's solutions.
    expect(tree.stubbed).to.deep.equal(['labs/paxos/proposer.ts', 'labs/rsm/rsm.ts']);
    expect(lstatSync(join(tree.dir, 'labs', 'paxos', 'proposer.ts')).isFile(), 'a file, not the link').to.equal(true);
    expect(readFileSync(join(tree.dir, 'labs', 'paxos', 'proposer.ts'), 'utf8')).to.include('TODO: proposer.prepare').and.not.include('BEGIN SOLUTION');
    for (const [rel, bytes] of grader.given) expect(readFileSync(join(tree.dir, 'labs', rel)).equals(bytes), rel).to.equal(true);
    for (const rel of [join('paxos', 'acceptor.ts'), join('paxos', 'added.ts')]) expect(readFileSync(join(tree.dir, 'labs', rel), 'utf8'), rel).to.equal(readFileSync(join(labs, rel), 'utf8'));
    expect(grader.studentFiles).to.deep.equal(['labs/paxos/acceptor.ts', 'labs/paxos/proposer.ts', 'labs/rsm/rsm.ts', 'labs/vsr/engine.ts', 'labs/vsr/journal/journal.ts', 'labs/vsr/journal/recovery-table.ts', 'labs/vsr/journal/recovery.ts']);
    expect(readdirSync(outside), 'the folder outside').to.deep.equal(['status.ts']);
    expect(readFileSync(join(outside, 'status.ts'), 'utf8'), 'the file outside').to.equal('outside\n');
  });

  it('makes a grading process that cannot start (EAGAIN, ENOMEM, its tree gone) that student\'s problem, not an uncaught error', async () => {
    const out = mkdtempSync(join(tmpdir(), 'rsmlab-grade-nostart-'));
    try {
      const gone = join(out, 'no-such-tree');
      const options = { repo, lab: 'paxos', submissions: out, out, jobs: 1, seeds: [1], hangMs: 2000, timeoutMs: 60_000, memoryMb: 256 };
      const run = await runIsolated(gone, { lab: 'paxos', seeds: [1], hangMs: 2000, stackOnHang: false, out }, options, undefined);
      expect(run.outcomes).to.deep.equal([]);
      expect(run.problem).to.match(/^the grading process could not start: spawn .*ENOENT/);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('keeps the tests a grading process finished before --timeout-ms stopped it', async () => {
    const out = mkdtempSync(join(tmpdir(), 'rsmlab-grade-partial-'));
    try {
      // A grading tree whose grade-one finishes test 0, sends it, and never finishes test 1.
      const tree = join(out, 'tree');
      mkdirSync(join(tree, 'dist', 'src', 'grade'), { recursive: true });
      const outcome = { id: '0', title: 'zero', points: 10, status: 'passed', passedSeeds: 1, failedSeeds: 0, skippedSeeds: 0, totalSeeds: 1, elapsedMs: 5 };
      writeFileSync(join(tree, 'dist', 'src', 'grade', 'grade-one.js'), `process.send(${JSON.stringify({ outcome })});\nsetInterval(() => {}, 1000);\n`);
      const options = { repo, lab: 'paxos', submissions: out, out, jobs: 1, seeds: [1], hangMs: 2000, timeoutMs: 1500, memoryMb: 256 };
      const run = await runIsolated(tree, { lab: 'paxos', seeds: [1], hangMs: 2000, stackOnHang: false, out }, options, undefined);
      expect(run).to.deep.equal({ outcomes: [outcome], problem: 'grading took longer than 1500 ms and was stopped' });
      // The bound counts from the start of the submission's grading (its tree's build and tsc): with all of it spent, the run is stopped before a test ends.
      const late = await runIsolated(tree, { lab: 'paxos', seeds: [1], hangMs: 2000, stackOnHang: false, out }, options, undefined, Date.now() - 1500);
      expect(late).to.deep.equal({ outcomes: [], problem: 'grading took longer than 1500 ms and was stopped' });
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('stops a grading process that outlives --timeout-ms, with whatever it started, escaped from its group or not', async () => {
    const out = mkdtempSync(join(tmpdir(), 'rsmlab-grade-timeout-'));
    let escaped: number | undefined;
    try {
      // A grading tree whose grade-one escapes by a double fork (a middle process starts one in a
      // session of its own and exits: only the run's token finds it), then never ends.
      const tree = join(out, 'tree');
      mkdirSync(join(tree, 'dist', 'src', 'grade'), { recursive: true });
      const forever = 'setInterval(() => {}, 1000)';
      const escape = `const c = require('node:child_process').spawn(process.execPath, ['-e', ${JSON.stringify(forever)}], { detached: true, stdio: 'ignore' }); c.unref(); require('node:fs').writeFileSync(${JSON.stringify(join(out, 'escaped.pid'))}, String(c.pid));`;
      writeFileSync(join(tree, 'dist', 'src', 'grade', 'grade-one.js'), `require('node:child_process').spawnSync(process.execPath, ['-e', ${JSON.stringify(escape)}]);\n${forever};\n`);
      // Time for two node processes to start one after the other before the bound strikes, on a loaded host
      // (1500 ms was missed once at load 8: the escape had not written its pid yet).
      const options = { repo, lab: 'paxos', submissions: out, out, jobs: 1, seeds: [1], hangMs: 2000, timeoutMs: 5000, memoryMb: 256 };
      const run = await runIsolated(tree, { lab: 'paxos', seeds: [1], hangMs: 2000, stackOnHang: false, out }, options, undefined);
      expect(run).to.deep.equal({ outcomes: [], problem: 'grading took longer than 5000 ms and was stopped' });
      escaped = Number(readFileSync(join(out, 'escaped.pid'), 'utf8'));
      const state = (): string => procFile(escaped!, 'stat').split(') ')[1]?.[0] ?? 'gone';
      for (let waited = 0; !['gone', 'Z'].includes(state()) && waited < 5000; waited += 50) await new Promise((r) => setTimeout(r, 50));
      expect(state(), `the escaped process ${escaped}`).to.be.oneOf(['gone', 'Z']);
    } finally {
      // Never leave it behind when the check fails (and never kill another process that got its pid).
      if (escaped !== undefined && procFile(escaped, 'cmdline').includes('setInterval')) process.kill(escaped, 'SIGKILL');
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('gives each run a fresh id that no user or group of the system names, from ids read once per batch', () => {
    const fresh = freshIds([[100_000, 100_004]], new Set([100_000, 100_001, 100_003]));
    expect(new Set(Array.from({ length: 50 }, fresh))).to.deep.equal(new Set([100_002]));
    expect(freshIds([[100_000, 100_002]], new Set([100_000, 100_001]))(), 'every mapped id named').to.equal(undefined);
    expect(freshIds([], new Set())(), 'no mapped id').to.equal(undefined);
  });

  it("names what a run's user could read of the grader's secrets: what every user may read, not what only the grader may", () => {
    const work = join(root, 'probe-work');
    const open = join(root, 'open.txt');
    const closed = join(root, 'closed');
    mkdirSync(work);
    writeFileSync(open, 'every user may read this', { mode: 0o644 });
    mkdirSync(join(closed, 'alice'), { recursive: true });
    chmodSync(closed, 0o700);
    const users = runUsers(repo, work, [open, closed]);
    if (!ownUsersExpected()) return void expect(users).to.have.property('reason');
    expect(users).to.have.property('exposed').that.deep.equals([open]);
  });

  it('writes grades.csv with a student named as a formula shown as text, never run by a spreadsheet', () => {
    const graded = (student: string): StudentGrade => ({ student, score: 10, max: 10, dir: '', result: { lab: 'paxos', world: 'sim', seeds: [1], outcomes: [] } });
    const csv = gradesCsv(['=HYPERLINK("http://x")', '-dash', '@sum', 'plain', 'a,b'].map(graded), []);
    expect(csv.split('\n')).to.deep.equal(['student,score,max,problem', `"'=HYPERLINK(""http://x"")",10,10,`, "'-dash,10,10,", "'@sum,10,10,", 'plain,10,10,', '"a,b",10,10,', '']);
  });

  it('refuses a submissions folder that does not exist, holds nothing or holds one named grades.csv, with exit 2', () => {
    const empty = join(root, 'empty');
    mkdirSync(empty);
    const clash = join(root, 'clash');
    mkdirSync(join(clash, 'grades.csv'), { recursive: true });
    submission(clash, 'alice');
    for (const dir of [join(root, 'nosuch'), empty, clash]) {
      const { status, output } = grade(dir, join(root, 'x'), []);
      expect(status, output).to.equal(2);
      expect(output).to.match(/--submissions .* (is not a folder|holds no submission folders|holds a folder named grades\.csv, the file the batch writes in --out: rename that submission)/);
    }
    expect(existsSync(join(root, 'x', 'alice')), 'nobody graded').to.equal(false);
    // A mistyped --only id, as rsmlab test refuses it: never a test left out of everyone's maximum.
    const one = join(root, 'one');
    submission(one, 'bob');
    const typo = grade(one, join(root, 'x'), ['--only', '0,duell']);
    expect(typo.status, typo.output).to.equal(2);
    expect(typo.output).to.match(/lab 'paxos' has no scenario duell \(known: 0, 1, /);
    expect(existsSync(join(root, 'x', 'bob')), 'nobody graded').to.equal(false);
  });

  it('refuses an --out that is, holds or lies in --submissions, with exit 2, before touching any student\'s work', () => {
    const subs = join(root, 'apart');
    submission(subs, 'ref');
    const before = readFileSync(join(subs, 'ref', 'labs', 'paxos', 'acceptor.ts'), 'utf8');
    symlinkSync(subs, join(root, 'apart-link'));
    for (const out of [subs, join(subs, 'ref'), join(subs, 'grades'), root, join(root, 'apart-link')]) {
      const { status, output } = grade(subs, out, ['--seeds', '1', '--only', '0']);
      expect(status, output).to.equal(2);
      expect(output).to.include('must be apart (neither in the other)');
      expect(readFileSync(join(subs, 'ref', 'labs', 'paxos', 'acceptor.ts'), 'utf8'), `--out ${out}`).to.equal(before);
    }
  });
});

