// The RSM client library (the seed's rsm_client): finds the primary through client_members, sends
// each request with a client id and sequence number (a retry reuses its seq, so it executes once),
// and retries on BUSY, NOTPRIMARY and timeouts. It talks to the world only through its Env.
import type { Env, Json, NodeId } from '../../src/env/types.js';
import { isRpcError } from '../../src/env/types.js';
import type { Timing } from '../../src/timing.js';
import type { AppResult } from '../../src/apps/app.js';
import { rsmClientInvoke, rsmClientMembers, type ClientInvokeRes, type ClientRequestArgs } from './protocol.js';

/** The primary's answer, or FAILED when the call timed out or found nobody. */
type Answer = ClientInvokeRes | { status: 'FAILED' };

export interface RsmClientOptions {
  /** Nodes to ask who the primary is (any subset of the cluster; the seed's dst). */
  members: readonly NodeId[];
  timing: Timing;
  /** The client's id in the replicas' duplicate table. Default: env.me plus a random suffix, unique per client object. */
  id?: string;
  /** Give up on a request after this many ms (env time) with an RsmGiveUp error: its outcome is unknown. Default: never. */
  giveUpMs?: number;
}

/** A call's error as the primary's answer: FAILED for an RPC error (anything else is a bug: thrown again). */
function failed(e: unknown): Answer {
  if (!isRpcError(e)) throw e;
  return { status: 'FAILED' };
}

/** A request the client stopped retrying: it may or may not have executed. */
export class RsmGiveUp extends Error {
  constructor(
    readonly seq: number,
    detail: string,
  ) {
    super(`rsm client gave up on request ${seq}: ${detail}`);
    this.name = 'RsmGiveUp';
  }
}

export class RsmClient {
  readonly id: string;
  private seq = 0;
  private primary: NodeId | undefined;
  /** Whom to ask for the view, best guess first; a node that failed us goes last. */
  private candidates: NodeId[];

  constructor(
    private readonly env: Env,
    private readonly options: RsmClientOptions,
  ) {
    if (options.members.length === 0) throw new Error('rsm client: no members to ask');
    this.id = options.id ?? `${env.me}/${Math.floor(env.random() * 2 ** 32).toString(36)}`;
    this.candidates = [...options.members];
  }

  /** The sequence number of the latest request (0: none yet); a request acknowledged by invoke() is in every replica's duplicate table. */
  sequence(): number {
    return this.seq;
  }

  /** Execute `op` on the replicated app exactly once; retries until a primary answers (or giveUpMs passes). */
  async invoke(op: Json): Promise<AppResult> {
    const request: ClientRequestArgs = { client: this.id, seq: ++this.seq, op };
    const deadline = this.options.giveUpMs === undefined ? Infinity : this.env.now() + this.options.giveUpMs;
    let lastProblem = 'no primary found';
    while (this.env.now() < deadline) {
      const primary = this.primary ?? (await this.findPrimary());
      if (primary === undefined) {
        await this.env.sleep(this.options.timing.retryMs, 'client.no_primary');
        continue;
      }
      let answer: Answer;
      try {
        answer = await this.env.call(primary, rsmClientInvoke, request, { timeoutMs: this.options.timing.clientTimeoutMs });
      } catch (e) {
        answer = failed(e);
      }
      if (answer.status === 'OK') return answer.result;
      lastProblem = `${primary}: ${answer.status}`;
      if (answer.status === 'BUSY') await this.env.sleep(this.options.timing.clientBusyRetryMs, 'client.busy');
      else {
        // A dead primary refuses at once: pause before asking again, or the client spins a core until a new view forms.
        this.primaryFailure(primary);
        await this.env.sleep(this.options.timing.retryMs, 'client.failover');
      }
    }
    throw new RsmGiveUp(request.seq, lastProblem);
  }

  /** The seed's primary_failure (also after NOTPRIMARY): forget the primary and ask someone else first next time. */
  private primaryFailure(failed: NodeId): void {
    this.primary = undefined;
    this.candidates = [...this.candidates.filter((m) => m !== failed), failed];
  }

  /** The seed's init_members: ask the candidates in turn for their view; undefined if nobody answers. */
  private async findPrimary(): Promise<NodeId | undefined> {
    for (const node of [...this.candidates]) {
      try {
        const view = await this.env.call(node, rsmClientMembers, {}, { timeoutMs: this.options.timing.rpcTimeoutMs });
        const others = this.candidates.filter((m) => !view.members.includes(m));
        this.candidates = [view.primary, ...view.members.filter((m) => m !== view.primary), ...others];
        this.primary = view.primary;
        return view.primary;
      } catch (e) {
        if (!isRpcError(e)) throw e;
        this.candidates = [...this.candidates.filter((m) => m !== node), node];
      }
    }
    return undefined;
  }
}
