// `rsmlab sim <lab> <scenario> --seed N`: replay one scenario in the simulator, exactly as the
// failing run did: the verdict and trace hash to print, the trace written if asked. It runs in a
// watched worker (src/cli/watched.ts), so it returns its text and exit code and never prints.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { countKinds, describeCount, parseVetoPolicy, type VetoPolicy } from '../env/sim/decisions.js';
import type { Json } from '../env/types.js';
import { findScenario } from '../../tester/index.js';
import { replayCommand, runScenario } from '../../tester/run.js';
import { chosenVariant, loadVariant } from '../../tester/variant.js';
import { failureLines } from '../../tester/failure-text.js';
import type { CommandOutput } from './watched.js';

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

/** What a run replays: a veto file written for another run is refused, not applied to this one. */
interface Replayed {
  lab: string;
  scenario: string;
  seed: number;
}

/**
 * The veto policy of `--veto`: a file's JSON (`rsmlab shrink` writes one, naming the run it is
 * for), or a comma-separated list of decision ids to veto. A value that names a file (a path or
 * .json) but none exists is an error, not a list of ids.
 */
function vetoPolicy(value: string, run: Replayed): VetoPolicy {
  if (!existsSync(value)) {
    if (value.includes('/') || value.endsWith('.json')) throw new Error(`--veto ${value}: no such file`);
    return { veto: value.split(',').map((id) => id.trim()).filter(Boolean) };
  }
  let json: Json;
  try {
    json = JSON.parse(readFileSync(value, 'utf8')) as Json;
  } catch (e) {
    throw new Error(`--veto ${value}: not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  const named = typeof json === 'object' && json !== null && !Array.isArray(json) ? json : {};
  if ((['lab', 'scenario', 'seed'] as const).some((k) => named[k] !== undefined && named[k] !== run[k])) throw new Error(`--veto ${value} is for ${named.lab} ${named.scenario} seed ${named.seed}, not ${run.lab} ${run.scenario} seed ${run.seed}: its decisions name another run's`);
  return parseVetoPolicy(json);
}

/**
 * Decision ids a veto list names that the run never made: a typo, or another run's. (A keep list,
 * a shrunk run's, may name a decision that its other vetoes made moot; it is not checked.)
 */
function unmade(policy: VetoPolicy, made: readonly { id: string }[]): string[] {
  if (!('veto' in policy)) return [];
  const ids = new Set(made.map((d) => d.id));
  return policy.veto.filter((id) => !ids.has(id));
}

/** Replay the seed; resolves with the text to print and the exit code (throws what the command refuses). */
export async function simCommand(lab: string, scenarioId: string, options: SimCommandOptions): Promise<CommandOutput> {
  const scenario = await findScenario(lab, scenarioId);
  const chosen = chosenVariant(options);
  if (chosen !== undefined) await loadVariant(lab, chosen);
  const policy = options.veto === undefined ? undefined : vetoPolicy(options.veto, { lab: scenario.lab, scenario: scenario.id, seed: options.seed });
  const veto = policy === undefined ? {} : { veto: policy, replay: `${replayCommand(scenario, 'sim', options.seed, chosen)} --veto ${options.veto}` };
  const variant = chosen === undefined ? {} : { variant: chosen };
  const result = await runScenario(scenario, { world: 'sim', seed: options.seed, artifactsDir: options.artifacts, keepTrace: Boolean(options.trace), callSites: true, ...veto, ...variant, ...(options.veto === undefined ? {} : { artifactsName: `${lab}-${scenario.id}-sim-seed${options.seed}-veto` }) });
  const unknown = policy === undefined ? [] : unmade(policy, result.decisions ?? []);
  if (unknown.length > 0) throw new Error(`--veto names ${unknown.length} fault decision(s) this run never made: ${unknown.slice(0, 5).join('; ')}${unknown.length > 5 ? '; ...' : ''} (a shrunk run's veto.json names the ones it made)`);
  if (options.trace && result.trace !== undefined) writeFileSync(options.trace, result.trace);
  const code = result.ok ? 0 : 1;
  if (options.json) {
    const { trace: _omitted, decisions: _decisions, ...rest } = result;
    return { text: JSON.stringify(rest), code };
  }
  const taken = (result.decisions ?? []).filter((d) => !d.vetoed).map((d) => d.id);
  const vetoed = (result.decisions ?? []).length - taken.length;
  const lines = [
    `${lab} ${scenario.id} (${scenario.title}) seed ${options.seed}: ${result.ok ? 'PASS' : 'FAIL'}`,
    `trace hash ${result.traceHash ?? '-'} (${result.traceEvents ?? 0} events)`,
    `fault decisions: ${describeCount(taken.length, countKinds(taken))}${options.veto === undefined ? '' : `; ${vetoed} vetoed`}`,
  ];
  if (!result.ok) lines.push(...failureLines({ ...result, traceHash: undefined })); // its hash is on the second line
  return { text: lines.join('\n'), code };
}
