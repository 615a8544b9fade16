// A lane (tester/lane.ts) whose worker exits between two jobs: the next job runs on a fresh worker
// and ends 'done', neither blamed for the exit nor left waiting for the silence limit.
import { join } from 'node:path';
import { expect } from 'chai';
import { Lane } from '../tester/lane.js';
import type { ExitJob, ExitMessage } from './fixtures/lane-worker-exit.js';
import { isRunning } from './fixtures/pid.js';

const workerPath = join(process.cwd(), 'dist', 'test', 'fixtures', 'lane-worker-exit.js');


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
