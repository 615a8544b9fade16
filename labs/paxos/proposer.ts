// The Paxos proposer (the seed's proposer class): runs one round of prepare / accept / decide for
// an instance at a time, with breakpoints 3 and 4 between the phases. It never keeps state that
// must survive a crash (that is the acceptor's) and runs at most one round at once.
import { isRpcError, type Env, type NodeId } from '../../src/env/types.js';
import type { Method } from '../../src/env/method.js';
import type { Timing } from '../../src/timing.js';
import type { Acceptor } from './acceptor.js';
// (paxosPrepare under a name of its own: the phases below import it too.)
import { PROP_N_MAX, paxosPrepare as preparing, type Prop } from './protocol.js';
// BEGIN SOLUTION
// STUDENT: // Import what your phases need from './protocol.js' (the paxos.* methods, compareProps).
import { compareProps, paxosAccept, paxosDecide, paxosPrepare, type PrepareRes } from './protocol.js';
// END SOLUTION

/** What phase 1 found: the nodes that promised, and the v_a with the highest n_a among them (null: none). */
export interface Promised {
  accepts: NodeId[];
  v: string | null;
}

export class Proposer {
  /** This proposer's current proposal number; m is always this node. */
  protected my_n: Prop;
  /** The highest n_h a refusal of its prepare told it of (0: none), which its next n goes above. */
  private refused_n = 0;
  private running = false;

  constructor(
    protected readonly env: Env,
    protected readonly timing: Timing,
    protected readonly acceptor: Acceptor,
  ) {
    this.my_n = { n: 0, m: env.me };
  }

  /** Whether a round is in progress (the seed's !stable). */
  isRunning(): boolean {
    return this.running;
  }

  /** The current proposal number, for status. */
  proposal(): Prop {
    return this.my_n;
  }

  /**
   * Try to get `v` decided as the value of `instance` by a majority of `nodes`. Returns true if
   * some value (ours or an earlier accepted one) was decided in this round; false if another
   * round is running here, the instance turned out to be decided already, or no majority answered.
   */
  async run(instance: number, nodes: readonly NodeId[], v: string): Promise<boolean> {
    if (this.running) return false;
    this.running = true;
    try {
      return await this.round(instance, [...nodes], v);
    } finally {
      this.running = false;
    }
  }

  private async round(instance: number, nodes: NodeId[], v: string): Promise<boolean> {
    this.setn();
    this.env.log('paxos.propose', { instance, n: this.my_n.n, nodes, v });
    const promised = await this.prepare(instance, nodes);
    if (promised === null || !this.majority(nodes, promised.accepts)) return false;
    const value = promised.v ?? v;
    this.env.breakpoint(3);
    const accepts = await this.accept(instance, promised.accepts, value);
    if (!this.majority(nodes, accepts)) return false;
    this.env.breakpoint(4);
    await this.decide(instance, accepts, value);
    return true;
  }

  /** Whether the nodes of `l2` include a majority of the nodes of `l1` (the seed's majority()). */
  protected majority(l1: readonly NodeId[], l2: readonly NodeId[]): boolean {
    const present = l1.filter((node) => l2.includes(node)).length;
    return present >= Math.floor(l1.length / 2) + 1;
  }

  /**
   * Pick a proposal number above any this node has seen: my_n.n = max(n_h.n, my_n.n) + 1, n_h its
   * own acceptor's or one a refusal named. Never past PROP_N_MAX, which only a forged message
   * reaches: there the node stays alive and proposes in vain.
   */
  protected setn(): void {
    this.my_n = { n: Math.min(PROP_N_MAX, Math.max(this.acceptor.promised().n, this.refused_n, this.my_n.n) + 1), m: this.env.me };
  }

  /**
   * Phase 1: send paxos.prepare {instance, n: my_n} to every node in `nodes` at once (use
   * this.rpc). If any reply is oldinstance, the instance is already decided: record its value with
   * `await this.acceptor.commit(instance, v_a)` and return null. Otherwise return the nodes that
   * accepted, and the v_a with the highest n_a among their replies (null if none carried a v_a).
   */
  protected async prepare(instance: number, nodes: NodeId[]): Promise<Promised | null> {
    // BEGIN SOLUTION
    // STUDENT: throw new Error(`TODO: proposer.prepare (instance ${instance} at ${nodes.join(', ')})`);
    const args = { instance, n: this.my_n };
    const replies = await Promise.all(nodes.map(async (node) => ({ node, r: await this.rpc(node, paxosPrepare, args) })));
    const old = replies.find(({ r }) => r?.oldinstance)?.r;
    if (old && old.v_a !== null) {
      await this.acceptor.commit(instance, old.v_a);
      return null;
    }
    const accepts: NodeId[] = [];
    let highest: PrepareRes | undefined;
    for (const { node, r } of replies) {
      if (!r?.accept) continue;
      accepts.push(node);
      if (r.v_a !== null && (!highest || compareProps(r.n_a, highest.n_a) > 0)) highest = r;
    }
    return { accepts, v: highest?.v_a ?? null };
    // END SOLUTION
  }

  /** Phase 2: send paxos.accept {instance, n: my_n, v} to `nodes` at once; return the nodes that accepted. */
  protected async accept(instance: number, nodes: NodeId[], v: string): Promise<NodeId[]> {
    // BEGIN SOLUTION
    // STUDENT: throw new Error(`TODO: proposer.accept (instance ${instance} at ${nodes.join(', ')}: ${v})`);
    const args = { instance, n: this.my_n, v };
    const replies = await Promise.all(nodes.map(async (node) => ({ node, ok: await this.rpc(node, paxosAccept, args) })));
    return replies.filter(({ ok }) => ok === true).map(({ node }) => node);
    // END SOLUTION
  }

  /** Phase 3: send paxos.decide {instance, v} to the nodes that accepted. */
  protected async decide(instance: number, accepts: NodeId[], v: string): Promise<void> {
    // BEGIN SOLUTION
    // STUDENT: throw new Error(`TODO: proposer.decide (instance ${instance} at ${accepts.join(', ')}: ${v})`);
    await Promise.all(accepts.map((node) => this.rpc(node, paxosDecide, { instance, v })));
    // END SOLUTION
  }

  /** Call `method` on `node` with the Paxos RPC timeout; null if it failed (timeout, unreachable, remote error). */
  protected async rpc<P, R>(node: NodeId, method: Method<P, R>, params: P): Promise<R | null> {
    try {
      const result = await this.env.call(node, method, params, { timeoutMs: this.timing.rpcTimeoutMs });
      this.noteRefusal(method.name, result);
      return result;
    } catch (e) {
      if (isRpcError(e)) return null;
      throw e;
    }
  }

  /** A prepare's refusal that names the acceptor's n_h: the next n goes above it (setn). */
  private noteRefusal(method: string, result: unknown): void {
    if (method !== preparing.name) return;
    const r = preparing.result.safeParse(result);
    if (r.success && !r.data.accept && r.data.n_h !== undefined) this.refused_n = Math.max(this.refused_n, r.data.n_h.n);
  }
}
