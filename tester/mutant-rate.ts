// The mutant-rate loop: one scenario run against a deliberately broken Lab on a pinned list of seeds,
// in the simulator, quietly (no trace, no artifacts), one seed after another. It returns the runs
// that failed, for the caller to count against its stated rate and to check each error; it never
// judges a rate itself. (The mutant gate's workers, tester/mutants/worker.ts, report every run.)
import type { Lab } from '../src/lab.js';
import { findScenario } from './index.js';
import { runScenario, type ScenarioResult } from './run.js';

/** The runs of lab `labName`'s scenario `id`, with `broken` in the lab's place, that fail on `seeds`, in seed order. */
export async function failingRuns(labName: string, id: string, broken: Lab, seeds: readonly number[]): Promise<ScenarioResult[]> {
  const scenario = await findScenario(labName, id);
  const failed: ScenarioResult[] = [];
  for (const seed of seeds) {
    const run = await runScenario(scenario, { world: 'sim', seed, lab: broken, quiet: true });
    if (!run.ok) failed.push(run);
  }
  return failed;
}
