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
    return sortedEntries(this.data);
  }

  restore(snapshot: Json): void {
    this.data = decodeEntries('kv', z.string().min(1), snapshot);
  }

  private read(k: string): string {
    return this.data.get(k) ?? '';
  }

  private write(k: string, value: string): void {
    if (value === '') this.data.delete(k);
    else this.data.set(k, value);
  }
}
