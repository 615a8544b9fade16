// The mutant gate: every mutant of a lab's corpus against the lab's scenarios in the simulator, on
// a fixed seed list, over a pool of worker processes. A mutant is caught when some scenario fails
// on some seed (or hangs the simulator); the gate passes only if every mutant is caught. It owns
// the pool and the verdicts; it never prints (tester/mutants/report.ts formats). Its workers are
// watched by the suite's no-progress watchdog (tester/lane.ts), so a slow machine never makes a hang.
import { fileURLToPath } from 'node:url';
import { loadScenarios } from '../index.js';
import { Lane } from '../lane.js';
import { replayCommand } from '../run.js';
import { loadCorpus } from './index.js';
import type { MutantArea } from './mutant.js';
import type { MutantJob, MutantMessage, ScenarioCatch } from './worker.js';

export interface GateOptions {
  lab: string;
  seeds: number[];
  /** Worker processes at once. */
  jobs: number;
  /** Run every seed of every scenario for each mutant (detection rates; slower). */
  rates?: boolean;
  /** Only these mutants (default: the whole corpus). */
  only?: string[];
  /**
   * A run whose simulation makes no progress (stops stepping) for this long is killed: the mutant
   * hung the simulator, which counts as caught. A slow run that keeps stepping is never cut short.
   */
  hangMs: number;
  /** Take the mutants and gate order from this compiled module instead of the lab's corpus (tester/mutants/index.ts). */
  corpus?: string;
}

export interface MutantVerdict {
  mutant: string;
  area: MutantArea;
  bug: string;
  caught: boolean;
  /** The first scenario that caught it, its first failing seed and error. */
  by?: ScenarioCatch;
  /** The one command that replays that catch: `rsmlab sim` of its scenario and seed, with `--mutant`. */
  replay?: string;
  /** Per scenario tried, in gate order. */
  scenarios: ScenarioCatch[];
  /** Scenario runs it took. */
  runs: number;
  /** Set when the worker hung (a catch: the simulator never finished) or crashed (not a catch: the gate itself broke). */
  problem?: string;
}

export interface GateResult {
  lab: string;
  seeds: number[];
  scenarios: string[];
  verdicts: MutantVerdict[];
}

const workerPath = fileURLToPath(new URL('./worker.js', import.meta.url));

export async function runGate(options: GateOptions): Promise<GateResult> {
  const { mutants, gateOrder } = await loadCorpus(options.lab, options.corpus);
  const all = (await loadScenarios(options.lab)).map((s) => s.id);
  const scenarios = [...gateOrder.filter((id) => all.includes(id)), ...all.filter((id) => !gateOrder.includes(id))];
  const selected = options.only?.length ? mutants.filter((m) => options.only!.includes(m.id)) : mutants;
  const unknown = (options.only ?? []).filter((id) => !mutants.some((m) => m.id === id));
  if (unknown.length > 0) throw new Error(`lab '${options.lab}' has no mutant ${unknown.join(', ')} (known: ${mutants.map((m) => m.id).join(', ')})`);
  if (options.seeds.length === 0) throw new Error('the mutant gate needs at least one seed');
  const verdicts = new Array<MutantVerdict>(selected.length);
  let next = 0;
  const onLane = async (): Promise<void> => {
    // A hung mutant is caught; where its planted loop spins would only lengthen the gate's one-line verdict.
    const lane = new Lane<MutantJob, MutantMessage>(workerPath, options.hangMs, false);
    try {
      while (next < selected.length) {
        const index = next++;
        const m = selected[index]!;
        const job: MutantJob = { lab: options.lab, mutant: m.id, ...(options.corpus === undefined ? {} : { corpus: options.corpus }), scenarios, seeds: options.seeds, rates: options.rates ?? false };
        const outcome = await runMutant(lane, job);
        const by = outcome.scenarios.find((s) => s.failed > 0);
        verdicts[index] = {
          mutant: m.id,
          area: m.area,
          bug: m.bug,
          caught: by !== undefined,
          ...(by ? { by, replay: catchReplay(options, m.id, by) } : {}),
          scenarios: outcome.scenarios,
          runs: outcome.scenarios.reduce((sum, s) => sum + s.ran, 0),
          ...(outcome.problem ? { problem: outcome.problem } : {}),
        };
      }
    } finally {
      lane.close();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.jobs) }, onLane));
  return { lab: options.lab, seeds: options.seeds, scenarios, verdicts };
}

/** `rsmlab sim` of the catch's scenario and seed with mutant `id` (of the gate's corpus module, when it has one: FILE#ID). */
function catchReplay(options: GateOptions, id: string, by: ScenarioCatch): string {
  const mutant = options.corpus === undefined ? id : `${options.corpus}#${id}`;
  return replayCommand({ lab: options.lab, id: by.scenario }, 'sim', by.seed!, { mutant });
}

/**
 * One mutant's job on `lane`: its worker's verdict, or the run it hung on (a catch: the simulator
 * never finished) or crashed on (no catch: the gate itself broke).
 */
async function runMutant(lane: Lane<MutantJob, MutantMessage>, job: MutantJob): Promise<{ scenarios: ScenarioCatch[]; problem?: string }> {
  let current = { scenario: job.scenarios[0] ?? '', seed: job.seeds[0]! };
  let scenarios: ScenarioCatch[] = [];
  const end = await lane.run(job, (m) => {
    if (m.type === 'run') current = { scenario: m.scenario, seed: m.seed };
    else scenarios = m.scenarios;
  }, () => `seed ${current.seed} of scenario ${current.scenario}`);
  if (end.kind === 'done') return { scenarios };
  if (end.kind === 'crashed') return { scenarios: [], problem: end.message };
  return { scenarios: [{ scenario: current.scenario, failed: 1, ran: 1, seed: current.seed, error: `hung: ${end.message}` }], problem: `hung: ${end.message}` };
}

/** 0: every mutant caught; 1: some survived. */
export function gateExitCode(result: GateResult): 0 | 1 {
  return result.verdicts.every((v) => v.caught) ? 0 : 1;
}
