// Reading traces back: JSONL text or files to TraceEvent[], every line checked against the event
// shape so the viewer and tools can trust what they get, and a bad line is named by its number.
// It never writes traces and never decides what happened.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { describeIssues } from '../env/method.js';
import type { TraceEvent, TraceKind } from './event.js';

const kinds = [
  'start',
  'send',
  'deliver',
  'drop',
  'timer',
  'crash',
  'restart',
  'breakpoint',
  'partition',
  'heal',
  'faults',
  'disk',
  'client',
  'log',
] as const satisfies readonly TraceKind[];

const messageSchema = z.object({
  id: z.number(),
  from: z.string(),
  to: z.string(),
  method: z.string(),
  type: z.enum(['req', 'res', 'notice']),
  summary: z.string(),
  label: z.string().optional(),
});

const eventSchema = z.object({
  seq: z.number().int().nonnegative(),
  t: z.number(),
  node: z.string(),
  kind: z.enum(kinds),
  msg: messageSchema.optional(),
  cause: z.number().int().nonnegative().optional(),
  detail: z.record(z.string(), z.json()).optional(),
});

export class TraceParseError extends Error {
  constructor(
    readonly line: number,
    reason: string,
  ) {
    super(`trace line ${line}: ${reason}`);
    this.name = 'TraceParseError';
  }
}

/** One trace line (1-based `line` for errors). */
export function parseEvent(text: string, line = 1): TraceEvent {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new TraceParseError(line, `not JSON (${(e as Error).message})`);
  }
  const checked = eventSchema.safeParse(value);
  if (!checked.success) throw new TraceParseError(line, describeIssues(checked.error));
  return stripUndefined(checked.data);
}

function stripUndefined(e: z.infer<typeof eventSchema>): TraceEvent {
  const event: TraceEvent = { seq: e.seq, t: e.t, node: e.node, kind: e.kind };
  if (e.msg !== undefined) event.msg = e.msg;
  if (e.cause !== undefined) event.cause = e.cause;
  if (e.detail !== undefined) event.detail = e.detail;
  return event;
}

/** Every event of a JSONL trace, in file order; blank lines are skipped. */
export function parseTrace(jsonl: string): TraceEvent[] {
  const events: TraceEvent[] = [];
  jsonl.split('\n').forEach((text, i) => {
    if (text.trim() !== '') events.push(parseEvent(text, i + 1));
  });
  return events;
}

export async function readTrace(file: string): Promise<TraceEvent[]> {
  return parseTrace(await readFile(file, 'utf8'));
}
