// The unwinding of a simulated crash: env.breakpoint() throws NodeCrashed so that nothing after the
// breakpoint runs, and a dead env's code may throw it too. It must never be treated as a lab error,
// and an unhandled NodeCrashed rejection must never kill the process. Any other unhandled rejection
// while a simulation is live is lab code's (a promise nobody awaited or caught): it fails the runs.
// (A node's own code's rejection goes to that node instead, named: guard.ts's ownRejections.) A lab
// error the run already failed with where it was thrown is no second failure when it rejects too.

export class NodeCrashed extends Error {
  constructor(readonly node: string) {
    super(`node ${node} crashed in the simulator (this unwinds its code; it is not an error)`);
    this.name = 'NodeCrashed';
  }
}

/**
 * Lab errors a run already failed with where they were thrown (SimEnv.labThrew). The VSR driver throws
 * such an error on to stop the continuation it was stepped from; the rejection that leaves is the
 * same error again, no second failure (in a shrinker's or a lane's next run it would fail a run that
 * never threw it).
 */
const reported = new WeakSet<object>();

/** Note that `error` failed its run where it was thrown: its rejection, if any, is no new failure. */
export function reportedWhereThrown(error: unknown): void {
  if (typeof error === 'object' && error !== null) reported.add(error);
}

/** Whether `error` already failed its run where it was thrown. */
export function wasReported(error: unknown): boolean {
  return typeof error === 'object' && error !== null && reported.has(error);
}

/** Takes an unhandled rejection that is not NodeCrashed; returns whether a live simulation took it as its failure. */
export type RejectionSink = (reason: unknown) => boolean;

/** The one listener (of the first sink given: the simulator's). */
let listener: ((reason: unknown) => void) | null = null;

/**
 * Swallow unhandled rejections whose reason is NodeCrashed (a crashed node's abandoned async code);
 * hand any other to `sink` (the live simulations fail with it, as a real node would crash); with no
 * live simulation, keep Node's default when no one else listens: it is thrown as uncaught. Called
 * as each run starts: a host may have removed every listener since (mocha's worker processes do
 * after each test file), and then it listens again, once.
 */
export function routeUnhandledRejections(sink: RejectionSink): void {
  listener ??= (reason) => {
    if (reason instanceof NodeCrashed || wasReported(reason) || sink(reason)) return;
    if (process.listenerCount('unhandledRejection') === 1) throw reason;
  };
  if (!process.listeners('unhandledRejection').includes(listener)) process.on('unhandledRejection', listener);
}
