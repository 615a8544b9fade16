// The Paxos acceptor (the seed's acceptor class): answers prepare/accept/decide for one instance
// at a time, keeps n_h/n_a/v_a and the decided values durable before it replies, and upcalls
// each decision. It never proposes, never holds anything across the upcall, and never takes a
// value its user's check refuses.
import type { Env } from '../../src/env/types.js';
import { clip } from '../../src/wire/frame.js';
import { type AcceptorState, freshRound, type PaxosLog } from './paxos-log.js';
import type { Drop } from './status.js';
import {
  type AcceptArgs,
  type DecideArgs,
  paxosAccept,
  paxosDecide,
  paxosPrepare,
  type PrepareArgs,
  type PrepareRes,
  type Prop,
} from './protocol.js';
// BEGIN SOLUTION
// STUDENT: // Import what your handlers need from './protocol.js' (compareProps orders proposal numbers).
import { compareProps } from './protocol.js';
// END SOLUTION

/** Called once per decided instance, in instance order, after the decision is durable. */
export type CommitListener = (instance: number, value: string) => void;

/**
 * Why `value` cannot be the value of `instance`, or null if it can. Paxos is generic over values and
 * cannot tell; its user can (Config: a view follows the one before it). Any connection may send
 * paxos.accept and paxos.decide (the tester's ghost proposers are clients), so a well-formed but
 * impossible value reaches the acceptor; it asks this check before it accepts a value and before
 * it decides one (a decide, an oldinstance answer, Config's own commits and restores). A value
 * refused is traced as a paxos.drop with the reason and goes nowhere: not to disk, not to the
 * upcall. At accept too, not only at decide: an impossible v_a, once accepted, would be the value
 * every later round of the instance must propose, and no decision could ever follow. The check
 * must give the same answer on every node (Config's reads only decided instances), so no honest
 * round is ever refused.
 */
export type ValueCheck = (instance: number, value: string) => string | null;

export class Acceptor {
  /** The highest decided instance; this acceptor takes part in instance_h + 1 only. */
  protected instance_h: number;
  /** Decided values of instances 1..instance_h. */
  protected readonly values: Map<number, string>;
  /** Instance instance_h + 1: highest prepare answered, highest proposal accepted, its value. */
  protected n_h: Prop;
  protected n_a: Prop;
  protected v_a: string | null;
  private onCommit: CommitListener = () => undefined;
  private check: ValueCheck = () => null;
  private lastDrop: Drop | null = null;

  constructor(
    protected readonly env: Env,
    protected readonly log: PaxosLog,
    state: AcceptorState,
  ) {
    this.instance_h = state.instance_h;
    this.values = state.values;
    this.n_h = state.n_h;
    this.n_a = state.n_a;
    this.v_a = state.v_a;
  }

  /**
   * Start answering Paxos messages; decisions go to `onCommit`, and `check` says which values can be
   * decided (default: any). Messages for an instance past instance_h + 1 are refused here (this
   * node is behind and must catch up first), so your handlers only see instance_h + 1, or (prepare
   * only) an instance already decided; an accept whose value `check` refuses is answered false here.
   */
  serve(onCommit: CommitListener, check: ValueCheck = () => null): void {
    this.onCommit = onCommit;
    this.check = check;
    this.env.serve(paxosPrepare, (a) => (a.instance > this.instance_h + 1 ? this.refusal() : this.preparereq(a)));
    this.env.serve(paxosAccept, (a) => (a.instance === this.instance_h + 1 && this.admits('accept', a.instance, a.v) ? this.acceptreq(a) : false));
    this.env.serve(paxosDecide, (a) => this.decidereq(a));
  }

