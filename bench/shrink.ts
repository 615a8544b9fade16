// Benchmark of shrinking: for every broken variant the tests keep, its lowest failing seed shrunk
// (at most MAX_RUNS reruns each), and the median factor by which the fault decisions shrank (before / after). The
// limit is the goal: a student reads a tenth of the faults or fewer.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brokenVariants, type BrokenVariant } from '../test/fixtures/broken-variants.js';
import { findScenario } from '../tester/index.js';
import { runScenario, type ScenarioResult } from '../tester/run.js';
import { shrinkFailure } from '../tester/shrink.js';
import { figure, median, type Figure } from './figure.js';
import { count } from './mode.js';

const GOAL_FACTOR = 10;
const MAX_SEEDS = 100;
/** A bound in reruns (the same figure on any machine); the wall-time budget only guards against a runaway. */
const MAX_RUNS = count(100, 20);
const BUDGET_MS = 120_000;

async function lowestFailing(v: BrokenVariant, dir: string): Promise<ScenarioResult> {
  const scenario = await findScenario(v.labName, v.scenario);
  for (let seed = 1; seed <= MAX_SEEDS; seed++) {
    const result = await runScenario(scenario, { world: 'sim', seed, lab: v.lab, artifactsDir: dir });
    if (!result.ok) return result;
  }
  throw new Error(`the ${v.name} passed ${v.labName} ${v.scenario} on ${MAX_SEEDS} seeds`);
}

export async function run(): Promise<Figure[]> {
  const dir = mkdtempSync(join(tmpdir(), 'rsmlab-bench-shrink-'));
  try {
    const factors: number[] = [];
    for (const v of brokenVariants) {
      const failed = await lowestFailing(v, dir);
      const s = await shrinkFailure(await findScenario(v.labName, v.scenario), failed, { budgetMs: BUDGET_MS, maxRuns: MAX_RUNS, lab: v.lab, artifactsDir: dir });
      process.stderr.write(`  ${v.name} (${v.labName} ${v.scenario}, seed ${s.seed}): ${s.decisionsBefore} → ${s.decisionsAfter} fault decisions, ${s.eventsBefore} → ${s.eventsAfter} trace events, ${s.runs} reruns${s.complete ? '' : ' (stopped at the rerun bound: smaller, not minimal)'}\n`);
      factors.push(s.decisionsBefore / Math.max(1, s.decisionsAfter));
    }
    return [figure(`shrink: median reduction of fault decisions (before / after) over ${brokenVariants.length} broken variants`, median(factors), '×', GOAL_FACTOR)];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
