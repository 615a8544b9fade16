// How a person reads one non-message trace event: `log paxos.propose instance=2`, `fault-point
// vsr.after_prepare_ok hit`. A node's log (env/real/log-lines.ts) and the dashboard's log tails and
// event stream all say it so. It only formats; it never decides which events are shown.
import type { Json } from '../env/types.js';

function value(v: Json): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** An event's words: its kind (a breakpoint event's own, see armedOrHit), its `what`, then its other fields as key=value. */
export function eventWords(kind: string, detail: Record<string, Json> = {}): string[] {
  if (kind === 'breakpoint') return armedOrHit(detail);
  const { what, ...fields } = detail;
  return [kind, ...(what === undefined ? [] : [value(what)]), ...fieldWords(fields)];
}

/** Fields as `key=value` words (a string as it is, anything else as JSON). */
export function fieldWords(fields: Record<string, Json> = {}): string[] {
  return Object.entries(fields).map(([k, v]) => `${k}=${value(v)}`);
}

/**
 * A breakpoint event's words, `breakpoint 3 armed` or `fault-point NAME hit`: the trace keeps both
 * under one kind (detail `n` or `point`), and a reader should not see a fault point called a breakpoint.
 */
function armedOrHit(detail: Record<string, Json>): string[] {
  const { n, point, hit, ...rest } = detail;
  const site = point === undefined ? ['breakpoint', value(n ?? '?')] : ['fault-point', value(point)];
  return [...site, hit === true ? 'hit' : 'armed', ...fieldWords(rest)];
}
