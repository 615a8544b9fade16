// Batch grading: every submission folder of a class, over a pool of child processes. Each
// submission gets its own grading tree (its files in labs/ over the grader's framework; deleted once
// graded, and closed to other runs meanwhile), runs there in a
// process group of its own under a time and a memory bound, and is cleaned up by killing that group
// and every process that carries its run's token (src/grade/run-sweep.ts), so a submission that hangs,
// exits, floods its output, exhausts memory or leaves processes behind (in its group or escaped from
// it) still gets a report and costs only its own tests. It owns the pool, the bounds and the files it
// writes (grades.csv, and per student report.txt, results.json, junit.xml); never the scoring rules.
import { spawn } from 'node:child_process';
import { z } from 'zod';
import { existsSync, mkdirSync, readdirSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { scenariosNamed } from '../../tester/index.js';
import { formatGradescope, formatJunit, formatTable } from '../../tester/report.js';
import type { ScenarioOutcome, SuiteResult } from '../../tester/suite.js';
import { buildFramework, buildWorkspace, compiled, graderTree, LINK_IGNORED, type FrameworkBuild, type GraderTree, type Workspace } from './workspace.js';
import { largestResident, RUN_TOKEN_VAR, runToken, sweepRun } from './run-sweep.js';
import { handTo, lockTo, runUsers, takeBack, writeFresh, type RunUser } from './sandbox.js';
import type { GradeOneJob } from './grade-one.js';
import { UPLOAD_INSTRUCTION, findLabs, placeFiles, placementNote } from './upload.js';

export interface GradeOptions {
  /** The grader's own rsmlab tree (built). */
  repo: string;
  lab: string;
  /** A folder of submission folders, one per student, each holding the student's labs/. */
  submissions: string;
  out: string;
  /** Submissions graded at once. */
  jobs: number;
  /** The fixed seed list every submission runs. */
  seeds: number[];
  /** Scenario ids (default: all). */
  only?: string[];
  /** A scenario run that makes no progress for this long is killed and scores 0 (hung). */
  hangMs: number;
  /** A whole submission that takes longer is stopped; the tests it did not finish score 0. */
  timeoutMs: number;
  /** Heap bound of every process that runs submission code; its resident memory may be twice that plus the runtime's (residentBound). */
  memoryMb: number;
  /** Told why runs cannot get users of their own (then they run with the grader's rights). */
  warn?: (text: string) => void;
  /** Told of each submission as its grading ends (`done` of `total` graded so far): a batch of a class runs for a while. */
  onGraded?: (grade: StudentGrade, done: number, total: number) => void;
}

export interface StudentGrade {
  student: string;
  score: number;
  max: number;
  result: SuiteResult;
  /** What stopped grading before the tests ran to their end (timeout, crash, no labs/, ...). */
  problem?: string;
  /** The student's folder of outputs. */
  dir: string;
}

const TAIL = 4000;
const GRADES_CSV = 'grades.csv';
const MB = 1024 * 1024;
/** Resident memory a Node process takes beside its heap and Buffers (code, stacks, the runtime's own). */
const RUNTIME_MB = 128;
const RESIDENT_CHECK_MS = 500;

/** The resident bytes one process of a run may hold: its heap bound, as much again outside the heap (Buffers), and the runtime. */
function residentBound(memoryMb: number): number {
  return (2 * memoryMb + RUNTIME_MB) * MB;
}

/**
 * Submission folders, sorted by name, and the folders left out: a name beginning with '.' (.git, an
 * editor's) is no student's, and the batch says it skipped it.
 */
export function listSubmissions(dir: string): { students: string[]; hidden: string[] } {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`--submissions ${dir} is not a folder`);
  const folders = readdirSync(dir).filter((name) => statSync(join(dir, name)).isDirectory()).sort();
  const names = folders.filter((name) => !name.startsWith('.'));
  if (names.length === 0) throw new Error(`--submissions ${dir} holds no submission folders`);
  // A student's reports go in --out/<name>/: one named as the batch's own file would take its place.
  if (names.includes(GRADES_CSV)) throw new Error(`--submissions ${dir} holds a folder named ${GRADES_CSV}, the file the batch writes in --out: rename that submission`);
  return { students: names, hidden: folders.filter((name) => name.startsWith('.')) };
}

