// Ends every process of one grading run, including those that left its process group (a detached
// spawn, setsid, a double fork whose middle process exited): each carries the run's token in its
// environment (and, when the run has a user of its own, that user id), and a /proc sweep finds the
// group, the token's bearers, the user's processes and their descendants, stops them all (a
// stopped process cannot fork), then kills them; it also finds the run's largest resident process,
// for the memory bound. It never touches a process of no run.
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';

/** The environment variable that marks a grading run's processes (children inherit it). */
export const RUN_TOKEN_VAR = 'RSMLAB_GRADING_RUN';

/** A fresh token for one grading run. */
export function runToken(): string {
  return randomBytes(16).toString('hex');
}

interface ProcessFacts {
  pid: number;
  ppid: number;
  pgid: number;
  uid: number;
  /** Whether its environment holds the run's token. */
  marked: boolean;
}

/** Sweeps are bounded: a run that forks faster than this many rounds catch it still gets the rest killed. */
const MAX_ROUNDS = 50;

/**
 * Kill every process of the run with token `token` whose group leader was `pgid`: the group, the
 * processes that carry the token, those of the run's own user `uid` (when it has one), and every
 * child of one caught. Returns how many it killed. Where there is no /proc (not Linux), only the
 * group is killed.
 */
export function sweepRun(token: string, pgid: number, uid?: number): number {
  const caught = new Set<number>();
  const ofRun = (p: ProcessFacts): boolean => isOfRun(p, pgid, uid) || caught.has(p.ppid);
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const fresh = processes(token).filter((p) => p.pid !== process.pid && !caught.has(p.pid) && ofRun(p));
    if (fresh.length === 0) break;
    for (const p of fresh) {
      signal(p.pid, 'SIGSTOP');
      caught.add(p.pid);
    }
  }
  signal(-pgid, 'SIGKILL');
  for (const pid of caught) signal(pid, 'SIGKILL');
  return caught.size;
}

/** Whether `p` is of the run: in its group, bearing its token, or of its own user. */
function isOfRun(p: ProcessFacts, pgid: number, uid: number | undefined): boolean {
  return p.pgid === pgid || p.marked || p.uid === uid;
}

/** The run's process holding the most resident memory now, and its bytes (none found: undefined, as off Linux). */
export function largestResident(token: string, pgid: number, uid?: number): { pid: number; bytes: number } | undefined {
  let largest: { pid: number; bytes: number } | undefined;
  for (const p of processes(token)) {
    if (p.pid === process.pid || !isOfRun(p, pgid, uid)) continue;
    const bytes = residentBytes(p.pid);
    if (largest === undefined || bytes > largest.bytes) largest = { pid: p.pid, bytes };
  }
  return largest;
}

const PAGE_BYTES = 4096;

/** Process `pid`'s resident bytes (statm's second field, in pages); 0 once it is gone. */
function residentBytes(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/statm`, 'latin1').split(' ')[1]) * PAGE_BYTES;
  } catch {
    return 0;
  }
}

/** Every process this one can read in /proc (none without /proc), with whether it bears `token`. */
function processes(token: string): ProcessFacts[] {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return [];
  }
  const mark = Buffer.from(`${RUN_TOKEN_VAR}=${token}\0`);
  const facts: ProcessFacts[] = [];
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // stat's fields after the command (which may hold spaces and parentheses): state ppid pgrp ...
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      const [, ppid, pgid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      facts.push({ pid: Number(name), ppid: Number(ppid), pgid: Number(pgid), uid: statSync(`/proc/${name}`).uid, marked: bears(name, mark) });
    } catch {
      // Gone since the listing.
    }
  }
  return facts;
}

/** Whether process `pid`'s environment holds the variable `mark` (NAME=value and its NUL); false if it cannot be read. */
function bears(pid: string, mark: Buffer): boolean {
  try {
    const environ = readFileSync(`/proc/${pid}/environ`);
    for (let at = environ.indexOf(mark); at >= 0; at = environ.indexOf(mark, at + 1)) if (at === 0 || environ[at - 1] === 0) return true;
    return false;
  } catch {
    return false;
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Gone already.
  }
}
