// `rsmlab load`: client load against a live real cluster (processes started with `rsmlab node` or
// `rsmlab start`), from in-process client Envs, writing the history as JSONL for `rsmlab check`.
// It owns the real-world plumbing only (client Envs, the history file); the workload and the
// client library do the rest. It never prints or exits: the CLI does.
import { createWriteStream } from 'node:fs';
import type { NodeId } from '../../src/env/types.js';
import { RealEnv } from '../../src/env/real/env.js';
import { classicTiming, type Timing } from '../../src/timing.js';
import type { AppName } from '../../src/apps/app.js';
import { seededRandom } from '../../src/random.js';
import { runWorkload, type WorkloadResult } from '../../src/workload/workload.js';
import type { HistoryEvent } from '../../src/check/history.js';
import { giveUpMs, rsmInvoker } from './load.js';
import { vsrInvoker } from '../../labs/vsr/client.js';

export interface RunLoadOptions {
  /** Cluster members as HOST:PORT (any of them; clients learn the view from whoever answers). */
  members: NodeId[];
  /** The lab the cluster runs, whose client library the clients use (par: Lab 3's, the same protocol). Default rsm. */
  lab?: 'rsm' | 'vsr' | 'par';
  clients: number;
  /** Per client: KV ops, or lock acquire/release cycles. */
  ops: number;
  app: AppName;
  /** Write the history here as JSONL, line by line as it happens. */
  history?: string;
  /** The cluster's timing (clients use its client timeouts and retry pauses). Default: classic. */
  timing?: Timing;
  /** Seed of the workload's choices. Default: from the clock. */
  seed?: number;
  /**
   * Keys and locks of this run's own (named after its client prefix), not k0, l0, ...: its history
   * alone is then checkable (from empty keys and free locks) after an earlier load, or beside other
   * clients such as `rsmlab start`'s. Without it, loads share keys, and only their histories together
   * are checkable. Default false.
   */
  ownNames?: boolean;
  /** Gets each history event as it happens (the CLI's stall watch). */
  observe?: (event: HistoryEvent) => void;
}

export interface RunLoadResult extends WorkloadResult {
  elapsedMs: number;
  /** Completed ops (ok or fail) per second of wall time. */
  opsPerSecond: number;
}

export async function runLoad(options: RunLoadOptions): Promise<RunLoadResult> {
  const timing = options.timing ?? classicTiming;
  const started = Date.now();
  // Client names carry seqs in the replicas' duplicate tables: a fresh prefix per run keeps them new.
  const run = `load${started.toString(36)}-`;
  const prefix = `${run}c`;
  const envs: RealEnv[] = [];
  const envOf = (name: string): RealEnv => {
    const env = RealEnv.client(name);
    envs.push(env);
    return env;
  };
  const out = options.history === undefined ? undefined : createWriteStream(options.history);
  try {
    const result = await runWorkload({
      app: options.app,
      clients: options.clients,
      opsPerClient: options.ops,
      invoker:
        options.lab === 'vsr' || options.lab === 'par'
          ? vsrInvoker(envOf, { replicas: options.members, timing, app: options.app, giveUpMs: giveUpMs(timing) })
          : rsmInvoker(envOf, { members: options.members, timing, giveUpMs: giveUpMs(timing) }),
      clock: envOf(`${prefix}clock`),
      random: seededRandom(options.seed ?? started),
      clientPrefix: prefix,
      ...(options.ownNames === true && { names: run }),
      ...(out === undefined ? {} : { write: (line: string) => void out.write(line) }),
      ...(options.observe !== undefined && { observe: options.observe }),
    });
    const elapsedMs = Date.now() - started;
    const completed = result.counts.ok + result.counts.fail;
    return { ...result, elapsedMs, opsPerSecond: completed / Math.max(elapsedMs / 1000, 1e-3) };
  } finally {
    await Promise.all(envs.map((env) => env.close()));
    if (out !== undefined) await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
  }
}