  /**
   * Phase 1 (prepare). If a.instance is already decided (a.instance <= instance_h), answer
   * oldinstance with its decided value in v_a. Otherwise, if a.n > n_h, promise: set n_h, make it
   * durable with `await this.log.logprop(...)`, and answer accept with this acceptor's n_a/v_a.
   * Otherwise refuse (this.refusal()). Set *both* oldinstance and accept. Reply only once the log
   * write is done.
   */
  protected async preparereq(a: PrepareArgs): Promise<PrepareRes> {
    // BEGIN SOLUTION
    // STUDENT: throw new Error(`TODO: acceptor.preparereq (instance ${a.instance})`);
    if (a.instance <= this.instance_h) {
      return { oldinstance: true, accept: false, n_a: this.n_a, v_a: this.values.get(a.instance) ?? null };
    }
    if (compareProps(a.n, this.n_h) <= 0) return this.refusal();
    this.n_h = a.n;
    const reply: PrepareRes = { oldinstance: false, accept: true, n_a: this.n_a, v_a: this.v_a };
    await this.log.logprop(this.n_h);
    return reply;
    // END SOLUTION
  }

  /**
   * Phase 2 (accept), for instance instance_h + 1. If a.n >= n_h, accept: set n_a and v_a, make
   * them durable with `await this.log.logaccept(...)`, and answer true. Otherwise answer false.
   */
  protected async acceptreq(a: AcceptArgs): Promise<boolean> {
    // BEGIN SOLUTION
    // STUDENT: throw new Error(`TODO: acceptor.acceptreq (instance ${a.instance})`);
    if (compareProps(a.n, this.n_h) < 0) return false;
    this.n_a = a.n;
    this.v_a = a.v;
    await this.log.logaccept(this.n_a, this.v_a);
    return true;
    // END SOLUTION
  }

  /** Phase 3 (decide): learn the decided value of the next instance; ignore anything else. */
  protected async decidereq(a: DecideArgs): Promise<null> {
    if (a.instance === this.instance_h + 1) await this.commit(a.instance, a.v);
    return null;
  }

  /**
   * Record that `instance` decided `value` (the seed's commit_wo): log `done`, start a fresh
   * round for the next instance, then upcall. Only instance_h + 1 is taken, and only a value the
   * user's check admits; others are ignored.
   */
  async commit(instance: number, value: string): Promise<void> {
    if (instance !== this.instance_h + 1 || !this.admits('decide', instance, value)) return;
    this.values.set(instance, value);
    this.instance_h = instance;
    this.startRound();
    this.env.log('paxos.commit', { instance, value });
    await this.log.loginstance(instance, value);
    this.onCommit(instance, value);
  }

  /** The highest decided instance (0: none). */
  instance(): number {
    return this.instance_h;
  }

  /** The decided value of `instance`, if this acceptor knows it. */
  value(instance: number): string | undefined {
    return this.values.get(instance);
  }

  /** n_h of the round in progress (the proposer's setn reads it). */
  promised(): Prop {
    return this.n_h;
  }

  /** A snapshot of the acceptor's state, for status. */
  state(): { instance_h: number; n_h: Prop; n_a: Prop; v_a: string | null } {
    return { instance_h: this.instance_h, n_h: this.n_h, n_a: this.n_a, v_a: this.v_a };
  }

  /** The last value the check refused, or null: status shows it, so a node stuck behind says which decision it would not take. */
  dropped(): Drop | null {
    return this.lastDrop;
  }

  /** Whether the user's check admits `value` for `instance`; a refusal is traced as a paxos.drop with its reason (ValueCheck). */
  private admits(phase: Drop['phase'], instance: number, value: string): boolean {
    const reason = this.check(instance, value);
    if (reason === null) return true;
    this.lastDrop = { phase, instance, v: clip(value), reason };
    this.env.log('paxos.drop', { ...this.lastDrop });
    return false;
  }

  /** Forget the finished instance's n_h/n_a/v_a: the next instance starts from nothing. */
  private startRound(): void {
    const fresh = freshRound(this.env.me);
    this.n_h = fresh.n_h;
    this.n_a = fresh.n_a;
    this.v_a = fresh.v_a;
  }

  /** The answer to a prepare this acceptor will not promise, with the n_h it beats (the proposer's next n goes above it). */
  protected refusal(): PrepareRes {
    return { oldinstance: false, accept: false, n_a: this.n_a, v_a: null, n_h: this.n_h };
  }
}
