// `rsmlab test <lab>`: run a lab's scenarios in one or both worlds and print what graders need
// (table, Gradescope JSON, JUnit XML). With both worlds, a scenario none of whose simulator seeds
// passed is not run in the real world. Exit 0 all passed, 1 some failed, 2 could not run.
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { SingleBar, Presets } from 'cli-progress';
import type { World } from '../../tester/cluster.js';
import { HANG_MS } from '../../tester/lane.js';
import { formatGradescope, formatJson, formatJunit, formatTable } from '../../tester/report.js';
import { notRunAfter, runSuite, seedsFrom, suiteExitCode, type SuiteResult } from '../../tester/suite.js';
import { chosenVariant, loadVariant, type Variant } from '../../tester/variant.js';
import { checkOutputFile, checkOutputFolder } from './output-paths.js';

export interface TestCommandOptions {
  world: World | 'both';
  seeds: number;
  seedBase: number;
  only?: string[];
  /** Worker processes (default: the cores in the simulator, 1 for real processes). */
  jobs?: number;
  failFast?: boolean;
  /** Shrink budget per failed test (simulator; 0: never). */
  shrinkMs?: number;
  /** Run this module's Lab (FILE#EXPORT) instead of the lab's own (simulator only). */
  labModule?: string;
  /** Run this mutant of the lab's corpus (its id) instead of the lab itself (simulator only). */
  mutant?: string;
  gradescope?: string;
  junit?: string;
  json?: boolean;
  artifacts: string;
  /** Kill a run that makes no progress for this long (a hung submission). */
  hangMs?: number;
  progress?: boolean;
}

function seedList(world: World, options: TestCommandOptions): number[] {
  const count = world === 'sim' ? Math.max(1, options.seeds) : 1;
  return seedsFrom(options.seedBase, count);
}

/** How often a stderr that is no terminal (a log file, `| tee`, CI) hears how far a run is. */
const PROGRESS_LINE_MS = 15_000;

/**
 * Progress for a stderr that is no terminal, where a bar would be a wall of redraws: a line every
 * PROGRESS_LINE_MS (`rsmlab: paxos sim: 1200/3600 runs, 45 s`), none for a shorter run.
 */
export function progressLines(what: string, write = (line: string): unknown => process.stderr.write(line), clock = Date.now): (done: number, total: number) => void {
  const began = clock();
  let said = began;
  return (done, total) => {
    const now = clock();
    if (now - said < PROGRESS_LINE_MS) return;
    said = now;
    write(`rsmlab: ${what}: ${done}/${total} runs, ${Math.round((now - began) / 1000)} s\n`);
  };
}

/** Run the lab's scenarios in `world`; in the real world, not those the simulator's results (`earlier`) already failed whole. */
async function runWorld(lab: string, world: World, options: TestCommandOptions, variant: Variant | undefined, earlier: readonly SuiteResult[]): Promise<SuiteResult> {
  const bar = options.progress && process.stderr.isTTY ? new SingleBar({ format: `${lab} ${world} [{bar}] {value}/{total} runs | {duration_formatted}`, stream: process.stderr }, Presets.shades_classic) : undefined;
  const lines = options.progress && !bar ? progressLines(`${lab} ${world}`) : undefined;
  let started = false;
  const result = await runSuite({
    lab,
    world,
    seeds: seedList(world, options),
    only: options.only,
    jobs: options.jobs ?? (world === 'sim' ? availableParallelism() : 1),
    failFast: options.failFast ?? false,
    shrinkMs: options.shrinkMs ?? 0,
    ...(variant && { variant }),
    seedTimeoutMs: options.hangMs ?? HANG_MS[world],
    artifactsDir: options.artifacts,
    ...(world === 'real' && { notRun: notRunAfter(earlier) }),
    onProgress: (done, total) => {
      lines?.(done, total);
      if (!bar) return;
      if (!started) bar.start(total, 0);
      started = true;
      bar.update(done);
    },
  });
  bar?.stop();
  return result;
}

export async function testCommand(lab: string, options: TestCommandOptions): Promise<number> {
  if (options.shrinkMs !== undefined && options.shrinkMs < 0) throw new Error(`--shrink-ms must be 0 (no shrinking) or more, not ${options.shrinkMs}`);
  checkOutputFolder('--artifacts', options.artifacts);
  if (options.gradescope !== undefined) checkOutputFile('--gradescope', options.gradescope);
  if (options.junit !== undefined) checkOutputFile('--junit', options.junit);
  const variant = chosenVariant(options);
  if (variant !== undefined) {
    if (options.world !== 'sim') throw new Error(`${'labModule' in variant ? '--lab-module' : '--mutant'} runs a Lab object in the simulator only: add --world sim`);
    await loadVariant(lab, variant);
  }
  const worlds: World[] = options.world === 'both' ? ['sim', 'real'] : [options.world];
  const results: SuiteResult[] = [];
  for (const world of worlds) results.push(await runWorld(lab, world, options, variant, results));
  if (options.json) process.stdout.write(formatJson(results));
  else for (const r of results) process.stdout.write(`${formatTable(r)}\n`);
  if (options.gradescope) writeFileSync(options.gradescope, formatGradescope(results));
  if (options.junit) writeFileSync(options.junit, formatJunit(results));
  return Math.max(...results.map(suiteExitCode));
}
