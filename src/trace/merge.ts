// Several traces as one (a real cluster's: each node's and each client's, every one numbered from 0
// by its own recorder): merged by time, ties in each trace's own order, every event numbered by its
// place in the merge and every cause renumbered likewise within its own trace, so that seq names one
// event of the whole. It only reorders and renumbers; it never changes or drops an event.
import { formatLine } from './event.js';
import { parseEvent, TraceParseError } from './reader.js';

interface Placed {
  trace: number;
  t: number;
  line: string;
}

/** The JSONL lines of `traces` (each a trace's lines, in its own order) merged by time and renumbered; a line that is no event (a torn last write) keeps its text. */
export function mergeTraces(traces: readonly (readonly string[])[]): string[] {
  const placed: Placed[] = traces.flatMap((lines, trace) => lines.map((line) => ({ trace, t: timeOf(line), line })));
  placed.sort((a, b) => a.t - b.t); // stable: ties keep each trace's own order
  const seqs = new Map<string, number>();
  placed.forEach((p, i) => {
    const seq = seqOf(p.line);
    if (seq !== undefined) seqs.set(`${p.trace}:${seq}`, i);
  });
  return placed.map((p, i) => {
    const event = eventOf(p.line);
    if (event === undefined) return p.line;
    const { seq: _, cause, ...rest } = event;
    const renumbered = cause === undefined ? undefined : seqs.get(`${p.trace}:${cause}`);
    return formatLine(i, renumbered === undefined ? rest : { ...rest, cause: renumbered });
  });
}

/** The `t` of one trace line (lines are canonical: seq first, then t); 0 for a line without one. */
function timeOf(line: string): number {
  return Number(/^\{"seq":\d+,"t":(\d+)/.exec(line)?.[1] ?? 0);
}

function seqOf(line: string): number | undefined {
  const seq = /^\{"seq":(\d+),/.exec(line)?.[1];
  return seq === undefined ? undefined : Number(seq);
}

function eventOf(line: string): ReturnType<typeof parseEvent> | undefined {
  try {
    return parseEvent(line);
  } catch (e) {
    if (e instanceof TraceParseError) return undefined;
    throw e;
  }
}
