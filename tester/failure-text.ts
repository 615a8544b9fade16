// How a failing run reads to a student: the scenario's complaint without framework stack frames,
// then each error the lab code threw (`lab code threw: …`), the replay command, the folder and
// the command that opens it in the viewer; for a shrunk failure, its smallest failing run first.
// One text for the table, `rsmlab sim`, graders' files and failures/…/notes.txt. Pure formatting.
import { checkCommand, viewCommand } from '../src/dashboard/view-command.js';
import type { AppName } from '../src/apps/app.js';
import { SimulationFailure } from '../src/env/sim/scheduler.js';
import { NodeCrashed } from './node-crash.js';
import { ScenarioFailure } from './scenario.js';
import { countKinds, describeCount } from '../src/env/sim/decisions.js';
import type { ShrinkResult } from './shrink.js';
import type { World } from './cluster.js';

/** The part of a failed run a student reads first (a ScenarioResult's fields). */
export interface FailureFacts {
  seed: number;
  error?: string;
  labErrors?: string[];
  replay: string;
  /** The simulated run's trace hash: its replay prints the same one. */
  traceHash?: string;
  artifacts?: string;
  /** The model the folder's history.jsonl is checked against, when the run kept one. */
  historyModel?: AppName;
}

/** Stack frames worth a student's time: the ones in lab code. */
const LAB_FRAME = /[/\\]labs[/\\]/;

/** Stack frames a failure report shows at most. */
const LAB_FRAMES_SHOWN = 5;

/** A line of a stack trace. */
export function isFrame(line: string): boolean {
  return /^\s+at /.test(line);
}

/** Whether `stack` has a frame in lab code. */
export function hasLabFrame(stack: string): boolean {
  return stack.split('\n').some((line) => isFrame(line) && LAB_FRAME.test(line));
}

/**
 * What a hang report adds under a stack with no frame of lab code: the framework was stuck on what
 * the lab asked of it, so the stack alone points nowhere a student can act.
 */
export const NO_LAB_FRAME = '(no frame of lab code: the framework was busy with what the lab code asked of it, such as a flood of messages or one huge message; the last events of the run\'s trace show which)';

/**
 * An error as the failure report shows it: a scenario's own complaint is its message alone; any
 * other error keeps every line of its message (a state checker's complaint that stopped the
 * simulator names both replicas and the op on the lines after its first) and only the stack frames
 * in labs/ (where the student can act), including those of a lab error quoted in its message (a
 * SimulationFailure's). A SimulationFailure's replay line is left out: every report prints its own.
 */
export function describeError(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const lines = `${e.name}: ${e.message}`.split('\n');
  if (e instanceof ScenarioFailure) return lines.join('\n');
  const said = lines.filter((l) => !isFrame(l) && !(e instanceof SimulationFailure && l.startsWith('  replay: ')));
  const frames = [...lines, ...(e.stack ?? '').split('\n')].filter((l) => isFrame(l) && LAB_FRAME.test(l));
  return [...said, ...[...new Set(frames)].slice(0, LAB_FRAMES_SHOWN)].join('\n');
}

/** What the lab code threw, when that is what failed the run (the simulator stops at a lab handler's error, a real run at its node's crash). */
export function labErrorsThrown(e: unknown): string[] {
  if (e instanceof NodeCrashed) return e.labError === undefined ? [] : [e.labError];
  if (!(e instanceof SimulationFailure) || e.where === undefined) return [];
  const cause: unknown = e.cause;
  return [`${cause instanceof Error ? cause.message : String(cause)} (in ${e.where})`];
}

/** One line per error the lab code threw during the run. */
export function labErrorLines(labErrors: readonly string[] | undefined): string[] {
  return (labErrors ?? []).map((e) => `lab code threw: ${e}`);
}

/** A failed run's folder, under the artifacts folder (failures/ by default): `paxos-7-sim-seed3`. */
export function artifactsName(result: { lab: string; scenario: string; world: World; seed: number }): string {
  return `${result.lab}-${result.scenario}-${result.world}-seed${result.seed}`;
}

/** How a real-world run's command begins (tester/run.ts, replayCommand): real processes are rerun by the test command. */
export const REAL_RERUN = 'npx rsmlab test';

