// Client load for the RSM scenarios (the seed's lock_tester, replaced): concurrent workload clients
// drive the replicated app through the RSM client library from in-world client Envs, in the
// background while the scenario injects faults. It records the history; tester/rsm/checks.ts judges it.
import type { Env, NodeId } from '../../src/env/types.js';
import type { Timing } from '../../src/timing.js';
import type { AppName } from '../../src/apps/app.js';
import { runWorkload, type Invoker, type WorkloadResult } from '../../src/workload/workload.js';
import { RsmClient } from '../../labs/rsm/client.js';
import type { Cluster } from '../cluster.js';
import { ScenarioFailure } from '../scenario.js';

export interface InvokerOptions {
  /** Where each client first asks for the view. */
  members: readonly NodeId[];
  timing: Timing;
  /** A client gives up on a request after this long (its outcome is then unknown). */
  giveUpMs?: number;
  /** Told of every acknowledged request: the client's id in the duplicate table and the request's seq. */
  onAck?: (ack: Ack) => void;
}

/** An acknowledged request, as the replicas' exactly-once tables must hold it. */
export interface Ack {
  client: string;
  seq: number;
}

/**
 * The invoker runWorkload needs: one RsmClient per workload client, whose id in the duplicate
 * table is the client's name (the workload keeps names unique per cluster with its prefix).
 */
export function rsmInvoker(envOf: (client: string) => Env, options: InvokerOptions): Invoker {
  return (client) => {
    const rsm = new RsmClient(envOf(client), { members: options.members, timing: options.timing, id: client, giveUpMs: options.giveUpMs });
    return async (op) => {
      const result = await rsm.invoke(op);
      options.onAck?.({ client: rsm.id, seq: rsm.sequence() });
      return result;
    };
  };
}

export interface LoadOptions {
  app: AppName;
  clients: number;
  /** Per client: KV ops, or lock acquire/release cycles. */
  ops: number;
  /** Client-name prefix: use a new one for each load on the same cluster. */
  prefix?: string;
  /** Pause before each op, uniform in [0, thinkMs). */
  thinkMs?: number;
  /** The clients' library (default: the RSM client's, which also records acknowledgements); e.g. the VSR client's. */
  invoker?: Invoker;
}

/** A workload running in the background of a scenario. */
export class BackgroundLoad {
  private result: WorkloadResult | undefined;
  private error: unknown;
  private readonly running: Promise<void>;
  /** The history's JSONL lines so far, for a failure report while the load still runs. */
  private readonly lines: string[] = [];
  /** Set by stop(): clients start no new op. */
  private stopping = false;
  /** Every acknowledged request so far. */
  readonly acked: Ack[] = [];

  /** `members`: the nodes clients first ask for the view (they learn the rest from it). */
  constructor(cluster: Cluster, members: readonly NodeId[], options: LoadOptions, random: () => number) {
    const prefix = options.prefix ?? 'c';
    const clock = cluster.clientEnv(`${prefix}-clock`);
    const timing = cluster.timing;
    const invoker = options.invoker ?? rsmInvoker((client) => cluster.clientEnv(client), { members, timing, giveUpMs: giveUpMs(timing), onAck: (ack) => void this.acked.push(ack) });
    this.running = runWorkload({
      app: options.app,
      clients: options.clients,
      opsPerClient: options.ops,
      invoker,
      clock,
      random,
      clientPrefix: prefix,
      thinkMs: options.thinkMs ?? 0,
      holdMs: Math.max(1, Math.round(timing.rpcTimeoutMs / 20)),
      retryMs: Math.max(1, Math.round(timing.rpcTimeoutMs / 10)),
      stopped: () => this.stopping,
      write: (line) => void this.lines.push(line),
      observe: ({ process, type, f, key, value }) => cluster.recordClient(String(process), { type, f, key: key ?? null, value }),
    }).then(
      (r) => void (this.result = r),
      (e: unknown) => void (this.error = e),
    );
  }

  /** The history recorded so far, as JSONL. */
  historyJsonl(): string {
    return this.lines.join('');
  }

  /** Clients start no new op from now on (ops in flight still complete): a load sized by the scenario's faults, not by a count. */
  stop(): void {
    this.stopping = true;
  }

  get finished(): boolean {
    return this.result !== undefined || this.error !== undefined;
  }

  /**
   * Let world time pass until the load finishes; a load still running after `boundMs` is a liveness
   * failure, which says where the nodes stand when `lastSeen` can tell.
   */
  async finish(cluster: Cluster, boundMs: number, lastSeen?: () => Promise<string>): Promise<WorkloadResult> {
    const step = Math.max(1, Math.round(cluster.timing.heartbeatMs / 6));
    for (let waited = 0; !this.finished && waited < boundMs; waited += step) await cluster.sleep(step);
    if (!this.finished) {
      const seen = lastSeen === undefined ? '' : `; last seen: ${await lastSeen()}`;
      throw new ScenarioFailure(`the client load did not finish within ${boundMs} ms of world time (no progress: liveness)${seen}`);
    }
    await this.running;
    if (this.error !== undefined) throw this.error;
    return this.result!;
  }
}

/** A client stops retrying a request after this long: long enough to ride out several view changes. */
export function giveUpMs(timing: Timing): number {
  return 20 * timing.heartbeatMs;
}
