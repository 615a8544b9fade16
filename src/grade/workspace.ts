// A grading tree for one submission: the grader's own framework (src/, tester/, package.json) and
// the grader's labs/ as the hand-out gives them, with the submission's files in labs/ in place of
// the files students write, plus the .ts files it added; compiled with the grader's TypeScript.
// Nothing else of the submission's is ever used: a given file it changed is replaced, any other
// file left out, and both named. It copies and compiles; it never runs the submission
// (src/grade/batch.ts does, in a child process). A batch compiles the framework once (with the
// grader's labs) and each tree's tsc starts from that build, redoing what the submission's files change.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';
import { bytesUnder } from '../files-under.js';
import { instructorOnly } from '../handout/instructor-only.js';
import { studentFiles } from '../handout/student-files.js';
import { stripSolutions } from '../handout/strip.js';

/** What a grading tree takes whole from the grader's tree (of its labs/, only the given files; never its tests or mutant corpora). */
const FROM_GRADER = ['src', 'tester', 'package.json'];

/** The grader's side of every grading tree: its tree, and which of its labs/ files are the students' to write. */
export interface GraderTree {
  repo: string;
  /** The files students write ('labs/…' paths, src/handout/student-files.ts): a submission's own are graded. */
  studentFiles: readonly string[];
  /** Every other file of the grader's labs/, by path inside labs/: the hand-out gives them as they are. */
  given: ReadonlyMap<string, Buffer>;
  /** The hand-out's stub of each file students write, by its 'labs/…' path: what a submission that lacks one is graded with. */
  stubs: ReadonlyMap<string, string>;
}

/** The grader's tree `repo`, read once for a batch. */
export function graderTree(repo: string): GraderTree {
  const ofStudents = studentFiles(repo);
  const given = [...bytesUnder(join(repo, 'labs'))].filter(([rel]) => !ofStudents.includes(labsPath(rel)));
  const stubs = ofStudents.map((file): [string, string] => [file, stripSolutions(file, readFileSync(join(repo, ...file.split('/')), 'utf8')).text]);
  return { repo, studentFiles: ofStudents, given: new Map(given), stubs: new Map(stubs) };
}

/** A path inside labs/ as students and the hand-out name it: 'labs/…', '/'-separated. */
function labsPath(rel: string): string {
  return `labs/${rel.split(sep).join('/')}`;
}

export interface Workspace {
  dir: string;
  /** The given files the submission had changed, replaced by the grader's ('labs/…' paths). */
  replaced: string[];
  /** The submission's entries of labs/ left out: anything but a folder or a .ts file ('labs/…' paths; a folder's ends in '/'). */
  ignored: string[];
  /** The files students write that the submission lacks, graded as the hand-out's stubs ('labs/…' paths). */
  stubbed: string[];
  /** tsc's diagnostics (type errors do not stop grading: tsc still emits what it can). */
  compileErrors: string;
  /** Whether tsc ran to its end (an exit, with or without type errors); not when it was killed or could not start. */
  tscFinished: boolean;
}

/**
 * The framework compiled once for a batch: a grading tree of the grader's own labs/, compiled, its
 * dist/ (tsc's incremental state among it) and labs/ held in memory, the tree itself deleted. It
 * never holds a submission's code, and no submission can reach it (it is not on disk while they run).
 */
export interface FrameworkBuild {
  /** dist/'s files, by path inside the tree. */
  dist: Map<string, Buffer>;
  /** The grader's labs/ files it compiled, by path inside labs/. */
  labs: Map<string, Buffer>;
}

/**
 * Build the grading tree in `dir` from the grader's tree and the submission's `labs` folder; from
 * `framework`'s build, when given. Whatever `dir` held (a killed batch's tree) is deleted first.
 */
