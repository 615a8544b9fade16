// `rsmlab start` (what `npm start` runs): the main job. A local cluster of real node processes (by
// default a 3-node replicated KV store on the reference labs) under a light client load, with the
// dashboard at http://127.0.0.1:8080. It narrates views as the nodes agree on them (and view changes
// under way, nodes that went down), prints the
// dashboard's address and the commands to break things, and on Ctrl-C (or after --seconds) stops
// the load, the dashboard and every node, leaving no process or port behind.
import { repoRoot } from './repo.js';
import { untilStopped } from './until-stopped.js';
import { RealCluster } from '../../tester/real-cluster.js';
import { BackgroundLoad, giveUpMs } from '../../tester/rsm/load.js';
import { vsrInvoker } from '../../labs/vsr/client.js';
import type { AppName } from '../apps/app.js';
import { seededRandom } from '../random.js';
import { classicTiming, realTiming } from '../timing.js';
import { LiveFeed } from '../dashboard/live.js';
import { RealLiveSource } from '../dashboard/real-source.js';
import { DashboardServer } from '../dashboard/server.js';
import { summarize, viewSentence } from '../dashboard/node-summary.js';

export interface StartCommandOptions {
  lab: string;
  app?: string;
  nodes: number;
  timingScale: number;
  /** The dashboard's port (0: any free one). */
  port: number;
  /** The dashboard's address (default 127.0.0.1); another needs a token. */
  host?: string;
  token?: string;
  /** Client load (rsm, vsr and par labs): this many clients, each pausing up to thinkMs between ops. */
  clients: number;
  /** Whether --clients was typed (not its default): refused for a lab without client load. */
  clientsGiven?: boolean;
  /** Stop by itself after this many seconds (default: run until Ctrl-C). */
  seconds?: number;
  print?: (line: string) => void;
}

/**
 * What the narration says of a node that did not answer: down, and how its process ended; undefined
 * while it lives (a slow answer) or has not been started yet (the cluster starts its nodes in turn).
 */
function downText(cluster: RealCluster, index: number): string | undefined {
  const exit = cluster.alive(index) ? undefined : cluster.exitStatus(index);
  if (exit === undefined) return undefined;
  return `now down (${exit.signal !== null ? `killed by ${exit.signal}` : `exit code ${exit.code}`}): restart it from the dashboard`;
}

/** The labs whose clients speak VSR: Lab 3 (vsr) and Lab 4 (par, the same engine on the journal). */
function vsrFamily(lab: string): boolean {
  return lab === 'vsr' || lab === 'par';
}

/** The shape of one round of the light load: ops per client and the pause before each op. */
export interface LoadRound {
  ops: number;
  thinkMs: number;
}

const LIGHT_ROUND: LoadRound = { ops: 20, thinkMs: 400 };

/**
 * A light, endless client load (rsm, vsr and par labs): rounds of a few ops per client, each round
 * with fresh client names. A finished round's client envs are closed before the next round starts:
 * kept, each would hold its connections to the nodes, its trace file's descriptor and a 1 MiB trace
 * buffer for the whole lecture (about 40 envs a minute). `onRound(n)` is told once round n's are closed.
 */
export function lightLoad(
  cluster: RealCluster,
  o: Pick<StartCommandOptions, 'lab' | 'nodes' | 'clients'>,
  app: AppName,
  stopped: () => boolean,
  shape: LoadRound = LIGHT_ROUND,
  onRound?: (n: number) => void,
): void {
  if (!hasApp(o.lab) || o.clients <= 0) return;
  const members = Array.from({ length: o.nodes }, (_, i) => cluster.id(i));
  const random = seededRandom(Date.now() >>> 0);
  const invoker = vsrFamily(o.lab) ? vsrInvoker((c) => cluster.clientEnv(c), { replicas: members, timing: cluster.timing, app, giveUpMs: giveUpMs(cluster.timing) }) : undefined;
  const round = (n: number): void => {
    if (stopped()) return;
    const load = new BackgroundLoad(cluster, members, { app, clients: o.clients, ops: shape.ops, prefix: `r${n}`, thinkMs: shape.thinkMs, ...(invoker && { invoker }) }, random);
    const check = setInterval(() => {
      if (!load.finished && !stopped()) return;
      clearInterval(check);
      if (stopped()) return;
      void cluster
        .closeClients()
        .catch((e: unknown) => void process.stderr.write(`rsmlab: closing round ${n}'s clients: ${e instanceof Error ? e.message : String(e)}\n`))
        .then(() => {
          onRound?.(n);
          round(n + 1);
        });
    }, 250);
  };
  round(1);
}

