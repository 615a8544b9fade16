// Runs one scenario once, in one world, with one seed, and turns the outcome into a result a
// grader can trust: pass/fail, the error, the trace hash, the replay command, and (on failure)
// the trace and attachments written to a folder. It never prints and never exits the process.
import { HISTORY_FILE } from '../src/dashboard/view-command.js';
import { DECISIONS_FILE, FAILURE_FILE, NODE_NAMES_FILE } from '../src/dashboard/artifact.js';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as pause } from 'node:timers/promises';
import type { Lab } from '../src/lab.js';
import type { AppName } from '../src/apps/app.js';
import { classicTiming, realTiming, type Timing } from '../src/timing.js';
import { streamRandom } from '../src/random.js';
import type { Decision, VetoPolicy } from '../src/env/sim/decisions.js';
import type { Cluster, World } from './cluster.js';
import { runsIn, ScenarioFailure, type Scenario, type ScenarioContext } from './scenario.js';
import { RealCluster } from './real-cluster.js';
import { SimCluster } from './sim-cluster.js';
import type { Pacer } from '../src/env/sim/scheduler.js';
import { loadVariant, variantFlag, type Variant } from './variant.js';
import { REAL_RERUN, artifactsName, describeError, labErrorLines, labErrorsThrown, openingLines, replayLine } from './failure-text.js';
import { onHang } from './hang-dump.js';

/** Real processes run the classic constants scaled down by this factor (300 ms heartbeats). */
export const REAL_TIMING_SCALE = 0.1;

export interface RunOptions {
  world: World;
  seed: number;
  /** Where failure artifacts go (default ./failures). */
  artifactsDir?: string;
  /** Override the timing (default: classic in the simulator, scaled in the real world). */
  timing?: Timing;
  /** Return the whole trace in the result even when the run passes (for `rsmlab sim --trace`). */
  keepTrace?: boolean;
  /** Run this Lab instead of the scenario's own (simulator only: tests run deliberately broken variants). */
  lab?: Lab;
  /** Run the Lab this variant names instead (a module's export, a corpus mutant: tester/variant.ts); replay commands name it. */
  variant?: Variant;
  /** Keep no trace (not even its hash) and write no artifacts (runs that are expected to fail, many times over). */
  quiet?: boolean;
  /** Simulator only: watch the run live (the dashboard): its pacer, and the cluster once made. */
  watch?: { pacer: Pacer; cluster(cluster: SimCluster): void };
  /** Simulator only: fault decisions that take their benign outcome (tester/shrink.ts). */
  veto?: VetoPolicy;
  /** Simulator only: a failed call's error shows where lab code made the call (a failing seed's report, a replay; WorldOptions.callSites). */
  callSites?: boolean;
  /** Simulator only: fail the run as a runaway once it has fired this many events (default: the simulator's own bound). */
  maxEvents?: number;
  /** The replay command to print, when it is not the plain seed's (a run with a veto file). */
  replay?: string;
  /** Where the artifacts go inside artifactsDir (default: <lab>-<scenario>-<world>-seed<seed>). */
  artifactsName?: string;
}

export interface ScenarioResult {
  lab: string;
  scenario: string;
  title: string;
  world: World;
  seed: number;
  ok: boolean;
  error?: string;
  /** The trace hash (simulator only: the real world's trace is not reproducible). */
  traceHash?: string;
  /** The one command that reruns exactly this case. */
  replay: string;
  /** Folder with trace.jsonl, notes.txt and attachments, written only on failure. */
  artifacts?: string;
  /** The model the clients' history (the folder's history.jsonl) is checked against, when the scenario kept one. */
  historyModel?: AppName;
  notes: string[];
  /** The trace JSONL, when asked for with keepTrace. */
  trace?: string;
  /** Distinct errors thrown by lab handlers during a failed run (from the trace), first ones first. */
  labErrors?: string[];
  /** Simulator only: the run's fault decisions, in order (vetoed ones marked). */
  decisions?: Decision[];
  /** Simulator only: how many events the trace holds. */
  traceEvents?: number;
  /** Simulator only: how many events the run fired (the runaway bound counts these). */
  simEvents?: number;
}

const MAX_LAB_ERRORS = 5;
/** A real node's lab crash may reach the scenario first as a symptom (its status gone): wait this long for the cause. */
const CRASH_NEWS_MS = 500;


