// The sequential model of Lab 3's replicated app (read-rebuild-vr.md section 2): the committed ops,
// run one after another on a plain KV store with the client table's one rule (a client's request
// runs once; a repeat of it changes nothing); an op that is a batch runs its requests in order. It
// keeps the canonical state after every op, so a replica that executed k ops can be compared with
// it. It never looks at a replica.
import type { Json } from '../../src/env/types.js';
import { KvStore } from '../../src/apps/kv.js';

/** One committed client request as the model needs it. */
export interface ModelOp {
  client: string;
  request: number;
  /** The app operation (a KV op); null for ops that carry none (a session's registration). */
  operation: Json;
}

export class SequentialModel {
  private readonly kv = new KvStore();
  /** The newest request executed per client: a request at or below it is a repeat and changes nothing. */
  private readonly executed = new Map<string, number>();
  /** states[k]: the canonical KV state after ops 1..k. */
  private readonly states: string[] = [JSON.stringify(this.kv.snapshot())];

  /** Ops applied so far. */
  get op(): number {
    return this.states.length - 1;
  }

  /** Apply op `this.op + 1`: its requests (one, or a batch's), in order. */
  apply(requests: readonly ModelOp[]): void {
    for (const next of requests) {
      const last = this.executed.get(next.client) ?? 0;
      if (next.operation !== null && next.request > last) {
        this.kv.execute(next.operation, { client: next.client, time: 0 });
        this.executed.set(next.client, next.request);
      }
    }
    this.states.push(JSON.stringify(this.kv.snapshot()));
  }

  /** The canonical KV state after ops 1..op (JSON of KvStore.snapshot()). */
  stateAt(op: number): string {
    const state = this.states[op];
    if (state === undefined) throw new Error(`model: no state after op ${op} (it has applied ${this.op})`);
    return state;
  }
}
