// How the tester starts a worker process (the suite's lanes, the mutation gate's workers): IPC for
// its jobs, stderr kept for a crash report, and source maps on, so a stack trace from a student's
// code names its .ts file and line. Its inspector, if SIGUSR1 opens it (tester/stuck-stack.ts),
// listens on a port of its own choosing. It only starts the process; callers own its jobs and watchdogs.
import { fork, type ChildProcess } from 'node:child_process';

/** Fork the worker module at `path` (compiled JS beside its source maps). */
export function forkWorker(path: string): ChildProcess {
  const flags = ['--enable-source-maps', ...(process.features.inspector ? ['--inspect-port=0'] : [])];
  const execArgv = [...process.execArgv, ...flags.filter((flag) => !process.execArgv.some((given) => given.split('=')[0] === flag.split('=')[0]))];
  return fork(path, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], execArgv });
}
