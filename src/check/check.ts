// P-compositionality: split the ops by the model's partition key, search each part on its own,
// and combine: the history is linearizable iff every part is. It owns the verdict across parts
// and the budget; never the search inside a part, parsing, or how results are printed.
import type { Model } from './model.js';
import type { Operation } from './operation.js';
import { Search, type SearchResult, type Verdict } from './wgl.js';

export interface CheckOptions {
  /** Wall-clock budget for the whole check; past it the verdict is 'unknown'. Default 60 s. */
  timeoutMs?: number;
  /** Step budget for the whole check (one step = one entry visited). Default: none. */
  maxSteps?: number;
  /** Memory budget: distinct configurations cached across all partitions. Default 5 million. */
  maxVisited?: number;
}

export interface PartitionResult<S> {
  key: string;
  verdict: Verdict;
  /** This partition's op ids (indexes into the checked ops), by call time. */
  ops: number[];
  /** Op ids: the whole linearization, or the longest linearizable prefix found. */
  order: number[];
  /** states[0] is the initial state, states[i + 1] the state after order[i]. */
  states: S[];
  /** Op ids none of which can come next after `order`; the first one's return forced it. */
  stuck: number[];
  visited: number;
}

export interface CheckResult<S> {
  verdict: Verdict;
  partitions: PartitionResult<S>[];
  steps: number;
}

export const DEFAULT_TIMEOUT_MS = 60_000;
export const DEFAULT_MAX_VISITED = 5_000_000;

/** Steps a partition searches before the next one takes its turn. */
const SLICE = 8192;

type Turn<S, I, O> = { key: string; part: Operation<I, O>[]; search: Search<S, I, O>; result: SearchResult<S> | null };

/**
 * Check `ops` (ids = indexes, as pairOperations makes them) for linearizability under `model`.
 * Partitions take turns in slices of steps, so one easy failing partition ends the check even
 * when another one is hard; partitions left unfinished then report 'unknown'.
 */
export function checkOperations<S, I, O>(model: Model<S, I, O>, ops: readonly Operation<I, O>[], options: CheckOptions = {}): CheckResult<S> {
  const budget = new Budget(options);
  const turns: Turn<S, I, O>[] = [...partitionOps(model, ops)].map(([key, part]) => ({ key, part, search: new Search(model, part), result: null }));
  takeTurns(turns, budget);
  const partitions = turns.map(({ key, part, search, result }) => partitionResult(key, part, result ?? search.unfinished()));
  return { verdict: combine(partitions.map((p) => p.verdict)), partitions, steps: budget.steps };
}

/** Run the searches a slice each, round and round, until all are decided, one fails, or the budget is spent. */
function takeTurns<S, I, O>(turns: Turn<S, I, O>[], budget: Budget): void {
  let active = turns;
  while (active.length > 0 && budget.left()) {
    for (const turn of active) {
      turn.result = budget.run(turn.search);
      if (turn.result?.verdict === 'not linearizable' || !budget.left()) return;
    }
    active = active.filter((turn) => turn.result === null);
  }
}

/** What a whole check may spend: wall time, steps and cached configurations. */
class Budget {
  steps = 0;
  visited = 0;
  private readonly deadline: number;
  private readonly maxSteps: number;
  private readonly maxVisited: number;

  constructor(options: CheckOptions) {
    this.deadline = performance.now() + (options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    this.maxSteps = options.maxSteps ?? Infinity;
    this.maxVisited = options.maxVisited ?? DEFAULT_MAX_VISITED;
  }

  left(): boolean {
    return this.steps < this.maxSteps && this.visited < this.maxVisited && performance.now() < this.deadline;
  }

  /** One slice of `search`, charged to this budget. */
  run<S, I, O>(search: Search<S, I, O>): SearchResult<S> | null {
    const steps = search.steps;
    const visited = search.visited;
    const result = search.run(Math.min(SLICE, this.maxSteps - this.steps));
    this.steps += search.steps - steps;
    this.visited += search.visited - visited;
    return result;
  }
}

/** Ops grouped by partition key, keys in order of first call. */
export function partitionOps<S, I, O>(model: Model<S, I, O>, ops: readonly Operation<I, O>[]): Map<string, Operation<I, O>[]> {
  const parts = new Map<string, Operation<I, O>[]>();
  for (const op of ops) {
    const key = model.partition(op.input);
    const part = parts.get(key);
    if (part === undefined) parts.set(key, [op]);
    else part.push(op);
  }
  return parts;
}

/** A partition's result with its search's local indexes turned into op ids. */
function partitionResult<I, O, S>(key: string, part: Operation<I, O>[], found: SearchResult<S>): PartitionResult<S> {
  const id = (i: number): number => part[i]!.id;
  return { key, verdict: found.verdict, ops: part.map((op) => op.id), order: found.order.map(id), states: found.states, stuck: found.stuck.map(id), visited: found.visited };
}

function combine(verdicts: Verdict[]): Verdict {
  if (verdicts.includes('not linearizable')) return 'not linearizable';
  return verdicts.includes('unknown') ? 'unknown' : 'linearizable';
}
