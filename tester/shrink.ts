// Shrinking a failing simulated run: delta debugging (ddmin, Zeller and Hildebrandt) over the
// fault decisions it made, rerunning the same seed with the others vetoed, down to a set that still
// fails the same check. It writes the shrunk run beside the original, with its own replay command.
// It never changes what a scenario checks, and never calls a run that fails differently a success.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Lab } from '../src/lab.js';
import { countKinds, type Decision, type DecisionKind } from '../src/env/sim/decisions.js';
import { replayCommand, runScenario, type ScenarioResult } from './run.js';
import { artifactsName } from './failure-text.js';
import type { Scenario } from './scenario.js';
import type { Variant } from './variant.js';
import type { AppName } from '../src/apps/app.js';

/**
 * What "the same check" means: the error's class and the first line of its message, every number
 * and hex digest in it masked ("ScenarioFailure: view # is {n#,n#,n#}, expected {n#,n#,n#}"). The values may
 * move when faults go away (a later view, another node); the check that failed and its shape may not.
 */
export function failureKey(error: string): string {
  const first = error.split('\n', 1)[0]!.trim();
  const named = /^[A-Za-z]*(Error|Failure)\b/.test(first) ? first : `Error: ${first}`;
  return named.replace(/\b(?=[0-9a-f]*\d)[0-9a-f]{6,}\b/g, '#').replace(/\d+/g, '#');
}

/** A rerun fails as a runaway past this many times the failing run's events (and never below RERUN_EVENTS_MIN). */
const RERUN_EVENTS_FACTOR = 4;
export const RERUN_EVENTS_MIN = 100_000;

export interface ShrinkOptions {
  /** Stop searching after this much wall time; the smallest failing set found so far is the result. */
  budgetMs: number;
  /** Where the original run's artifacts are (default ./failures); the shrunk run goes in its "shrunk" folder. */
  artifactsDir?: string;
  /** Run this Lab instead of the scenario's own (tests shrink deliberately broken variants). */
  lab?: Lab;
  /** Or the Lab this variant names (tester/variant.ts): the shrunk replay command names it. */
  variant?: Variant;
  /** Stop after this many reruns too (a bound that does not depend on the machine's speed). */
  maxRuns?: number;
  /** Called before each rerun (the worker's heartbeat). */
  onRun?: () => void | Promise<void>;
}

export interface ShrinkResult {
  seed: number;
  /** The failure key both runs share. */
  check: string;
  /** Fault decisions taken by the original run, and by the shrunk one. */
  decisionsBefore: number;
  decisionsAfter: number;
  /** Events in the original trace and in the shrunk one. */
  eventsBefore: number;
  eventsAfter: number;
  /** The original run's fault decisions by kind ("delay" -> 190). */
  kindsBefore: Record<string, number>;
  /** The shrunk run's fault decisions, in order. */
  kept: string[];
  /** Reruns made, and whether the budget ran out before ddmin was done (then the result is smaller, not minimal). */
  runs: number;
  complete: boolean;
  /** The shrunk run's error, its replay command (seed + veto file) and its folder. */
  error: string;
  replay: string;
  artifacts: string;
  /** The model the shrunk folder's history.jsonl is checked against, when the run kept one. */
  historyModel?: AppName;
}

/** The lab the original run ran, for every rerun. */
function same(options: ShrinkOptions): { lab?: Lab; variant?: Variant } {
  return { ...(options.lab ? { lab: options.lab } : {}), ...(options.variant === undefined ? {} : { variant: options.variant }) };
}

/** The ids of the decisions a run took, in order. */
function takenIds(result: ScenarioResult): string[] {
  return (result.decisions ?? []).filter((d: Decision) => !d.vetoed).map((d) => d.id);
}

/** Rare, scripted kinds first, then the many drawn ones: ddmin cuts whole runs of delays at once. */
const searchOrder: DecisionKind[] = ['crash', 'restart', 'breakpoint', 'partition', 'disk', 'drop', 'duplicate', 'delay'];

function bySearchOrder(result: ScenarioResult): string[] {
  const taken = (result.decisions ?? []).filter((d) => !d.vetoed);
  return searchOrder.flatMap((kind) => taken.filter((d) => d.kind === kind).map((d) => d.id));
}

/**
 * Shrink `failed` (a failing simulator run of `scenario`): the smallest set of its fault decisions
 * found within the budget that, with every other decision vetoed, still fails with the same key.
 */
export async function shrinkFailure(scenario: Scenario, failed: ScenarioResult, options: ShrinkOptions): Promise<ShrinkResult> {
  if (failed.ok || failed.world !== 'sim') throw new Error('only a failing simulator run can be shrunk');
  const check = failureKey(failed.error ?? '');
  const seed = failed.seed;
  const started = Date.now();
  let runs = 0;
  const cache = new Map<string, boolean>();
  // A rerun that goes on far longer than the failing run is not a smaller failure; bounding it keeps
  // one rerun from outliving the budget (a vetoed fault can leave a cluster retrying for ever).
  const maxEvents = Math.max(RERUN_EVENTS_MIN, RERUN_EVENTS_FACTOR * (failed.simEvents ?? Infinity));
  /** Does the run with only `keep` allowed still fail the same check? */
  const fails = async (keep: string[]): Promise<boolean> => {
    const key = keep.join('\n');
    const known = cache.get(key);
    if (known !== undefined) return known;
    await options.onRun?.();
    runs++;
    const result = await runScenario(scenario, { world: 'sim', seed, quiet: true, veto: { keep }, maxEvents, ...same(options) });
    const sameCheck = !result.ok && failureKey(result.error ?? '') === check;
    cache.set(key, sameCheck);
    return sameCheck;
  };
  const outOfTime = (): boolean => Date.now() - started >= options.budgetMs || runs >= (options.maxRuns ?? Infinity);
  const { kept, complete } = await ddmin(await withoutWholeKinds(bySearchOrder(failed), fails, outOfTime), fails, outOfTime);
  return writeShrunk(scenario, failed, kept, { ...options, check, runs, complete });
}

