// How the long-running commands (start, dashboard, view) end: Ctrl-C, SIGTERM, a closed terminal
// (SIGHUP), or --seconds. It only waits and says why; the command itself closes what it opened. A
// second Ctrl-C while it does so is told to wait, not obeyed by dying half-way (which would leave
// the cluster's data folder behind); a third is obeyed at once, for a cleanup that never ends.
// Run by an npm script (npm start), it also ends when its parent does: npm's shell, which a signal
// sent to npm's own pid kills without passing it on (a launcher stopping the pid it started).

/** How often a command run by an npm script looks whether its parent is still there. */
const PARENT_CHECK_MS = 1000;

export function untilStopped(seconds: number | undefined): Promise<string> {
  return new Promise((resolve) => {
    let signals = 0;
    const stop = (why: string) => () => {
      if (++signals === 2) process.stderr.write('rsmlab: still stopping (every node is being killed and its data removed); a third Ctrl-C quits at once\n');
      if (signals === 3) process.exit(130);
      resolve(why);
    };
    process.on('SIGINT', stop('Ctrl-C'));
    process.on('SIGTERM', stop('SIGTERM'));
    process.on('SIGHUP', stop('SIGHUP: the terminal closed'));
    if (seconds !== undefined) setTimeout(stop(`${seconds} s elapsed`), seconds * 1000).unref();
    if (process.env.npm_lifecycle_event === undefined) return;
    const parent = process.ppid;
    const orphaned = setInterval(() => {
      if (process.ppid === parent) return;
      clearInterval(orphaned);
      stop('npm, which started it, has ended')();
    }, PARENT_CHECK_MS).unref();
  });
}
