// The Env of one simulated node incarnation (or of a client): lab code's only door to the simulated
// world. Once its node has crashed the env is dead: its calls, sleeps and disk operations never
// settle and its sends, timers and logs have no effect, so a crashed node can never act again.
import type { Method, Notice } from '../method.js';
import type { BreakpointNumber, CallOptions, Disk, Env, Handler, Json, LabErrorSink, NodeId, TimerHandle } from '../types.js';
import { Dispatcher, isThenable } from '../../wire/dispatch.js';
import { NodeCrashed, reportedWhereThrown, wasReported } from './crash.js';
import { SimEvent } from './event-queue.js';
import { runAs, type DeterminismError, type GuardedCode, type RejectionOwner } from './guard.js';
import type { Endpoint } from './transport.js';
import { UNHANDLED_REJECTION } from '../../lab.js';

/** What an env asks of its world. */
export interface EnvHost {
  readonly now: number;
  /** env.random() and env.nonce(): drawn from the node's own stream, never from the world's. */
  random(env: SimEnv): number;
  nonce(env: SimEnv): string;
  call<P, R>(env: SimEnv, peer: NodeId, method: Method<P, R>, params: P, timeoutMs: number): Promise<R>;
  callEach<P, R>(env: SimEnv, peers: readonly NodeId[], method: Method<P, R>, params: P, timeoutMs: number): Promise<R>[];
  send<P>(env: SimEnv, peer: NodeId, notice: Notice<P>, params: P): void;
  /** Schedule `timer` to fire `ms` from now. */
  schedule(timer: Timer, ms: number): void;
  /** `timer` was cleared: it leaves the queue. */
  cancel(timer: Timer): void;
  /** A client's promise: the simulation runs until it settles. */
  wait<T>(promise: Promise<T>): Promise<T>;
  timerFired(env: SimEnv, timer: Timer): void;
  log(env: SimEnv, what: string, fields: Record<string, Json> | undefined): void;
  breakpoint(env: SimEnv, n: BreakpointNumber): void;
  faultPoint(env: SimEnv, name: string): void;
  partitionPoint(env: SimEnv): void;
  /**
   * Lab code of `env` threw where no one can catch it, or broke a determinism guard (`where`: whose
   * code): the run fails. `at`: when, if before now (an unhandled rejection is reported later).
   */
  labError(env: SimEnv, where: string, error: unknown, at?: number): void;
}

const never = new Promise<never>(() => {});

/** A timer or a sleep of one env; it is its own TimerHandle. */
export class Timer extends SimEvent implements TimerHandle {
  cancelled = false;
  constructor(
    readonly env: SimEnv,
    readonly id: number,
    readonly ms: number,
    private readonly fn: () => void,
    /** What the lab called it (setTimer/sleep's name), for the trace. */
    readonly name?: string,
  ) {
    super();
  }

  fire(): boolean {
    const env = this.env;
    if (this.cancelled || env.dead) return false;
    env.host.timerFired(env, this);
    runAs(env.code);
    let result: unknown;
    try {
      result = this.fn();
    } catch (e) {
      env.host.labError(env, 'timer', e);
    }
    if (isThenable(result)) result.then(undefined, (e: unknown) => env.host.labError(env, 'timer', e)); // an async fn
    return true;
  }
}

function checkMs(what: string, ms: number): number {
  if (!Number.isFinite(ms) || ms < 0) throw new Error(`${what}: bad delay ${ms} ms`);
  return Math.ceil(ms);
}

export class SimEnv implements Env, LabErrorSink, Endpoint, GuardedCode {
  dead = false;
  /** A handler's throw or rejection fails the run (with its stack, seed and replay command). */
  readonly dispatcher = new Dispatcher((where, error) => this.labThrew(where, error));
  /** A promise of this node's code rejected with no handler (a disk completion's, a background task's) fails the run, named, at the instant it was rejected. */
  rejectionOwner(): RejectionOwner {
    const at = this.host.now;
    return {
      emit: (_event, reason) => {
        if (!wasReported(reason)) this.host.labError(this, UNHANDLED_REJECTION, reason, at);
        return true;
      },
    };
  }
  private nextTimer = 1;