/** The folder as the filesystem names it (symlinks followed), or as given if it does not exist yet. */
function realFolder(dir: string): string {
  return existsSync(dir) ? realpathSync(dir) : resolve(dir);
}

/** Whether `inner` is `outer` or a folder inside it. */
function within(inner: string, outer: string): boolean {
  const rel = relative(outer, inner);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * Refuse an --out that is, holds or lies in --submissions: grading clears each student's report
 * folder under --out, which there would be the student's own work.
 */
export function checkOutApart(submissions: string, out: string): void {
  const [s, o] = [realFolder(submissions), realFolder(out)];
  if (within(o, s) || within(s, o)) throw new Error(`--out ${out} and --submissions ${submissions} must be apart (neither in the other): grading clears the report folders under --out`);
}

/**
 * What a submission's code must not read: the submissions (another student's code) and the
 * grader's solutions (its labs/ and their build). Its own grading tree holds all it needs.
 */
function secrets(options: GradeOptions): string[] {
  return [options.submissions, join(options.repo, 'labs'), join(options.repo, 'dist', 'labs')].filter((path) => existsSync(path));
}

export async function gradeAll(options: GradeOptions): Promise<StudentGrade[]> {
  const { students, hidden } = listSubmissions(options.submissions);
  if (hidden.length > 0) options.warn?.(`skipped ${hidden.join(', ')} in ${options.submissions}: a folder whose name begins with '.' is not graded`);
  checkOutApart(options.submissions, options.out);
  // As `rsmlab test --only`: a mistyped id is an error, never a test left out of everyone's maximum.
  const scenarios = await scenariosNamed(options.lab, options.only);
  const grader = graderTree(options.repo);
  // One framework compile serves the batch (a single submission compiles from scratch: no saving).
  const framework = students.length > 1 ? await buildFramework(grader, resolve(options.out, '.work', '.framework')) : undefined;
  const users = runUsers(options.repo, resolve(options.out, '.work'), secrets(options));
  if ('reason' in users) options.warn?.(`submissions run as the grader's user, with its rights: ${users.reason}`);
  else if (users.exposed.length > 0) options.warn?.(`every user can read ${users.exposed.join(', ')}, and so can the submissions' code: the grader's solutions or the other students' work. Close them to other users first (chmod o-rwx)`);
  const grades = new Array<StudentGrade>(students.length);
  // Where a hung worker was stuck is read through its inspector, on a loopback port: only when no
  // other submission's processes run meanwhile (they could reach it), as on Gradescope. One at a
  // time, the cleanup after each kills everything a submission started; a process that escapes it
  // (possible only without users of their own: see the grader's handout) has the grader's uid, and
  // could tamper with the next submission's tree and processes with or without that port.
  const stackOnHang = Math.min(options.jobs, students.length) <= 1;
  let next = 0;
  let done = 0;
  const lane = async (): Promise<void> => {
    while (next < students.length) {
      const index = next++;
      const grade = await gradeApart(options, students[index]!, scenarios, { grader, framework }, 'user' in users ? users.user() : undefined, stackOnHang);
      grades[index] = grade;
      options.onGraded?.(grade, ++done, students.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.jobs) }, lane));
  writeFileSync(join(options.out, GRADES_CSV), gradesCsv(grades, scenarios.map((s) => s.id)));
  rmSync(join(options.out, '.work'), { recursive: true, force: true });
  return grades;
}

type Planned = { id: string; title: string; points: number };

/** What every grading tree of the batch is built from: the grader's tree and, when made, its framework build. */
type TreeSources = { grader: GraderTree; framework: FrameworkBuild | undefined };

