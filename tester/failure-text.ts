// How a failing run reads to a student: the scenario's complaint without framework stack frames,
// then each error the lab code threw (`lab code threw: …`), the replay command, the folder and
// the command that opens it in the viewer.
// One text for the table, `rsmlab sim`, graders' files and failures/…/notes.txt. Pure formatting.
import { viewCommand } from '../src/dashboard/view-command.js';
import { SimulationFailure } from '../src/env/sim/scheduler.js';
import { NodeCrashed } from './node-crash.js';
import { ScenarioFailure } from './scenario.js';

/** The part of a failed run a student reads first (a ScenarioResult's fields). */
export interface FailureFacts {
  seed: number;
  error?: string;
  labErrors?: string[];
  replay: string;
  artifacts?: string;
}

/** Stack frames worth a student's time: the ones in lab code. */
const LAB_FRAME = /[/\\]labs[/\\]/;

/**
 * An error as the failure report shows it: a scenario's own complaint is its message alone; any
 * other error keeps its first line and only the stack frames in labs/ (where the student can act),
 * including those of a lab error quoted in its message (a SimulationFailure's).
 */
export function describeError(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const [head, ...rest] = `${e.name}: ${e.message}`.split('\n');
  if (e instanceof ScenarioFailure) return [head, ...rest].join('\n');
  const frames = [...rest, ...(e.stack ?? '').split('\n')].filter((l) => /^\s+at /.test(l) && LAB_FRAME.test(l));
  return [head!, ...new Set(frames)].slice(0, 6).join('\n');
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

/** The failure, as lines: the error, what the lab threw, the replay command and where trace and notes are. */
export function failureLines(f: FailureFacts): string[] {
  const error = (f.error ?? '').split('\n').slice(0, 6);
  const lines = [`seed ${f.seed}: ${error[0] ?? ''}`, ...error.slice(1), ...labErrorLines(f.labErrors), `replay: ${f.replay}`];
  if (f.artifacts) lines.push(`trace and notes: ${f.artifacts}`, `see it: ${viewCommand(f.artifacts)}`);
  return lines;
}
