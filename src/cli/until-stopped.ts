// How the long-running commands (start, dashboard, view) end: Ctrl-C, SIGTERM, or --seconds. It
// only waits and says why; the command itself closes what it opened.
export function untilStopped(seconds: number | undefined): Promise<string> {
  return new Promise((resolve) => {
    const stop = (why: string) => () => resolve(why);
    process.once('SIGINT', stop('Ctrl-C'));
    process.once('SIGTERM', stop('SIGTERM'));
    if (seconds !== undefined) setTimeout(stop(`${seconds} s elapsed`), seconds * 1000).unref();
  });
}
