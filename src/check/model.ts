// What the linearizability checker needs to know about a sequential specification: a model.
// A model is pure and deterministic (step never mutates a state); it never sees time, processes
// or files. It also reads its own ops out of history events, so each model owns its vocabulary.
import type { HistoryEvent } from './history.js';

/** The output of an op whose outcome is unknown (info, or no completion): it matches any output. */
export const UNKNOWN: unique symbol = Symbol('unknown outcome');
export type Outcome<O> = O | typeof UNKNOWN;

/** The result of applying one op to a state: rejected, or accepted with the state after it. */
export type Step<S> = { ok: true; newState: S } | { ok: false };

/** The one rejection, shared so that a rejected step allocates nothing. */
export const REJECTED: Step<never> = { ok: false };

export function accepted<S>(newState: S): Step<S> {
  return { ok: true, newState };
}

export interface Model<S, I, O> {
  readonly name: string;
  /** The state every partition starts in. */
  init(): S;
  /**
   * Apply `input` to `state`, given that the op answered `output`. With output UNKNOWN the step
   * must be accepted (the op's effect, if it had one, is applied): it matches any output.
   */
  step(state: S, input: I, output: Outcome<O>): Step<S>;
  equal(a: S, b: S): boolean;
  /** A 32-bit hash; equal states must hash alike. */
  hash(state: S): number;
  /** P-compositionality: ops with different keys touch disjoint state and are checked apart. */
  partition(input: I): string;
  describeOperation(input: I, output: Outcome<O>): string;
  describeState(state: S): string;
  /** The op's input, read from its invoke event; throws an Error saying what is malformed. */
  input(invoke: HistoryEvent): I;
  /** The op's output, read from its `ok` completion; throws an Error saying what is malformed. */
  output(input: I, ok: HistoryEvent): O;
}

/** FNV-1a over UTF-16 code units: the string hash models share. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h | 0;
}
