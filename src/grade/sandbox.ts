// Who a grading run's processes are: when the grader is root, each run gets a fresh unprivileged
// user id of its own, so the submission's code can write only its own output folder (never the
// grader's tree or node_modules, never another student's tree or outputs) and read no other
// student's grading tree. It picks and checks ids, hands folders to them and finds what they could
// read that they must not; it never runs submission code (src/grade/batch.ts does).
import { spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { chmodSync, chownSync, existsSync, lchownSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A grading run's own user and group id. */
export interface RunUser {
  uid: number;
  gid: number;
}

/** Ids below this are left to the system and to people. */
const FIRST_ID = 100_000;
/** Ids this high are left alone (nobody's 65534 lives lower; 2^31-1 and up confuse some tools). */
const LAST_ID = 2 ** 31 - 2;

/** The ids this process may switch to (its user namespace's uid_map), from FIRST_ID, as [first, end) ranges. */
function mappedIds(): [number, number][] {
  let map: string;
  try {
    map = readFileSync('/proc/self/uid_map', 'utf8');
  } catch {
    return [];
  }
  return map
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/).map(Number))
    .map(([inside, , count]): [number, number] => [Math.max(inside!, FIRST_ID), Math.min(inside! + count!, LAST_ID + 1)])
    .filter(([first, end]) => first < end);
}

/** The ids /etc/passwd and /etc/group name (never handed to a run). */
function namedIds(): Set<number> {
  const ids = new Set<number>();
  for (const file of ['/etc/passwd', '/etc/group']) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n')) ids.add(Number(line.split(':')[2]));
  }
  return ids;
}

/**
 * Fresh ids for runs, one per call: random within `ranges` ([first, end) each), never one of
 * `named`; none when the draws find none free.
 */
export function freshIds(ranges: readonly [number, number][], named: ReadonlySet<number>): () => number | undefined {
  const size = ranges.reduce((sum, [first, end]) => sum + end - first, 0);
  return () => {
    for (let tries = 0; size > 0 && tries < 100; tries++) {
      let k = randomInt(size);
      for (const [first, end] of ranges) {
        if (k < end - first) {
          if (!named.has(first + k)) return first + k;
          break;
        }
        k -= end - first;
      }
    }
    return undefined;
  };
}

/** A batch's runs with users of their own: a fresh one per call, and what of `secrets` they can read (readable by every user). */
export interface RunUsers {
  user: () => RunUser;
  exposed: string[];
}

/**
 * How this batch can give each run a user of its own: a function that makes one and which of
 * `secrets` (the grader's solutions, the submissions: files or folders) such a user could read, or
 * why it cannot (the grader is not root, no id is free, or a run could not read the grader's
 * packages or reach `work`, its folder for grading trees). A run then runs as the grader, with the
 * grader's rights.
 */
export function runUsers(repo: string, work: string, secrets: readonly string[]): RunUsers | { reason: string } {
  if (process.getuid?.() !== 0) return { reason: 'the grader is not root, so runs cannot get users of their own' };
  // The id map and the named ids are read once for the batch, not once per student.
  const freshId = freshIds(mappedIds(), namedIds());
  const probe = freshId();
  if (probe === undefined) return { reason: 'no user id is free to give to runs (/proc/self/uid_map)' };
  if ((process.umask() & 0o055) !== 0) return { reason: `the umask ${process.umask().toString(8)} would keep grading trees from other users` };
  // A run must reach its tree (under `work`) and the grader's packages through every folder above them.
  const folder = join(work, `.probe-${process.pid}`);
  mkdirSync(folder, { recursive: true });
  chownSync(folder, probe, probe);
  const packages = join(repo, 'node_modules', 'zod', 'package.json');
  const readable = `(p) => { try { fs.statSync(p).isDirectory() ? fs.readdirSync(p) : fs.readFileSync(p); return true; } catch { return false; } }`;
  const check = `const fs = require('node:fs'); fs.readFileSync(${JSON.stringify(packages)}); fs.writeFileSync(${JSON.stringify(join(folder, 'w'))}, ''); process.stdout.write(JSON.stringify(${JSON.stringify(secrets)}.filter(${readable})));`;
  const run = spawnSync(process.execPath, ['-e', check], { uid: probe, gid: probe, encoding: 'utf8' });
  rmSync(folder, { recursive: true, force: true });
  if (run.status !== 0) {
    const why = run.error?.message ?? run.stderr.split('\n').find((l) => /Error/.test(l)) ?? `exit ${run.status}`;
    return { reason: `a run as user ${probe} cannot read ${packages} or write under ${work} (each folder above them must be searchable by others): ${why.trim()}` };
  }
  return {
    user: () => {
      const id = freshId() ?? probe;
      return { uid: id, gid: id };
    },
    exposed: JSON.parse(run.stdout) as string[],
  };
}

/**
 * Let `user` alone (and the grader) into folder `dir`, which holds one submission's grading tree:
 * its files stay readable, but no other run can reach them (another student's compiled code).
 */
export function lockTo(dir: string, user: RunUser): void {
  chownSync(dir, process.getuid?.() ?? 0, user.gid);
  chmodSync(dir, 0o750);
}

/** Write `text` to a new file at `path` in a run's folder, whatever the run left there (a link is replaced, never followed). */
export function writeFresh(path: string, text: string): void {
  rmSync(path, { recursive: true, force: true });
  writeFileSync(path, text, { flag: 'wx' });
}

/** Give folder `dir` (not what it holds) to `user`: a run writes only there. */
export function handTo(dir: string, user: RunUser): void {
  chownSync(dir, user.uid, user.gid);
}

/**
 * Take `dir` and everything in it back for this process's user (what a run wrote there), never
 * following a link: a hard link the run made to a file elsewhere keeps its owner.
 */
export function takeBack(dir: string): void {
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  if (!existsSync(dir)) return;
  chownSync(dir, uid, gid);
  for (const name of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    const path = join(dir, name);
    const stat = lstatSync(path);
    if (stat.isDirectory() || stat.nlink === 1) lchownSync(path, uid, gid);
  }
}
