// A watchdog for a command that runs lab code in its own process (the dashboard's live simulation):
// a worker thread watches a counter that the main thread bumps as its event loop turns. Lab code
// stuck in a loop stops the loop, and with it the page and the Ctrl-C handler; after `ms` of that
// the watchdog says so on stderr and kills the process, which nothing else could. It never touches
// the run itself, and it keeps no process alive.
import { startWatcher } from '../watcher-thread.js';

/**
 * Whether the loop is stuck: no beat (`count` as at the last check, `seen`) and that check came on
 * time. A late check was held up with the whole process (a suspended laptop, SIGSTOP): the main
 * thread had no chance to beat either, so it gets another period before it is judged.
 */
export function stuck(count: number, seen: number, sinceCheckMs: number, ms: number): boolean {
  return count === seen && sinceCheckMs <= 2 * ms;
}

/** The watching thread: a CommonJS body (stuck() is written into it), fed the counter, the limit and the words to say. */
const WATCHER = `
const { workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const { beats, ms, message } = workerData;
const stuck = ${stuck.toString()};
let seen = -1;
let checked = Date.now();
setInterval(() => {
  const count = Atomics.load(beats, 0);
  const since = Date.now() - checked;
  checked = Date.now();
  if (stuck(count, seen, since, ms)) {
    // The main thread is stuck: process.stderr would wait for it, so write to fd 2 directly.
    writeSync(2, message);
    process.kill(process.pid, 'SIGKILL');
  }
  seen = count;
}, ms);
`;

/**
 * Watch this process's event loop: if it makes no turn for `ms` (give or take `ms`), print `message`
 * on stderr and kill the process. Returns the function that stops watching.
 */
export function watchLoop(ms: number, message: string): () => void {
  const beats = new Int32Array(new SharedArrayBuffer(4));
  const beat = setInterval(() => Atomics.add(beats, 0, 1), Math.max(1, Math.floor(ms / 4)));
  beat.unref();
  const watcher = startWatcher(WATCHER, { beats, ms, message: `${message}\n` });
  return () => {
    clearInterval(beat);
    void watcher.terminate();
  };
}
