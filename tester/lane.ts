// One lane of the suite's pool: a test worker process (tester/worker.ts) that runs jobs one after
// another, watched by a no-progress watchdog. A worker that stays silent too long is killed
// ("hung"); one that exits is reported ("crashed"); the next job gets a fresh worker. It runs jobs
// and passes their messages on; it never decides what they mean (tester/suite.ts does).
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { WorkerJob, WorkerMessage } from './worker.js';
import { forkWorker } from './worker-process.js';

const workerPath = fileURLToPath(new URL('./worker.js', import.meta.url));

/** How a job ended: its worker said 'done', or it was killed for silence, or it exited. */
export type JobEnd = { kind: 'done' } | { kind: 'hung' | 'crashed'; message: string };

export class Lane {
  private child: ChildProcess | undefined;
  private stderr = '';

  constructor(private readonly silenceMs: number) {}

  private worker(): ChildProcess {
    if (this.child) return this.child;
    const child = forkWorker(workerPath);
    this.stderr = '';
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
      const hung = (): void => end({ kind: 'hung', message: `no progress for ${this.silenceMs} ms at ${at()}: the run was killed` });
      const message = (m: WorkerMessage): void => {
        clearTimeout(watchdog);
        watchdog = setTimeout(hung, this.silenceMs);
        if (m.type === 'done') return end({ kind: 'done' });
        onMessage(m);
      };
      const exited = (code: number | null, signal: NodeJS.Signals | null): void => {
        const stderr = this.stderr.trim();
        end({ kind: 'crashed', message: `worker exited (${signal ?? `code ${code}`}) at ${at()}${stderr ? `:\n${stderr}` : ''}` });
      };
      watchdog = setTimeout(hung, this.silenceMs);
      child.on('message', message);
      child.once('exit', exited);
      child.send(job);
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
