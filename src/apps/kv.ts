// The replicated key/value store: string keys to string values; a missing key reads as "".
// Deterministic and non-blocking: no clocks, randomness or I/O, and a bad op changes nothing.
// Results: get -> the value; put -> null; append -> null (as Porcupine's kv model); cas -> swapped?
import { z } from 'zod';
import type { Json } from '../env/types.js';
import type { AppContext, StateMachine } from './app.js';
import { ok, parseOp, type AppResult } from './result.js';
import { decodeEntries, sortedEntries } from './snapshot.js';

const key = z.string();

/** Every KV op, declared once (compiled: every replica checks every op it executes). */
export const kvOp = z.compile(
  z.discriminatedUnion('f', [
    z.strictObject({ f: z.literal('get'), key }),
    z.strictObject({ f: z.literal('put'), key, value: z.string() }),
    z.strictObject({ f: z.literal('append'), key, value: z.string() }),
    z.strictObject({ f: z.literal('cas'), key, from: z.string(), to: z.string() }),
  ]),
);
export type KvOp = z.infer<typeof kvOp>;

export class KvStore implements StateMachine {
  readonly name = 'kv';
  /** Only non-empty values are stored, so "" and missing are one state with one snapshot. */
  private data = new Map<string, string>();
  /**
   * `data` as its snapshot (sortedEntries), once asked for: a write makes the next one from it by
   * changing one pair of a copy, rather than every pair being made again (a replica snapshots after
   * every op). One handed out is never changed.
   */
  private entries: [string, string][] | null = null;

  execute(op: unknown, _ctx: AppContext): AppResult {
    const parsed = parseOp('kv', kvOp, op);
    if (!parsed.ok) return parsed.result;
    const o = parsed.op;
    switch (o.f) {
      case 'get':
        return ok(this.read(o.key));
      case 'put':
        this.write(o.key, o.value);
        return ok(null);
      case 'append':
        this.write(o.key, this.read(o.key) + o.value);
        return ok(null);
      case 'cas': {
        const swapped = this.read(o.key) === o.from;
        if (swapped) this.write(o.key, o.to);
        return ok(swapped);
      }
    }
  }

  snapshot(): Json {
    return (this.entries ??= sortedEntries(this.data));
  }

  restore(snapshot: Json): void {
    this.data = decodeEntries('kv', z.string().min(1), snapshot);
    this.entries = null;
  }

  private read(k: string): string {
    return this.data.get(k) ?? '';
  }

  private write(k: string, value: string): void {
    if (value === '') this.data.delete(k);
    else this.data.set(k, value);
    if (this.entries !== null) this.entries = withEntry(this.entries, k, value);
  }
}

/** A copy of sorted `entries` with `key` set to `value` ("": removed), in its place by key. */
function withEntry(entries: readonly [string, string][], key: string, value: string): [string, string][] {
  let low = 0;
  let high = entries.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (entries[middle]![0] < key) low = middle + 1;
    else high = middle;
  }
  const next = entries.slice();
  const found = low < entries.length && entries[low]![0] === key;
  if (value === '') {
    if (found) next.splice(low, 1);
  } else if (found) next[low] = [key, value];
  else next.splice(low, 0, [key, value]);
  return next;
}
