// A lane worker must not outlive the process that forked it. It exits when its IPC channel closes,
// but only if its event loop turns: one stuck in a student's loop, whose parent was killed by a
// signal that reached it alone (SIGKILL, a `timeout`), would spin on for ever. A watcher thread
// checks every second that the parent is still its parent, and kills the process when it is not.
import { startWatcher } from '../src/watcher-thread.js';

const GUARD = `
const { workerData } = require('node:worker_threads');
setInterval(() => {
  if (process.ppid !== workerData.ppid) process.kill(process.pid, 'SIGKILL');
}, workerData.ms);
`;

/** Die, whatever the main thread is doing, once the parent is gone (checked every `ms`). */
export function dieWithParent(ms = 1000): void {
  startWatcher(GUARD, { ppid: process.ppid, ms });
}
