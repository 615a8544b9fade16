// Lab 1's mutant corpus: plausible student bugs in the parts students write (the acceptor's and the
// proposer's handlers, and how they use the provided log), each a subclass of the reference class
// that overrides one method (never a copy of it). `rsmlab mutants paxos` must catch every one.
// Instructor-only: the hand-out generator leaves this file out (src/handout/generate.ts).
//
// The five classic bugs that once survived (a forgotten promise, the first v_a instead of the
// highest-numbered one, deciding without an accept majority, promising any proposal, proposing the
// proposer's own v_a) are caught by the simulator-only ghost duels (tester/paxos/ghost-scenarios.ts)
// under the per-step safety watcher (tester/paxos/safety.ts). Adding a mutant that survives means
// adding a scenario or a check, never removing the mutant.
import type { NodeId } from '../../src/env/types.js';
import { makePaxosLab } from '../../labs/paxos/lab.js';
import { PaxosLog } from '../../labs/paxos/paxos-log.js';
import { Acceptor } from '../../labs/paxos/acceptor.js';
import { compareProps, paxosAccept, paxosPrepare, type AcceptArgs, type PrepareArgs, type PrepareRes, type Prop } from '../../labs/paxos/protocol.js';
import { Proposer, type Promised } from '../../labs/paxos/proposer.js';
import type { Mutant } from '../mutants/mutant.js';
// The broken variants the framework's own tests use are corpus members too (one copy of each).
import { AmnesiacLog, EagerLog, HalfQuorumProposer, StubbornProposer } from '../../test/fixtures/paxos-broken.js';

/** An acceptor log that never writes `done`: a restarted node forgets every decided view. */
export class ForgetsDoneLog extends PaxosLog {
  override loginstance(_instance: number, _v: string): Promise<void> {
    return Promise.resolve();
  }
}

/** A proposer that forgets to await phase 2: every promised node counts as accepted at once. */
export class UnawaitedAcceptProposer extends Proposer {
  protected override accept(instance: number, nodes: NodeId[], v: string): Promise<NodeId[]> {
    void super.accept(instance, nodes, v);
    return Promise.resolve(nodes);
  }
}

/** An acceptor that accepts any proposal, promised or not (no n >= n_h test). */
export class AcceptsAnyAcceptor extends Acceptor {
  protected override async acceptreq(a: AcceptArgs): Promise<boolean> {
    this.n_a = a.n;
    this.v_a = a.v;
    await this.log.logaccept(this.n_a, this.v_a);
    return true;
  }
}

/** The reference proposer with phase 1's raw answers at hand, for the variants that misread them. */
class PrepareReading extends Proposer {
  /** Phase 1's answers in `nodes` order; `heard` sees each answer as it arrives. */
  protected async replies(instance: number, nodes: NodeId[], heard: (r: PrepareRes | null) => void = () => undefined): Promise<Reply[]> {
    return Promise.all(
      nodes.map(async (node) => {
        const r = await this.rpc(node, paxosPrepare, { instance, n: this.my_n });
        heard(r);
        return { node, r };
      }),
    );
  }

  /** Phase 1's outcome as the reference reads it (oldinstance commits), but proposing `v` of the promises. */
  protected async promisedWith(instance: number, replies: Reply[], v: (promises: Reply[]) => string | null): Promise<Promised | null> {
    const old = replies.find(({ r }) => r?.oldinstance)?.r;
    if (old && old.v_a !== null) {
      await this.acceptor.commit(instance, old.v_a);
      return null;
    }
    const promises = replies.filter(({ r }) => r?.accept);
    return { accepts: promises.map(({ node }) => node), v: v(promises) };
  }
}

type Reply = { node: NodeId; r: PrepareRes | null };

/** A proposer whose majority is one short (present >= floor(n/2), the +1 forgotten): one node of three is a "majority". */
export class OffByOneQuorumProposer extends Proposer {
  protected override majority(l1: readonly NodeId[], l2: readonly NodeId[]): boolean {
    return l1.filter((node) => l2.includes(node)).length >= Math.floor(l1.length / 2);
  }
}

