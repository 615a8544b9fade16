// Lab 3 benchmarks. VSR throughput: 3 replica processes on real files with fsync, 64 concurrent
// clients through Lab 3's client library (after a warm-up; their sessions share one connection per replica, as
// the limit's 64 calls share one socket), the replicas batching writes into prepares (BATCHING):
// committed ops/s, p50/p99 latency, fsyncs per op and client writes per prepare, against
// the raw pipelined `ws` call rate (64 in flight) measured in the same run. VOPR speed: seeds per
// minute of the VOPR scenario (3 replicas, 200 requests, faults) on every core. It reports; it never
// asserts on time.
import { performance } from 'node:perf_hooks';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { figure, median, type Figure } from './figure.js';
import { count } from './mode.js';
import { RawEcho, rate, rawEchoServer } from './transport.js';
import { releasePorts, reservePortPairs } from '../src/env/real/ports.js';
import { runSuite, seedsFrom } from '../tester/suite.js';
import { throughput, type Throughput } from '../tester/vsr/throughput.js';

const ROUNDS = count(5, 1);
const CLIENTS = 64;
/**
 * The replicas' limits (rsmlab node --pipeline-max 2 --batch-max 64), picked by measurement on the
 * shared 2-core host (medians of alternating runs, CPU µs per op the robust figure): the 64
 * clients' next writes (which arrive together, in one read) packed into one prepare, so on Lab 3's
 * log requests_per_prepare is 64 and its CPU and fsyncs per op are those of pipeline 1. Lab 4's
 * journal cell holds about 32 of them (its body bound), so there they take two prepares, and the
 * second pipeline slot lets both go at once (bench/par.ts). Smaller batches with deeper pipelines
 * cost more CPU per op, not less: fewer writes per prepare.
 */
export const BATCHING = { pipeline_max: 2, batch_max: 64 } as const;
/**
 * The throughput workload (bench/par.ts runs it too, on both storages): 64 clients, each with 4,000
 * warm-up puts before 800 measured ones. A cluster's throughput climbs for its first ~200,000 ops
 * (V8 compiles a replica's per-prepare paths, one call per 64 ops, long after its per-op ones): in
 * 400-put windows (25,600 ops) on two fresh clusters, ops/s went 18.8k/17.6k, 27.7k/24.0k,
 * 25.7k/22.8k, 27.5k/24.2k, 28.8k/29.1k, 28.6k/28.3k, 32.8k/30.1k, and then held at 26-34k
 * (medians 30.4k/32.7k) through 770,000 ops. A window after 1,200 warm-up puts (76,800 ops) sits
 * on that climb, about 15% below where it ends; after 4,000 (256,000 ops) it measures the replicas
 * as they run for the rest of their lives, and 800 puts (51,200 ops, about 2 s) span the plateau's
 * swings rather than one of them.
 */
export const WORKLOAD = { clients: CLIENTS, opsPerClient: count(800, 3), warmupOpsPerClient: count(4000, 2), engine: BATCHING } as const;
const RAW_CALLS = count(50_000, 500);
/**
 * Raw calls before the measured ones: the raw pair warms up too, and is held to the same rule as the
 * cluster (measured on its plateau). In 10,000-call windows on three fresh pairs, calls/s went
 * 51k/71k/62k, 92k/107k/99k, and reached their plateaus (123-127k, 123-127k, 103-109k) after some
 * 70,000 calls; 150,000 leave a margin, and 50,000 measured calls span about half a second of it.
 */
const RAW_WARM_UP_CALLS = count(150_000, 500);
/** Issue 7's goal: committed ops/s ≥ 0.25 × the raw pipelined call rate. */
const GOAL = 0.25;
/** Seeds asked of the suite; the VOPR scenario runs VOPR.seedFactor times as many (500). */
const VOPR_SUITE_SEEDS = count(100, 2);
const VOPR_GOAL_PER_MINUTE = 1000;
/** A request frame of the size the clients send, for the raw limit. */
const FRAME = '{"jsonrpc":"2.0","id":1099511627776,"method":"vsr.request","params":{"client":"bench-12345-0","request":12,"kind":"write","op":{"f":"put","key":"k1","value":"v12"}}}';

