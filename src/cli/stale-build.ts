// Keeps the commands that run lab code from running an old build of it: rsmlab runs the compiled
// dist/, so a labs/ or tester/ .ts edited since the last build (a student's lab, an instructor's
// scenario or mutant) would run its old code, and a stack trace would name lines of a file that no
// longer says that. It builds first, as `go test` or make would, and says
// so; it never builds anything but this tree, and never stops a command for a build's type errors.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';

/** Touched by every build (`npm run build`, and this module's): tsc leaves an unchanged file's .js as it was. */
const BUILT_STAMP = join('dist', '.built');
/**
 * tsc's errors from this module's last build, while they stand: every command that runs the code
 * says so again (a student who missed them the once would chase what they cause instead). A clean
 * build removes it; so does `npm run build` (its script).
 */
export const TYPE_ERRORS_FILE = join('dist', '.type-errors');

/** The folders whose .ts files a command runs as they were last built: the labs, and the scenarios and mutant corpora. */
const WATCHED = ['labs', 'tester'];

/** The .ts files under WATCHED of `root` (relative to it) changed since the last build: newer than both their .js and the build's stamp. */
function staleSources(root: string): string[] {
  const stamp = join(root, BUILT_STAMP);
  const built = existsSync(stamp) ? statSync(stamp).mtimeMs : 0;
  const stale: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
        const source = relative(root, path);
        const js = join(root, 'dist', source.replace(/\.ts$/, '.js'));
        if (!existsSync(js) || Math.max(built, statSync(js).mtimeMs) < statSync(path).mtimeMs) stale.push(source);
      }
    }
  };
  for (const folder of WATCHED) if (existsSync(join(root, folder))) walk(join(root, folder));
  return stale;
}

/** This tree's TypeScript compiler (its package's `tsc` bin: the package exports no path to it), if it is installed. */
function tscOf(root: string): string | undefined {
  try {
    const manifest = createRequire(join(root, 'package.json')).resolve('typescript/package.json');
    const { bin } = JSON.parse(readFileSync(manifest, 'utf8')) as { bin?: { tsc?: string } };
    return bin?.tsc === undefined ? undefined : join(dirname(manifest), bin.tsc);
  } catch {
    return undefined;
  }
}

/**
 * Build `root` if a lab or tester source changed since its last build, telling `say` (the command's stderr)
 * why, and tsc's errors if it has any: the code then runs as far as it compiled (tsc still writes
 * it), as it is graded. Without a compiler here, it says that the old build runs.
 */
export function buildIfStale(root: string, say: (line: string) => void): void {
  const stale = staleSources(root);
  if (stale.length === 0) return sayTypeErrors(root, say);
  const named = stale.slice(0, 3).join(', ') + (stale.length > 3 ? ` and ${stale.length - 3} more` : '');
  const tsc = tscOf(root);
  if (tsc === undefined) return say(`rsmlab: warning: ${named} changed since the last build, and TypeScript is not installed here (npm install): this runs the old build`);
  say(`rsmlab: ${named} changed since the last build: building first (npm run build)`);
  const build = spawnSync(process.execPath, [tsc, '-p', root], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  const output = `${build.stdout ?? ''}${build.stderr ?? ''}`.trimEnd();
  if (output !== '') say(output);
  // tsc's exit codes: 0 built, 2 built with errors, anything else nothing written.
  if (build.status !== 0 && build.status !== 2) return say('rsmlab: warning: the build failed (above): this runs the old build');
  writeFileSync(join(root, BUILT_STAMP), '');
  if (build.status === 0) return rmSync(join(root, TYPE_ERRORS_FILE), { force: true });
  writeFileSync(join(root, TYPE_ERRORS_FILE), `${output}\n`);
  say('rsmlab: the build reported errors (above): the code runs as far as it compiled');
}

/** With no build to run, the errors of the last one, if they stand: how many, the first, and where the rest are. */
function sayTypeErrors(root: string, say: (line: string) => void): void {
  const file = join(root, TYPE_ERRORS_FILE);
  if (!existsSync(file)) return;
  const errors = readFileSync(file, 'utf8').split('\n').filter((line) => /error TS\d+/.test(line));
  if (errors.length === 0) return;
  say(`rsmlab: warning: the last build reported ${errors.length} type error${errors.length === 1 ? '' : 's'}, the first: ${errors[0]} (all of them: ${TYPE_ERRORS_FILE}); the code runs as far as it compiled`);
}
