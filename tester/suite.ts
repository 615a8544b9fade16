// Runs a lab's scenarios over many seeds on a pool of worker processes: each scenario's seeds are
// cut into chunks that any lane may take, so one scenario's seeds use every core. It gathers one
// outcome per scenario that does not depend on how many lanes ran it: the seeds that failed, the
// lowest one (rerun with its artifacts, and shrunk), hangs and crashes. It owns isolation and
// time bounds; it never formats output (tester/report.ts) nor decides pass/fail (the scenarios do).
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { World } from './cluster.js';
import { scenariosNamed } from './index.js';
import { hangFlag, Lane, type JobEnd } from './lane.js';
import { replayCommand, type ScenarioResult } from './run.js';
import { artifactsName } from './failure-text.js';
import { runsIn, type Scenario } from './scenario.js';
import type { ShrinkResult } from './shrink.js';
import type { WorkerJob, WorkerMessage } from './worker.js';
import type { Variant } from './variant.js';

const workerPath = fileURLToPath(new URL('./worker.js', import.meta.url));
/** A lane of test workers (tester/worker.ts). */
type TestLane = Lane<WorkerJob, WorkerMessage>;

export interface SuiteOptions {
  lab: string;
  world: World;
  seeds: number[];
  /** Run only these scenario ids (default: all). */
  only?: string[];
  /** Worker processes at once (a positive integer). */
  jobs: number;
  /** Stop each scenario at its first failing seed (seeds below it still run, so the lowest is found). */
  failFast?: boolean;
  /** Shrink the lowest failing seed of each failed scenario for up to this long (simulator only; 0: never). */
  shrinkMs?: number;
  /** Run the Lab this variant names instead of the lab's own (tester/variant.ts, simulator only). */
  variant?: Variant;
  /** A worker that reports nothing for this long is killed and its seed fails ("hung"); HANG_MS by default. */
  seedTimeoutMs: number;
  /** Say where a hung worker's code was stuck (Lane's stackOnHang; default true). */
  stackOnHang?: boolean;
  artifactsDir: string;
  /** Called after each seed of each scenario, for progress bars. */
  onProgress?: (done: number, total: number) => void;
  /** Scenarios not to run in this world, by id (notRunAfter's): each gets a 'not run' outcome saying why. */
  notRun?: ReadonlyMap<string, NotRun>;
}

/** 'not run': none of its seeds ran in this world, by the runner's choice (SuiteOptions.notRun); its message says why. */
export type OutcomeStatus = 'passed' | 'failed' | 'hung' | 'crashed' | 'not run';

/** Why a scenario is not run in a world, and the command that replays what decided it. */
export interface NotRun {
  why: string;
  replay?: string;
}

export interface ScenarioOutcome {
  id: string;
  title: string;
  points: number;
  /** 'passed' when every seed passed; otherwise how the lowest failing seed failed. */
  status: OutcomeStatus;
  passedSeeds: number;
  /** Seeds that failed, hung or crashed. */
  failedSeeds: number;
  totalSeeds: number;
  /** The lowest seed that failed, hung or crashed: the one reported. */
  lowestFailingSeed?: number;
  /** Seeds never run: after a hang or crash, or with --fail-fast, the seeds above it are skipped. */
  skippedSeeds: number;
  /** The lowest failing seed (seed, error, replay command, artifacts) when status is 'failed'. */
  failure?: ScenarioResult;
  /** That seed's fault decisions, shrunk (simulator only, with a shrink budget). */
  shrink?: ShrinkResult;
  /** Why shrinking that seed gave nothing: its worker hung or crashed while it searched. */
  shrinkProblem?: string;
  /** For 'hung' and 'crashed': what happened and the command that reruns the seed in question ('not run': why, and what decided it). */
  message?: string;
  replay?: string;
  /** Every seed that failed, hung or crashed, by seed, with its error (the table shows only the lowest). */
  failures?: { seed: number; message: string }[];
  /** Wall time spent on this scenario's seeds, summed over lanes (never shown in the table: it varies). */
  elapsedMs: number;
}