/** A proposer that treats an oldinstance answer as a refusal: a node that is behind never learns the decided view. */
export class IgnoresOldInstanceProposer extends PrepareReading {
  protected override async prepare(instance: number, nodes: NodeId[]): Promise<Promised | null> {
    const promises = (await this.replies(instance, nodes)).filter(({ r }) => r?.accept && !r.oldinstance);
    return { accepts: promises.map(({ node }) => node), v: highestValue(promises) };
  }
}

/** The v_a with the highest n_a among promises (the reference rule). */
function highestValue(replies: { r: PrepareRes | null }[]): string | null {
  let best: PrepareRes | undefined;
  for (const { r } of replies) if (r?.accept && r.v_a !== null && (!best || compareProps(r.n_a, best.n_a) > 0)) best = r;
  return best?.v_a ?? null;
}

/** An acceptor that accepts only n > n_h (">" for ">="): it refuses the very proposal it just promised. */
export class StrictAcceptor extends Acceptor {
  protected override acceptreq(a: AcceptArgs): Promise<boolean> {
    return compareProps(a.n, this.n_h) <= 0 ? Promise.resolve(false) : super.acceptreq(a);
  }
}

/** The n of two proposals compared, not their node ids: proposals (5, p0) and (5, p1) tie. */
function byNOnly(a: Prop, b: Prop): number {
  return a.n - b.n;
}

/** An acceptor that compares only the n of an accept with its promise's: it accepts (n, a lower node) after promising (n, a higher one). */
export class AcceptNOnlyAcceptor extends AcceptsAnyAcceptor {
  protected override acceptreq(a: AcceptArgs): Promise<boolean> {
    return byNOnly(a.n, this.n_h) < 0 ? Promise.resolve(false) : super.acceptreq(a);
  }
}

/** A proposer that takes the v_a of the highest n_a comparing only the n: on a tie it keeps the first it heard. */
export class HighestNOnlyProposer extends PrepareReading {
  protected override async prepare(instance: number, nodes: NodeId[]): Promise<Promised | null> {
    let best: PrepareRes | undefined;
    const replies = await this.replies(instance, nodes, (r) => {
      if (r?.accept && r.v_a !== null && (!best || byNOnly(r.n_a, best.n_a) > 0)) best = r;
    });
    return this.promisedWith(instance, replies, () => best?.v_a ?? null);
  }
}

/** An acceptor that answers oldinstance with its latest decided value, not the asked instance's. */
export class WrongOldValueAcceptor extends Acceptor {
  protected override preparereq(a: PrepareArgs): Promise<PrepareRes> {
    if (a.instance <= this.instance_h) return Promise.resolve({ oldinstance: true, accept: false, n_a: this.n_a, v_a: this.values.get(this.instance_h) ?? null });
    return super.preparereq(a);
  }
}

/** An acceptor whose promise leaves out v_a (a forgotten field): proposers never see what it accepted. */
export class StaleReplyAcceptor extends Acceptor {
  protected override async preparereq(a: PrepareArgs): Promise<PrepareRes> {
    const reply = await super.preparereq(a);
    return reply.accept ? { ...reply, v_a: null } : reply;
  }
}

/** An acceptor that forgets what it accepted whenever it promises a new proposal (it resets n_a/v_a with n_h). */
export class PromiseResetsAcceptor extends Acceptor {
  protected override async preparereq(a: PrepareArgs): Promise<PrepareRes> {
    const reply = await super.preparereq(a);
    if (reply.accept && !reply.oldinstance) {
      this.n_a = { n: 0, m: this.env.me };
      this.v_a = null;
      await this.log.logaccept(this.n_a, '');
      return { ...reply, n_a: this.n_a, v_a: null };
    }
    return reply;
  }
}

/** An acceptor that answers oldinstance without the decided value (a forgotten field): a node behind cannot catch up. */
export class OldInstanceNoValueAcceptor extends Acceptor {
  protected override async preparereq(a: PrepareArgs): Promise<PrepareRes> {
    const reply = await super.preparereq(a);
    return reply.oldinstance ? { ...reply, v_a: null } : reply;
  }
}

/** An acceptor log that never writes `propseen`: a restarted acceptor forgets the promises it made (n_h). */
export class ForgetsPromiseLog extends PaxosLog {
  override logprop(_n_h: Prop): Promise<void> {
    return Promise.resolve();
  }
}

