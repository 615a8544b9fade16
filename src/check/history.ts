// The client history: one JSON event per line, Jepsen style (an invoke, then ok / fail / info).
// This module owns the event type, its canonical line and the JSONL parser; it never judges a
// history (models and the checker do) and never reads files.
import { z } from 'zod';
import type { Json } from '../env/types.js';
import { describeIssues } from '../env/method.js';

/**
 * invoke: the client sent the op. ok: it took effect, with this result. fail: it definitely did
 * NOT take effect. info: unknown outcome (a timeout): it may or may not have taken effect. An
 * invoke with no completion before the end of the history is unknown too.
 */
export type HistoryEventType = 'invoke' | 'ok' | 'fail' | 'info';

/**
 * One history event. What `f`, `key` and `value` hold per model:
 * - register: f read (invoke value null; ok value the number/string read, null = nil), write (value
 *   v), cas (invoke value [from, to]; ok value false = did not swap, anything else = swapped).
 *   `key` names the register; absent = the one register.
 * - kv: f get (invoke value null; ok value the string read), put / append (value the string),
 *   cas (invoke value [from, to]; ok value as for the register). Every key starts as "".
 * - lock: key = the lock name, f acquire / release / renew; the owner is the invoke's value if
 *   it is a string, else the process. acquire's ok value is {granted, owner} (or true / null for
 *   granted, false for not granted); a release or renew answered "not held" is a `fail`.
 */
export interface HistoryEvent {
  /** The client (Jepsen's process): at most one op in flight per process. */
  process: number | string;
  type: HistoryEventType;
  f: string;
  key?: string;
  value: Json;
  /** When it happened (ms, any origin); events at equal times count as concurrent. */
  time: number;
}

/** An event and the 1-based line of the input it came from, for error messages and reports. */
export interface HistoryLine {
  line: number;
  event: HistoryEvent;
}

/** Malformed history input; always names the line. */
export class HistoryError extends Error {
  constructor(
    readonly line: number,
    detail: string,
  ) {
    super(`line ${line}: ${detail}`);
    this.name = 'HistoryError';
  }
}

const eventSchema = z.object({
  process: z.union([z.number(), z.string()]),
  type: z.enum(['invoke', 'ok', 'fail', 'info']),
  f: z.string().min(1),
  key: z.string().optional(),
  value: z.json().optional(),
  time: z.number().refine(Number.isFinite, 'must be a finite number'),
});

/** The canonical JSONL line of an event (fixed key order, no trailing newline). */
export function formatHistoryEvent(e: HistoryEvent): string {
  const ordered: Record<string, Json> = { process: e.process, type: e.type, f: e.f };
  if (e.key !== undefined) ordered.key = e.key;
  ordered.value = e.value;
  ordered.time = e.time;
  return JSON.stringify(ordered);
}

/** Parse a JSONL history; blank lines are skipped. Throws HistoryError naming the bad line. */
export function parseHistory(text: string): HistoryLine[] {
  const lines = text.split('\n');
  const out: HistoryLine[] = [];
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (raw !== '') out.push({ line: i + 1, event: parseHistoryEvent(raw, i + 1) });
  }
  return out;
}

function parseHistoryEvent(raw: string, line: number): HistoryEvent {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    throw new HistoryError(line, `not JSON (${(err as Error).message})`);
  }
  const parsed = eventSchema.safeParse(json);
  if (!parsed.success) throw new HistoryError(line, `bad history event (${describeIssues(parsed.error)})`);
  const { process, type, f, key, value, time } = parsed.data;
  const event: HistoryEvent = { process, type, f, value: (value ?? null) as Json, time };
  if (key !== undefined) event.key = key;
  return event;
}
