// Message declarations: each RPC method and one-way notice is declared once, with zod schemas
// for its params and result. The wire boundary (both worlds) validates against these and nothing
// else does; handlers receive typed, already-validated values.
import { z } from 'zod';

export interface Method<P, R> {
  readonly kind: 'method';
  readonly name: string;
  readonly params: z.ZodType<P>;
  readonly result: z.ZodType<R>;
}

export interface Notice<P> {
  readonly kind: 'notice';
  readonly name: string;
  readonly params: z.ZodType<P>;
  /**
   * What one notice carries, for a method that carries several kinds of message (VSR's vsr.message:
   * its command): traced as its send's `label`, so the viewer filters by it. A function of the
   * params only, which the trace hash takes whole.
   */
  readonly label?: (params: P) => string;
}

/**
 * A declared message's schemas are compiled once, here (zod's AOT compiler: the same results and
 * the same issues, several times faster), since every message is checked at both ends of the wire.
 * A schema the compiler cannot model (a recursive one, such as z.json()) stays as it is: prefer
 * json() from json-value.ts in messages.
 */
export function method<P, R>(name: string, params: z.ZodType<P>, result: z.ZodType<R>): Method<P, R> {
  return { kind: 'method', name, params: z.compile(params), result: z.compile(result) };
}

export function notice<P>(name: string, params: z.ZodType<P>, label?: (params: P) => string): Notice<P> {
  return { kind: 'notice', name, params: z.compile(params), label };
}

/** Human-readable reason a value failed its schema, for JSON-RPC -32602 replies and trace events. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(params)'}: ${i.message}`).join('; ');
}
