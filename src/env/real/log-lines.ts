// A real node's human-readable log: the trace lines a person follows (the lab's env.log lines,
// start, crash, breakpoints, partitions, faults) as one short line each on the node's stdout, which
// `rsmlab node … > n0.log` keeps. It passes every line on to the trace file; it never drops one.
import type { EventInput, TraceSink } from '../../trace/recorder.js';
import type { Json } from '../types.js';
import { eventWords } from '../../trace/event-words.js';

/** The kinds a log reader wants; messages and timers stay in the trace (too many to read). */
const LOGGED_KINDS: ReadonlySet<string> = new Set(['log', 'start', 'crash', 'restart', 'breakpoint', 'partition', 'heal', 'faults', 'disk']);
const LOGGED = new RegExp(`^\\{"seq":\\d+,"t":\\d+,"node":"(?:[^"\\\\]|\\\\.)*","kind":"(${[...LOGGED_KINDS].join('|')})"`);

/** `12:00:01.250 log paxos.propose instance=2 n=5` for a trace line of a logged kind. */
export function logLine(line: string): string | undefined {
  const kind = LOGGED.exec(line)?.[1];
  if (kind === undefined) return undefined;
  const event = JSON.parse(line) as { t: number; detail?: Record<string, Json> };
  const time = new Date(event.t).toISOString().slice(11, 23);
  return [time, ...eventWords(kind, event.detail)].join(' ');
}

export class LogLines implements TraceSink {
  constructor(
    private readonly next: TraceSink,
    private readonly out: (text: string) => void = (text) => void process.stdout.write(text),
  ) {}

  write(line: string, kind: string): void {
    this.next.write(line, kind);
    if (!LOGGED_KINDS.has(kind)) return; // messages and timers, nearly every line: not read at all
    const text = logLine(line);
    if (text !== undefined) this.out(`${text}\n`);
  }

  /** An event of a kind nobody reads in the log goes straight to the next sink, if it writes events itself. */
  writeEvent(seq: number, event: EventInput): boolean {
    return !LOGGED_KINDS.has(event.kind) && this.next.writeEvent !== undefined && this.next.writeEvent(seq, event);
  }

  flush(): void {
    this.next.flush();
  }
}
