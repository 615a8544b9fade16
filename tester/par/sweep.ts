// PAR's targeted-corruption sweep (Alagappan et al., FAST '18, §5.1 and Table 4) on Lab 4: three
// replicas commit ops 1..N, every replica loses power, and some copies of the last 4 committed ops
// are corrupted on the disks (each op's prepare cell on each replica intact or corrupt: 2^12
// combinations, one per mask). The cluster restarts and a client writes once more. Every combination
// must end one of two ways: a correct recovery (every replica executes the original ops and the new
// write) when every op kept an intact copy, or unavailability without data loss (no write succeeds,
// nothing committed changes) when one did not. It owns the combination, its run and its verdict;
// the state checker (tester/vsr/state-checker.ts) watches every step for lost or changed ops.
import { ScenarioFailure } from '../scenario.js';
import { simOf } from '../sim-cluster.js';
import type { VsrRun } from '../vsr/observer.js';
import { RawClient } from '../vsr/replicas.js';
import { JOURNAL_FILE, prepareOffset, slotFor, type JournalLayout } from '../../labs/vsr/journal/format.js';
import { cleanThrough } from './replicas.js';

export const SWEEP = {
  replicas: 3,
  /** The corrupted ops: the last this many committed. */
  ops: 4,
  /** Ops committed before the power loss (a register and its writes): ops N−3..N are swept. */
  committed: 8,
  /** Ticks the restarted cluster has to recover and take the new write (the reference takes ~90; a run ends at the ack). */
  recoveryTicks: 1000,
  /** Ticks an unrecoverable combination is watched for availability or loss (the broken variants lose ops within ~40). */
  unavailableTicks: 300,
};

/** Combinations: each of SWEEP.ops ops' copy on each of SWEEP.replicas replicas intact or corrupt. */
export const COMBINATIONS = 2 ** (SWEEP.ops * SWEEP.replicas);

/** The replicas whose copy of the k-th swept op (0-based, oldest first) mask corrupts. */
export function corruptCopies(mask: number, k: number): number[] {
  const copies: number[] = [];
  for (let r = 0; r < SWEEP.replicas; r++) if ((mask >> (k * SWEEP.replicas + r)) & 1) copies.push(r);
  return copies;
}

/** Every op keeps at least one intact copy. */
export function recoverable(mask: number): boolean {
  for (let k = 0; k < SWEEP.ops; k++) if (corruptCopies(mask, k).length === SWEEP.replicas) return false;
  return true;
}

export function describeMask(mask: number): string {
  const first = SWEEP.committed - SWEEP.ops + 1;
  const ops = Array.from({ length: SWEEP.ops }, (_, k) => {
    const bad = corruptCopies(mask, k);
    return `op ${first + k}: ${bad.length === 0 ? 'intact' : `corrupt on ${bad.map((r) => `p${r}`).join(',')}`}`;
  });
  return `mask ${mask} (${ops.join('; ')})`;
}

/** How a combination ended. */
export type SweepOutcome = 'recovered' | 'unavailable' | 'data loss' | 'stalled';

/**
 * The outcome of one combination's run: the state checker's failure (an op committed before the
 * power loss changed or vanished) is data loss; otherwise recovered (the new write acked, every
 * replica normal past it) or not (stalled, when every op kept an intact copy; else unavailable).
 */
export async function sweepOutcome(run: VsrRun, layout: JournalLayout, mask: number): Promise<{ outcome: SweepOutcome; detail: string }> {
  try {
    return await sweepRun(run, layout, mask);
  } catch (e) {
    // The state checker fails the simulation itself (a SimulationFailure) when it sees an op change.
    if (e instanceof Error && lossPattern.test(e.message)) return { outcome: 'data loss', detail: e.message };
    throw e;
  }
}

/** What the state checker and the convergence check say when an op committed before the power loss changed or vanished. */
const lossPattern = /committed prefixes disagree|an acked op was lost|differs from the sequential model|a gap in what was committed|hash chain broken|commit went back|adopted stale state/;

