// A grading tree for one submission: the grader's own framework (src/, tester/, package.json) with
// the submission's labs/ in place of the grader's, compiled with the grader's TypeScript. Students
// edit only labs/, so nothing else of theirs is ever used. It copies and compiles; it never runs
// the submission (src/grade/batch.ts does, in a child process).
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** What a grading tree takes from the grader's tree (never the grader's labs/, tests or mutant corpora). */
const FROM_GRADER = ['src', 'tester', 'package.json'];
const INSTRUCTOR_ONLY = [join('tester', 'paxos', 'mutants.ts'), join('tester', 'rsm', 'mutants.ts')];

export interface Workspace {
  dir: string;
  /** tsc's diagnostics (type errors do not stop grading: tsc still emits what it can). */
  compileErrors: string;
}

/** Build the grading tree in `dir` (a new folder) from the grader's tree `repo` and the submission's `labs` folder. */
export async function buildWorkspace(repo: string, labs: string, dir: string): Promise<Workspace> {
  mkdirSync(dir, { recursive: true });
  for (const entry of FROM_GRADER) {
    cpSync(join(repo, entry), join(dir, entry), { recursive: true, filter: (source) => !INSTRUCTOR_ONLY.some((f) => source === join(repo, f)) });
  }
  cpSync(labs, join(dir, 'labs'), { recursive: true, filter: (source) => !source.endsWith('.js') && !source.includes('node_modules') });
  symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'));
  const tsconfig = {
    extends: join(repo, 'tsconfig.json'),
    compilerOptions: { outDir: 'dist', rootDir: '.', types: ['node'], sourceMap: false, noUnusedLocals: false, noUnusedParameters: false },
    include: ['src', 'labs', 'tester'],
  };
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
  return { dir, compileErrors: await compile(repo, dir) };
}

/**
 * tsc over the tree `dir`, in a child process that does not block this one (with --jobs, other
 * submissions' compiles and runs, and their watchdogs, go on meanwhile); what it printed.
 */
function compile(repo: string, dir: string): Promise<string> {
  return new Promise((resolve) => {
    const tsc = spawn(process.execPath, [join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
    let output = '';
    const add = (chunk: Buffer): void => void (output += chunk.toString());
    tsc.stdout.on('data', add);
    tsc.stderr.on('data', add);
    tsc.on('error', (e) => resolve(`${output}${e.message}`.trim()));
    tsc.on('close', () => resolve(output.trim()));
  });
}

/** Whether the compiled tree can run `rsmlab`'s grading entry at all. */
export function compiled(workspace: Workspace): boolean {
  const entry = join(workspace.dir, 'dist', 'src', 'grade', 'grade-one.js');
  return existsSync(entry) && statSync(entry).isFile();
}