/**
 * The raw pipelined call rate on a fresh raw server: a pair of processes lands in a fast or a slow
 * mode for its life (one pair measured 104k calls/s, the next 58k, in runs minutes apart), so each
 * round measures its own pair next to its own cluster, and the limit is the median over rounds.
 */
async function rawPipelined(): Promise<number> {
  const ports = await reservePortPairs(1);
  const server = await rawEchoServer(ports[0]!);
  const echo = await RawEcho.connect(ports[0]!);
  try {
    await rate(RAW_WARM_UP_CALLS, CLIENTS, () => echo.roundTrip(FRAME));
    return await rate(RAW_CALLS, CLIENTS, () => echo.roundTrip(FRAME));
  } finally {
    echo.close();
    server.kill('SIGKILL');
    releasePorts(ports);
  }
}

async function voprSeedsPerMinute(): Promise<number> {
  const started = performance.now();
  const seeds = seedsFrom(100_000, VOPR_SUITE_SEEDS);
  const r = await runSuite({ lab: 'vsr', world: 'sim', seeds, only: ['vopr'], jobs: availableParallelism(), seedTimeoutMs: 60_000, artifactsDir: join(tmpdir(), 'rsmlab-bench-vopr') });
  const outcome = r.outcomes[0]!;
  if (outcome.status !== 'passed') throw new Error(`bench: the VOPR failed at seed ${outcome.lowestFailingSeed}: ${outcome.failure?.error ?? outcome.message}`);
  // Every seed that ran counts (the scenario's seedFactor multiplies the seeds asked for), no more, no fewer.
  return outcome.passedSeeds / ((performance.now() - started) / 60_000);
}

export async function run(): Promise<Figure[]> {
  const raw: number[] = [];
  const runs: Throughput[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    raw.push(await rawPipelined());
    runs.push(await throughput(WORKLOAD));
  }
  const limit = median(raw);
  const opsPerSecond = median(runs.map((r) => r.opsPerSecond));
  // 64 requests served one after another at the raw call rate: the latency a perfect pipeline would give.
  const latencyLimitMs = (CLIENTS * 1000) / limit;
  return [
    figure(`vsr.ops_${CLIENTS}_clients_fsync`, opsPerSecond, 'ops/s', limit),
    figure(`vsr.latency_p50_${CLIENTS}_clients`, median(runs.map((r) => r.p50Ms)), 'ms', latencyLimitMs),
    figure(`vsr.latency_p99_${CLIENTS}_clients`, median(runs.map((r) => r.p99Ms)), 'ms', latencyLimitMs),
    // Limit: one fsync per op on each of the 3 replicas, with no group commit.
    figure('vsr.fsyncs_per_op', median(runs.map((r) => r.fsyncsPerOp)), 'fsyncs/op', 3),
    // Limit: batch_max, every prepare full.
    figure('vsr.requests_per_prepare', median(runs.map((r) => r.requestsPerPrepare)), 'writes/prepare', BATCHING.batch_max),
    // CPU (robust on a loaded machine), limit: the primary's budget per op at the goal (0.25 × the raw rate, one core).
    figure('vsr.primary_cpu_us_per_op', median(runs.map((r) => r.primaryCpuUsPerOp)), 'us/op', 1e6 / (GOAL * limit)),
    figure('vsr.replicas_cpu_us_per_op', median(runs.map((r) => r.replicasCpuUsPerOp)), 'us/op', (3 * 1e6) / (GOAL * limit)),
    figure('vsr.vopr_seeds_per_minute', await voprSeedsPerMinute(), 'seeds/min', VOPR_GOAL_PER_MINUTE),
  ];
}
