// One lane of the suite's pool: a test worker process (tester/worker.ts) that runs jobs one after
// another, watched by a no-progress watchdog. A worker that stays silent too long is killed
// ("hung"); one that exits is reported ("crashed"); the next job gets a fresh worker. It runs jobs
// and passes their messages on; it never decides what they mean (tester/suite.ts does).
// A simulating worker beats while its simulation steps, so "silent" means stuck, not slow.
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LaneJob, WorkerJob, WorkerMessage } from './worker.js';
import { forkWorker } from './worker-process.js';

const workerPath = fileURLToPath(new URL('./worker.js', import.meta.url));

/** How a job ended: its worker said 'done', or it was killed for silence, or it exited. */
export type JobEnd = { kind: 'done' } | { kind: 'hung' | 'crashed'; message: string };

/**
 * How long a fresh worker may take to load its modules before its first message. Loading is not
 * lab progress, and on a loaded grading machine it alone can outlast a short --hang-ms.
 */
const STARTUP_MS = 30_000;

/** A simulating worker beats four times per silence limit, at most every 250 ms. */
function beatMs(silenceMs: number): number {
  return Math.max(1, Math.min(250, Math.floor(silenceMs / 4)));
}

export class Lane {
  private child: ChildProcess | undefined;
  private stderr = '';
  /** The worker has sent nothing yet (it may still be loading). */
  private starting = false;

  constructor(private readonly silenceMs: number) {}

  private worker(): ChildProcess {
    if (this.child) return this.child;
    const child = forkWorker(workerPath);
    this.stderr = '';
    this.starting = true;
    child.stderr?.on('data', (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString()).slice(-4000)));
    this.child = child;
    return child;
  }

  /** Run `job`; `onMessage` sees each of its messages. `at()` names where the worker was, for hung/crashed messages. */
  run(job: WorkerJob, onMessage: (message: WorkerMessage) => void, at: () => string): Promise<JobEnd> {
    const child = this.worker();
    return new Promise((resolve) => {
      let watchdog: NodeJS.Timeout;
      const end = (result: JobEnd): void => {
        clearTimeout(watchdog);
        child.off('message', message);
        child.off('exit', exited);
        if (result.kind !== 'done') this.discard();
        resolve(result);
      };
      let limitMs = this.starting ? Math.max(this.silenceMs, STARTUP_MS) : this.silenceMs;
      const hung = (): void => end({ kind: 'hung', message: `no progress for ${limitMs} ms at ${at()}${this.starting ? ' (the worker never started)' : ''}: the run was killed` });
      const message = (m: WorkerMessage): void => {
        this.starting = false;
        limitMs = this.silenceMs;
        clearTimeout(watchdog);
        watchdog = setTimeout(hung, limitMs);
        if (m.type === 'done') return end({ kind: 'done' });
        onMessage(m);
      };
      const exited = (code: number | null, signal: NodeJS.Signals | null): void => {
        const stderr = this.stderr.trim();
        end({ kind: 'crashed', message: `worker exited (${signal ?? `code ${code}`}) at ${at()}${stderr ? `:\n${stderr}` : ''}` });
      };
      watchdog = setTimeout(hung, limitMs);
      child.on('message', message);
      child.once('exit', exited);
      child.send({ ...job, beatMs: beatMs(this.silenceMs) } satisfies LaneJob);
    });
  }

  private discard(): void {
    this.child?.kill('SIGKILL');
    this.child = undefined;
  }

  /** Let the worker go: it exits when its channel closes. */
  close(): void {
    if (this.child?.connected) this.child.disconnect();
    this.child = undefined;
  }
}