export interface SuiteResult {
  lab: string;
  world: World;
  seeds: number[];
  outcomes: ScenarioOutcome[];
}

/** How one seed failed: the run's own error, or its worker hung or crashed. */
interface SeedFailure {
  status: Exclude<OutcomeStatus, 'passed' | 'not run'>;
  message: string;
  /** The full result, when the seed ran with its artifacts (the real world). */
  result?: ScenarioResult;
}

/** What one scenario's seeds did so far. */
class Tally {
  passed = 0;
  ran = 0;
  elapsedMs = 0;
  readonly failed = new Map<number, SeedFailure>();
  /** Seeds above this are not run (a hang, a crash, or --fail-fast). */
  stopAbove = Infinity;

  constructor(readonly scenario: Scenario) {}

  lowestFailure(): number | undefined {
    return this.failed.size === 0 ? undefined : Math.min(...this.failed.keys());
  }
}

interface Chunk {
  tally: Tally;
  seeds: number[];
}

/** `count` consecutive seeds from `first`: first, first+1, … */
export function seedsFrom(first: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => first + i);
}

/** Seeds 1..n (the tests' pinned seed lists). */
export function seedsThrough(n: number): number[] {
  return seedsFrom(1, n);
}

/** A scenario's seeds: the suite's, or (simulator, Scenario.seedFactor) that many times as many from the first. */
function seedsOf(scenario: Scenario, options: SuiteOptions): number[] {
  const factor = options.world === 'sim' ? (scenario.seedFactor ?? 1) : 1;
  if (factor === 1) return options.seeds;
  return seedsFrom(options.seeds[0] ?? 1, options.seeds.length * factor);
}

/** Seeds per chunk: small enough that every lane stays busy, large enough that IPC is noise. */
function chunkSize(seeds: number, jobs: number): number {
  return Math.max(1, Math.min(50, Math.ceil(seeds / (4 * jobs))));
}

export async function runSuite(options: SuiteOptions): Promise<SuiteResult> {
  if (!Number.isInteger(options.jobs) || options.jobs < 1) throw new Error(`jobs must be a positive whole number, not ${options.jobs}`);
  const selected = await selectScenarios(options);
  const tallies = selected.map((s) => new Tally(s));
  const chunks: Chunk[] = tallies.filter((t) => !options.notRun?.has(t.scenario.id)).flatMap((tally) => {
    const seeds = seedsOf(tally.scenario, options);
    const size = chunkSize(seeds.length, options.jobs);
    return Array.from({ length: Math.ceil(seeds.length / size) }, (_, i) => ({ tally, seeds: seeds.slice(i * size, (i + 1) * size) }));
  });
  if (options.variant === undefined) clearEarlierFailures(chunks, options);
  const total = chunks.reduce((sum, c) => sum + c.seeds.length, 0);
  let done = 0;
  const progress = (): void => options.onProgress?.(++done, total);
  const lanes = Array.from({ length: options.jobs }, () => new Lane<WorkerJob, WorkerMessage>(workerPath, options.seedTimeoutMs, options.stackOnHang));
  try {
    await onLanes(lanes, chunks, (lane, chunk) => runChunk(lane, chunk, options, progress));
    // Each failed scenario's lowest seed is rerun (and shrunk) on whichever lane is free.
    const outcomes = new Array<ScenarioOutcome>(tallies.length);
    await onLanes(lanes, tallies, async (lane, tally, i) => void (outcomes[i] = await outcomeOf(tally, options, lane)));
    return { lab: options.lab, world: options.world, seeds: options.seeds, outcomes };
  } finally {
    for (const lane of lanes) lane.close();
  }
}

