// The Wing–Gong / Lowe search for one partition: walk the entry list, linearize a pending call
// when the model accepts it and the (linearized set, state) pair is new, backtrack at a return
// whose op is not yet linearized. Resumable in slices of steps, so partitions can take turns.
// It never partitions, parses or formats; it reports indexes into the ops it was given.
import { EntryList } from './entries.js';
import { LinearizedSet } from './linearized.js';
import type { Model } from './model.js';
import type { Operation } from './operation.js';
import { VisitedCache } from './visited.js';

export type Verdict = 'linearizable' | 'not linearizable' | 'unknown';

export interface SearchResult<S> {
  verdict: Verdict;
  /** Linearizable: a whole linearization; otherwise the longest linearizable prefix found. */
  order: number[];
  /** states[0] is the initial state, states[i + 1] the state after order[i]. */
  states: S[];
  /**
   * Not linearizable: the ops none of which can come next after `order`. The first is the op
   * whose return forced the backtrack; the rest were pending (called, not returned) there.
   */
  stuck: number[];
  /** Distinct configurations visited. */
  visited: number;
}

export class Search<S, I, O> {
  /** Steps taken so far (one step = one entry visited). */
  steps = 0;
  private readonly list: EntryList;
  private readonly linearized: LinearizedSet;
  private readonly cache: VisitedCache<S>;
  /** The linearized ops, in order, and the state before each. */
  private readonly path: Int32Array;
  private readonly before: S[];
  private depth = 0;
  private state: S;
  private entry: number;
  private best: SearchResult<S> | null = null;

  constructor(
    private readonly model: Model<S, I, O>,
    private readonly ops: readonly Operation<I, O>[],
  ) {
    this.list = new EntryList(
      ops.map((op) => op.call),
      ops.map((op) => op.ret),
    );
    this.linearized = new LinearizedSet(ops.length);
    this.cache = new VisitedCache<S>(this.linearized.words.length, model.equal);
    this.path = new Int32Array(ops.length);
    this.before = new Array<S>(ops.length);
    this.state = model.init();
    this.entry = this.list.first();
  }

  /** Distinct configurations cached so far. */
  get visited(): number {
    return this.cache.size;
  }

  /** Take up to `slice` more steps; the result once decided, else null (call again). */
  run(slice: number): SearchResult<S> | null {
    const { model, ops, list, linearized, cache, path, before } = this;
    let { depth, state, entry } = this;
    let left = slice;
    let result: SearchResult<S> | null = null;
    while (left-- > 0) {
      if (entry === -1) {
        result = this.prefix('linearizable', depth, state);
        break;
      }
      if (list.isCall(entry)) {
        const op = ops[entry]!;
        const step = model.step(state, op.input, op.output);
        if (step.ok) {
          const hash = linearized.hashWith(entry) ^ Math.imul(model.hash(step.newState), 0x85ebca6b);
          linearized.add(entry);
          if (cache.insert(hash, linearized.words, step.newState)) {
            path[depth] = entry;
            before[depth] = state;
            depth++;
            state = step.newState;
            list.lift(entry);
            entry = list.first();
            continue;
          }
          linearized.remove(entry);
        }
        entry = list.next[entry]!;
      } else {
        if (this.best === null || depth > this.best.order.length) this.best = { ...this.prefix('not linearizable', depth, state), stuck: stuckAt(list, entry) };
        if (depth === 0) {
          result = { ...this.best, visited: cache.size };
          break;
        }
        depth--;
        const op = path[depth]!;
        state = before[depth]!;
        linearized.remove(op);
        list.unlift(op);
        entry = list.next[op]!;
      }
    }
    this.steps += slice - Math.max(left, 0);
    this.depth = depth;
    this.state = state;
    this.entry = entry;
    return result;
  }

  /** What a search cut short knows: the longest linearizable prefix found so far. */
  unfinished(): SearchResult<S> {
    return { ...(this.best ?? this.prefix('unknown', this.depth, this.state)), verdict: 'unknown', visited: this.cache.size };
  }

  private prefix(verdict: Verdict, depth: number, state: S): SearchResult<S> {
    const order = Array.from(this.path.subarray(0, depth));
    const states = [...this.before.slice(0, depth), state];
    return { verdict, order, states, stuck: [], visited: this.cache.size };
  }
}

/** The op returning at `ret` first, then every op whose call is still pending before it. */
function stuckAt(list: EntryList, ret: number): number[] {
  const stuck = [list.op(ret)];
  for (let e = list.first(); e !== ret; e = list.next[e]!) if (list.isCall(e) && e !== stuck[0]) stuck.push(e);
  return stuck;
}