/** What a student reads about the files of their labs/ not graded as they uploaded them: each given file replaced, each other file left out, and which files are graded as theirs. */
function replacedNote({ replaced, ignored, stubbed }: Pick<Workspace, 'replaced' | 'ignored' | 'stubbed'>, grader: GraderTree): string | undefined {
  if (replaced.length === 0 && ignored.length === 0 && stubbed.length === 0) return undefined;
  const each = [...replaced.map((file) => `${file}: your changes were replaced by the hand-out's copy.`), ...stubbed.map((file) => `${file}: not in your upload, so graded as the hand-out's stub (it throws TODO).`)];
  const shown = ignored.slice(0, MAX_IGNORED_NAMED).map((file) =>
    file.endsWith(LINK_IGNORED) ? `${file.slice(0, -LINK_IGNORED.length)}: ignored, a link and not a file (upload the file itself).` : `${file}: ignored (only .ts files of labs/ are graded).`,
  );
  const more = ignored.length > MAX_IGNORED_NAMED ? [`… and ${ignored.length - MAX_IGNORED_NAMED} more files ignored.`] : [];
  return [...each, ...shown, ...more, `Only the files you write are graded as you uploaded them: ${grader.studentFiles.join(', ')}, and any .ts file you added to labs/. Every other file of labs/ is graded as the hand-out gives it.`].join('\n');
}

/**
 * `text` with the paths inside the grading tree (`tree`: its path and real path) made relative to it: a stack frame reads
 * `labs/paxos/proposer.ts:87:11`, as in the student's own folder, not a path on the grader's machine.
 */
function inTree(text: string, tree: readonly string[]): string {
  const relative = tree.reduce((t, root) => t.replaceAll(`file://${root}/`, '').replaceAll(`${root}/`, ''), text);
  // What Node names by its output (a module not found: a lab file missing), named as the student's source.
  return relative.replace(/\bdist\/((?:labs|src|tester)\/[\w./-]+?)\.js\b/g, '$1.ts');
}

/** What results.json says instead of the folders of failing runs, which stay with the grader. */
export const FOLDERS_LEFT = "A failing test's trace and notes stay on the grading machine. Its replay command, run in your own copy of the labs, writes them again and prints the command that opens them in the viewer.";

/**
 * The result as the student's results.json shows it: a failing run's folder (its trace and notes)
 * is a path on the grading machine (on Gradescope, a temporary folder gone when the run ends), of
 * no use to the student, so it is left out; `left` says whether any was. report.txt keeps them.
 * (Grading never shrinks, so no outcome has a shrunk run's folder.)
 */
function withoutFolders(result: SuiteResult): { result: SuiteResult; left: boolean } {
  let left = false;
  const outcomes = result.outcomes.map((o): ScenarioOutcome => {
    if (o.failure?.artifacts === undefined) return o;
    left = true;
    const { artifacts: _left, ...failure } = o.failure;
    return { ...o, failure };
  });
  return { result: { ...result, outcomes }, left };
}

/** How many ignored files a report names (a folder of build output could hold thousands). */
const MAX_IGNORED_NAMED = 20;

/**
 * A submission's lab code, found as in a Gradescope upload (src/grade/upload.ts), so that a folder of
 * downloaded uploads grades as the autograder graded each: its labs/ folder (at its top or one
 * folder down), or its files copied to `placeAt` where they belong in labs/; with the note a
 * student reads about it ('' when it was as asked), or why there is nothing to grade.
 */
function submittedLabs(upload: string, grader: GraderTree, placeAt: string): { labs: string; placed: boolean; note: string } | { problem: string } {
  try {
    const placement = findLabs(upload, join(grader.repo, 'labs'));
    if (placement.kind === 'refused') return { problem: `nothing to grade: ${placement.reason}. ${UPLOAD_INSTRUCTION}` };
    const note = placementNote(placement);
    if (placement.kind === 'labs') return { labs: join(upload, placement.from), placed: false, note };
    rmSync(placeAt, { recursive: true, force: true });
    placeFiles(placement, upload, placeAt);
    return { labs: placeAt, placed: true, note };
  } catch (e) {
    return { problem: `the submission could not be read: ${e instanceof Error ? e.message : String(e)}` };
  }
}

