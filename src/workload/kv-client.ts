// The KV workload of one client: random get/put/append/cas over a small key set, with values unique
// per run (client name + counter) so a read pins down which write it saw and checking stays cheap.
// It never decides outcomes: each op's completion is what the app answered (see WorkloadClient).
import type { KvOp } from '../apps/kv.js';
import type { Json } from '../env/types.js';
import { completionOf, type WorkloadClient } from './client.js';

export interface KvClientOptions {
  ops: number;
  /** Keys are "k0" .. "k{keys-1}", after `names`. */
  keys: number;
  /** What every key name starts with (WorkloadOptions.names). */
  names: string;
  random(): number;
  /** Pause before each op (think time); may be a no-op. */
  think(): Promise<void>;
  /** Asked after each think time: true ends the client before its next op. */
  stopped(): boolean;
}

/** Cumulative op mix: 40% get, 20% put, 25% append, 15% cas. */
const MIX: [number, KvOp['f']][] = [
  [0.4, 'get'],
  [0.6, 'put'],
  [0.85, 'append'],
  [1, 'cas'],
];

export async function runKvClient(client: WorkloadClient, options: KvClientOptions): Promise<void> {
  const seen = new Map<string, string>(); // key -> the value this client last read or wrote there
  for (let n = 0; n < options.ops; n++) {
    await options.think();
    if (options.stopped()) return;
    const op = chooseOp(options, seen, `${client.name}.${n}`);
    const done = await client.op(op.f, op.key, invokeValue(op), async () => completionOf(await client.send(op)));
    if (done?.type === 'ok') remember(seen, op, done.value);
  }
}

function chooseOp(options: KvClientOptions, seen: ReadonlyMap<string, string>, unique: string): KvOp {
  const key = `${options.names}k${Math.floor(options.random() * options.keys)}`;
  const r = options.random();
  const f = MIX.find(([upTo]) => r < upTo)?.[1] ?? 'cas';
  switch (f) {
    case 'get':
      return { f, key };
    case 'put':
      return { f, key, value: unique };
    case 'append':
      return { f, key, value: `[${unique}]` };
    case 'cas':
      return { f, key, from: seen.get(key) ?? '', to: unique };
  }
}

/** The invoke event's value, as src/check/history.ts has it for the kv model. */
function invokeValue(op: KvOp): Json {
  switch (op.f) {
    case 'get':
      return null;
    case 'put':
    case 'append':
      return op.value;
    case 'cas':
      return [op.from, op.to];
  }
}

/** What a completed op tells this client about its key's value (so cas has a plausible `from`). */
function remember(seen: Map<string, string>, op: KvOp, value: Json): void {
  switch (op.f) {
    case 'get':
      if (typeof value === 'string') seen.set(op.key, value);
      return;
    case 'put':
      seen.set(op.key, op.value);
      return;
    case 'append':
      seen.delete(op.key);
      return;
    case 'cas':
      if (value === true) seen.set(op.key, op.to);
      return;
  }
}
