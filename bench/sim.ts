// Benchmark of the simulator: simulated message deliveries per CPU-second (process.cpuUsage) with 3
// Paxos nodes under load: the lab's own acceptors and proposer, p0 running round after round, each
// round 3 phases to 3 nodes with durable log writes. Also the same with the trace kept in memory, and
// the wire alone (echo pings) for scale. Medians of several runs; it never asserts anything about time.
import type { Env } from '../src/env/types.js';
import type { Lab, LabNode, LabOptions } from '../src/lab.js';
import { startPaxos } from '../labs/paxos/paxos.js';
import { PAXOS_SITES } from '../labs/paxos/lab.js';
import { echoLab, ping } from '../labs/echo/lab.js';
import { SimCluster } from '../tester/sim-cluster.js';
import { figure, median, type Figure } from './figure.js';
import { count, short } from './mode.js';

const RUNS = count(5, 1);
const NODES = ['p0', 'p1', 'p2'];
/** Virtual time per run: about 25k deliveries of Paxos (50k events). */
const VIRTUAL_MS = count(120_000, 10_000);
const GOAL = 300_000;

/** Paxos under load: every node is an acceptor; p0 proposes instance after instance, back to back. */
const paxosLoad: Lab = {
  name: 'paxos-load',
  sites: PAXOS_SITES,
  async start(env: Env, options: LabOptions): Promise<LabNode> {
    const paxos = await startPaxos(env, options.timing);
    paxos.acceptor.serve(() => undefined);
    if (env.me === NODES[0]) {
      void (async () => {
        for (let round = 1; ; round++) await paxos.proposer.run(paxos.acceptor.instance() + 1, NODES, `v${round}`);
      })();
    }
    return { status: () => paxos.acceptor.instance() };
  },
};

/** The wire alone: p0 pings p1 and p2, each back to back, with the echo lab's handler. */
const pingLoad: Lab = {
  name: 'ping-load',
  sites: echoLab.sites,
  async start(env: Env, options: LabOptions): Promise<LabNode> {
    const node = await echoLab.start(env, options);
    if (env.me === NODES[0]) {
      for (const peer of NODES.slice(1)) {
        void (async () => {
          // A peer still reading its disk serves nothing yet: its 'method not found' is just retried.
          for (;;) await env.call(peer, ping, { text: 'hello' }, { timeoutMs: options.timing.rpcTimeoutMs }).catch(() => undefined);
        })();
      }
    }
    return node;
  },
};

/** Deliveries per CPU-second of one run. */
async function once(lab: Lab, seed: number, keepTrace: boolean): Promise<number> {
  const cluster = new SimCluster({ lab, seed, nodes: NODES.length, keepTrace });
  for (let i = 0; i < NODES.length; i++) await cluster.start(i);
  const before = cluster.stats.delivered;
  const cpu = process.cpuUsage();
  await cluster.sleep(VIRTUAL_MS);
  const used = process.cpuUsage(cpu);
  const delivered = cluster.stats.delivered - before;
  await cluster.close();
  return delivered / ((used.user + used.system) / 1e6);
}

/**
 * Runs before the measured ones, to warm up the JIT: after one, the first measured run still went at
 * about half the speed of the rest (V8 was still tiering the hot paths up), after two it does not.
 */
const WARMUP_SEEDS = short ? [] : [0, 1000];

async function measure(lab: Lab, keepTrace: boolean): Promise<number> {
  for (const seed of WARMUP_SEEDS) await once(lab, seed, keepTrace);
  const samples: number[] = [];
  for (let seed = 1; seed <= RUNS; seed++) samples.push(await once(lab, seed, keepTrace));
  return median(samples);
}

export async function run(): Promise<Figure[]> {
  const unit = 'deliveries/CPU-s';
  return [
    figure('sim: 3 Paxos nodes under load, trace hashed', await measure(paxosLoad, false), unit, GOAL),
    figure('sim: 3 Paxos nodes under load, trace hashed and kept in memory', await measure(paxosLoad, true), unit, GOAL),
    figure('sim: echo pings (the wire alone), trace hashed', await measure(pingLoad, false), unit, GOAL),
  ];
}
