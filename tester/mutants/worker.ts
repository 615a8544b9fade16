// A mutant worker: a child process that runs mutants, one job at a time, against a lab's scenarios in the
// simulator, scenario by scenario in gate order, and reports each run and the verdict over IPC.
// It exists so that mutants run on every core and a mutant that hangs the simulator is killed
// (its lane, tester/lane.ts, watches it), never the gate.
import { findScenario } from '../index.js';
import { report as send, serveJobs } from '../lane-worker.js';
import { runScenario } from '../run.js';
import { findMutant } from './index.js';
import { scenarioOrder } from './mutant.js';

export interface MutantJob {
  lab: string;
  mutant: string;
  /** The corpus module to find it in, when not the lab's own (tester/mutants/index.ts). */
  corpus?: string;
  /** Scenario ids in the gate's order (a mutant's own catchers go first: scenarioOrder). */
  scenarios: string[];
  seeds: number[];
  /** Run every seed of every scenario (detection rates) instead of stopping at the first catch. */
  rates: boolean;
}

/** How one scenario did against the mutant: the seeds it failed on, of those it ran. */
export interface ScenarioCatch {
  scenario: string;
  failed: number;
  ran: number;
  /** The first failing seed and the first line of its error. */
  seed?: number;
  error?: string;
}

export type MutantMessage = { type: 'run'; scenario: string; seed: number } | { type: 'verdict'; scenarios: ScenarioCatch[] };

const report: (message: MutantMessage) => Promise<void> = send;

async function work(job: MutantJob): Promise<void> {
  const mutant = await findMutant(job.lab, job.mutant, job.corpus);
  const results: ScenarioCatch[] = [];
  for (const id of scenarioOrder(mutant, job.scenarios)) {
    const scenario = await findScenario(job.lab, id);
    const result: ScenarioCatch = { scenario: id, failed: 0, ran: 0 };
    results.push(result);
    for (const seed of job.seeds) {
      await report({ type: 'run', scenario: id, seed });
      const run = await runScenario(scenario, { world: 'sim', seed, lab: mutant.lab, quiet: true });
      result.ran++;
      if (run.ok) continue;
      result.failed++;
      if (result.seed === undefined) {
        result.seed = seed;
        result.error = (run.error ?? '').split('\n')[0];
      }
      if (!job.rates) return report({ type: 'verdict', scenarios: results });
    }
  }
  await report({ type: 'verdict', scenarios: results });
}

// Every mutant job runs in the simulator, so every one beats.
serveJobs(work, () => true);