  constructor(
    readonly me: NodeId,
    readonly host: EnvHost,
    readonly disk: Disk,
    /** A member node runs guarded lab code; a client runs the tester's code. */
    readonly member: boolean,
  ) {}

  get code(): GuardedCode | null {
    return this.member ? this : null;
  }

  violation(error: DeterminismError): void {
    this.labThrew('determinism guard', error);
  }

  /** Lab code threw where no one can catch it (`where`: a handler, the VSR engine's step): the run fails. */
  labThrew(where: string, error: unknown): void {
    reportedWhereThrown(error);
    this.host.labError(this, where, error);
  }

  call<P, R>(peer: NodeId, method: Method<P, R>, params: P, opts: CallOptions): Promise<R> {
    if (this.dead) return never;
    const reply = this.host.call(this, peer, method, params, opts.timeoutMs);
    return this.member ? reply : this.host.wait(reply);
  }

  callEach<P, R>(peers: readonly NodeId[], method: Method<P, R>, params: P, opts: CallOptions): Promise<R>[] {
    if (this.dead) return peers.map(() => never);
    const replies = this.host.callEach(this, peers, method, params, opts.timeoutMs);
    return this.member ? replies : replies.map((reply) => this.host.wait(reply));
  }

  serve<P, R>(method: Method<P, R>, handler: Handler<P, R>): void {
    this.mustServe();
    this.dispatcher.addMethod(method, handler);
  }

  send<P>(peer: NodeId, notice: Notice<P>, params: P): void {
    if (!this.dead) this.host.send(this, peer, notice, params);
  }

  sendEach<P>(peers: readonly NodeId[], notice: Notice<P>, params: P): void {
    for (const peer of peers) this.send(peer, notice, params);
  }

  on<P>(notice: Notice<P>, handler: (params: P, from: NodeId) => void): void {
    this.mustServe();
    this.dispatcher.addNotice(notice, handler);
  }

  /** Like the real world's: a client calls and sends, it serves nothing. */
  private mustServe(): void {
    if (!this.member) throw new Error(`${this.me}: clients do not serve`);
  }

  setTimer(ms: number, fn: () => void, name?: string): TimerHandle {
    const timer = new Timer(this, this.nextTimer++, checkMs('setTimer', ms), fn, name);
    if (!this.dead) this.host.schedule(timer, timer.ms);
    return timer;
  }

  clearTimer(timer: TimerHandle): void {
    if (!(timer instanceof Timer) || timer.env !== this) return;
    timer.cancelled = true;
    this.host.cancel(timer);
  }

  sleep(ms: number, name?: string): Promise<void> {
    if (this.dead) return never;
    const woken = new Promise<void>((resolve) => {
      const timer = new Timer(this, this.nextTimer++, checkMs('sleep', ms), resolve, name);
      this.host.schedule(timer, timer.ms);
    });
    return this.member ? woken : this.host.wait(woken);
  }

  now(): number {
    return this.host.now;
  }

  random(): number {
    return this.host.random(this);
  }

  nonce(): string {
    return this.host.nonce(this);
  }

  log(what: string, fields?: Record<string, Json>): void {
    if (!this.dead) this.host.log(this, what, fields);
  }

  breakpoint(n: BreakpointNumber): void {
    if (this.dead) throw new NodeCrashed(this.me);
    this.host.breakpoint(this, n);
  }

  faultPoint(name: string): void {
    if (this.dead) throw new NodeCrashed(this.me);
    this.host.faultPoint(this, name);
  }

  partitionPoint(): void {
    if (!this.dead) this.host.partitionPoint(this);
  }
}
