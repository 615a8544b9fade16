// The replicated lock service: named locks owned by the requesting client. It never blocks: an
// acquire of a held lock answers {granted: false, owner} and the client retries (the waiting loop
// lives in the client/workload, never here). No clocks: all time is ctx.time, stamped by the primary.
//
// Rule for clients that vanish: locks are LEASES. A grant lasts `leaseMs` (Timing.lockLeaseMs) of
// stamped time. Every successful request of the owner (any op, or an explicit `renew`) extends all
// of its leases to time + leaseMs (never shortening them). A lock is held iff time < expires; an
// expired lock is free and may be granted to anyone, and its old owner's release/renew is an error.
// Acquire by the current holder is granted again (a renewal). Errors change nothing, not even leases.
import { z } from 'zod';
import type { Json } from '../env/types.js';
import { assert } from '../assert.js';
import type { AppContext, StateMachine } from './app.js';
import { fail, ok, parseOp, type AppResult } from './result.js';
import { decodeEntries, sortedEntries } from './snapshot.js';

const lock = z.string().min(1);

/** Every lock op, declared once (compiled: every replica checks every op it executes). */
export const lockOp = z.compile(
  z.discriminatedUnion('f', [
    z.strictObject({ f: z.literal('acquire'), lock }),
    z.strictObject({ f: z.literal('release'), lock }),
    z.strictObject({ f: z.literal('renew'), lock }),
  ]),
);
export type LockOp = z.infer<typeof lockOp>;

/** What acquire answers: whether the caller now holds the lock, and who does. */
export type AcquireResult = { granted: boolean; owner: string };

const grant = z.strictObject({ owner: z.string().min(1), expires: z.number() });
type Grant = z.infer<typeof grant>;

export class LockService implements StateMachine {
  readonly name = 'lock';
  /** Grants, including expired ones not yet swept; never mutated in place (snapshots share them). */
  private grants = new Map<string, Grant>();

  constructor(private readonly leaseMs: number) {
    assert(Number.isFinite(leaseMs) && leaseMs > 0, `lock lease must be positive, got ${leaseMs}`);
  }

  execute(op: unknown, ctx: AppContext): AppResult {
    const parsed = parseOp('lock', lockOp, op);
    if (!parsed.ok) return parsed.result;
    const o = parsed.op;
    const holder = this.holder(o.lock, ctx.time);
    switch (o.f) {
      case 'acquire': {
        this.touch(ctx); // renews the lease if the caller already holds this lock
        if (holder !== null && holder !== ctx.client) return ok(acquired(false, holder));
        if (holder === null) this.grants.set(o.lock, { owner: ctx.client, expires: ctx.time + this.leaseMs });
        return ok(acquired(true, ctx.client));
      }
      case 'release':
        if (holder !== ctx.client) return notHeld(o, ctx, holder);
        this.touch(ctx);
        this.grants.delete(o.lock);
        return ok(null);
      case 'renew':
        if (holder !== ctx.client) return notHeld(o, ctx, holder);
        this.touch(ctx);
        return ok(null);
    }
  }

  snapshot(): Json {
    return sortedEntries(this.grants);
  }

  restore(snapshot: Json): void {
    this.grants = decodeEntries('lock', grant, snapshot);
  }

  /** Who holds `name` at `time`, or null if it is free (never granted, released or expired). */
  private holder(name: string, time: number): string | null {
    const g = this.grants.get(name);
    return g !== undefined && time < g.expires ? g.owner : null;
  }

  /** A successful request at ctx.time: sweep expired grants and extend the client's leases. */
  private touch(ctx: AppContext): void {
    for (const [name, g] of this.grants) {
      if (g.expires <= ctx.time) this.grants.delete(name);
      else if (g.owner === ctx.client) this.grants.set(name, { owner: g.owner, expires: Math.max(g.expires, ctx.time + this.leaseMs) });
    }
  }
}

function acquired(granted: boolean, owner: string): AcquireResult {
  return { granted, owner };
}

function notHeld(o: LockOp, ctx: AppContext, holder: string | null): AppResult {
  const by = holder === null ? 'it is free' : `it is held by ${holder}`;
  return fail(`lock: ${o.f} of '${o.lock}' by ${ctx.client}: not held (${by})`);
}
