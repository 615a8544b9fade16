// A test worker: a child process that runs one scenario over a list of seeds and reports each
// step to its parent over IPC. It exists so that a hanging or crashing submission costs one test,
// never the grader: the parent (tester/suite.ts) kills a worker that stops reporting.
import { findScenario } from './index.js';
import { runScenario, type ScenarioResult } from './run.js';
import type { World } from './cluster.js';

export interface WorkerJob {
  lab: string;
  scenario: string;
  world: World;
  seeds: number[];
  artifactsDir: string;
}

export type WorkerMessage =
  | { type: 'seed'; seed: number }
  | { type: 'done'; passed: number; failure?: ScenarioResult; traceHash?: string };

function report(message: WorkerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) throw new Error('tester/worker.js must be started by the suite runner (no IPC channel)');
    process.send(message, () => resolve());
  });
}

async function work(job: WorkerJob): Promise<void> {
  const scenario = await findScenario(job.lab, job.scenario);
  let passed = 0;
  let traceHash: string | undefined;
  for (const seed of job.seeds) {
    await report({ type: 'seed', seed });
    const result = await runScenario(scenario, { world: job.world, seed, artifactsDir: job.artifactsDir });
    if (!result.ok) return report({ type: 'done', passed, failure: result });
    passed++;
    traceHash = result.traceHash;
  }
  await report({ type: 'done', passed, traceHash });
}

process.once('message', (job: WorkerJob) => {
  work(job).then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
      process.exit(3);
    },
  );
});