/** An acceptor that promises every prepare of the open instance (no n > n_h test): n_h may go down. */
export class PromisesAnyAcceptor extends Acceptor {
  protected override async preparereq(a: PrepareArgs): Promise<PrepareRes> {
    if (a.instance <= this.instance_h) return super.preparereq(a);
    this.n_h = a.n;
    const reply: PrepareRes = { oldinstance: false, accept: true, n_a: this.n_a, v_a: this.v_a };
    await this.log.logprop(this.n_h);
    return reply;
  }
}

/** An acceptor whose promise compares only the n (`a.n.n >= n_h.n`): after promising (n, a higher node) it promises (n, a lower one) too. */
export class PromiseNOnlyAcceptor extends PromisesAnyAcceptor {
  protected override preparereq(a: PrepareArgs): Promise<PrepareRes> {
    return a.instance > this.instance_h && byNOnly(a.n, this.n_h) < 0 ? Promise.resolve(this.refusal()) : super.preparereq(a);
  }
}

/** A proposer that takes the first v_a among the promises in the view's order, not the one with the highest n_a. */
export class FirstListedValueProposer extends PrepareReading {
  protected override async prepare(instance: number, nodes: NodeId[]): Promise<Promised | null> {
    return this.promisedWith(instance, await this.replies(instance, nodes), (promises) => promises.find(({ r }) => r?.v_a != null)?.r?.v_a ?? null);
  }
}

/** A proposer that takes the first v_a it hears (the earliest promise to arrive that carries one), not the highest-numbered. */
export class FirstHeardValueProposer extends PrepareReading {
  protected override async prepare(instance: number, nodes: NodeId[]): Promise<Promised | null> {
    let first: string | null = null;
    const replies = await this.replies(instance, nodes, (r) => {
      if (r?.accept && r.v_a !== null) first ??= r.v_a;
    });
    return this.promisedWith(instance, replies, () => first);
  }
}

/** A proposer that proposes its own acceptor's v_a (or its own value) instead of the promises' highest. */
export class OwnValueProposer extends Proposer {
  protected override async prepare(instance: number, nodes: NodeId[]): Promise<Promised | null> {
    const promised = await super.prepare(instance, nodes);
    return promised && { ...promised, v: this.acceptor.state().v_a };
  }
}

/** A proposer that counts every answer to phase 2 as an accept (ok !== null for ok === true): it decides on refusals. */
export class CountsRefusalsProposer extends Proposer {
  protected override async accept(instance: number, nodes: NodeId[], v: string): Promise<NodeId[]> {
    const replies = await Promise.all(nodes.map(async (node) => ({ node, ok: await this.rpc(node, paxosAccept, { instance, n: this.my_n, v }) })));
    return replies.filter(({ ok }) => ok !== null).map(({ node }) => node);
  }
}

/** A proposer that sends decide to the other acceptors but never records the decision itself. */
export class DecideOthersProposer extends Proposer {
  protected override decide(instance: number, accepts: NodeId[], v: string): Promise<void> {
    return super.decide(instance, accepts.filter((node) => node !== this.env.me), v);
  }
}

const lab = makePaxosLab;

