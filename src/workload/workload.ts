// The workload generator: N concurrent logical clients drive an app through the RSM client library
// and record a history for the linearizability checker. World-agnostic: everything (invoker, sleep,
// clock, randomness, output) is injected; it never touches fs, timers or Date, so it runs in the simulator.
import type { AppName } from '../apps/app.js';
import type { HistoryEvent } from '../check/history.js';
import { assert } from '../assert.js';
import { WorkloadClient, type Invoker } from './client.js';
import { HistoryLog, type HistoryCounts } from './history-log.js';
import { runKvClient } from './kv-client.js';
import { runLockClient } from './lock-client.js';

export type { Invoker, Call } from './client.js';

/** The world's clock: an Env satisfies it (virtual time in the simulator, wall clock in the real world). */
export interface WorkloadClock {
  sleep(ms: number): Promise<void>;
  now(): number;
}

export interface WorkloadOptions {
  app: AppName;
  /** Concurrent logical clients, named `${clientPrefix}0` .. (each gets its own invoker). */
  clients: number;
  /** Per client: KV ops, or lock cycles (acquire + release: two history ops each). */
  opsPerClient: number;
  invoker: Invoker;
  clock: WorkloadClock;
  /** Seeded randomness (e.g. src/random.ts, or a simulated Env's random). */
  random: () => number;
  /** Client-name prefix, default "c". Use a fresh one for each workload on the same cluster: names carry seqs. */
  clientPrefix?: string;
  /** KV: number of keys, default 3. */
  keys?: number;
  /**
   * What key and lock names start with, default none (k0, l0, ...). A history is checked from empty
   * keys and free locks: a load on a cluster that other clients used before, or use beside it,
   * needs names of its own.
   */
  names?: string;
  /** Lock: number of locks, default 2. */
  locks?: number;
  /** Lock: how long a granted lock is held before release (ms), default 10. */
  holdMs?: number;
  /** Lock: first pause after a refused acquire (ms), default 20; see acquireUntilGranted. */
  retryMs?: number;
  /** Pause before each op, uniform in [0, thinkMs) ms; default 0 (no pause). */
  thinkMs?: number;
  /** Asked after each think time: once true, clients start no new op (those in flight finish). Default: never. */
  stopped?: () => boolean;
  /** Gets each history event's JSONL line (newline included) as it happens: the CLI's file writer. */
  write?: (line: string) => void;
  /** Gets each history event as it happens: the tester puts them in the world's trace. */
  observe?: (event: HistoryEvent) => void;
}

export interface WorkloadResult {
  /** In the order recorded (time order); see src/check/history.ts. */
  history: HistoryEvent[];
  counts: HistoryCounts;
}

export async function runWorkload(options: WorkloadOptions): Promise<WorkloadResult> {
  const { app, clients, opsPerClient, clock, random, thinkMs = 0, stopped = () => false } = options;
  assert(Number.isInteger(clients) && clients > 0, `workload: clients must be a positive integer, got ${clients}`);
  assert(Number.isInteger(opsPerClient) && opsPerClient >= 0, `workload: opsPerClient must be a non-negative integer, got ${opsPerClient}`);
  const log = new HistoryLog(() => clock.now(), options.write, options.observe);
  const think = () => (thinkMs > 0 ? clock.sleep(Math.floor(random() * thinkMs)) : Promise.resolve());
  const sleep = (ms: number) => clock.sleep(ms);
  const prefix = options.clientPrefix ?? 'c';
  const runs = Array.from({ length: clients }, (_, i) => {
    const name = `${prefix}${i}`;
    const client = new WorkloadClient(name, options.invoker(name), log);
    const names = options.names ?? '';
    if (app === 'kv') return runKvClient(client, { ops: opsPerClient, keys: options.keys ?? 3, names, random, think, stopped });
    return runLockClient(client, { cycles: opsPerClient, locks: options.locks ?? 2, names, holdMs: options.holdMs ?? 10, retryMs: options.retryMs ?? 20, random, sleep, think, stopped });
  });
  await Promise.all(runs);
  return { history: log.events, counts: log.counts };
}
