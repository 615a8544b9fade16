// One lane of a worker pool (the suite's, tester/suite.ts, and the mutant gate's,
// tester/mutants/gate.ts): a worker process that runs jobs one after another, watched by a
// no-progress watchdog. A worker that stays silent too long is killed ("hung"); one that exits is
// reported ("crashed"); the next job gets a fresh worker (as does a job whose worker died between
// jobs: it is not blamed). It runs jobs and passes their messages on; it never decides what they
// mean. A simulating worker beats while its simulation steps (tester/lane-worker.ts), so "silent"
// means stuck, not slow; and one silent while it got little CPU was starved, not stuck.
import type { ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { processCpuMs } from '../src/process-cpu.js';
import { hasLabFrame, NO_LAB_FRAME } from './failure-text.js';
import { forkWorker } from './worker-process.js';
import { stuckStack, type Stuck } from './stuck-stack.js';

/**
 * How a job ended: its worker said 'done', or it was killed for silence (with the folder of what its
 * run wrote before it was killed, if it kept its trace: tester/hang-dump.ts), or it exited.
 */
export type JobEnd = { kind: 'done' } | { kind: 'hung'; message: string; artifacts?: string } | { kind: 'crashed'; message: string };

/**
 * How long a seed may make no progress, by default, before it is called hung: a simulating worker
 * beats while it steps, and on Linux a starved one is told from a stuck one by its CPU time
 * (STUCK_CPU_SHARE), so this bounds how long a stuck loop runs (elsewhere it must also outlast a
 * starved machine); a real world run's silence is wall time, and its waits on real processes are long.
 */
export const HANG_MS = { sim: 60_000, real: 180_000 } as const;

/** What a replay command adds so that it stops a hang as soon as the run it replays did: ` --hang-ms N`, or nothing for the world's default. */
export function hangFlag(ms: number, world: keyof typeof HANG_MS): string {
  return ms === HANG_MS[world] ? '' : ` --hang-ms ${ms}`;
}

/** What every lane worker sends besides its jobs' own messages: a beat while it simulates, and the end of a job. */
export type LaneSignal = { type: 'alive' } | { type: 'done' };

/** A job as its lane sends it: with how often a simulating worker beats (a fraction of the lane's silence limit). */
export type LaneJob<J> = J & { beatMs: number };

/**
 * How long a fresh worker may take to load its modules before its first message. Loading is not
 * lab progress, and on a loaded grading machine it alone can outlast a short --hang-ms.
 */
const STARTUP_MS = 30_000;

/**
 * A beating worker silent for a whole limit is hung only if it ran at least this share of the limit
 * in CPU time since it last spoke: lab code stuck in a loop keeps a core busy, while a worker starved
 * on a loaded machine (or stopped) runs little, and gets another limit. Where /proc cannot tell (not
 * Linux), silence alone decides, as for a real world run, which never beats.
 */
const STUCK_CPU_SHARE = 0.5;
/** A worker silent this many limits is hung however little it ran: one that neither speaks nor runs for so long will not. */
const STARVED_LIMITS = 10;

/** A simulating worker beats four times per silence limit, at most every 250 ms. */
function beatMs(silenceMs: number): number {
  return Math.max(1, Math.min(250, Math.floor(silenceMs / 4)));
}

/** What V8 prints when it dies of memory (a heap past its limit, an array or a map past its largest size). */
const OUT_OF_MEMORY = /Fatal JavaScript invalid size error|JavaScript heap out of memory|Reached heap limit|invalid table size|Invalid array length/;

/** A lane of the worker module at `workerPath`, which takes jobs `J` and sends messages `M` (tester/lane-worker.ts). */
export class Lane<J extends object, M extends { type: string }> {
  private child: ChildProcess | undefined;
  private stderr = '';
  /** The worker has sent nothing yet (it may still be loading). */
  private starting = false;

  constructor(
    private readonly workerPath: string,
    private readonly silenceMs: number,
    /**
     * Before killing a hung worker, read where its code is stuck and have its run write what it
     * traced (stuckStack: it opens the worker's inspector on loopback for a moment). Off in grading
     * with submissions side by side, where another submission's processes could reach that port.
     */
    private readonly stackOnHang = true,
  ) {}

  private worker(): ChildProcess {
    if (this.child) return this.child;
    const child = forkWorker(this.workerPath);
    this.stderr = '';
    this.starting = true;
    child.stderr?.on('data', (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString()).slice(-4000)));
    // A worker that exits between two jobs is dropped: the next job starts a fresh one.
    child.once('exit', () => {
      if (this.child === child) this.child = undefined;
    });
    this.child = child;
    return child;
  }

  /**
   * Run `job`; `onMessage` sees each of its own messages. `at()` names where the worker was, for
   * hung/crashed messages. A worker kept from an earlier job that is gone before it said anything of
   * this one (it died between jobs, unseen yet) never ran it: the job runs again on a fresh worker.
   */
  run(job: J, onMessage: (message: M) => void, at: () => string): Promise<JobEnd> {
    const reused = this.child !== undefined;
    const child = this.worker();
    return new Promise((resolve) => {
      let watchdog: NodeJS.Timeout;
      let heard = false;
      // This job's worker beats (it simulates); when it last spoke, and its CPU ms then.
      let beating = false;
      let heardAt = performance.now();
      let cpuAtHeard: number | undefined;
      const cpuMs = (): number | undefined => (child.pid === undefined ? undefined : processCpuMs(child.pid));
      let ended = false;
      const detach = (): void => {
        ended = true;
        clearTimeout(watchdog);
        child.off('message', message);
        child.off('exit', exited);
      };
      const end = (result: JobEnd): void => {
        detach();
        if (result.kind !== 'done') this.discard();
        resolve(result);
      };
      let limitMs = this.starting ? Math.max(this.silenceMs, STARTUP_MS) : this.silenceMs;
      const hung = (): void => {
        // Nothing the worker says from here on counts for the job: it is hung, whatever it sends.
        detach();
        const killed = `no progress for ${limitMs} ms at ${at()}${this.starting ? ' (the worker never started)' : ''}: the run was killed`;
        const said = (stack: string | undefined): string => (stack === undefined ? killed : `${killed}; its code was stuck at:\n${stack}${hasLabFrame(stack) ? '' : `\n${NO_LAB_FRAME}`}`);
        void (this.stackOnHang && !this.starting ? stuckStack(child, said) : Promise.resolve<Stuck>({})).then(({ stack, artifacts }) =>
          end({ kind: 'hung', message: said(stack), ...(artifacts !== undefined && { artifacts }) }),
        );
      };
      // When the watchdog is due to strike (performance.now()).
      let due = 0;
      const arm = (): void => {
        clearTimeout(watchdog);
        due = performance.now() + limitMs;
        watchdog = setTimeout(strike, limitMs);
      };
      // A strike that comes more than a beat late was held up with this whole process, and the worker
      // may have been too (Ctrl-Z then fg stops and resumes them together: the overdue timer runs
      // before the beat the worker sends as it resumes is read). It judges nothing: the worker gets
      // another whole limit from now. So does a strike on a beating worker that was starved, not stuck.
      const strike = (): void => {
        const heldUp = performance.now() - due > beatMs(this.silenceMs);
        if (heldUp || starved()) arm();
        else hung();
      };
      const starved = (): boolean => {
        if (!beating || cpuAtHeard === undefined || performance.now() - heardAt >= STARVED_LIMITS * limitMs) return false;
        const cpu = cpuMs();
        return cpu !== undefined && cpu - cpuAtHeard < STUCK_CPU_SHARE * limitMs;
      };
      const message = (m: M | LaneSignal): void => {
        heard = true;
        beating ||= m.type === 'alive';
        heardAt = performance.now();
        cpuAtHeard = cpuMs();
        this.starting = false;
        limitMs = this.silenceMs;
        arm();
        if (m.type === 'done') return end({ kind: 'done' });
        if (m.type !== 'alive') onMessage(m as M);
      };
      const exited = (code: number | null, signal: NodeJS.Signals | null): void => {
        if (ended) return;
        if (reused && !heard) {
          detach();
          this.discard();
          return resolve(this.run(job, onMessage, at));
        }
        const stderr = this.stderr.trim();
        const exit = `worker exited (${signal ?? `code ${code}`}) at ${at()}`;
        // V8 dies of memory with no JavaScript stack: say it in words, and how to see where the code was.
        if (OUT_OF_MEMORY.test(stderr)) return end({ kind: 'crashed', message: `the lab code ran out of memory (${exit}): a loop that never ends while it adds to an array, a map or a string? Replay the seed with a short --hang-ms (2000): the run stops before memory runs out and prints where its code was stuck` });
        end({ kind: 'crashed', message: `${exit}${stderr ? `:\n${stderr}` : ''}` });
      };
      arm();
      child.on('message', message);
      child.once('exit', exited);
      // A channel closed already (the worker is gone) fails the send: as if it exited now.
      child.send({ ...job, beatMs: beatMs(this.silenceMs) } satisfies LaneJob<J>, (error) => {
        if (error) exited(child.exitCode, child.signalCode);
      });
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
