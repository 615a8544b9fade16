// A grading tree for one submission: the grader's own framework (src/, tester/, package.json) with
// the submission's labs/ in place of the grader's, compiled with the grader's TypeScript. Students
// edit only labs/, so nothing else of theirs is ever used. It copies and compiles; it never runs
// the submission (src/grade/batch.ts does, in a child process). A batch compiles the framework once
// (with the grader's labs) and each tree's tsc starts from that build, redoing what its labs change.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { bytesUnder } from '../files-under.js';
import { instructorOnly } from '../handout/instructor-only.js';

/** What a grading tree takes from the grader's tree (never the grader's labs/, tests or mutant corpora). */
const FROM_GRADER = ['src', 'tester', 'package.json'];

export interface Workspace {
  dir: string;
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
 * Build the grading tree in `dir` from the grader's tree `repo` and the submission's `labs` folder;
 * from `framework`'s build, when given. Whatever `dir` held (a killed batch's tree) is deleted first.
 */
export async function buildWorkspace(repo: string, labs: string, dir: string, framework?: FrameworkBuild): Promise<Workspace> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const entry of FROM_GRADER) {
    cpSync(join(repo, entry), join(dir, entry), { recursive: true, filter: (source) => !instructorOnly(relative(repo, source)) });
  }
  cpSync(labs, join(dir, 'labs'), { recursive: true, filter: (source) => !source.endsWith('.js') && !source.includes('node_modules') });
  symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'));
  const tsconfig = {
    extends: join(repo, 'tsconfig.json'),
    compilerOptions: { outDir: 'dist', rootDir: '.', types: ['node'], sourceMap: false, noUnusedLocals: false, noUnusedParameters: false },
    include: ['src', 'labs', 'tester'],
  };
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
  if (framework) startFrom(framework, dir);
  return { dir, ...(await compile(repo, dir)) };
}

/**
 * The framework build of `repo` (its labs/ as the lab code), made in `dir` and kept in memory; none
 * when the tree did not compile far enough to grade (then each submission compiles from scratch).
 */
export async function buildFramework(repo: string, dir: string): Promise<FrameworkBuild | undefined> {
  const workspace = await buildWorkspace(repo, join(repo, 'labs'), dir);
  const build = compiled(workspace) ? { dist: bytesUnder(join(dir, 'dist')), labs: bytesUnder(join(dir, 'labs')) } : undefined;
  rmSync(dir, { recursive: true, force: true });
  return build;
}

/**
 * Put the framework build's dist/ in the tree, where tsc takes it as its previous build and redoes
 * only what differs: the submission's labs and what their types reach. Of the grader's lab outputs
 * it keeps only those whose source the submission holds byte for byte (tsc would not write them
 * again), so no grader's lab code stands in for a file the submission changed or lacks.
 */
function startFrom(framework: FrameworkBuild, dir: string): void {
  const labs = `labs${sep}`;
  for (const [path, bytes] of framework.dist) {
    if (path.startsWith(labs) && !sameLabSource(framework, dir, path.slice(labs.length))) continue;
    mkdirSync(dirname(join(dir, 'dist', path)), { recursive: true });
    writeFileSync(join(dir, 'dist', path), bytes);
  }
}

/** Whether the submission in tree `dir` holds the grader's source of dist/labs/`output` (a .js from its .ts) byte for byte. */
function sameLabSource(framework: FrameworkBuild, dir: string, output: string): boolean {
  const source = output.replace(/\.([mc]?)js$/, '.$1ts');
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
