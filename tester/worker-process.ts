// How the tester starts a worker process (the suite's lanes, the mutation gate's workers): IPC for
// its jobs, stderr kept for a crash report, and source maps on, so a stack trace from a student's
// code names its .ts file and line. It only starts the process; callers own its jobs and watchdogs.
import { fork, type ChildProcess } from 'node:child_process';

/** Fork the worker module at `path` (compiled JS beside its source maps). */
export function forkWorker(path: string): ChildProcess {
  const execArgv = process.execArgv.includes('--enable-source-maps') ? process.execArgv : [...process.execArgv, '--enable-source-maps'];
  return fork(path, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], execArgv });
}
