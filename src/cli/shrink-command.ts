// `rsmlab shrink <lab> <test> --seed N`: rerun a failing simulator seed, then delta-debug its fault
// decisions down to a set that still fails the same check, and print the smallest failing run
// first, then the original, each with its replay command. The search is tester/shrink.ts; this only runs
// it, in a watched worker (src/cli/watched.ts), and returns the text to print.
import { findScenario } from '../../tester/index.js';
import { failureLines } from '../../tester/failure-text.js';
import { runScenario } from '../../tester/run.js';
import { shrinkFailure } from '../../tester/shrink.js';
import { chosenVariant, loadVariant } from '../../tester/variant.js';
import type { CommandOutput } from './watched.js';

export interface ShrinkCommandOptions {
  seed: number;
  shrinkMs: number;
  artifacts: string;
  labModule?: string;
  /** A mutant of the lab's corpus (its id), run instead of the lab itself. */
  mutant?: string;
  json?: boolean;
}

export async function shrinkCommand(lab: string, scenarioId: string, options: ShrinkCommandOptions): Promise<CommandOutput> {
  if (options.shrinkMs < 1) throw new Error(`--shrink-ms must be at least 1, not ${options.shrinkMs}`);
  const scenario = await findScenario(lab, scenarioId);
  const chosen = chosenVariant(options);
  if (chosen !== undefined) await loadVariant(lab, chosen);
  const variant = chosen === undefined ? {} : { variant: chosen };
  const failed = await runScenario(scenario, { world: 'sim', seed: options.seed, artifactsDir: options.artifacts, ...variant });
  if (failed.ok) throw new Error(`${lab} ${scenario.id} passes with seed ${options.seed}: there is no failure to shrink`);
  const head = `${lab} ${scenario.id} (${scenario.title}) seed ${options.seed}: FAIL`;
  const { decisions, ...result } = failed;
  // A run that failed before the world made one fault decision is its own smallest.
  const shrink = decisions?.length ? await shrinkFailure(scenario, failed, { budgetMs: options.shrinkMs, artifactsDir: options.artifacts, ...variant }) : null;
  if (options.json) return { text: JSON.stringify({ result, shrink }, null, 2), code: 0 };
  if (shrink === null) return { text: [head, ...failureLines(failed), 'nothing to shrink: the run failed before the world made one fault decision (it is its own smallest)'].join('\n'), code: 0 };
  return { text: [head, ...failureLines(failed, shrink)].join('\n'), code: 0 };
}
