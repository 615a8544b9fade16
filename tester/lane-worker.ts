// A lane's worker process, its side of tester/lane.ts: it takes jobs from its parent one at a time,
// beats while a job simulates, says 'done' after each, and exits when the channel closes. A job that
// throws ends the process (exit 3, the error on stderr): the lane reports it as a crash. It never
// decides what a job does (tester/worker.ts, tester/mutants/worker.ts do).
import type { LaneJob, LaneSignal } from './lane.js';
import { dieWithParent } from './orphan-guard.js';
import { removeTempDirsAtExit } from './temp-dirs.js';

/** Send `message` to the parent; resolves once it is handed to the channel. */
export function report<M>(message: M | LaneSignal): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) throw new Error(`${process.argv[1]} is a worker: it must be started by a lane (tester/lane.ts), which gives it an IPC channel`);
    process.send(message, () => resolve());
  });
}

/**
 * Beat while `work` runs in the simulator. The simulation lets the host's event loop turn at each
 * tester wait and every few thousand steps (src/env/sim/scheduler.ts), so beats flow exactly while
 * it makes progress: lab code stuck in a loop stops them, a slow or starved machine does not. A real
 * world run has no beat: its waits on real processes are not progress, so its silence is wall time.
 */
async function beatWhileSimulating(simulates: boolean, beatMs: number, work: () => Promise<void>): Promise<void> {
  if (!simulates) return work();
  // The first beat before any lab code runs: a job stuck from its first step is then stuck, not a worker still loading.
  await report({ type: 'alive' });
  const beat = setInterval(() => void report({ type: 'alive' }), beatMs);
  try {
    return await work();
  } finally {
    clearInterval(beat);
  }
}

/** Serve the parent's jobs with `work`; `simulates(job)` says whether the job runs in the simulator (and so beats). */
export function serveJobs<J>(work: (job: J) => Promise<void>, simulates: (job: J) => boolean): void {
  process.on('message', (job: LaneJob<J>) => {
    beatWhileSimulating(simulates(job), job.beatMs, () => work(job)).then(
      () => report({ type: 'done' }),
      (e: unknown) => {
        console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
        process.exit(3);
      },
    );
  });
  // The parent closes the channel when its pool is done; nothing else keeps a worker alive.
  process.on('disconnect', () => process.exit(0));
  // Ctrl-C reaches the worker with its parent (one process group): it exits, as by default, but
  // through 'exit', so the folders of the real clusters it had open go with it.
  removeTempDirsAtExit();
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) process.on(signal, () => process.exit(code));
  // A parent gone without closing it (killed) leaves a worker stuck in lab code nothing else would end.
  dieWithParent();
}
