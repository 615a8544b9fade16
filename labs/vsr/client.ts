// The VSR client library (VR Revisited's client, TigerBeetle's session rule): registers a session
// once, numbers its requests 1, 2, ... (a retry reuses the number, so the client table executes it
// once), sends read-only ops as reads, finds the primary from not_primary hints and timeouts, and
// retries until it gets an answer or gives up. It talks to the world only through its Env.
import type { Env, Json, NodeId } from '../../src/env/types.js';
import { isRpcError } from '../../src/env/types.js';
import type { Timing } from '../../src/timing.js';
import type { AppName, AppResult } from '../../src/apps/app.js';
import type { Invoker } from '../../src/workload/workload.js';
import { vsrRequest, type ClientReply, type ClientRequest } from './protocol.js';
import { isReadOnly } from './read-only.js';

export interface VsrClientOptions {
  /** The replicas (any order); the client learns the primary from their answers. */
  replicas: readonly NodeId[];
  timing: Timing;
  /** The client's id in the client table. Default: env.me plus a random suffix. */
  id?: string;
  /** The app the cluster runs (which ops are read-only). Default kv. */
  app?: AppName;
  /** Send read-only ops as verified reads (no log entry). Default true. */
  reads?: boolean;
  /** Give up on a request after this many ms with VsrGiveUp: its outcome is unknown. Default: never. */
  giveUpMs?: number;
  /** Told of every ok reply (the tester's state checker: a write acked as op N must be committed op N). */
  onReply?: (request: ClientRequest, reply: Extract<ClientReply, { status: 'ok' }>) => void;
}

/** A request the client stopped retrying: it may or may not have executed. */
export class VsrGiveUp extends Error {
  constructor(
    readonly request: number,
    detail: string,
  ) {
    super(`vsr client gave up on request ${request}: ${detail}`);
    this.name = 'VsrGiveUp';
  }
}

/** The cluster refused a request for good (a client-library bug, e.g. a wrong request number). */
export class VsrRejected extends Error {
  constructor(reason: string) {
    super(`vsr client: request rejected: ${reason}`);
    this.name = 'VsrRejected';
  }
}

export class VsrClient {
  readonly id: string;
  /** The last request number used (0: the register). */
  private request = 0;
  /** The last read number used: reads are numbered apart from writes, so every call has its own answer. */
  private read = 0;
  private registered = false;
  /** Where the next request goes first. */
  private target = 0;

  constructor(
    private readonly env: Env,
    private readonly options: VsrClientOptions,
  ) {
    if (options.replicas.length === 0) throw new Error('vsr client: no replicas');
    this.id = options.id ?? `${env.me}/${Math.floor(env.random() * 2 ** 32).toString(36)}`;
  }

  /** Open the session (once; invoke does it first if needed). */
  async register(): Promise<void> {
    if (this.registered) return;
    await this.send({ client: this.id, request: 0, kind: 'register', op: null });
    this.registered = true;
  }

  /** Run `op` on the replicated app: exactly once for a write, verified for a read. */
  async invoke(op: Json): Promise<AppResult> {
    if (!this.registered) await this.register();
    if (this.options.reads !== false && isReadOnly(this.options.app ?? 'kv', op)) {
      return (await this.send({ client: this.id, request: ++this.read, kind: 'read', op })).result;
    }
    this.request++;
    return (await this.send({ client: this.id, request: this.request, kind: 'write', op })).result;
  }

  private async send(request: ClientRequest): Promise<Extract<ClientReply, { status: 'ok' }>> {
    const { timing, replicas, giveUpMs } = this.options;
    const deadline = giveUpMs === undefined ? Infinity : this.env.now() + giveUpMs;
    const pause = Math.max(1, Math.round(timing.heartbeatMs / 10));
    let problem = 'no answer';
    while (this.env.now() < deadline) {
      const replica = replicas[this.target]!;
      const reply = await this.call(replica, request);
      if (reply === null) {
        problem = `${replica}: no answer`;
        this.target = (this.target + 1) % replicas.length;
        continue;
      }
      switch (reply.status) {
        case 'ok':
          this.options.onReply?.(request, reply);
          return reply;
        case 'rejected':
          throw new VsrRejected(reply.reason);
        case 'not_primary': {
          problem = `${replica}: not primary`;
          const hint = reply.primary === null ? -1 : replicas.indexOf(reply.primary);
          const moved = hint >= 0 && hint !== this.target;
          this.target = moved ? hint : (this.target + 1) % replicas.length;
          if (!moved) await this.env.sleep(pause);
          continue;
        }
        case 'busy':
          problem = `${replica}: busy`;
          await this.env.sleep(pause);
          continue;
      }
    }
    throw new VsrGiveUp(request.request, problem);
  }

  private async call(replica: NodeId, request: ClientRequest): Promise<ClientReply | null> {
    try {
      return await this.env.call(replica, vsrRequest, request, { timeoutMs: this.options.timing.clientTimeoutMs });
    } catch (e) {
      if (!isRpcError(e)) throw e;
      return null;
    }
  }
}

/**
 * The workload's invoker: one VsrClient per workload client, named by the client's name. A call
 * whose outcome is unknown (given up, or refused) ends that client's session, as a client that
 * crashed: the history names a new process after it (src/workload/client.ts), and the next call
 * opens a new session (`name/1`, `name/2`, ...). The old session could never go on: its next request
 * number follows one that may never run, and the primary refuses a request past the next one.
 */
export function vsrInvoker(envOf: (client: string) => Env, options: Omit<VsrClientOptions, 'id'>): Invoker {
  return (client) => {
    const env = envOf(client);
    let sessions = 0;
    let vsr = new VsrClient(env, { ...options, id: client });
    return async (op) => {
      try {
        return await vsr.invoke(op);
      } catch (e) {
        vsr = new VsrClient(env, { ...options, id: `${client}/${++sessions}` });
        throw e;
      }
    };
  };
}
