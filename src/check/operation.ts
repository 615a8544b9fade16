// Pairing a history's events into operations: an invoke and its completion become one op with a
// call and a return time (Jepsen's rules: fail = never happened, info or no completion = unknown,
// returning at +infinity). It never searches for an order; that is the checker's job.
import { HistoryError, type HistoryEvent, type HistoryLine } from './history.js';
import { UNKNOWN, type Model, type Outcome } from './model.js';

/** An invoke: who asked for what, when, and where in the input. */
export interface Invocation<I> {
  process: number | string;
  input: I;
  call: number;
  /** The invoke's line in the input. */
  line: number;
}

/** An op the checker must place: completed `ok`, or of unknown outcome (ret = +Infinity). */
export interface Operation<I, O> extends Invocation<I> {
  /** Index in PairedHistory.ops, which is ordered by call time. */
  id: number;
  output: Outcome<O>;
  ret: number;
  /** The completion's line; null when the history ended first. */
  retLine: number | null;
}

export interface PairedHistory<I, O> {
  ops: Operation<I, O>[];
  /** Invokes answered `fail`: they never took effect, so the checker ignores them. */
  failed: Invocation<I>[];
}

type Pending<I> = Invocation<I> & { f: string };

/** Pair `lines` (any order; sorted stably by time here) into ops. Throws HistoryError on misuse. */
export function pairOperations<S, I, O>(model: Model<S, I, O>, lines: readonly HistoryLine[]): PairedHistory<I, O> {
  const sorted = [...lines].sort((a, b) => a.event.time - b.event.time);
  const pending = new Map<number | string, Pending<I>>();
  const done: Omit<Operation<I, O>, 'id'>[] = [];
  const failed: Invocation<I>[] = [];
  for (const { line, event } of sorted) {
    if (event.type === 'invoke') {
      invoke(model, pending, line, event);
      continue;
    }
    const p = complete(pending, line, event, lines);
    if (event.type === 'ok') done.push(returned(p, atLine(line, () => model.output(p.input, event)), event.time, line));
    else if (event.type === 'info') done.push(returned(p, UNKNOWN, Infinity, line));
    else failed.push(p);
  }
  for (const p of pending.values()) done.push(returned(p, UNKNOWN, Infinity, null));
  done.sort((a, b) => a.call - b.call || a.line - b.line);
  return { ops: done.map((op, id) => ({ id, process: op.process, input: op.input, call: op.call, line: op.line, output: op.output, ret: op.ret, retLine: op.retLine })), failed };
}

/** `p` with its return: fields named, not { ...p, output, ret, retLine } (node 20's V8 builds that on a slow path, about 1 us an op). */
function returned<I, O>(p: Invocation<I>, output: Outcome<O>, ret: number, retLine: number | null): Omit<Operation<I, O>, 'id'> {
  return { process: p.process, input: p.input, call: p.call, line: p.line, output, ret, retLine };
}

function invoke<S, I, O>(model: Model<S, I, O>, pending: Map<number | string, Pending<I>>, line: number, event: HistoryEvent): void {
  const open = pending.get(event.process);
  if (open !== undefined) {
    throw new HistoryError(line, `process ${event.process} invokes ${event.f} while its ${open.f} from line ${open.line} is still pending`);
  }
  const input = atLine(line, () => model.input(event));
  pending.set(event.process, { process: event.process, input, call: event.time, line, f: event.f });
}

function complete<I>(pending: Map<number | string, Pending<I>>, line: number, event: HistoryEvent, lines: readonly HistoryLine[]): Invocation<I> {
  const open = pending.get(event.process);
  if (open === undefined) {
    // Its invoke may be there, earlier in the file but later in time: the history's times, not its lines, are wrong.
    const later = lines.find((l) => l.line < line && l.event.process === event.process && l.event.type === 'invoke' && l.event.time > event.time);
    if (later !== undefined) throw new HistoryError(line, `process ${event.process} completes ${event.f} (${event.type}) at time ${event.time}, before its invoke at line ${later.line} (time ${later.event.time}): a completion's time must not precede its invoke's`);
    throw new HistoryError(line, `process ${event.process} completes ${event.f} (${event.type}) with no pending invoke`);
  }
  if (open.f !== event.f) throw new HistoryError(line, `process ${event.process} completes ${event.f}, but its pending op (line ${open.line}) is ${open.f}`);
  pending.delete(event.process);
  return { process: open.process, input: open.input, call: open.call, line: open.line };
}

function atLine<T>(line: number, read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof HistoryError) throw err;
    throw new HistoryError(line, (err as Error).message);
  }
}