/** Whether `lab` runs a replicated app under client load (rsm, vsr, par); Paxos and echo run neither. */
function hasApp(lab: string): boolean {
  return lab === 'rsm' || vsrFamily(lab);
}

/** Refuse, before anything starts, flags the lab has no use for: typed, they would be ignored in silence. */
/** Why `rsmlab start` runs no client load on this cluster (the page says it in its client panels), or undefined when it runs one. */
function clientless(o: Pick<StartCommandOptions, 'lab' | 'clients'>): string | undefined {
  if (!hasApp(o.lab)) return `--lab ${o.lab} runs no app, so no client sends it operations`;
  return o.clients <= 0 ? 'no client load: --clients 0' : undefined;
}

export function refuseUnusedFlags(lab: string, flags: { app: boolean; clients: boolean }): void {
  const unused = [...(flags.app ? ['--app'] : []), ...(flags.clients ? ['--clients'] : [])];
  if (!hasApp(lab) && unused.length > 0) throw new Error(`--lab ${lab} runs no app and no client load: ${unused.join(' and ')} would do nothing (they are for --lab rsm, vsr or par)`);
}

export async function startCommand(o: StartCommandOptions): Promise<number> {
  const print = o.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  if (!(o.nodes >= 1 && o.nodes <= 9)) throw new Error(`--nodes must be between 1 and 9, not ${o.nodes}`);
  refuseUnusedFlags(o.lab, { app: o.app !== undefined, clients: o.clientsGiven === true });
  const timing = realTiming(classicTiming, o.timingScale);
  const app = hasApp(o.lab) ? (o.app ?? 'kv') : undefined;
  const cluster = new RealCluster({ lab: o.lab, ...(app !== undefined && { app }), nodes: o.nodes, timing });
  let stopping = false;
  let dashboard: DashboardServer | undefined;
  let closed: Promise<void> | undefined;
  const shutdown = (): Promise<void> => {
    stopping = true;
    closed ??= (async () => {
      await dashboard?.close();
      await cluster.close();
    })();
    return closed;
  };
  try {
    const began = Date.now();
    const stamp = (): string => `[${((Date.now() - began) / 1000).toFixed(1).padStart(5)} s]`;
    const label = `${o.lab}${app ? `/${app}` : ''}`;
    // Listening for Ctrl-C before anything is announced: a Ctrl-C right after the address is printed is a stop, not a death.
    const stopped = untilStopped(o.seconds);
    dashboard = await DashboardServer.start({
      mode: 'live',
      port: o.port,
      ...(o.host !== undefined && { host: o.host }),
      ...(o.token !== undefined && { token: o.token }),
      feed: new LiveFeed(new RealLiveSource(cluster, o.nodes, `${o.nodes}-node ${label} cluster (real processes)`, clientless(o))),
    });
    print(`rsmlab: starting a ${o.nodes}-node ${label} cluster of real processes (heartbeat ${timing.heartbeatMs} ms, RPC timeout ${timing.rpcTimeoutMs} ms); data in ${cluster.dir}`);
    print(`rsmlab: dashboard at ${dashboard.url}`);
    const seen = new Map<number, string>();
    const watch = setInterval(() => {
      void Promise.all(Array.from({ length: o.nodes }, (_, i) => cluster.status(i))).then((all) => {
        all.forEach((status, i) => {
          const text = status === null ? downText(cluster, i) : viewSentence(summarize(cluster.id(i), status));
          if (text === undefined) return;
          if (seen.get(i) !== text) print(`${stamp()} node ${i} ${text}`);
          seen.set(i, text);
        });
      });
    }, Math.max(100, timing.heartbeatMs / 3));
    for (let i = 0; i < o.nodes; i++) {
      await cluster.start(i, { first: 0 });
      print(`${stamp()} node ${i} is ${cluster.id(i)} (control plane on port+1)`);
    }
    if (app === 'kv' || app === 'lock') lightLoad(cluster, o, app, () => stopping);
    // npx finds rsmlab in its own tree only: elsewhere it would ask the npm registry for a package of that name.
    print(`Break it from the dashboard (${dashboard.url}) or from another terminal, in ${repoRoot().replace(/\/$/, '')}:\n  npx rsmlab ctl ${cluster.id(0)} status\n  npx rsmlab ctl ${cluster.id(o.nodes - 1)} partition --now\n  npx rsmlab ctl ${cluster.id(o.nodes - 1)} heal\nCtrl-C stops the cluster.`);
    const why = await stopped;
    stopping = true;
    clearInterval(watch);
    await shutdown();
    print(`${stamp()} stopped (${why}); all nodes killed and their data removed`);
    return 0;
  } finally {
    await shutdown();
  }
}