/**
 * A first cut before ddmin: drop every decision of one kind at once, many drawn kinds first (most
 * runs fail just as well with every message on time). One rerun per kind instead of hundreds.
 */
async function withoutWholeKinds(all: string[], fails: (subset: string[]) => Promise<boolean>, outOfTime: () => boolean): Promise<string[]> {
  let current = all;
  for (const kind of [...searchOrder].reverse()) {
    const rest = current.filter((id) => !id.startsWith(`${kind} `));
    if (rest.length === current.length || outOfTime()) continue;
    if (await fails(rest)) current = rest;
  }
  return current;
}

/**
 * ddmin: the smallest subset of `all` for which `fails` holds, 1-minimal when `complete` (removing
 * any one decision makes it pass or fail differently). Tries no fault at all first.
 */
export async function ddmin(all: string[], fails: (subset: string[]) => Promise<boolean>, outOfTime: () => boolean): Promise<{ kept: string[]; complete: boolean }> {
  if (all.length === 0 || (await fails([]))) return { kept: [], complete: true };
  let current = all;
  let n = 2;
  while (current.length >= 2) {
    const chunks = split(current, n);
    // Try each chunk alone, then (past two chunks, where they differ) each complement.
    const complements = n > 2 ? chunks.map((_, i) => chunks.filter((__, j) => j !== i).flat()) : [];
    const found = await firstFailing([...chunks, ...complements], fails, outOfTime);
    if (found === 'out of time') return { kept: current, complete: false };
    if (found !== undefined) {
      current = found.subset;
      n = found.index < chunks.length ? 2 : Math.max(n - 1, 2);
    } else if (n < current.length) {
      n = Math.min(current.length, 2 * n);
    } else {
      break;
    }
  }
  return { kept: current, complete: true };
}

async function firstFailing(candidates: string[][], fails: (subset: string[]) => Promise<boolean>, outOfTime: () => boolean): Promise<{ subset: string[]; index: number } | 'out of time' | undefined> {
  for (const [index, subset] of candidates.entries()) {
    if (outOfTime()) return 'out of time';
    if (await fails(subset)) return { subset, index };
  }
  return undefined;
}

/** `items` cut into `n` contiguous chunks of nearly equal size. */
function split<T>(items: T[], n: number): T[][] {
  const chunks: T[][] = [];
  let start = 0;
  for (let i = 0; i < n; i++) {
    const end = start + Math.floor((items.length - start) / (n - i));
    chunks.push(items.slice(start, end));
    start = end;
  }
  return chunks;
}

/** Rerun the shrunk set with its artifacts, in <original>/shrunk with veto.json, and describe both runs. */
async function writeShrunk(scenario: Scenario, failed: ScenarioResult, keep: string[], o: ShrinkOptions & { check: string; runs: number; complete: boolean }): Promise<ShrinkResult> {
  const original = failed.artifacts ?? resolve(o.artifactsDir ?? 'failures', artifactsName(failed));
  const folder = join(original, 'shrunk');
  const vetoFile = join(folder, 'veto.json');
  const replay = `${replayCommand(scenario, 'sim', failed.seed, o.variant)} --veto ${vetoFile}`;
  const shrunk = await runScenario(scenario, {
    world: 'sim',
    seed: failed.seed,
    veto: { keep },
    replay,
    artifactsDir: original,
    artifactsName: 'shrunk',
    ...same(o),
  });
  if (shrunk.ok || failureKey(shrunk.error ?? '') !== o.check) throw new Error(`the shrunk run of seed ${failed.seed} did not fail the same check (${o.check}); got: ${shrunk.ok ? 'a pass' : failureKey(shrunk.error ?? '')}`);
  // Written once the run wrote its folder (which it replaces whole); the run took the veto as `keep`.
  mkdirSync(folder, { recursive: true });
  writeFileSync(vetoFile, `${JSON.stringify({ lab: scenario.lab, scenario: scenario.id, seed: failed.seed, check: o.check, keep }, null, 2)}\n`);
  const kept = takenIds(shrunk);
  return {
    seed: failed.seed,
    check: o.check,
    decisionsBefore: takenIds(failed).length,
    kindsBefore: countKinds(takenIds(failed)),
    decisionsAfter: kept.length,
    eventsBefore: failed.traceEvents ?? 0,
    eventsAfter: shrunk.traceEvents ?? 0,
    kept,
    runs: o.runs + 1,
    complete: o.complete,
    error: shrunk.error ?? '',
    replay,
    artifacts: folder,
    ...(shrunk.historyModel === undefined ? {} : { historyModel: shrunk.historyModel }),
  };
}
