// A watcher thread: a few lines of CommonJS run on a thread of their own, so that they go on when
// the main thread's code never returns (the loop watchdog, src/cli/loop-watchdog.ts; the orphan
// guard of lane workers, tester/orphan-guard.ts). It only starts the thread; it keeps no process alive.
import { Worker } from 'node:worker_threads';

/** Run `body` (CommonJS, `workerData` from node:worker_threads holds `data`) on a thread that never holds the process open. */
export function startWatcher(body: string, data: object): Worker {
  // execArgv []: none of the process's flags (an --input-type=module would make the body a module).
  const watcher = new Worker(body, { eval: true, execArgv: [], workerData: data });
  watcher.unref();
  return watcher;
}
