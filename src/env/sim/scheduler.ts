// The simulator's clock and its one loop: virtual time, the event queue, and the stepping rule that
// makes runs exact and deterministic. It decides when things run, never what they do; it never
// reads the real clock, and time only moves while the tester waits on the simulation.
//
// Execution semantics (the contract lab code and tester code can rely on):
// - Virtual time is an integer number of ms. It moves only from one event to the next; no code ever
//   runs "between" two instants, and time never moves under a running handler.
// - One event at a time. After an event that ran code (a handler, a timer, a settled promise), every
//   promise continuation it caused, transitively, runs to completion before the next event. All
//   awaits on Env calls therefore resume at the virtual time of the event that settled them.
// - How: each step is a process.nextTick callback that fires events until one ran code, then queues
//   a microtask whose only job is to queue the next step with process.nextTick. Node runs nextTick
//   callbacks only once V8's microtask queue is empty, so the next step starts exactly when the drain
//   is over. Measured: 100 ns per step, against 880 ns for a setImmediate per event (also exact),
//   and no timers or I/O of the host run until the simulation pauses. Worlds running at once in one
//   process take turns step by step in this one loop.
// - Bookkeeping events (a dropped message) run no code and are batched in one step; a cancelled timer
//   and a settled call's timeout leave the queue at once.
// - Each event runs the code of one party only: one node incarnation, one client, or the tester.
//   Promises the tester awaits are settled by events of their own, never inside a node's event, so
//   the determinism guards know whose code runs (guard.ts).
// - The loop runs while some tester-side promise is pending on the simulation (`wait`): a sleep, a
//   node start, a client's call. When none is left, it pauses: the tester's own code between two
//   awaits always runs at one virtual instant, and time never moves while it awaits anything else.
// - Lab code may not use process.nextTick, queueMicrotask or setImmediate (the guards refuse them):
//   their callbacks would run outside the event that queued them. The loop itself uses the
//   unpatched hostNextTick.
// - At each new tester wait, and every YIELD_EVERY steps, the loop lets the host's event loop turn
//   once (setImmediate) so that Node reports unhandled rejections: one from lab code (a promise
//   nobody awaited or caught, which would crash a real node) fails every live run, at a point fixed
//   by the tester's waits and the step count.
import { routeUnhandledRejections } from './crash.js';
import { hostNextTick, hostSetImmediate, runAs } from './guard.js';
import { EventQueue, SimEvent } from './event-queue.js';
import type { Prng } from '../../random.js';
import { settled } from '../../settled.js';
import { UNHANDLED_REJECTION } from '../../lab.js';

export class SimulationFailure extends Error {
  constructor(
    message: string,
    readonly seed: number,
    readonly time: number,
    cause: unknown,
    /** Whose code threw, for a lab error ("p0, handler config.join"); undefined for the simulator's own failures. */
    readonly where?: string,
  ) {
    super(message, { cause });
    this.name = 'SimulationFailure';
  }
}

export interface Limits {
  /** Fail the run after this many events in total. */
  maxEvents: number;
  /** Fail the run after this many events at one virtual instant (a node spinning on 0 ms timers). */
  maxEventsPerInstant: number;
}

export const defaultLimits: Limits = { maxEvents: 50_000_000, maxEventsPerInstant: 200_000 };


/**
 * The process's one simulation loop, shared by every world so that the steps of two worlds never
 * share a microtask drain (which would blur whose code runs for the guards). Worlds that want to run
 * take turns, one step each.
 */
const ready: Scheduler[] = [];
let looping = false;
/** Steps between two turns of the host's event loop (where Node reports unhandled rejections). */
const YIELD_EVERY = 4096;
let steps = 0;
/** Runs not closed: the ones an unhandled rejection of lab code fails. */
const live = new Set<Scheduler>();
/**
 * Failed runs just closed, until the host's loop turns: lab code of theirs already queued as promise
 * jobs still runs after the close (a node's continuation that rejects again on the state its failure
 * left), and its rejection is that failure's aftermath, never a new error of the next run. Without
 * this, it was thrown as uncaught, killing the mutant gate's worker, or failed whichever run was live.
 * A live run that stepped since the host's last turn may own the rejection, though: it fails it.
 */
const ending = new Set<Scheduler>();
/** The host's turns the loop took (setImmediate); a run's lastTurn says in which it last stepped. */
let turns = 0;

/** Set when the tester starts a wait: the loop lets the host turn once before going on. */
let turnSoon = false;

