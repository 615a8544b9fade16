// The direct mutual-exclusion check for the lock service: a client holds a lock from its acquire's
// `ok` (granted) until it invokes release (whatever the answer); no two owners' holds of one lock
// may overlap. It never searches orders and ignores acquires of unknown outcome.
import type { LockInput, LockOutput } from './models/lock.js';
import { UNKNOWN } from './model.js';
import type { Invocation, PairedHistory } from './operation.js';

export interface Hold {
  lock: string;
  owner: string;
  /** The acquire's ok time, and the line of that completion. */
  from: number;
  acquireLine: number;
  /** The release's invoke time (+Infinity, null in JSON, if it never released), and that invoke's line. */
  until: number;
  releaseLine: number | null;
}

export type MutexResult = { ok: true; holds: number } | { ok: false; first: Hold; second: Hold };

interface Point {
  time: number;
  owner: string;
  /** A grant opens a hold, a release invoke closes it. */
  grant: boolean;
  line: number;
}

export function checkMutualExclusion(history: PairedHistory<LockInput, LockOutput>): MutexResult {
  const holds = [...pointsByLock(history)].flatMap(([lock, points]) => holdsOf(lock, points));
  const violation = firstOverlap(holds);
  return violation === null ? { ok: true, holds: holds.length } : { ok: false, ...violation };
}

/** Grants (acquire ok, granted) and release invokes, per lock, by time; releases first on ties. */
function pointsByLock(history: PairedHistory<LockInput, LockOutput>): Map<string, Point[]> {
  const byLock = new Map<string, Point[]>();
  const add = (lock: string, point: Point): void => {
    const points = byLock.get(lock);
    if (points === undefined) byLock.set(lock, [point]);
    else points.push(point);
  };
  for (const op of history.ops) {
    const out = op.output;
    if (op.input.f === 'acquire' && out !== UNKNOWN && (out === null || out.granted)) {
      add(op.input.lock, { time: op.ret, owner: op.input.owner, grant: true, line: op.retLine ?? op.line });
    }
  }
  const invokes: Invocation<LockInput>[] = [...history.ops, ...history.failed];
  for (const inv of invokes) if (inv.input.f === 'release') add(inv.input.lock, { time: inv.call, owner: inv.input.owner, grant: false, line: inv.line });
  for (const points of byLock.values()) points.sort((a, b) => a.time - b.time || Number(a.grant) - Number(b.grant));
  return byLock;
}

/** Each owner's holds of one lock: opened by a grant (a re-grant while holding renews), closed by a release. */
function holdsOf(lock: string, points: Point[]): Hold[] {
  const open = new Map<string, Hold>();
  const holds: Hold[] = [];
  for (const p of points) {
    const held = open.get(p.owner);
    if (p.grant && held === undefined) {
      const hold: Hold = { lock, owner: p.owner, from: p.time, acquireLine: p.line, until: Infinity, releaseLine: null };
      open.set(p.owner, hold);
      holds.push(hold);
    } else if (!p.grant && held !== undefined) {
      held.until = p.time;
      held.releaseLine = p.line;
      open.delete(p.owner);
    }
  }
  return holds;
}

/** The earliest pair of one lock's holds by different owners that overlap in time. */
function firstOverlap(holds: Hold[]): { first: Hold; second: Hold } | null {
  const sorted = [...holds].sort((a, b) => a.lock.localeCompare(b.lock) || a.from - b.from);
  let longest: Hold | null = null;
  for (const h of sorted) {
    if (longest !== null && longest.lock === h.lock && h.from < longest.until) return { first: longest, second: h };
    if (longest === null || longest.lock !== h.lock || h.until > longest.until) longest = h;
  }
  return null;
}

export function describeMutex(result: MutexResult): string {
  if (result.ok) return `mutual exclusion holds (${result.holds} holds checked)`;
  const hold = (h: Hold): string => {
    const until = h.releaseLine === null ? 'never released' : `released at t=${h.until} (line ${h.releaseLine})`;
    return `${h.owner} from t=${h.from} (line ${h.acquireLine}), ${until}`;
  };
  return `mutual exclusion violated on lock ${JSON.stringify(result.first.lock)}: held by ${hold(result.first)}; and by ${hold(result.second)}`;
}