export const paxosMutants: Mutant[] = [
  { id: 'amnesiac-accept', area: 'persistence', bug: 'logaccept is never written: a restarted acceptor forgets n_a/v_a', lab: lab({ Log: AmnesiacLog }) },
  { id: 'eager-log', area: 'missed await', bug: 'the acceptor replies before its log write completes (a void where an await belongs)', lab: lab({ Log: EagerLog }) },
  { id: 'unawaited-accept', area: 'missed await', bug: 'phase 2 is not awaited: every promised node counts as accepted', lab: lab({ Proposer: UnawaitedAcceptProposer }) },
  { id: 'accept-any', area: 'comparison', bug: 'acceptreq never compares n with n_h', lab: lab({ Acceptor: AcceptsAnyAcceptor }) },
  { id: 'forgets-done', area: 'persistence', bug: 'decisions are never logged: a restarted node forgets its views', lab: lab({ Log: ForgetsDoneLog }) },
  { id: 'stubborn-proposer', area: 'choosing a value', bug: 'the proposer ignores every v_a and proposes its own value', lab: lab({ Proposer: StubbornProposer }) },
  { id: 'promise-without-v_a', area: 'choosing a value', bug: 'the acceptor leaves v_a out of its promise', lab: lab({ Acceptor: StaleReplyAcceptor }) },
  { id: 'half-quorum', area: 'quorum', bug: 'half of the view counts as a majority (>= n/2)', lab: lab({ Proposer: HalfQuorumProposer }) },
  { id: 'majority-off-by-one', area: 'quorum', bug: 'the majority test forgets the +1: present >= floor(n/2)', lab: lab({ Proposer: OffByOneQuorumProposer }) },
  { id: 'promise-n-only', area: 'comparison', bug: 'preparereq compares only the n of the proposals (a.n.n >= n_h.n): after promising (n, p0) it promises (n, a lower node id) too', lab: lab({ Acceptor: PromiseNOnlyAcceptor }) },
  { id: 'accept-n-only', area: 'comparison', bug: 'acceptreq compares only the n of the proposals, not their node ids: a tie in n lets a lower proposal in', lab: lab({ Acceptor: AcceptNOnlyAcceptor }) },
  { id: 'highest-n-only', area: 'choosing a value', bug: 'the proposer finds the highest n_a comparing only the n: on a tie it keeps the first v_a it hears', lab: lab({ Proposer: HighestNOnlyProposer }) },
  { id: 'strict-accept', area: 'comparison', bug: 'acceptreq accepts only n > n_h (> for >=)', lab: lab({ Acceptor: StrictAcceptor }) },
  { id: 'promise-resets-accepted', area: 'persistence', bug: 'a new promise resets n_a/v_a', lab: lab({ Acceptor: PromiseResetsAcceptor }) },
  { id: 'oldinstance-without-value', area: 'framework point', bug: 'oldinstance answers leave out the decided value', lab: lab({ Acceptor: OldInstanceNoValueAcceptor }) },
  { id: 'decide-others-only', area: 'framework point', bug: 'the proposer sends decide to the others but not to its own acceptor', lab: lab({ Proposer: DecideOthersProposer }) },
  { id: 'ignores-oldinstance', area: 'framework point', bug: 'the proposer treats oldinstance as a refusal and never commits the decided value', lab: lab({ Proposer: IgnoresOldInstanceProposer }) },
  { id: 'forgets-promise', area: 'persistence', bug: 'logprop is never written: a restarted acceptor forgets its promise n_h', lab: lab({ Log: ForgetsPromiseLog }) },
  { id: 'promises-any', area: 'comparison', bug: 'preparereq promises every proposal (no n > n_h test)', lab: lab({ Acceptor: PromisesAnyAcceptor }) },
  { id: 'first-heard-v_a', area: 'choosing a value', bug: 'the proposer takes the first v_a it hears, not the highest-numbered one', lab: lab({ Proposer: FirstHeardValueProposer }) },
  { id: 'first-listed-v_a', area: 'choosing a value', bug: 'the proposer takes the first v_a in the view\'s order, not the highest-numbered one', lab: lab({ Proposer: FirstListedValueProposer }) },
  { id: 'own-v_a', area: 'choosing a value', bug: 'the proposer proposes its own acceptor\'s v_a instead of the promises\' highest', lab: lab({ Proposer: OwnValueProposer }) },
  { id: 'counts-refusals', area: 'quorum', bug: 'phase 2 counts every answer as an accept: the proposer decides without an accept majority', lab: lab({ Proposer: CountsRefusalsProposer }) },
  { id: 'wrong-old-value', area: 'framework point', bug: 'oldinstance answers carry the latest decided value, not the asked instance\'s', lab: lab({ Acceptor: WrongOldValueAcceptor }) },
];

/** The gate tries scenarios in this order (the likeliest to catch first; measured with `rsmlab mutants paxos --rates`). */
export const paxosGateOrder: string[] = ['ghost-chosen', 'ghost-promise', 'ghost-refusal', 'ghost-tie', 'ghost-tie-promise', 'ghost-chosen-tie', '7', 'catch-up', 'power-accept', 'duel', '6', '4', '5', '3', '0', '1', '2'];