export async function buildWorkspace(grader: GraderTree, labs: string, dir: string, framework?: FrameworkBuild): Promise<Workspace> {
  const { repo } = grader;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const entry of FROM_GRADER) {
    cpSync(join(repo, entry), join(dir, entry), { recursive: true, filter: (source) => !instructorOnly(relative(repo, source)) });
  }
  const ignored: string[] = [];
  cpSync(labs, join(dir, 'labs'), { recursive: true, filter: (source) => keptFromSubmission(labs, source, ignored, grader.given) });
  const replaced = putGiven(grader.given, dir);
  const stubbed = putStubs(grader, dir);
  symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'));
  // Source maps: a failure's stack frames name the student's .ts file and line (the runner enables them), not the emitted .js.
  const tsconfig = {
    extends: join(repo, 'tsconfig.json'),
    compilerOptions: { outDir: 'dist', rootDir: '.', types: ['node'], sourceMap: true, noUnusedLocals: false, noUnusedParameters: false },
    include: ['src', 'labs', 'tester'],
  };
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
  if (framework) startFrom(framework, dir);
  return { dir, replaced, ignored: ignored.sort(), stubbed, ...(await compile(repo, dir)) };
}

/** How `ignored` marks a link (its note says why it was left out: not the rule for files that are not .ts). */
export const LINK_IGNORED = ' (a link)';

/**
 * Whether the submission's `source` (its `labs` folder or something in it) goes into the tree:
 * folders (but node_modules) and .ts files, the only files of labs/ tsc compiles. Anything else,
 * say a package.json or tsconfig.json that would change how tsc compiles the tree, is left out
 * and noted in `ignored`.
 */
function keptFromSubmission(labs: string, source: string, ignored: string[], given: GraderTree['given']): boolean {
  if (source === labs) return true;
  const stat = lstatSync(source);
  // A link is never taken for a file of the student's: cpSync would keep it a link, and tsc, run with
  // the grader's rights, would compile whatever it points at (the grader's own solutions, any file).
  // One in place of a given file is copied as a link, then removed and named by putGiven.
  if (stat.isSymbolicLink() && !given.has(relative(labs, source))) {
    ignored.push(`${labsPath(relative(labs, source))}${LINK_IGNORED}`);
    return false;
  }
  const folder = stat.isDirectory();
  if (folder ? basename(source) !== 'node_modules' : source.endsWith('.ts')) return true;
  ignored.push(`${labsPath(relative(labs, source))}${folder ? '/' : ''}`);
  return false;
}

/**
 * Put each given file of the grader's in the tree `dir`'s labs/ in place of whatever the submission
 * holds there, never writing through a link it made; the given files it had changed (other bytes,
 * or a folder or link in the file's place). One it lacks is put back without a word: it is the
 * hand-out's.
 */
function putGiven(given: ReadonlyMap<string, Buffer>, dir: string): string[] {
  const replaced: string[] = [];
  for (const [rel, bytes] of given) {
    realFolders(dir, join('labs', dirname(rel)));
    const path = join(dir, 'labs', rel);
    const stat = lstatSync(path, { throwIfNoEntry: false });
    if (stat?.isFile() && readFileSync(path).equals(bytes)) continue;
    if (stat) replaced.push(labsPath(rel));
    rmSync(path, { recursive: true, force: true });
    writeFileSync(path, bytes, { flag: 'wx' });
  }
  return replaced.sort();
}

/**
 * Write the hand-out's stub of each file students write that the tree lacks (a Lab 1 upload holds
 * no labs/rsm/rsm.ts): the tree then compiles as the hand-out does, and a missing file of the lab
 * graded throws its TODO, not tsc's "Cannot find module" and errors in labs the student has not
 * started. Returns their 'labs/…' paths.
 */
function putStubs(grader: GraderTree, dir: string): string[] {
  const missing = [...grader.stubs].filter(([file]) => !lstatSync(join(dir, ...file.split('/')), { throwIfNoEntry: false }));
  for (const [file, stub] of missing) {
    realFolders(dir, dirname(join(...file.split('/'))));
    writeFileSync(join(dir, ...file.split('/')), stub, { flag: 'wx' });
  }
  return missing.map(([file]) => file);
}