/**
 * The line that gives a run's replay command (tester/run.ts, replayCommand). A simulated run replays
 * exactly; real processes only rerun the scenario with its seed, their timing anew, so the line says
 * so and does not call it a replay.
 */
export function replayLine(command: string): string {
  return command.startsWith(`${REAL_RERUN} `) ? `rerun (real processes do not replay exactly): ${command}` : `replay: ${command}`;
}

/**
 * Where a run's trace and notes are, with the command that opens them in the viewer and, when it
 * kept its clients' history, the one that checks it (none if it wrote none).
 */
export function artifactLines(artifacts: string | undefined, historyModel?: AppName): string[] {
  return artifacts ? [`trace and notes: ${artifacts}`, ...openingLines(artifacts, historyModel)] : [];
}

/** The commands that open a failure folder: the viewer, and the checker when it holds the clients' history (notes.txt gives them too). */
export function openingLines(folder: string, historyModel: AppName | undefined): string[] {
  return [`see it: ${viewCommand(folder)}`, ...(historyModel === undefined ? [] : [`check its history: ${checkCommand(folder, historyModel)}`])];
}

/** The line that lets a student see a replay is the same run: `rsmlab sim` prints the hash it got. */
function traceHashLines(traceHash: string | undefined): string[] {
  return traceHash === undefined ? [] : [`trace hash ${traceHash} (the replay prints the same one: same seed, same run)`];
}

/** How to replay one run and where its trace and notes are. */
function runLines(run: { replay: string; artifacts?: string | undefined; traceHash?: string | undefined; historyModel?: AppName | undefined }): string[] {
  return [replayLine(run.replay), ...traceHashLines(run.traceHash), ...artifactLines(run.artifacts, run.historyModel)];
}

function indented(lines: string[]): string[] {
  return lines.map((l) => `  ${l}`);
}

/** How many of the shrunk run's fault decisions are named. */
const KEPT_SHOWN = 12;

/**
 * The shrunk run, first: the one to replay. Shrinking keeps the fewest fault decisions, not the
 * fewest events: without the faults it vetoed a run may do more before it fails (messages on time
 * fit more exchanges into the scenario's steps), so both event counts are given, each named.
 */
function smallestRunLines(s: ShrinkResult): string[] {
  const shown = s.kept.slice(0, KEPT_SHOWN).join(', ') + (s.kept.length > KEPT_SHOWN ? `, … ${s.kept.length - KEPT_SHOWN} more` : '');
  const search = s.complete
    ? `shrunk in ${s.runs} reruns`
    : `${s.runs} reruns; the budget ran out: ${s.decisionsAfter < s.decisionsBefore ? 'smaller, not minimal' : 'none could be left out yet (a longer --shrink-ms may)'}`;
  const more = s.eventsAfter > s.eventsBefore ? '; fewer faults let more happen before the check failed' : '';
  return [
    `the smallest failing run${s.complete ? '' : ' found'}: seed ${s.seed} with ${s.decisionsAfter} of its ${s.decisionsBefore} fault decisions, still failing the same check (${search}):`,
    ...indented([
      ...runLines(s),
      `fault decisions ${describeCount(s.decisionsBefore, s.kindsBefore)} → ${describeCount(s.decisionsAfter, countKinds(s.kept))}`,
      ...(s.kept.length > 0 ? [`left: ${shown}`] : []),
      `trace events: ${s.eventsAfter} (the original run: ${s.eventsBefore}${more})`,
    ]),
  ];
}

/**
 * The failure, as lines: the error and what the lab threw, then how to replay it. A shrunk failure
 * gives its smallest failing run first, then the original run, each labelled; otherwise the one run.
 */
export function failureLines(f: FailureFacts, shrink?: ShrinkResult): string[] {
  const error = (f.error ?? '').split('\n').slice(0, 6);
  const lines = [`seed ${f.seed}: ${error[0] ?? ''}`, ...error.slice(1), ...labErrorLines(f.labErrors)];
  if (shrink === undefined) return [...lines, ...runLines(f)];
  return [...lines, ...smallestRunLines(shrink), `the original run, with every fault decision of seed ${f.seed}:`, ...indented(runLines(f))];
}
