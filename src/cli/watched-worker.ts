// The worker process of a watched command (src/cli/watched.ts): it runs `rsmlab sim` or
// `rsmlab shrink` on its parent's job and sends back the text to print and the exit code, or the
// refusal to report. It runs lab code; it never prints, and only its parent decides what a silence means.
import { report as send, serveJobs } from '../../tester/lane-worker.js';
import { simCommand } from './sim-command.js';
import { shrinkCommand } from './shrink-command.js';
import type { CommandOutput, WatchedJob, WatchedMessage } from './watched.js';

const report: (message: WatchedMessage) => Promise<void> = send;

function run(job: WatchedJob): Promise<CommandOutput> {
  return job.command === 'sim' ? simCommand(job.lab, job.scenario, job.options) : shrinkCommand(job.lab, job.scenario, job.options);
}

serveJobs(
  (job: WatchedJob) =>
    run(job).then(
      (output) => report({ type: 'output', ...output }),
      (e: unknown) => report({ type: 'refused', message: e instanceof Error ? e.message : String(e) }),
    ),
  () => true,
);