/**
 * Grade `student` with its grading tree and placed files in a folder of its own under .work: one
 * only its run's user (and the grader) may enter, deleted once graded, so no other submission's
 * code reads its compiled lab code, during the batch or after. The tree is that folder's `tree/`,
 * never the folder itself: a tree at a folder named as the student, when the student is called
 * node_modules, would change how Node resolves its modules.
 */
async function gradeApart(options: GradeOptions, student: string, scenarios: Planned[], trees: TreeSources, user: RunUser | undefined, stackOnHang: boolean): Promise<StudentGrade> {
  const apart = resolve(options.out, '.work', `s-${student}`);
  rmSync(apart, { recursive: true, force: true });
  mkdirSync(apart, { recursive: true });
  if (user) lockTo(apart, user);
  try {
    return await gradeOne(options, student, scenarios, trees, user, stackOnHang, apart);
  } finally {
    rmSync(apart, { recursive: true, force: true });
  }
}

async function gradeOne(options: GradeOptions, student: string, scenarios: Planned[], trees: TreeSources, user: RunUser | undefined, stackOnHang: boolean, apart: string): Promise<StudentGrade> {
  const startedAt = Date.now();
  const dir = resolve(options.out, student);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  let result: SuiteResult | undefined;
  let problem: string | undefined;
  /** tsc's errors in a tree that still ran (a syntax error, say): the file and line the runtime's error lacks. */
  let typeErrors: string | undefined;
  /** The files of the submission's labs/ not graded as it had them (given files replaced, files left out), which it must be told. */
  let replaced: string | undefined;
  /** The grading tree's path (and its real path), once built: the report shows paths in it relative to it (inTree). */
  let tree: string[] = [];
  const found = submittedLabs(join(options.submissions, student), trees.grader, join(apart, 'placed'));
  const placedNote = 'labs' in found ? found.note : '';
  if ('problem' in found) problem = found.problem;
  else {
    // Whatever the submission's folder holds (a directory or a FIFO where a lab file should be, ...),
    // a failure to build or compile its tree is that student's problem, never the batch's.
    try {
      const workspace = await buildWorkspace(trees.grader, found.labs, join(apart, 'tree'), trees.framework);
      tree = [...new Set([workspace.dir, realpathSync(workspace.dir)])];
      // Placed files: their note says the rest of labs/ is the hand-out's, so the stubs are not listed one by one.
      replaced = replacedNote(found.placed ? { ...workspace, stubbed: [] } : workspace, trees.grader);
      if (!compiled(workspace)) problem = `the submission does not compile:\n${workspace.compileErrors.slice(0, TAIL)}`;
      else {
        if (workspace.compileErrors) {
          writeFileSync(join(dir, 'compile-errors.txt'), `${workspace.compileErrors}\n`);
          typeErrors = `tsc reported errors (the code ran as far as it compiled):\n${workspace.compileErrors.slice(0, TAIL)}`;
        }
        const run = await runIsolated(workspace.dir, { lab: options.lab, seeds: options.seeds, hangMs: options.hangMs, stackOnHang, out: dir, ...(options.only ? { only: options.only } : {}) }, options, user, startedAt);
        result = { lab: options.lab, world: 'sim', seeds: options.seeds, outcomes: run.outcomes };
        problem = run.problem;
      }
    } catch (e) {
      problem = `the submission's labs/ could not be made into a grading tree: ${e instanceof Error ? e.message : String(e)}`;
    }
  }
  result ??= { lab: options.lab, world: 'sim', seeds: options.seeds, outcomes: [] };
  result = withEveryScenario(result, scenarios, problem, options.memoryMb);
  const score = result.outcomes.reduce((sum, o) => sum + (o.status === 'passed' ? o.points : 0), 0);
  const max = scenarios.reduce((sum, s) => sum + s.points, 0);
  const notes = [...(problem ? [`problem: ${problem}`] : []), ...(placedNote ? [placedNote] : []), ...(replaced ? [replaced] : []), ...(typeErrors ? [typeErrors] : [])];
  const header = [`student: ${student}`, `score: ${score}/${max}`, ...notes, ''];
  // The run's processes (maybe of a user of its own) wrote in `dir`: whatever they left there is replaced, not followed.
  const shown = (text: string): string => inTree(text, tree);
  writeFresh(join(dir, 'report.txt'), shown(`${header.join('\n')}\n${formatTable(result)}`));
  const forStudent = withoutFolders(result);
  const studentNotes = [...notes, ...(forStudent.left ? [FOLDERS_LEFT] : [])];
  writeFresh(join(dir, 'results.json'), shown(formatGradescope([forStudent.result], studentNotes.join('\n\n'))));
  writeFresh(join(dir, 'junit.xml'), shown(formatJunit([result])));
  return { student, score, max, result, dir, ...(problem ? { problem } : {}) };
}