async function sweepRun(run: VsrRun, layout: JournalLayout, mask: number): Promise<{ outcome: SweepOutcome; detail: string }> {
  const sim = simOf(run);
  const n = SWEEP.committed;
  await run.startAll();
  const client = new RawClient(run, 'sweep');
  await client.ok('register', 0, 0, 'register', null);
  for (let request = 1; request < n; request++) await client.ok(`write ${request}`, 0, request, 'write', { f: 'append', key: 'sweep', value: `[${request}]` });
  await run.waitUntil(`every replica to execute op ${n} with its journal clean`, run.all, (all) => all.every((s, i) => s.commit >= n && cleanThrough(run, i, n)), 1000);
  if (run.checker!.committed !== n) throw new Error(`sweep: ${run.checker!.committed} ops committed before the power loss, expected ${n}`);
  run.note(`power loss on every replica, then ${describeMask(mask)}`);
  for (const i of run.all) await run.cluster.kill(i, 'SIGKILL');
  for (let k = 0; k < SWEEP.ops; k++) {
    const op = n - SWEEP.ops + 1 + k;
    const offset = prepareOffset(layout, slotFor(layout, op));
    for (const r of corruptCopies(mask, k)) sim.corrupt(run.cluster.id(r), JOURNAL_FILE, offset, layout.prepare_cell_bytes);
  }
  for (const i of run.all) await run.restart(i);
  // One more write, to whichever replica is primary; it must be acked only after ops 1..n.
  let acked = false;
  let stopped = false;
  // Retried at each replica in turn until acked or the run is over (a failed simulation rejects its sleep: the run is over).
  const writing = (async () => {
    for (let tries = 0; !acked && !stopped; tries++) {
      const reply = await client.call(tries % SWEEP.replicas, n, 'write', { f: 'append', key: 'sweep', value: '[after]' }).catch(() => null);
      if (reply?.status === 'ok') acked = true;
      else await run.sleepTicks(20);
    }
  })().catch(() => undefined);
  let waited = 0;
  const bound = recoverable(mask) ? SWEEP.recoveryTicks : SWEEP.unavailableTicks;
  try {
    for (; waited < bound && !acked; waited += 10) await run.sleepTicks(10);
  } finally {
    stopped = true;
  }
  if (acked) {
    await run.converge(run.all, SWEEP.recoveryTicks);
    return { outcome: 'recovered', detail: `the new write acked within ${waited} ticks; every replica converged` };
  }
  void writing; // a call still in flight is left to the world, which stops with the run
  const statuses = await Promise.all(run.all.map((i) => run.status(i)));
  const detail = `no write acked within ${bound} ticks; ${statuses.map((s, i) => `p${i}: ${s === null ? 'down' : `${s.status} view ${s.view} op ${s.op} commit ${s.commit}`}`).join('; ')}`;
  return { outcome: recoverable(mask) ? 'stalled' : 'unavailable', detail };
}


/** The combination's verdict: recovered when recoverable, unavailable when not; anything else fails, with the mask. */
export async function sweepScenario(run: VsrRun, layout: JournalLayout): Promise<void> {
  const mask = (((run.ctx.seed - 1) % COMBINATIONS) + COMBINATIONS) % COMBINATIONS;
  const { outcome, detail } = await sweepOutcome(run, layout, mask);
  run.note(`${outcome}: ${detail}`);
  const want: SweepOutcome = recoverable(mask) ? 'recovered' : 'unavailable';
  if (outcome !== want) throw new ScenarioFailure(`${describeMask(mask)}: expected ${want === 'recovered' ? 'a correct recovery (every op kept an intact copy)' : 'unavailability without data loss (an op lost every copy)'}, got ${outcome}: ${detail}`);
}

/** PAR's Table 4, for one implementation: combinations by whether they are recoverable and how they ended. */
export interface SweepTable {
  recoverable: Record<SweepOutcome, number>;
  unrecoverable: Record<SweepOutcome, number>;
}

export function emptyTable(): SweepTable {
  const zero = (): Record<SweepOutcome, number> => ({ recovered: 0, unavailable: 0, 'data loss': 0, stalled: 0 });
  return { recoverable: zero(), unrecoverable: zero() };
}

export function formatTable(name: string, t: SweepTable): string {
  const row = (label: string, r: Record<SweepOutcome, number>): string =>
    `${label.padEnd(22)}${String(Object.values(r).reduce((a, b) => a + b, 0)).padStart(7)}${String(r.recovered).padStart(11)}${String(r.unavailable).padStart(13)}${String(r['data loss']).padStart(11)}${String(r.stalled).padStart(9)}`;
  return [`${name}`, `${''.padEnd(22)}${'total'.padStart(7)}${'recovered'.padStart(11)}${'unavailable'.padStart(13)}${'data loss'.padStart(11)}${'stalled'.padStart(9)}`, row('recoverable', t.recoverable), row('unrecoverable', t.unrecoverable)].join('\n');
}

/** The 6 permutations of 3 replicas. */
const PERMUTATIONS = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];

/** `mask` with its replicas renamed by `perm` (replica r becomes perm[r]). */
function permuted(mask: number, perm: number[]): number {
  let out = 0;
  for (let k = 0; k < SWEEP.ops; k++) for (const r of corruptCopies(mask, k)) out |= 1 << (k * SWEEP.replicas + perm[r]!);
  return out;
}

/**
 * One combination per class of combinations that differ only by which replica is which (the
 * protocol treats replicas alike up to the view's leader, which the schedule picks): the least
 * mask of each class under the 6 renamings. 816 of the 4,096 (Burnside: (4096 + 3·256 + 2·16)/6).
 */
export function representatives(): number[] {
  const reps: number[] = [];
  for (let mask = 0; mask < COMBINATIONS; mask++) if (PERMUTATIONS.every((p) => permuted(mask, p) >= mask)) reps.push(mask);
  return reps;
}