/** Make each step of folder `rel` under `root` a real folder: a link or a file on the way is removed (never followed) and a folder made. */
function realFolders(root: string, rel: string): void {
  let at = root;
  for (const step of rel.split(sep).filter((part) => part !== '' && part !== '.')) {
    at = join(at, step);
    if (lstatSync(at, { throwIfNoEntry: false })?.isDirectory()) continue;
    rmSync(at, { force: true });
    mkdirSync(at);
  }
}

/**
 * The framework build of the grader's tree (its labs/ as the lab code), made in `dir` and kept in
 * memory; none when the tree did not compile far enough to grade (then each submission compiles from scratch).
 */
export async function buildFramework(grader: GraderTree, dir: string): Promise<FrameworkBuild | undefined> {
  const workspace = await buildWorkspace(grader, join(grader.repo, 'labs'), dir);
  const build = compiled(workspace) ? { dist: bytesUnder(join(dir, 'dist')), labs: bytesUnder(join(dir, 'labs')) } : undefined;
  rmSync(dir, { recursive: true, force: true });
  return build;
}

/**
 * Put the framework build's dist/ in the tree, where tsc takes it as its previous build and redoes
 * only what differs: the submission's files and what their types reach. Of the grader's lab outputs
 * it keeps only those whose source the tree holds byte for byte (every given file, and a student's
 * file left as the grader has it: tsc would not write them again), so no grader's lab code stands
 * in for a file the submission changed or lacks.
 */
function startFrom(framework: FrameworkBuild, dir: string): void {
  const labs = `labs${sep}`;
  for (const [path, bytes] of framework.dist) {
    if (path.startsWith(labs) && !sameLabSource(framework, dir, path.slice(labs.length))) continue;
    mkdirSync(dirname(join(dir, 'dist', path)), { recursive: true });
    writeFileSync(join(dir, 'dist', path), bytes);
  }
}

/** Whether the submission in tree `dir` holds the grader's source of dist/labs/`output` (a .js, or its .js.map, from its .ts) byte for byte. */
function sameLabSource(framework: FrameworkBuild, dir: string, output: string): boolean {
  const source = output.replace(/\.([mc]?)js(\.map)?$/, '.$1ts');
  const ours = framework.labs.get(source);
  const theirs = join(dir, 'labs', source);
  return ours !== undefined && statSync(theirs, { throwIfNoEntry: false })?.isFile() === true && readFileSync(theirs).equals(ours);
}

const TSC_TIMEOUT_MS = 300_000;

/**
 * tsc over the tree `dir`, in a child process that does not block this one (with --jobs, other
 * submissions' compiles and runs, and their watchdogs, go on meanwhile); what it printed, and
 * whether it ran to its end (a tsc killed or never started says so in its output).
 */
function compile(repo: string, dir: string): Promise<{ compileErrors: string; tscFinished: boolean }> {
  return new Promise((resolve) => {
    const tsc = spawn(process.execPath, [join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], timeout: TSC_TIMEOUT_MS });
    let output = '';
    const add = (chunk: Buffer): void => void (output += chunk.toString());
    tsc.stdout.on('data', add);
    tsc.stderr.on('data', add);
    tsc.on('error', (e) => resolve({ compileErrors: `${output}\ntsc could not run: ${e.message}`.trim(), tscFinished: false }));
    tsc.on('close', (code, signal) => {
      if (code !== null) return resolve({ compileErrors: output.trim(), tscFinished: true });
      resolve({ compileErrors: `${output}\ntsc was killed (${signal ?? 'no signal'}; its time bound is ${TSC_TIMEOUT_MS} ms)`.trim(), tscFinished: false });
    });
  });
}

/** Whether tsc ran to its end over the tree and it can run `rsmlab`'s grading entry at all (the framework build's entry is there before tsc runs). */
export function compiled(workspace: Workspace): boolean {
  const entry = join(workspace.dir, 'dist', 'src', 'grade', 'grade-one.js');
  return workspace.tscFinished && existsSync(entry) && statSync(entry).isFile();
}
