// A test worker: a child process that runs jobs from its parent (tester/suite.ts) and reports each
// step over IPC: a chunk of one scenario's seeds, or the full report of one failing seed (its
// artifacts, then its shrinking). It exists so that a hanging or crashing submission costs one
// test, never the grader: the parent kills a worker that stops reporting (tester/lane.ts).
import { findScenario } from './index.js';
import { report as send, serveJobs } from './lane-worker.js';
import { runScenario, type ScenarioResult } from './run.js';
import { shrinkFailure, type ShrinkResult } from './shrink.js';
import type { World } from './cluster.js';
import type { Variant } from './variant.js';

/** Run `seeds` of one scenario, in order; with `failFast`, stop at the first failing seed. */
export interface SeedsJob {
  type: 'seeds';
  lab: string;
  scenario: string;
  world: World;
  seeds: number[];
  /** Run the Lab this variant names instead of the lab's own (tester/variant.ts). */
  variant?: Variant;
  failFast: boolean;
  /** Keep traces and write artifacts (false: hash only; the suite reruns the seed it reports). */
  artifacts: boolean;
  artifactsDir: string;
}

/** Rerun one failing seed with its artifacts, then shrink its fault decisions for up to `shrinkMs`. */
export interface ReportJob {
  type: 'report';
  lab: string;
  scenario: string;
  seed: number;
  variant?: Variant;
  artifactsDir: string;
  shrinkMs: number;
}

export type WorkerJob = SeedsJob | ReportJob;

export type WorkerMessage =
  /** About to run `seed` (also every rerun while shrinking). */
  | { type: 'seed'; seed: number }
  | { type: 'ran'; seed: number; ok: boolean; error?: string; result?: ScenarioResult }
  /** The failing seed rerun with its artifacts (its decision list left in them)... */
  | { type: 'report'; result: ScenarioResult }
  /** ...then its shrinking, if asked for. */
  | { type: 'shrunk'; shrink: ShrinkResult };

function variant(job: WorkerJob): { variant?: Variant } {
  return job.variant === undefined ? {} : { variant: job.variant };
}

const report: (message: WorkerMessage) => Promise<void> = send;

async function runSeeds(job: SeedsJob): Promise<void> {
  const scenario = await findScenario(job.lab, job.scenario);
  for (const seed of job.seeds) {
    await report({ type: 'seed', seed });
    const result = await runScenario(scenario, { world: job.world, seed, artifactsDir: job.artifactsDir, quiet: !job.artifacts, ...variant(job) });
    await report({ type: 'ran', seed, ok: result.ok, ...(result.ok ? {} : { error: result.error ?? '' }), ...(job.artifacts && !result.ok ? { result } : {}) });
    if (!result.ok && job.failFast) break;
  }
}

async function runReport(job: ReportJob): Promise<void> {
  const scenario = await findScenario(job.lab, job.scenario);
  await report({ type: 'seed', seed: job.seed });
  const result = await runScenario(scenario, { world: 'sim', seed: job.seed, artifactsDir: job.artifactsDir, callSites: true, ...variant(job) });
  const { decisions: _decisions, ...sent } = result;
  await report({ type: 'report', result: sent });
  // A run that failed before the world made one fault decision is its own smallest: its report is that one run.
  if (result.ok || job.shrinkMs <= 0 || (result.decisions?.length ?? 0) === 0) return;
  const heartbeat = (): Promise<void> => report({ type: 'seed', seed: job.seed });
  const shrink = await shrinkFailure(scenario, result, { budgetMs: job.shrinkMs, artifactsDir: job.artifactsDir, onRun: heartbeat, ...variant(job) });
  await report({ type: 'shrunk', shrink });
}

serveJobs((job: WorkerJob) => (job.type === 'seeds' ? runSeeds(job) : runReport(job)), (job) => job.type === 'report' || job.world === 'sim');
