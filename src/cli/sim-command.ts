// `rsmlab sim <lab> <scenario> --seed N`: replay one scenario in the simulator, exactly as the
// failing run did, and print the verdict and trace hash (optionally writing the trace).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { countKinds, describeCount, parseVetoPolicy, type VetoPolicy } from '../env/sim/decisions.js';
import type { Json } from '../env/types.js';
import { findScenario } from '../../tester/index.js';
import { replayCommand, runScenario } from '../../tester/run.js';
import { chosenVariant, loadVariant } from '../../tester/variant.js';
import { failureLines } from '../../tester/failure-text.js';

export interface SimCommandOptions {
  seed: number;
  trace?: string;
  json?: boolean;
  artifacts: string;
  /** A veto file (`rsmlab shrink` writes one), or decision ids to veto, comma-separated. */
  veto?: string;
  labModule?: string;
  /** A mutant of the lab's corpus (its id), run instead of the lab itself. */
  mutant?: string;
}

/** The veto policy of `--veto`: a file's JSON, or a comma-separated list of decision ids to veto. */
function vetoPolicy(value: string): VetoPolicy {
  if (!existsSync(value)) return { veto: value.split(',').map((id) => id.trim()).filter(Boolean) };
  let json: Json;
  try {
    json = JSON.parse(readFileSync(value, 'utf8')) as Json;
  } catch (e) {
    throw new Error(`--veto ${value}: not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  return parseVetoPolicy(json);
}

export async function simCommand(lab: string, scenarioId: string, options: SimCommandOptions): Promise<number> {
  const scenario = await findScenario(lab, scenarioId);
  const chosen = chosenVariant(options);
  if (chosen !== undefined) await loadVariant(lab, chosen);
  const veto = options.veto === undefined ? {} : { veto: vetoPolicy(options.veto), replay: `${replayCommand(scenario, 'sim', options.seed, chosen)} --veto ${options.veto}` };
  const variant = chosen === undefined ? {} : { variant: chosen };
  const result = await runScenario(scenario, { world: 'sim', seed: options.seed, artifactsDir: options.artifacts, keepTrace: Boolean(options.trace), ...veto, ...variant, ...(options.veto === undefined ? {} : { artifactsName: `${lab}-${scenario.id}-sim-seed${options.seed}-veto` }) });
  if (options.trace && result.trace !== undefined) writeFileSync(options.trace, result.trace);
  if (options.json) {
    const { trace: _omitted, decisions: _decisions, ...rest } = result;
    process.stdout.write(`${JSON.stringify(rest)}\n`);
  } else {
    const taken = (result.decisions ?? []).filter((d) => !d.vetoed).map((d) => d.id);
    const vetoed = (result.decisions ?? []).length - taken.length;
    const lines = [
      `${lab} ${scenario.id} (${scenario.title}) seed ${options.seed}: ${result.ok ? 'PASS' : 'FAIL'}`,
      `trace hash ${result.traceHash ?? '-'} (${result.traceEvents ?? 0} events)`,
      `fault decisions: ${describeCount(taken.length, countKinds(taken))}${options.veto === undefined ? '' : `; ${vetoed} vetoed`}`,
    ];
    if (!result.ok) lines.push(...failureLines(result));
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  return result.ok ? 0 : 1;
}