const afterDrain = (): void => {
  if (!turnSoon && ++steps % YIELD_EVERY !== 0) return void hostNextTick(loop);
  turnSoon = false;
  runAs(null); // whatever the host runs meanwhile is not lab code
  setImmediate(afterTurn);
};

/** The loop again after the host turned (and reported the rejections of the steps before). */
const afterTurn = (): void => {
  turns++;
  loop();
};

/**
 * Fails the live runs that may own an unhandled rejection of lab code (routed here by crash.ts):
 * every live run; while a failed run is ending, only those that stepped since the host's last turn,
 * and none (its aftermath) if no live run did.
 */
function failLiveRuns(reason: unknown): boolean {
  const owners = ending.size === 0 ? [...live] : [...live].filter((s) => s.lastTurn === turns);
  if (owners.length === 0) return ending.size > 0;
  for (const scheduler of owners) scheduler.fail(reason, UNHANDLED_REJECTION);
  return true;
}

function loop(): void {
  while (ready.length > 0) {
    const scheduler = ready[0]!;
    scheduler.lastTurn = turns;
    if (scheduler.step()) {
      if (ready.length > 1) ready.push(ready.shift()!); // its turn again after the others'
      void settled.then(afterDrain);
      return;
    }
    ready.shift();
    scheduler.ready = false;
  }
  looping = false;
  runAs(null);
}

/** A closure run as an event, outside any node (the tester's and the world's own work). */
class Task extends SimEvent {
  constructor(private readonly run: () => void) {
    super();
  }

  fire(): boolean {
    this.run();
    return true;
  }
}

interface Waiter {
  reject(error: Error): void;
}

/**
 * Lets a watched run's virtual time pass at a chosen wall-clock pace, paused or one slice at a time
 * (the dashboard's player). It decides only when time may move, never what happens: a paced run's
 * events, and so its trace, are those of the same seed unwatched.
 */
export interface Pacer {
  /** Virtual ms per slice. */
  readonly sliceMs: number;
  /** Resolves when the next slice of `ms` virtual ms may pass; rejects to end the run. */
  gate(ms: number): Promise<void>;
}

export class Scheduler {
  private clock = 0;
  private nextSeq = 0;
  private readonly queue = new EventQueue();
  private readonly waiters = new Set<Waiter>();
  private holds = 0;
  /** In the loop's list of runs that want to step. */
  ready = false;
  /** The host's turn (`turns`) in which the loop last stepped this run; -1: never. */
  lastTurn = -1;
  /**
   * The tester's look at the world after every step (once the last event's continuations have run,
   * before the next event): a checker of invariants. It runs as no one's code; a throw fails the run.
   */
  observer: (() => void) | undefined;
  private closed = false;
  /** A watched run's pacer (pace()), and the virtual time up to which it has let the run go. */
  private pacer: Pacer | undefined;
  private pacedTo = 0;
  private failure: SimulationFailure | undefined;
  private eventCount = 0;
  private instantEvents = 0;

  constructor(
    /** The run's seed, for failure messages. */
    private readonly seed: number,
    /** The stream that orders events due at the same instant. */
    private readonly ties: Prng,
    private readonly limits: Limits,
    /** The one command that replays this run, for failure messages. */
    private readonly replay: string,
  ) {
    live.add(this);
    routeUnhandledRejections(failLiveRuns);
  }

  get now(): number {
    return this.clock;
  }

  /** Events fired so far. */
  get events(): number {
    return this.eventCount;
  }

  /** Why the run failed, if it did. */
  get failed(): SimulationFailure | undefined {
    return this.failure;
  }

  /** Queue `event` to fire `delayMs` from now (0: at this instant, after what is already due). */
  schedule(event: SimEvent, delayMs: number): void {
    this.queue.push(event, this.clock + delayMs, this.ties.uint32() ^ 0x8000_0000, this.nextSeq++); // (the tie: the draw - 2^31, as an int32)
  }

  /** Take a queued event out: it can no longer do anything (a cancelled timer, a settled call's timeout). */
  cancel(event: SimEvent): void {
    this.queue.remove(event);
  }

  /** Run `fn` as an event outside any node, `delayMs` from now. */
  task(delayMs: number, fn: () => void): void {
    this.schedule(new Task(fn), delayMs);
  }