/**
 * The scenario's run, failed at once by a node's lab crash (Cluster.crashed) whatever it waits on:
 * one rule for every wait of every scenario. A run that fails otherwise in the real world fails with
 * the crash instead, if one follows within CRASH_NEWS_MS. A run left behind stops at its next wait
 * on the closed cluster, and its own error is dropped.
 */
async function runUntilCrash(run: Promise<void>, cluster: Cluster): Promise<void> {
  run.catch(() => undefined);
  try {
    await Promise.race([run, cluster.crashed]);
  } catch (e) {
    if (cluster.world === 'real') await Promise.race([cluster.crashed, pause(CRASH_NEWS_MS)]);
    throw e;
  }
}

/** Errors that lab handlers threw, as the trace recorded their error replies ("error -32000: …"). */
export function labErrorsIn(trace: string): string[] {
  const seen = new Set<string>();
  for (const m of trace.matchAll(/"summary":"error -32000: ((?:[^"\\]|\\.)*)"/g)) {
    seen.add(m[1]!);
    if (seen.size === MAX_LAB_ERRORS) break;
  }
  return [...seen];
}

export function defaultTiming(world: World): Timing {
  if (world === 'sim') return classicTiming;
  return realTiming(classicTiming, REAL_TIMING_SCALE);
}

export function replayCommand(scenario: Pick<Scenario, 'lab' | 'id'>, world: World, seed: number, variant?: Variant): string {
  return world === 'sim'
    ? `npx rsmlab sim ${scenario.lab} ${scenario.id} --seed ${seed}${variantFlag(variant)}`
    : `${REAL_RERUN} ${scenario.lab} --world real --only ${scenario.id} --seed ${seed}`;
}

function createCluster(scenario: Scenario, options: RunOptions & { lab?: Lab | undefined }, timing: Timing): Cluster {
  const common = { lab: scenario.lab, nodes: scenario.nodes, timing, app: scenario.app, ...(scenario.engine && { engine: scenario.engine }) };
  if (options.world === 'real') {
    if (options.lab) throw new Error('a Lab object can only run in the simulator; real nodes load their lab by name');
    return new RealCluster(common);
  }
  const sim = new SimCluster({ ...common, lab: options.lab ?? scenario.simLab ?? scenario.lab, seed: options.seed, atlas: scenario.atlas, replay: options.replay ?? replayCommand(scenario, 'sim', options.seed, options.variant), keepTrace: !options.quiet, hashTrace: !options.quiet, veto: options.veto, callSites: options.callSites, ...(options.maxEvents !== undefined && { limits: { maxEvents: options.maxEvents } }), ...(options.watch && { pacer: options.watch.pacer }) });
  options.watch?.cluster(sim);
  return sim;
}

export async function runScenario(scenario: Scenario, options: RunOptions): Promise<ScenarioResult> {
  const timing = options.timing ?? defaultTiming(options.world);
  const notes: string[] = [];
  const attachments = new Map<string, string>();
  const result: ScenarioResult = {
    lab: scenario.lab,
    scenario: scenario.id,
    title: scenario.title,
    world: options.world,
    seed: options.seed,
    ok: false,
    replay: options.replay ?? replayCommand(scenario, options.world, options.seed, options.variant),
    notes,
  };
  let cluster: Cluster | undefined;
  let thrown: unknown;
  let unregisterDump = (): void => undefined;
  try {
    // The suite leaves these out of a world they cannot run in; a direct caller is refused the same way, never half-run.
    if (!runsIn(scenario, options.world)) {
      throw new Error(`scenario ${scenario.lab} ${scenario.id} runs in the ${scenario.worlds!.join(', ')} world only, not ${options.world}`);
    }
    const lab = options.lab ?? (options.variant === undefined ? undefined : await loadVariant(scenario.lab, options.variant));
    const created = (cluster = createCluster(scenario, { ...options, lab }, timing));
    if (created instanceof RealCluster) recordNodeNames(created, scenario.nodes, notes, attachments);
    if (created instanceof SimCluster && !options.quiet) unregisterDump = onHang((message) => hungArtifacts(created, result, options, attachments, message));
    const ctx: ScenarioContext = {
      cluster,
      seed: options.seed,
      random: streamRandom(options.seed, 'workload'),
      faults: streamRandom(options.seed, 'faults'),
      note: (message) => notes.push(message),
      attach: (name, content) => attachments.set(name, content),
      attachHistory: (jsonl, model) => {
        attachments.set(HISTORY_FILE, jsonl);
        result.historyModel = model;
      },
    };
    await runUntilCrash(scenario.run(ctx), cluster);
    if (cluster instanceof SimCluster) await cluster.finish();
    result.ok = true;
  } catch (e) {
    thrown = e;
    result.error = describeError(e);
  }
  unregisterDump();
  if (cluster) {
    // A simulated run's trace, hash and counts are all taken in this turn: lab code that a failure
    // stopped mid-way may still run a few promise jobs in the await below, past what the trace shows.
    const text = cluster.traceJsonl();
    if (cluster instanceof SimCluster) {
      if (!options.quiet) result.traceHash = cluster.traceHash();
      result.decisions = [...cluster.sim.decisions.all];
      result.traceEvents = cluster.sim.trace.events;
      result.simEvents = cluster.sim.stats.events;
    }
    const trace = await text.catch(() => '');
    if (!result.ok && !options.quiet) {
      result.labErrors = [...new Set([...labErrorsThrown(thrown), ...labErrorsIn(trace)])];
      result.artifacts = writeArtifacts(result, options, trace, attachments, thrown);
    }
    if (options.keepTrace) result.trace = trace;
    await cluster.close().catch(() => undefined);
  }
  return result;
}

