// RSM benchmark: KV ops/s through the client library against 3 replicas as real processes, one
// sequential client and 16 concurrent ones (with p50/p99 latency), against limits measured in the
// same run from raw `ws`: round trips between two processes, and a relay in the RSM's four-process
// topology. Beside ops/s (wall clock), the same sequential ops per CPU-second of all four processes on
// each side, and each process's CPU us per op (client, primary, a backup), which a shared machine's
// load disturbs far less and which show where an op's cost lies. Every figure pools rounds on several
// fresh clusters and relays (one cluster is one draw of a fast or slow mode). It reports; it never asserts on time.
import type { ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { figure, median, type Figure } from './figure.js';
import { count } from './mode.js';
import { cpuMsEach } from './cpu.js';
import { RawEcho, leadIn, rate, rawEchoServer, rawRelayServer } from './transport.js';
import { RealCluster } from '../tester/real-cluster.js';
import { RealEnv } from '../src/env/real/env.js';
import { releasePorts, reservePortPairs } from '../src/env/real/ports.js';
import { classicTiming } from '../src/timing.js';
import { rsmStatusSchema } from '../labs/rsm/status.js';
import { RsmClient } from '../labs/rsm/client.js';

/** Fresh clusters (and raw relays) per figure: each lands in a fast or a slow mode for its life. */
const CLUSTERS = count(3, 1);
/** Rounds on each cluster. */
const ROUNDS = count(3, 1);
const SEQUENTIAL_OPS = count(400, 40);
const CLIENTS = 16;
const OPS_PER_CLIENT = count(100, 5);
const RAW_ROUND_TRIPS = count(1000, 100);
/**
 * Ops each path runs before any is measured. A node's hot path spans far more code than a raw relay's
 * (env, wire, trace, Config, the RSM), and V8 keeps optimizing it until some 4,000-5,000 ops: after
 * 500, each node still finished 14-92 TurboFan compiles per 500 ops (node --trace-opt), running on the
 * shared cores and leaving the path half in baseline code while the rounds were timed.
 */
const WARM_UP_OPS = count(6000, 100);
/** A client request frame of the size the benchmark sends, for the raw limit. */
const FRAME = '{"jsonrpc":"2.0","id":1099511627776,"method":"rsm.client_invoke","params":{"client":"client:bench/0","seq":1,"op":{"f":"put","key":"k1","value":"v-12345"}}}';
/** The frames of the rest of one op, for the raw relay: primary -> backup, backup -> primary, primary -> client. */
const INVOKE_FRAME = '{"jsonrpc":"2.0","id":1099511627776,"method":"rsm.invoke","params":{"vs":{"vid":3,"seqno":1234},"req":{"client":"client:bench/0","seq":1,"op":{"f":"put","key":"k1","value":"v-12345"},"time":1700000000000}}}';
const BACKUP_REPLY = '{"jsonrpc":"2.0","id":1099511627776,"result":{"status":"OK"}}';
const CLIENT_REPLY = '{"jsonrpc":"2.0","id":1099511627776,"result":{"status":"OK","result":{"ok":true,"value":null}}}';

/** Raw `ws` in the RSM's topology: this process as the client, a relaying primary and 2 backups as processes. */
interface Relay {
  client: RawEcho;
  processes: ChildProcess[];
  ports: number[];
}

async function startRelay(): Promise<Relay> {
  const ports = await reservePortPairs(3);
  const primary = ports[0]!;
  const backups = ports.slice(1);
  const processes = await Promise.all(backups.map((port) => rawEchoServer(port, BACKUP_REPLY)));
  processes.push(await rawRelayServer(primary, backups, INVOKE_FRAME, CLIENT_REPLY));
  return { client: await RawEcho.connect(primary), processes, ports };
}

function stopRelay(relay: Relay): void {
  relay.client.close();
  for (const child of relay.processes) child.kill('SIGKILL');
  releasePorts(relay.ports);
}

interface Concurrent {
  opsPerSecond: number;
  latenciesMs: number[];
}

/** `clients` clients, `ops` puts each, all at once: throughput and every op's latency. */
async function concurrent(clients: RsmClient[], ops: number): Promise<Concurrent> {
  const latenciesMs: number[] = [];
  const t0 = performance.now();
  await Promise.all(
    clients.map(async (client, c) => {
      for (let i = 0; i < ops; i++) {
        const started = performance.now();
        await client.invoke({ f: 'put', key: `k${c % 4}`, value: `v${i}` });
        latenciesMs.push(performance.now() - started);
      }
    }),
  );
  return { opsPerSecond: (clients.length * ops) / ((performance.now() - t0) / 1000), latenciesMs };
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Wait until the 3 replicas are members of view 3 and out of the view change; the primary's index. */
async function settle(cluster: RealCluster): Promise<number> {
  for (let tries = 0; tries < 400; tries++) {
    const statuses = await Promise.all([0, 1, 2].map(async (i) => rsmStatusSchema.safeParse(await cluster.status(i))));
    const primary = statuses[0]!.success ? cluster.indexOf(statuses[0]!.data.primary) : -1;
    if (primary >= 0 && statuses.every((s) => s.success && s.data.vid_commit === 3 && !s.data.inviewchange)) return primary;
    await cluster.sleep(25);
  }
  throw new Error('bench: the 3 replicas did not settle in view 3');
}

/** CPU ms over the sequential rounds of one side's four processes: this process (the client), the primary, both backups. */
interface RoleMs {
  client: number;
  primary: number;
  backups: number;
}

/** `sum` plus one round's CPU ms of [client, primary, backup, backup] (undefined once one could not be read). */
function addRoles(sum: RoleMs | undefined, ms: number[] | undefined): RoleMs | undefined {
  if (sum === undefined || ms === undefined) return undefined;
  return { client: sum.client + ms[0]!, primary: sum.primary + ms[1]!, backups: sum.backups + ms[2]! + ms[3]! };
}

/** What the rounds on each cluster measured, pooled over all clusters. */
interface Samples {
  seq: number[];
  rawSeq: number[];
  relaySeq: number[];
  many: Concurrent[];
  /** CPU ms of each process over the sequential rounds (undefined once /proc could not tell). */
  cpuMs: { lab: RoleMs | undefined; relay: RoleMs | undefined };
}

/**
 * One cluster of 3 replicas and one raw relay, fresh processes both, warmed up, then ROUNDS of each
 * measurement added to `samples`. A cluster's four processes land in a fast or a slow mode for
 * their whole life (2.4x apart on this machine), so one cluster is one draw: the figures pool several.
 */
async function measureCluster(echo: RawEcho, samples: Samples): Promise<void> {
  const timing = classicTiming;
  const cluster = new RealCluster({ lab: 'rsm', nodes: 3, timing, app: 'kv' });
  const envs = Array.from({ length: CLIENTS }, (_, i) => RealEnv.client(`bench${i}`));
  let relay: Relay | undefined;
  try {
    relay = await startRelay();
    for (let i = 0; i < 3; i++) await cluster.start(i, { first: 0 });
    const primary = await settle(cluster);
    const members = [0, 1, 2].map((i) => cluster.id(i));
    const clients = envs.map((env) => new RsmClient(env, { members, timing }));
    const sequential = clients[0]!;
    let n = 0;
    const put = (): Promise<unknown> => sequential.invoke({ f: 'put', key: 'k', value: `v${n++}` });
    const bounce = (): Promise<void> => echo.roundTrip(FRAME);
    const relayClient = relay.client;
    const relayed = (): Promise<void> => relayClient.roundTrip(FRAME);
    // Warm up: every client connects and finds the primary, then V8 settles on the sequential path.
    // The concurrent ops go first: their first run takes branches the sequential path's optimized code
    // never saw (a client's primary discovery, new links and sockets, the mutex's queue), and the
    // recompiles that follow in all four processes (node --trace-opt) fell in the first measured round.
    await concurrent(clients, 20);
    await rate(WARM_UP_OPS, 1, put);
    await rate(WARM_UP_OPS, 1, bounce);
    await rate(WARM_UP_OPS, 1, relayed);
    // Primary first, then the backups (startRelay started the relay's backups first).
    const nodePids = [primary, ...[0, 1, 2].filter((i) => i !== primary)].map((i) => cluster.pid(i));
    const relayProcesses = relay.processes;
    const relayPids = [2, 0, 1].map((i) => relayProcesses[i]!.pid);
    const { cpuMs } = samples;
    for (let round = 0; round < ROUNDS; round++) {
      // Each timed round right after a lead-in on its own path: the others' rounds left it idle (LEAD_IN_MS).
      await leadIn(put);
      cpuMs.lab = addRoles(cpuMs.lab, await cpuMsEach(nodePids, async () => void samples.seq.push(await rate(SEQUENTIAL_OPS, 1, put))));
      await leadIn(bounce);
      samples.rawSeq.push(await rate(RAW_ROUND_TRIPS, 1, bounce));
      await leadIn(relayed);
      cpuMs.relay = addRoles(cpuMs.relay, await cpuMsEach(relayPids, async () => void samples.relaySeq.push(await rate(RAW_ROUND_TRIPS, 1, relayed))));
    }
    // After every sequential round, not between them: a concurrent round still makes the primary
    // recompile a few functions, which a sequential round after it paid for; the raw relay's never do.
    for (let round = 0; round < ROUNDS; round++) samples.many.push(await concurrent(clients, OPS_PER_CLIENT));
  } finally {
    if (relay !== undefined) stopRelay(relay);
    await Promise.all(envs.map((env) => env.close()));
    await cluster.close();
  }
}

/** Ops per CPU-second of all four processes, and CPU us per op of the client, the primary and a backup, against the raw relay's. */
function cpuFiguresOf(lab: RoleMs, labOps: number, relay: RoleMs, relayOps: number): Figure[] {
  const total = (ms: RoleMs): number => ms.client + ms.primary + ms.backups;
  // /proc counts CPU in clock ticks (10 ms): a short run (RSMLAB_BENCH_SHORT) can see a role use none, and a figure against a limit of 0 has no ratio.
  const measured = (ms: RoleMs): boolean => ms.client > 0 && ms.primary > 0 && ms.backups > 0;
  if (!measured(lab) || !measured(relay)) return [];
  const usPerOp = (ms: number, ops: number): number => (ms * 1000) / ops;
  return [
    figure('rsm.kv_ops_per_cpu_second_1_client_vs_raw_relay', labOps / (total(lab) / 1000), 'ops/cpu-s', relayOps / (total(relay) / 1000)),
    figure('rsm.kv_cpu_us_per_op_client_vs_raw_relay', usPerOp(lab.client, labOps), 'us', usPerOp(relay.client, relayOps)),
    figure('rsm.kv_cpu_us_per_op_primary_vs_raw_relay', usPerOp(lab.primary, labOps), 'us', usPerOp(relay.primary, relayOps)),
    figure('rsm.kv_cpu_us_per_op_backup_vs_raw_relay', usPerOp(lab.backups / 2, labOps), 'us', usPerOp(relay.backups / 2, relayOps)),
  ];
}

export async function run(): Promise<Figure[]> {
  const ports = await reservePortPairs(1);
  const raw = await rawEchoServer(ports[0]!);
  const echo = await RawEcho.connect(ports[0]!);
  const none: RoleMs = { client: 0, primary: 0, backups: 0 };
  const samples: Samples = { seq: [], rawSeq: [], relaySeq: [], many: [], cpuMs: { lab: none, relay: none } };
  try {
    for (let c = 0; c < CLUSTERS; c++) await measureCluster(echo, samples);
  } finally {
    echo.close();
    raw.kill('SIGKILL');
    releasePorts(ports);
  }
  const { seq, rawSeq, relaySeq, many, cpuMs } = samples;
  // An op is at least two round trips in sequence (client -> primary, primary -> backups in parallel).
  const limit = median(rawSeq) / 2;
  const latencies = many.flatMap((m) => m.latenciesMs);
  // Latency limit: 16 requests served one after another at that ideal op time.
  const latencyLimitMs = (CLIENTS * 1000) / limit;
  // Per CPU-second of client + primary + 2 backups, and each process's CPU us per op, over all rounds (absent where /proc cannot tell).
  const cpuFigures = cpuMs.lab === undefined || cpuMs.relay === undefined ? [] : cpuFiguresOf(cpuMs.lab, seq.length * SEQUENTIAL_OPS, cpuMs.relay, relaySeq.length * RAW_ROUND_TRIPS);
  return [
    figure('rsm.kv_ops_1_client', median(seq), 'ops/s', limit),
    // The same ops against raw `ws` moving the same frames through the same four processes.
    figure('rsm.kv_ops_1_client_vs_raw_relay', median(seq), 'ops/s', median(relaySeq)),
    ...cpuFigures,
    figure(`rsm.kv_ops_${CLIENTS}_clients`, median(many.map((m) => m.opsPerSecond)), 'ops/s', limit),
    figure(`rsm.kv_latency_p50_${CLIENTS}_clients`, percentile(latencies, 50), 'ms', latencyLimitMs),
    figure(`rsm.kv_latency_p99_${CLIENTS}_clients`, percentile(latencies, 99), 'ms', latencyLimitMs),
  ];
}
