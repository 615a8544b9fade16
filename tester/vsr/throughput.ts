// Lab 3's throughput run for `npm run bench`: 3 replica processes on real files with fsync, N
// concurrent clients through Lab 3's client library (sessions sharing one connection per replica),
// each sending puts back to back. It measures committed ops/s, every op's latency, and the fsyncs
// the replicas asked of their disks per committed op (their status counts them). It owns only the
// measuring; it never judges the numbers.
import { performance } from 'node:perf_hooks';
import { RealEnv } from '../../src/env/real/env.js';
import { classicTiming } from '../../src/timing.js';
import { VsrClient } from '../../labs/vsr/client.js';
import { vsrStatusSchema, type VsrStatus } from '../../labs/vsr/status.js';
import { RealCluster } from '../real-cluster.js';
import type { EngineLimits } from '../../src/lab.js';

export interface Throughput {
  /** Committed client writes per second (with batching, several share one prepare: "op" means a client's op throughout). */
  opsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  fsyncsPerOp: number;
  /** Client writes per committed prepare (1 without batching). */
  requestsPerPrepare: number;
  /** CPU µs per committed op: the primary's process, the 3 replicas' together, and this (the clients') process. */
  primaryCpuUsPerOp: number;
  replicasCpuUsPerOp: number;
  clientsCpuUsPerOp: number;
}

export interface ThroughputOptions {
  clients: number;
  opsPerClient: number;
  /**
   * Puts each client sends before the measured window (default none): V8 keeps compiling a replica's
   * hot path for thousands of ops, and the compiler's threads count in a process's CPU time.
   */
  warmupOpsPerClient?: number;
  /** The replicas' lab: vsr (Lab 3's append-only log, the default) or par (the same engine on Lab 4's journal). */
  lab?: 'vsr' | 'par';
  /** The replicas' pipeline and batching limits (rsmlab node --pipeline-max/--batch-max; absent: the lab's defaults). */
  engine?: EngineLimits;
}

const REPLICAS = [0, 1, 2];

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** A replica's status and its process's CPU µs so far. */
type Replica = VsrStatus & { cpu_us: number };

async function statuses(cluster: RealCluster): Promise<Replica[]> {
  const all = await Promise.all(REPLICAS.map((i) => cluster.control.status(cluster.id(i))));
  return all.flatMap((node) => {
    const s = vsrStatusSchema.safeParse(node.state);
    return s.success ? [{ ...s.data, cpu_us: node.cpu_us ?? 0 }] : [];
  });
}

/** Wait until all 3 replicas are normal in one view at one commit. */
async function settled(cluster: RealCluster): Promise<Replica[]> {
  for (let tries = 0; tries < 400; tries++) {
    const all = await statuses(cluster);
    if (all.length === 3 && all.every((s) => s.status === 'normal' && s.view === all[0]!.view && s.commit_min === all[0]!.commit_min)) return all;
    await cluster.sleep(25);
  }
  throw new Error('bench: the 3 replicas did not settle');
}

function fsyncs(all: readonly VsrStatus[]): number {
  return all.reduce((sum, s) => sum + (s.fsyncs ?? 0), 0);
}

/** Client `c` puts values from..to−1, one after another, telling `took` each one's latency in ms. */
async function puts(client: VsrClient, c: number, from: number, to: number, took: (ms: number) => void): Promise<void> {
  for (let i = from; i < to; i++) {
    const started = performance.now();
    const result = await client.invoke({ f: 'put', key: `k${c % 8}`, value: `v${i}` });
    if (!result.ok) throw new Error(`bench: a put failed: ${result.error}`);
    took(performance.now() - started);
  }
}

export async function throughput(o: ThroughputOptions): Promise<Throughput> {
  const timing = classicTiming;
  const cluster = new RealCluster({ lab: o.lab ?? 'vsr', nodes: 3, timing, app: 'kv', ...(o.engine !== undefined && { engine: o.engine }) });
  // The clients share one Env, so one connection to each replica carries all 64 sessions' requests:
  // the topology of the limit (the raw pipelined rate, 64 calls in flight on one socket). 64 sockets
  // would measure per-socket kernel cost the limit never pays (64 raw sockets did 47.8k calls/s
  // against one socket's 77.5k in one run), and a load generator multiplexes its sessions so anyway.
  const env = RealEnv.client('bench');
  try {
    // A fixed replica set (--replicas): no replica joins through another, so the three processes boot at once.
    await Promise.all(REPLICAS.map((i) => cluster.start(i)));
    await settled(cluster);
    const replicas = REPLICAS.map((i) => cluster.id(i));
    const clients = Array.from({ length: o.clients }, (_, i) => new VsrClient(env, { replicas, timing, id: `bench-${process.pid}-${i}` }));
    // Sessions, connections, the primary found; then the warm-up.
    await Promise.all(clients.map((client, c) => puts(client, c, -1 - (o.warmupOpsPerClient ?? 0), 0, () => undefined)));
    const before = await settled(cluster);
    const latencies: number[] = [];
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await Promise.all(clients.map((client, c) => puts(client, c, 0, o.opsPerClient, (ms) => latencies.push(ms))));
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    // CPU right after the load: a status reads its process's CPU before it builds the replica's status
    // (which walks the whole log), and the polls until the replicas settle are not counted.
    const ended = await statuses(cluster);
    if (ended.length !== REPLICAS.length) throw new Error(`bench: ${ended.length} of ${REPLICAS.length} replicas answered their status after the load`);
    const after = await settled(cluster);
    // Every measured put committed (each client waited for its reply): the ops the figures are per.
    const ops = latencies.length;
    const prepares = after[0]!.commit_min - before[0]!.commit_min;
    const primary = after[0]!.primary;
    const cpuUs = (all: readonly Replica[]): number => all.reduce((sum, s) => sum + s.cpu_us, 0);
    return {
      opsPerSecond: latencies.length / seconds,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      fsyncsPerOp: (fsyncs(after) - fsyncs(before)) / ops,
      requestsPerPrepare: ops / prepares,
      primaryCpuUsPerOp: (ended[primary]!.cpu_us - before[primary]!.cpu_us) / ops,
      replicasCpuUsPerOp: (cpuUs(ended) - cpuUs(before)) / ops,
      clientsCpuUsPerOp: (cpu.user + cpu.system) / ops,
    };
  } finally {
    await env.close();
    await cluster.close();
  }
}
