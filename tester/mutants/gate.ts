// The mutant gate: every mutant of a lab's corpus against the lab's scenarios in the simulator, on
// a fixed seed list, over a pool of worker processes. A mutant is caught when some scenario fails
// on some seed (or hangs the simulator); the gate passes only if every mutant is caught. It owns
// the pool and the verdicts; it never prints (tester/mutants/report.ts formats).
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadScenarios } from '../index.js';
import { loadCorpus } from './index.js';
import type { MutantArea } from './mutant.js';
import type { MutantJob, MutantMessage, ScenarioCatch } from './worker.js';
import { forkWorker } from '../worker-process.js';

export interface GateOptions {
  lab: string;
  seeds: number[];
  /** Worker processes at once. */
  jobs: number;
  /** Run every seed of every scenario for each mutant (detection rates; slower). */
  rates?: boolean;
  /** Only these mutants (default: the whole corpus). */
  only?: string[];
  /** A worker silent for this long is killed: the mutant hung the simulator, which counts as caught. */
  hangMs: number;
}

export interface MutantVerdict {
  mutant: string;
  area: MutantArea;
  bug: string;
  caught: boolean;
  /** The first scenario that caught it, its first failing seed and error. */
  by?: ScenarioCatch;
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
  const { mutants, gateOrder } = await loadCorpus(options.lab);
  const all = (await loadScenarios(options.lab)).map((s) => s.id);
  const scenarios = [...gateOrder.filter((id) => all.includes(id)), ...all.filter((id) => !gateOrder.includes(id))];
  const selected = options.only?.length ? mutants.filter((m) => options.only!.includes(m.id)) : mutants;
  const unknown = (options.only ?? []).filter((id) => !mutants.some((m) => m.id === id));
  if (unknown.length > 0) throw new Error(`lab '${options.lab}' has no mutant ${unknown.join(', ')} (known: ${mutants.map((m) => m.id).join(', ')})`);
  if (options.seeds.length === 0) throw new Error('the mutant gate needs at least one seed');
  const verdicts = new Array<MutantVerdict>(selected.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    const worker = new Worker();
    try {
      while (next < selected.length) {
        const index = next++;
        const m = selected[index]!;
        const job: MutantJob = { lab: options.lab, mutant: m.id, scenarios, seeds: options.seeds, rates: options.rates ?? false };
        const outcome = await worker.run(job, options.hangMs);
        const by = outcome.scenarios.find((s) => s.failed > 0);
        verdicts[index] = {
          mutant: m.id,
          area: m.area,
          bug: m.bug,
          caught: by !== undefined,
          ...(by ? { by } : {}),
          scenarios: outcome.scenarios,
          runs: outcome.scenarios.reduce((sum, s) => sum + s.ran, 0),
          ...(outcome.problem ? { problem: outcome.problem } : {}),
        };
      }
    } finally {
      worker.stop();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.jobs) }, lane));
  return { lab: options.lab, seeds: options.seeds, scenarios, verdicts };
}

/**
 * A worker process that runs one mutant job after another (one process per lane, not per mutant).
 * A worker that stops reporting is killed, and the run it was on named; the next job gets a new one.
 */
class Worker {
  private child: ChildProcess | undefined;
  private stderr = '';

  private spawn(): ChildProcess {
    const child = forkWorker(workerPath);
    this.stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString()).slice(-2000)));
    this.child = child;
    return child;
  }

  run(job: MutantJob, hangMs: number): Promise<{ scenarios: ScenarioCatch[]; problem?: string }> {
    const child = this.child ?? this.spawn();
    return new Promise((resolve) => {
      let current = { scenario: job.scenarios[0] ?? '', seed: job.seeds[0]! };
      let watchdog: NodeJS.Timeout;
      const finish = (scenarios: ScenarioCatch[], problem?: string): void => {
        clearTimeout(watchdog);
        child.off('message', onMessage);
        child.off('exit', onExit);
        if (problem !== undefined) this.stop();
        resolve(problem === undefined ? { scenarios } : { scenarios, problem });
      };
      const hung = (): void => finish([{ scenario: current.scenario, failed: 1, ran: 1, seed: current.seed, error: `hung: no progress for ${hangMs} ms` }], `hung in scenario ${current.scenario} at seed ${current.seed}`);
      const onMessage = (message: MutantMessage): void => {
        clearTimeout(watchdog);
        watchdog = setTimeout(hung, hangMs);
        if (message.type === 'run') current = { scenario: message.scenario, seed: message.seed };
        else finish(message.scenarios);
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
        this.child = undefined;
        finish([], `worker exited (${signal ?? `code ${code}`}) in scenario ${current.scenario} at seed ${current.seed}${this.stderr ? `: ${this.stderr.trim()}` : ''}`);
      };
      watchdog = setTimeout(hung, hangMs);
      child.on('message', onMessage);
      child.on('exit', onExit);
      child.send(job);
    });
  }

  stop(): void {
    this.child?.kill('SIGKILL');
    this.child = undefined;
  }
}

/** 0: every mutant caught; 1: some survived. */
export function gateExitCode(result: GateResult): 0 | 1 {
  return result.verdicts.every((v) => v.caught) ? 0 : 1;
}