/**
 * Run grade-one in the grading tree as a child process in its own process group, bounded in time
 * and heap, its environment marked with a token of this run, as the run's own `user` if it has one
 * (then it can write only job.out); afterwards kill the whole group and every process with the token
 * or the user, so nothing the submission started outlives its grading, and take job.out back. The
 * outcomes come over the IPC channel, each as its scenario finishes: a run stopped by the timeout
 * keeps those it finished, and nothing the submission writes in job.out is taken for a result.
 */
export function runIsolated(tree: string, job: GradeOneJob, options: GradeOptions, user: RunUser | undefined, startedAt = Date.now()): Promise<{ outcomes: ScenarioOutcome[]; problem?: string }> {
  const token = runToken();
  if (user) handTo(job.out, user);
  return new Promise((done) => {
    const child = spawn(process.execPath, [join(tree, 'dist', 'src', 'grade', 'grade-one.js'), JSON.stringify(job)], {
      cwd: tree,
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: { ...process.env, NODE_OPTIONS: `--max-old-space-size=${options.memoryMb}`, [RUN_TOKEN_VAR]: token },
      ...user,
    });
    const outcomes: ScenarioOutcome[] = [];
    let finished = false;
    let unreadable: string | undefined;
    child.on('message', (message: unknown) => {
      const read = messageSchema.safeParse(message);
      if (!read.success) unreadable ??= `the grading process sent a message that cannot be read: ${read.error.issues[0]?.message ?? 'unknown shape'}`;
      // An outcome is checked where scoring reads it; the rest (the failure's text, its replay) is shown as sent.
      else if ('outcome' in read.data) outcomes.push(read.data.outcome as unknown as ScenarioOutcome);
      else finished = true;
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-TAIL)));
    let swept = false;
    // Once: a timeout sweeps, and the exit it causes must not walk /proc again.
    const end = (): void => {
      if (swept || child.pid === undefined) return;
      swept = true;
      sweepRun(token, child.pid, user?.uid);
    };
    // Why the batch stopped the run (its time or memory bound), if it did: the first reason stands.
    let stopped: string | undefined;
    const stop = (why: string): void => {
      stopped ??= why;
      end();
    };
    // --timeout-ms bounds the whole grading of a submission from `startedAt` (its tree's build and tsc included), as Gradescope's limit does.
    const timer = setTimeout(() => stop(`grading took longer than ${options.timeoutMs} ms and was stopped`), Math.max(0, startedAt + options.timeoutMs - Date.now()));
    // --memory-mb bounds the heap in each process; Buffers live outside it, so resident memory is watched too.
    const watch = setInterval(() => {
      const top = child.pid === undefined ? undefined : largestResident(token, child.pid, user?.uid);
      if (top === undefined || top.bytes <= residentBound(options.memoryMb)) return;
      stop(`ran out of memory: a process held ${Math.round(top.bytes / MB)} MB resident (the bound is ${residentBound(options.memoryMb) / MB} MB: ${options.memoryMb} MB of heap, as much again outside it, and ${RUNTIME_MB} MB for the runtime)`);
    }, RESIDENT_CHECK_MS);
    // The bounds' watchers end with the run; only a run of a user of its own wrote files that the grader must take back.
    const settle = (): void => {
      clearTimeout(timer);
      clearInterval(watch);
      if (user) takeBack(job.out);
    };
    // No process (EAGAIN when a run before this one used up the process table, ENOMEM, a tree gone):
    // this student's problem, never an uncaught 'error' that ends the batch.
    child.on('error', (e) => {
      if (child.pid !== undefined) return; // it started: its 'exit' settles the run
      settle();
      done({ outcomes, problem: `the grading process could not start: ${e.message}` });
    });
    child.on('exit', (code, signal) => {
      end();
      settle();
      if (unreadable !== undefined) return done({ outcomes, problem: unreadable });
      if (stopped !== undefined) return done({ outcomes, problem: stopped });
      if (code === 0 && finished) return done({ outcomes });
      const why = code === 0 ? "the submission's code ended the test process (process.exit or a crash)" : explainText(stderr, options.memoryMb);
      done({ outcomes, problem: `the grading process ended (${signal ?? `exit code ${code}`}) before the last test: ${why || 'no message'}` });
    });
  });
}