  /**
   * A tester-side promise on the simulation: the loop runs until it settles (or the run fails, which
   * rejects it). `register` arranges for resolve/reject to be called by events.
   */
  wait<T>(register: (resolve: (value: T) => void, reject: (error: Error) => void) => void): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new Error('the simulation is closed'));
    turnSoon = true;
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter = { reject };
      this.waiters.add(waiter);
      const done = (): boolean => this.waiters.delete(waiter);
      register(
        (value) => {
          if (done()) resolve(value);
        },
        (error) => {
          if (done()) reject(error);
        },
      );
      this.kick();
    });
  }

  /** Pause the loop (e.g. while a lab module loads from disk); call the returned function to resume. */
  hold(): () => void {
    this.holds++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.holds--;
      this.kick();
    };
  }

  /**
   * Pace the run from now on: virtual time moves past each slice boundary only once `pacer` lets the
   * slice pass. The loop is held between slices (hold()), whatever the tester waits on: a node's
   * start, a client's call or a sleep.
   */
  pace(pacer: Pacer): void {
    this.pacer = pacer;
    this.pacedTo = this.clock;
  }

  /** Whether the next event lies past the slice the pacer let through: then the loop is held at the gate of the next (gateSlice). */
  private pastPace(pacer: Pacer): boolean {
    const next = this.queue.nextTime;
    if (next === undefined || next <= this.pacedTo) return false;
    this.gateSlice(pacer);
    return true;
  }

  /** Hold the loop until the pacer lets the next slice pass; a refusal (the run stopped from the page) fails the run. */
  private gateSlice(pacer: Pacer): void {
    const release = this.hold();
    this.pacedTo += pacer.sliceMs;
    runAs(null); // the pacer is the host's code (it sets real timers), not the last event's node's
    pacer.gate(pacer.sliceMs).then(release, (e: unknown) => {
      this.fail(e);
      release();
    });
  }

  /** End the run: every pending and future wait rejects with a failure naming the seed, the replay command and (for a lab error: `where`) the error's stack. */
  fail(cause: unknown, where?: string, at = this.clock): void {
    if (this.failure) return;
    runAs(null); // whatever runs after a failure (the tester's catch, mocha) is not lab code
    // A lab error (`where` says whose) shows its stack: the student's file and line.
    const what = cause instanceof Error ? (where === undefined ? cause.message : (cause.stack ?? `${cause.name}: ${cause.message}`)) : String(cause);
    const why = where === undefined ? what : `${where}: ${what}`;
    this.failure = new SimulationFailure(
      `simulation failed at t=${at} ms (seed ${this.seed}): ${why}\n  replay: ${this.replay}`,
      this.seed,
      at,
      cause,
      where,
    );
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const w of waiters) w.reject(this.failure);
  }

  /** Stop for good; promises still pending stay pending. */
  close(): void {
    this.closed = true;
    live.delete(this);
    this.waiters.clear();
    if (this.failure === undefined || ending.has(this)) return;
    ending.add(this);
    hostSetImmediate(() => ending.delete(this)); // the tester may close it mid-step of another world's node
  }

  private kick(): void {
    if (this.ready || !this.wantsToRun()) return;
    this.ready = true;
    ready.push(this);
    if (!looping) {
      looping = true;
      void settled.then(afterDrain);
    }
  }

  private wantsToRun(): boolean {
    return this.waiters.size > 0 && this.holds === 0 && !this.failure && !this.closed;
  }

  /** Fire events until one ran code (true: let its continuations drain) or the run pauses (false). */
  step(): boolean {
    if (this.observer !== undefined && this.wantsToRun()) {
      runAs(null);
      try {
        this.observer();
      } catch (e) {
        this.fail(e);
        return false;
      }
    }
    for (;;) {
      if (!this.wantsToRun()) return false;
      if (this.pacer !== undefined && this.pastPace(this.pacer)) return false;
      const event = this.queue.pop();
      if (event === undefined) {
        this.fail(new Error('the tester waits on the simulation, but no event is scheduled: nothing can ever happen'));
        continue;
      }
      this.advance(this.queue.poppedTime);
      if (this.failure) continue;
      runAs(null);
      try {
        if (event.fire()) return true;
      } catch (e) {
        this.fail(e);
      }
    }
  }

  private advance(time: number): void {
    this.instantEvents = time === this.clock ? this.instantEvents + 1 : 0;
    this.clock = time;
    this.eventCount++;
    if (this.instantEvents > this.limits.maxEventsPerInstant) {
      this.fail(new Error(`runaway: more than ${this.limits.maxEventsPerInstant} events at t=${time} ms without time moving (0 ms timers in a loop?)`));
    } else if (this.eventCount > this.limits.maxEvents) {
      this.fail(new Error(`runaway: more than ${this.limits.maxEvents} events in this run`));
    }
  }
}