/**
 * Remove the failure folders an earlier run left for the seeds about to run (failures/<lab>-<id>-
 * <world>-seed<N>): a seed that passes now would otherwise keep an old failure, which a student who
 * fixed the bug opens and reads as new. A variant's run (a mutant, --lab-module) writes under the
 * same names, so it leaves the lab's own alone.
 */
function clearEarlierFailures(chunks: readonly Chunk[], options: SuiteOptions): void {
  for (const { tally, seeds } of chunks) {
    for (const seed of seeds) rmSync(resolve(options.artifactsDir, artifactsName({ lab: options.lab, scenario: tally.scenario.id, world: options.world, seed })), { recursive: true, force: true });
  }
}

/** Do `work` for every item, in order, each on whichever lane is free next. */
async function onLanes<T>(lanes: TestLane[], items: readonly T[], work: (lane: TestLane, item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(lanes.map(async (lane) => {
    for (let i = next++; i < items.length; i = next++) await work(lane, items[i]!, i);
  }));
}

async function selectScenarios(options: SuiteOptions): Promise<Scenario[]> {
  const chosen = await scenariosNamed(options.lab, options.only);
  const here = chosen.filter((s) => runsIn(s, options.world));
  if (here.length === 0 && chosen.length > 0) throw new Error(`lab '${options.lab}': ${chosen.map((s) => s.id).join(', ')} run(s) in the ${chosen[0]!.worlds!.join(', ')} world only, not ${options.world} (add --world ${chosen[0]!.worlds![0]})`);
  return here;
}

async function runChunk(lane: TestLane, chunk: Chunk, options: SuiteOptions, progress: () => void): Promise<void> {
  const { tally } = chunk;
  let pending = chunk.seeds.filter((seed) => seed <= tally.stopAbove);
  while (pending.length > 0) {
    const started = Date.now();
    let current = pending[0]!;
    const job = { type: 'seeds', lab: options.lab, scenario: tally.scenario.id, world: options.world, seeds: pending, ...variant(options), failFast: options.failFast ?? false, artifacts: options.world === 'real', artifactsDir: options.artifactsDir } as const;
    const onMessage = (m: WorkerMessage): void => {
      if (m.type === 'seed') current = m.seed;
      if (m.type !== 'ran') return;
      tally.ran++;
      progress();
      if (m.ok) tally.passed++;
      else failed(tally, m.seed, { status: 'failed', message: m.error ?? '', ...(m.result ? { result: m.result } : {}) }, options.failFast);
    };
    const end = await lane.run(job, onMessage, () => `seed ${current}`);
    tally.elapsedMs += Date.now() - started;
    if (end.kind !== 'done') {
      tally.ran++;
      progress();
      failed(tally, current, { status: end.kind, message: end.message }, true);
    }
    pending = end.kind === 'done' ? [] : pending.filter((seed) => seed > current && seed <= tally.stopAbove);
  }
}

function failed(tally: Tally, seed: number, failure: SeedFailure, stop: boolean | undefined): void {
  tally.failed.set(seed, failure);
  if (stop) tally.stopAbove = Math.min(tally.stopAbove, seed);
}

/** The scenario's outcome; the lowest failing seed of the simulator is rerun with artifacts and shrunk. */
async function outcomeOf(tally: Tally, options: SuiteOptions, lane: TestLane): Promise<ScenarioOutcome> {
  const { scenario } = tally;
  const totalSeeds = seedsOf(scenario, options).length;
  const base = { id: scenario.id, title: scenario.title, points: scenario.points, passedSeeds: tally.passed, failedSeeds: tally.failed.size, totalSeeds, skippedSeeds: totalSeeds - tally.ran, elapsedMs: tally.elapsedMs, failures: [...tally.failed].sort(([a], [b]) => a - b).map(([seed, f]) => ({ seed, message: f.message })) };
  const notRun = options.notRun?.get(scenario.id);
  if (notRun !== undefined) return { ...base, status: 'not run', message: notRun.why, ...(notRun.replay !== undefined && { replay: notRun.replay }) };
  const lowest = tally.lowestFailure();
  if (lowest === undefined) return { ...base, status: base.skippedSeeds === 0 ? 'passed' : 'failed' };
  const first = tally.failed.get(lowest)!;
  const failing = { ...base, lowestFailingSeed: lowest };
  const replay = replayCommand(scenario, options.world, lowest, options.variant);
  // A hang replays with the same limit, so that the replay says the same thing as soon.
  if (first.status !== 'failed') return { ...failing, status: first.status, message: first.message, replay: first.status === 'hung' ? `${replay}${hangFlag(options.seedTimeoutMs, options.world)}` : replay };
  if (first.result) return { ...failing, status: 'failed', failure: first.result };
  const { failure, shrink, end } = await reportSeed(lane, scenario, lowest, options);
  if (!failure) return { ...failing, status: end.kind === 'done' ? 'crashed' : end.kind, message: end.kind === 'done' ? 'the worker reported nothing' : end.message, replay };
  if (failure.ok) failure.error = `seed ${lowest} failed in the suite but passed when rerun alone: the run is not deterministic\n${first.message}`;
  const problem = end.kind === 'done' ? {} : { shrinkProblem: `shrinking ${end.kind === 'hung' ? 'hung' : 'crashed'}: ${end.message}` };
  return { ...failing, status: 'failed', failure: { ...failure, ok: false }, ...(shrink && { shrink }), ...problem };
}

function variant(options: SuiteOptions): { variant?: Variant } {
  return options.variant === undefined ? {} : { variant: options.variant };
}

/**
 * Rerun a failing simulator seed in a worker, with its artifacts, then shrink it within the budget.
 * A worker that hangs or crashes while shrinking leaves the rerun's result standing.
 */
async function reportSeed(lane: TestLane, scenario: Scenario, seed: number, options: SuiteOptions): Promise<{ failure?: ScenarioResult; shrink?: ShrinkResult; end: JobEnd }> {
  let failure: ScenarioResult | undefined;
  let shrink: ShrinkResult | undefined;
  const job = { type: 'report', lab: options.lab, scenario: scenario.id, seed, ...variant(options), artifactsDir: options.artifactsDir, shrinkMs: options.shrinkMs ?? 0 } as const;
  const end = await lane.run(job, (m) => {
    if (m.type === 'report') failure = m.result;
    if (m.type === 'shrunk') shrink = m.shrink;
  }, () => `seed ${seed} (${failure ? 'shrinking it' : 'rerun with its artifacts'})`);
  return { ...(failure && { failure }), ...(shrink && { shrink }), end };
}

/**
 * What not to run in the real world after the simulator's results (`earlier`): each scenario none of
 * whose simulator seeds passed. Its failure is known and replays exactly; a real run would spend
 * minutes of processes and timeouts to fail again, less clearly. A scenario some seeds of which
 * passed still runs: real timing may catch what its failing seeds did not, or pass.
 */
export function notRunAfter(earlier: readonly SuiteResult[]): Map<string, NotRun> {
  const sim = earlier.find((r) => r.world === 'sim');
  const failedWhole = (sim?.outcomes ?? []).filter((o) => o.passedSeeds === 0 && o.failedSeeds > 0);
  return new Map(failedWhole.map((o) => [o.id, simulatorFailed(o)]));
}

function simulatorFailed(o: ScenarioOutcome): NotRun {
  const how = o.status === 'failed' ? '' : `: ${o.status}`;
  const replay = o.failure?.replay ?? o.replay;
  return { why: `the simulator already failed (seed ${o.lowestFailingSeed}${how})`, ...(replay !== undefined && { replay }) };
}

/** 0: every scenario passed; 1: some failed, hung, crashed or were not run. (2, could not run, is the CLI's.) */
export function suiteExitCode(result: SuiteResult): 0 | 1 {
  return result.outcomes.every((o) => o.status === 'passed') ? 0 : 1;
}
