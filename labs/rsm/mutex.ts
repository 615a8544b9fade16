// An async mutex (the seed's pthread mutexes, for code that awaits while holding them): waiters
// run in arrival order. It never times out and never reenters: a holder that awaits itself hangs.

export class Mutex {
  private held = false;
  /** Callers waiting for the mutex, in arrival order; a release hands it straight to the first. */
  private readonly waiting: (() => void)[] = [];

  /** Run `critical` alone: it starts once every earlier caller's critical section has finished. */
  async run<T>(critical: () => Promise<T>): Promise<T> {
    if (this.held) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.held = true;
    try {
      return await critical();
    } finally {
      const next = this.waiting.shift();
      if (next === undefined) this.held = false;
      else next();
    }
  }
}
