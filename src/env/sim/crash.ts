// The unwinding of a simulated crash: env.breakpoint() throws NodeCrashed so that nothing after the
// breakpoint runs, and a dead env's code may throw it too. It must never be treated as a lab error,
// and an unhandled NodeCrashed rejection must never kill the process.

export class NodeCrashed extends Error {
  constructor(readonly node: string) {
    super(`node ${node} crashed in the simulator (this unwinds its code; it is not an error)`);
    this.name = 'NodeCrashed';
  }
}

let filtering = false;

/**
 * Swallow unhandled rejections whose reason is NodeCrashed (a crashed node's abandoned async code);
 * any other reason keeps Node's default when no one else listens: it is thrown as uncaught.
 */
export function ignoreCrashRejections(): void {
  if (filtering) return;
  filtering = true;
  process.on('unhandledRejection', (reason) => {
    if (reason instanceof NodeCrashed) return;
    if (process.listenerCount('unhandledRejection') === 1) throw reason;
  });
}
