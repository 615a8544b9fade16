// Runs a lab's scenarios over many seeds with a pool of worker processes, each job bounded by a
// watchdog, and gathers one outcome per scenario. It owns isolation and time bounds; it never
// formats output (tester/report.ts) and never decides pass/fail itself (the scenarios do).
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { World } from './cluster.js';
import { loadScenarios } from './index.js';
import { replayCommand, type ScenarioResult } from './run.js';
import type { Scenario } from './scenario.js';
import type { WorkerJob, WorkerMessage } from './worker.js';

export interface SuiteOptions {
  lab: string;
  world: World;
  seeds: number[];
  /** Run only these scenario ids (default: all). */
  only?: string[];
  /** Worker processes at once. */
  jobs: number;
  /** A worker that reports nothing for this long is killed and its test fails ("hung"). */
  seedTimeoutMs: number;
  artifactsDir: string;
  /** Called after each seed of each scenario, for progress bars. */
  onProgress?: (done: number, total: number) => void;
}

export type OutcomeStatus = 'passed' | 'failed' | 'hung' | 'crashed';

export interface ScenarioOutcome {
  id: string;
  title: string;
  points: number;
  status: OutcomeStatus;
  passedSeeds: number;
  totalSeeds: number;
  /** The failing run (seed, error, replay command, artifacts) when status is 'failed'. */
  failure?: ScenarioResult;
  /** For 'hung' and 'crashed': what happened and the command that reruns the seed in question. */
  message?: string;
  replay?: string;
  elapsedMs: number;
}

export interface SuiteResult {
  lab: string;
  world: World;
  seeds: number[];
  outcomes: ScenarioOutcome[];
}

const workerPath = fileURLToPath(new URL('./worker.js', import.meta.url));

export async function runSuite(options: SuiteOptions): Promise<SuiteResult> {
  const all = await loadScenarios(options.lab);
  const selected = options.only?.length ? all.filter((s) => options.only!.includes(s.id)) : all;
  const unknown = (options.only ?? []).filter((id) => !all.some((s) => s.id === id));
  if (unknown.length > 0) throw new Error(`lab '${options.lab}' has no scenario ${unknown.join(', ')} (known: ${all.map((s) => s.id).join(', ')})`);
  const total = selected.length * options.seeds.length;
  let done = 0;
  const progress = (): void => options.onProgress?.(++done, total);
  const outcomes = new Array<ScenarioOutcome>(selected.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < selected.length) {
      const index = next++;
      outcomes[index] = await runJob(selected[index]!, options, progress);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.jobs) }, lane));
  return { lab: options.lab, world: options.world, seeds: options.seeds, outcomes };
}

function runJob(scenario: Scenario, options: SuiteOptions, progress: () => void): Promise<ScenarioOutcome> {
  const started = Date.now();
  const base = { id: scenario.id, title: scenario.title, points: scenario.points, totalSeeds: options.seeds.length };
  const job: WorkerJob = { lab: options.lab, scenario: scenario.id, world: options.world, seeds: options.seeds, artifactsDir: options.artifactsDir };
  return new Promise((resolve) => {
    const child: ChildProcess = fork(workerPath, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    let currentSeed = options.seeds[0] ?? 0;
    let seedsStarted = 0;
    let settled = false;
    const finish = (outcome: Omit<ScenarioOutcome, 'id' | 'title' | 'points' | 'totalSeeds' | 'elapsedMs'>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(watchdog);
      child.kill('SIGKILL');
      resolve({ ...base, ...outcome, elapsedMs: Date.now() - started });
    };
    const hung = (): void =>
      finish({
        status: 'hung',
        passedSeeds: Math.max(0, seedsStarted - 1),
        message: `no progress for ${options.seedTimeoutMs} ms at seed ${currentSeed}: the run was killed`,
        replay: replayCommand(scenario, options.world, currentSeed),
      });
    let watchdog = setTimeout(hung, options.seedTimeoutMs);
    child.on('message', (message: WorkerMessage) => {
      clearTimeout(watchdog);
      watchdog = setTimeout(hung, options.seedTimeoutMs);
      if (message.type === 'seed') {
        if (seedsStarted > 0) progress();
        seedsStarted++;
        currentSeed = message.seed;
        return;
      }
      progress();
      if (message.failure) finish({ status: 'failed', passedSeeds: message.passed, failure: message.failure });
      else finish({ status: 'passed', passedSeeds: message.passed });
    });
    child.on('exit', (code, signal) =>
      finish({
        status: 'crashed',
        passedSeeds: Math.max(0, seedsStarted - 1),
        message: `worker exited (${signal ?? `code ${code}`}) at seed ${currentSeed}${stderr ? `:\n${stderr.trim()}` : ''}`,
        replay: replayCommand(scenario, options.world, currentSeed),
      }),
    );
    child.send(job);
  });
}

/** 0: every scenario passed; 1: some failed, hung or crashed. (2, could not run, is the CLI's.) */
export function suiteExitCode(result: SuiteResult): 0 | 1 {
  return result.outcomes.every((o) => o.status === 'passed') ? 0 : 1;
}
