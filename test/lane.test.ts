// A lane (tester/lane.ts) whose worker exits between two jobs: the next job runs on a fresh worker
// and ends 'done', neither blamed for the exit nor left waiting for the silence limit. A lane held up
// with its worker (Ctrl-Z, then fg) does not call the worker hung when it resumes. A simulating
// worker starved of CPU (here: stopped alone) is not hung either; one spinning in a loop is.
import { join } from 'node:path';
import { expect } from 'chai';
import { NO_LAB_FRAME } from '../tester/failure-text.js';
import { Lane, type JobEnd } from '../tester/lane.js';
import type { ExitJob, ExitMessage } from './fixtures/lane-worker-exit.js';
import type { TickJob, TickMessage } from './fixtures/lane-worker-ticks.js';
import { isRunning } from './fixtures/pid.js';

const workerPath = join(process.cwd(), 'dist', 'test', 'fixtures', 'lane-worker-exit.js');
const ticksPath = join(process.cwd(), 'dist', 'test', 'fixtures', 'lane-worker-ticks.js');


/** Two jobs on one lane, the first one's worker dying `after` it; whether to wait until it is gone before the second. */
async function twoJobs(after: ExitJob['after'], waitGone: boolean): Promise<void> {
  // A silence limit far past the test's own timeout: a job left waiting on the dead worker fails the test.
  const lane = new Lane<ExitJob, ExitMessage>(workerPath, 600_000);
  try {
    const pids: number[] = [];
    const onPid = (m: ExitMessage): void => void pids.push(m.pid);
    expect(await lane.run({ after }, onPid, () => 'job 1')).to.deep.equal({ kind: 'done' });
    while (waitGone && isRunning(pids[0]!)) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await lane.run({ after: 'stay' }, onPid, () => 'job 2')).to.deep.equal({ kind: 'done' });
    expect(pids).to.have.length(2);
    expect(pids[1]).to.not.equal(pids[0]);
  } finally {
    lane.close();
  }
}

describe('lane: a worker that exits between jobs', function () {
  this.timeout(60_000);

  it('costs the next job nothing once its exit was seen: the job starts a fresh worker', () => twoJobs('exit', true));

  it('costs the next job nothing when it dies as the job reaches it: the job runs again on a fresh worker', () => twoJobs('exit-at-next-job', false));
});

describe('lane: stopped and resumed with its worker (Ctrl-Z, then fg)', function () {
  this.timeout(60_000);

  it('calls nothing hung: its overdue strike, held up with it, gives the worker another limit to speak', async () => {
    const lane = new Lane<TickJob, TickMessage>(ticksPath, 1000);
    let held = false;
    // At the worker's first tick: stop it (nothing more of it is on the way), hold this process up for
    // three silence limits, resume the worker. The lane's strike is overdue, and runs before the
    // worker's next tick is read; judging it, the lane called the worker hung, every time.
    const holdUp = (m: TickMessage): void => {
      if (held) return;
      held = true;
      process.kill(m.pid, 'SIGSTOP');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 3000);
      process.kill(m.pid, 'SIGCONT');
    };
    try {
      expect(await lane.run({ ticks: 10, everyMs: 100 }, holdUp, () => 'the ticking job')).to.deep.equal({ kind: 'done' });
      expect(held, 'the job was held up').to.equal(true);
    } finally {
      lane.close();
    }
  });
});

describe('lane: a simulating worker silent for a limit is hung only if it ran (stuck), not if it was starved', function () {
  this.timeout(60_000);

  /** Run `job` on a lane with a 1 s limit; at its first tick, stop its worker alone for `stopMs` (this process runs on: its strikes come on time). */
  async function stoppedAtFirstTick(job: TickJob, stopMs: number): Promise<{ end: JobEnd; stopped: boolean }> {
    const lane = new Lane<TickJob, TickMessage>(ticksPath, 1000, false);
    let stopped = false;
    const stop = (m: TickMessage): void => {
      if (stopped || stopMs === 0) return;
      stopped = true;
      process.kill(m.pid, 'SIGSTOP');
      setTimeout(() => isRunning(m.pid) && process.kill(m.pid, 'SIGCONT'), stopMs);
    };
    try {
      return { end: await lane.run(job, stop, () => 'the ticking job'), stopped };
    } finally {
      lane.close();
    }
  }

  it('a beating worker stopped for three limits (it runs no CPU) is starved: it finishes its job', async () => {
    const { end, stopped } = await stoppedAtFirstTick({ ticks: 10, everyMs: 100, simulates: true }, 3000);
    expect(stopped, 'the worker was stopped').to.equal(true);
    expect(end).to.deep.equal({ kind: 'done' });
  });

  it('a job that never beats (a real world run) is judged by its silence alone: stopped the same way, it is hung', async () => {
    const { end } = await stoppedAtFirstTick({ ticks: 10, everyMs: 100 }, 3000);
    expect(end.kind).to.equal('hung');
  });

  it('a beating worker spinning in a loop (it runs a core) is hung', async () => {
    const { end } = await stoppedAtFirstTick({ ticks: 10, everyMs: 100, simulates: true, spinAfter: 2 }, 0);
    expect(end).to.deep.equal({ kind: 'hung', message: 'no progress for 1000 ms at the ticking job: the run was killed' });
  });

  it('a hang whose stack holds no frame of lab code says so: the framework was busy with what the lab asked of it', async () => {
    const lane = new Lane<TickJob, TickMessage>(ticksPath, 1000);
    try {
      const end = await lane.run({ ticks: 10, everyMs: 100, simulates: true, spinAfter: 2 }, () => undefined, () => 'the ticking job');
      expect(end.kind === 'hung' ? end.message : end.kind).to.match(/its code was stuck at:\n {4}at .*lane-worker-ticks/).and.include(`\n${NO_LAB_FRAME}`);
    } finally {
      lane.close();
    }
  });
});