/** What grade-one sends (GradeOneMessage): of an outcome, the fields scoring reads are checked; title and points are the grader's own (withEveryScenario). */
const messageSchema = z.union([
  z.object({
    outcome: z.looseObject({
      id: z.string(),
      status: z.enum(['passed', 'failed', 'hung', 'crashed']),
      passedSeeds: z.int().min(0),
      failedSeeds: z.int().min(0),
      skippedSeeds: z.int().min(0),
      totalSeeds: z.int().min(0),
    }),
  }),
  z.object({ done: z.literal(true) }),
]);

/**
 * Every planned scenario has an outcome: one the run did not reach scores 0 with the problem as
 * its reason, and a crash says plainly what it was.
 */
function withEveryScenario(result: SuiteResult, scenarios: Planned[], problem: string | undefined, memoryMb: number): SuiteResult {
  const outcomes = scenarios.map((s): ScenarioOutcome => {
    const found = result.outcomes.find((o) => o.id === s.id);
    if (found === undefined) return { ...s, status: 'crashed', passedSeeds: 0, failedSeeds: 0, skippedSeeds: result.seeds.length, totalSeeds: result.seeds.length, message: problem ?? 'not run', elapsedMs: 0 };
    // What a test is called and is worth is the grader's, never what the run reported.
    const ran = { ...found, id: s.id, title: s.title, points: s.points };
    if (ran.status !== 'crashed' || ran.message === undefined) return ran;
    // The reason in a line, above the text it was read from: unless that text is already the line.
    const why = explainText(ran.message, memoryMb);
    return ran.message.includes(why) ? ran : { ...ran, message: `${why}\n${ran.message}` };
  });
  return { ...result, outcomes };
}

/** A one-line reason for what a dead process left on stderr. */
function explainText(text: string, memoryMb: number): string {
  if (/heap out of memory|Reached heap limit|lab code ran out of memory/i.test(text)) return `ran out of memory (the bound is ${memoryMb} MB of heap)`;
  if (/exited \(code \d+\)/.test(text)) return 'the submission\'s code ended the test process (process.exit or a crash)';
  const lines = text.trim().split('\n');
  return lines.find((l) => /^\w*Error\b|Error:/.test(l.trim()))?.trim() ?? lines.slice(-3).join(' | ');
}

/**
 * A CSV field, quoted when it holds a quote, comma or line break. One that begins as a spreadsheet
 * formula does (=, +, -, @, a tab: a student folder named `=HYPERLINK(…)`) is written after a `'`,
 * so a spreadsheet shows it as text and never runs it.
 */
function csvField(text: string): string {
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** grades.csv: one row per student, the score, the maximum, every test's points, and the problem if any. */
export function gradesCsv(grades: readonly StudentGrade[], ids: readonly string[]): string {
  const rows = [['student', 'score', 'max', ...ids.map((id) => `test ${id}`), 'problem']];
  for (const g of grades) {
    const points = ids.map((id) => {
      const o = g.result.outcomes.find((x) => x.id === id);
      return String(o?.status === 'passed' ? o.points : 0);
    });
    rows.push([g.student, String(g.score), String(g.max), ...points, (g.problem ?? '').split('\n')[0]!]);
  }
  return `${rows.map((r) => r.map(csvField).join(',')).join('\n')}\n`;
}