/**
 * A real cluster's nodes are known by address (its trace's lanes, its views' members) while the
 * scenario's notes call them p0, p1, …: the notes say which is which, and nodes.json tells the viewer.
 */
function recordNodeNames(cluster: RealCluster, count: number, notes: string[], attachments: Map<string, string>): void {
  const names = Object.fromEntries(Array.from({ length: count }, (_, i) => [cluster.id(i), `p${i}`]));
  notes.push(`nodes: ${Object.entries(names).map(([id, name]) => `${name} = ${id}`).join(', ')}`);
  attachments.set(NODE_NAMES_FILE, `${JSON.stringify(names, null, 2)}\n`);
}

/**
 * A simulated run stuck in lab code, asked through the inspector (tester/hang-dump.ts): its artifacts
 * as they stand, `message` its failure (where it was stuck), the trace up to the step that never ended.
 */
function hungArtifacts(cluster: SimCluster, result: ScenarioResult, options: RunOptions, attachments: Map<string, string>, message: string): string {
  const hung = { ...result, error: message, decisions: [...cluster.sim.decisions.all] };
  return writeArtifacts(hung, options, cluster.sim.trace.jsonl(), attachments, undefined);
}

function writeArtifacts(result: ScenarioResult, options: RunOptions, trace: string, attachments: Map<string, string>, thrown: unknown): string {
  const dir = resolve(options.artifactsDir ?? 'failures', options.artifactsName ?? artifactsName(result));
  rmSync(dir, { recursive: true, force: true }); // an earlier failure of this seed (its shrunk/ folder too) is replaced whole
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'trace.jsonl'), trace);
  const stack = thrown instanceof Error && !(thrown instanceof ScenarioFailure) && thrown.stack ? ['', 'full stack (for framework developers):', thrown.stack] : [];
  const failed = [result.error ?? '', ...labErrorLines(result.labErrors)];
  const summary = [`scenario ${result.lab} ${result.scenario}: ${result.title}`, `world ${result.world}, seed ${result.seed}`, replayLine(result.replay), ...openingLines(dir, result.historyModel), '', ...result.notes, '', ...failed, ...stack];
  writeFileSync(join(dir, 'notes.txt'), `${summary.join('\n')}\n`);
  // What failed, alone: the trace viewer shows it first, with a jump to the run's end (where a failing run stops).
  writeFileSync(join(dir, FAILURE_FILE), `${failed.join('\n')}\n`);
  if (result.decisions?.length) writeFileSync(join(dir, DECISIONS_FILE), result.decisions.map((d) => `t=${d.t} ${d.id}${d.vetoed ? ' (vetoed)' : ''}\n`).join(''));
  for (const [name, content] of attachments) writeFileSync(join(dir, name.replace(/[^\w.-]/g, '_')), content);
  return dir;
}
