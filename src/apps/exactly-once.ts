// Exactly-once execution over any app: each client's requests carry increasing seqs; a request runs
// only if its seq is new, a retry of the last seq gets the cached result, an older seq an error. The
// duplicate table is part of the snapshot, so a retry after failover or state transfer never runs twice.
import { z } from 'zod';
import type { Json } from '../env/types.js';
import type { StateMachine } from './app.js';
import { fail, type AppResult } from './result.js';
import { decodeEntries, sortedEntries } from './snapshot.js';
import { describeIssues } from '../env/method.js';

/** One client request as the primary replicates it: `time` is the primary's stamp. */
export interface ClientRequest {
  client: string;
  /** Per-client sequence number, increasing with each new request (gaps allowed); retries reuse it. */
  seq: number;
  op: unknown;
  time: number;
}

const appResult: z.ZodType<AppResult> = z.union([
  z.strictObject({ ok: z.literal(true), value: z.json() }),
  z.strictObject({ ok: z.literal(false), error: z.string() }),
]);
/** The last request of a client and its result. */
const reply = z.strictObject({ seq: z.number().int().nonnegative(), result: appResult });
type Reply = z.infer<typeof reply>;

const snapshotShape = z.strictObject({ app: z.string(), clients: z.unknown(), state: z.json() });

export class ExactlyOnce {
  private replies = new Map<string, Reply>();

  constructor(readonly app: StateMachine) {}

  apply(request: ClientRequest): AppResult {
    const { client, seq, op, time } = request;
    const bad = badRequest(request);
    if (bad !== null) return fail(`exactly-once: ${bad}`);
    const last = this.replies.get(client);
    if (last !== undefined && seq === last.seq) return last.result;
    if (last !== undefined && seq < last.seq) {
      return fail(`exactly-once: request ${seq} of ${client} is older than its last request ${last.seq}; its reply is gone`);
    }
    const result = this.app.execute(op, { client, time });
    this.replies.set(client, { seq, result });
    return result;
  }

  /** The last seq executed for `client`, or undefined if none. */
  lastSeq(client: string): number | undefined {
    return this.replies.get(client)?.seq;
  }

  /** Each client's last seq, sorted by client: the duplicate table without its cached results. */
  lastSeqs(): [string, number][] {
    return sortedEntries(this.replies).map(([client, { seq }]) => [client, seq]);
  }

  /** App state and duplicate table together: {app, clients, state}. Compare with canonicalJson. */
  snapshot(): Json {
    return { app: this.app.name, clients: sortedEntries(this.replies), state: this.app.snapshot() };
  }

  /** Restore app state and duplicate table; throws (changing nothing) on a malformed snapshot. */
  restore(snapshot: Json): void {
    const parsed = snapshotShape.safeParse(snapshot);
    if (!parsed.success) throw new Error(`bad exactly-once snapshot: ${describeIssues(parsed.error)}`);
    const { app, clients, state } = parsed.data;
    if (app !== this.app.name) throw new Error(`bad exactly-once snapshot: it is of app '${app}', this is '${this.app.name}'`);
    const replies = decodeEntries('exactly-once table', reply, clients);
    this.app.restore(state);
    this.replies = replies;
  }
}

/** Why a request is malformed, or null. Requests come from clients: never assume their shape. */
function badRequest(r: ClientRequest): string | null {
  if (typeof r.client !== 'string' || r.client === '') return `client must be a non-empty string, got ${show(r.client)}`;
  if (!Number.isSafeInteger(r.seq) || r.seq < 0) return `seq must be a non-negative integer, got ${show(r.seq)}`;
  if (!Number.isFinite(r.time)) return `time must be a finite number, got ${show(r.time)}`;
  return null;
}

function show(v: unknown): string {
  if (typeof v === 'number') return String(v);
  return typeof v === 'string' ? JSON.stringify(v) : typeof v;
}
