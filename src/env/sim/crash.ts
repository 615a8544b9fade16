// The unwinding of a simulated crash: env.breakpoint() throws NodeCrashed so that nothing after the
// breakpoint runs, and a dead env's code may throw it too. It must never be treated as a lab error,
// and an unhandled NodeCrashed rejection must never kill the process. Any other unhandled rejection
// while a simulation is live is lab code's (a promise nobody awaited or caught): it fails the runs.
// (A node's own code's rejection goes to that node instead, named: guard.ts's ownRejections.)

export class NodeCrashed extends Error {
  constructor(readonly node: string) {
    super(`node ${node} crashed in the simulator (this unwinds its code; it is not an error)`);
    this.name = 'NodeCrashed';
  }
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
    if (reason instanceof NodeCrashed || sink(reason)) return;
    if (process.listenerCount('unhandledRejection') === 1) throw reason;
  };
  if (!process.listeners('unhandledRejection').includes(listener)) process.on('unhandledRejection', listener);
}
