// What a replicated app answers: a value or an error text, both plain JSON so they replicate and
// cache (exactly-once) as they are. Ops arrive as untrusted `unknown`: parseOp validates them
// against the app's zod union and never throws, whatever it is given.
import type { z } from 'zod';
import type { Json } from '../env/types.js';
import { describeIssues } from '../env/method.js';

export type AppResult = { ok: true; value: Json } | { ok: false; error: string };

export function ok(value: Json): AppResult {
  return { ok: true, value };
}

export function fail(error: string): AppResult {
  return { ok: false, error };
}

export type ParsedOp<T> = { ok: true; op: T } | { ok: false; result: AppResult };

/** Validate `op` against `schema`; on failure the result says which field is wrong and why. */
export function parseOp<T>(app: string, schema: z.ZodType<T>, op: unknown): ParsedOp<T> {
  const parsed = schema.safeParse(op);
  if (parsed.success) return { ok: true, op: parsed.data };
  return { ok: false, result: fail(`${app}: bad op (${describeIssues(parsed.error)})`) };
}
