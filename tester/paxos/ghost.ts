// A ghost proposer: an in-world client that sends the lab's own Paxos messages (prepare, accept,
// decide) with proposal numbers the scenario picks, to play a proposer that ran part of a round and
// then died. It only ever does what a correct Paxos proposer may do; it never reads or changes a
// node's memory and never decides a value without an accept majority.
import { isRpcError, type Env, type NodeId } from '../../src/env/types.js';
import type { Method } from '../../src/env/method.js';
import { paxosAccept, paxosDecide, paxosPrepare, type PrepareRes, type Prop } from '../../labs/paxos/protocol.js';
import type { Cluster } from '../cluster.js';

export class GhostProposer {
  private readonly env: Env;

  constructor(
    private readonly cluster: Cluster,
    name = 'ghost',
  ) {
    this.env = cluster.clientEnv(name);
  }

  /** Proposal number n of this ghost (its m sorts below every node's, so (n, ghost) < (n, pX)). */
  prop(n: number): Prop {
    return { n, m: this.env.me };
  }

  /** Phase 1 at nodes `indices`: each node's answer, null if it gave none. */
  prepare(instance: number, n: number, indices: readonly number[]): Promise<(PrepareRes | null)[]> {
    return this.all(indices, paxosPrepare, { instance, n: this.prop(n) });
  }

  /** Phase 2 at nodes `indices`: true where the node accepted. */
  async accept(instance: number, n: number, v: string, indices: readonly number[]): Promise<boolean[]> {
    return (await this.all(indices, paxosAccept, { instance, n: this.prop(n), v })).map((ok) => ok === true);
  }

  /** Phase 3: tell nodes `indices` (which accepted a majority's value) that `v` is decided. */
  async decide(instance: number, v: string, indices: readonly number[]): Promise<void> {
    await this.all(indices, paxosDecide, { instance, v });
  }

  private all<P, R>(indices: readonly number[], method: Method<P, R>, params: P): Promise<(R | null)[]> {
    return Promise.all(indices.map((i) => this.call(this.cluster.id(i), method, params)));
  }

  private async call<P, R>(node: NodeId, method: Method<P, R>, params: P): Promise<R | null> {
    try {
      return await this.env.call(node, method, params, { timeoutMs: this.cluster.timing.rpcTimeoutMs });
    } catch (e) {
      if (isRpcError(e)) return null;
      throw e;
    }
  }
}
