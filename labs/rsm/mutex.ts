// An async mutex (the seed's pthread mutexes, for code that awaits while holding them): waiters
// run in arrival order. It never times out and never reenters: a holder that awaits itself hangs.

export class Mutex {
  private held = false;
  /** Callers waiting for the mutex, in arrival order; a release hands it straight to the first. */
  private readonly waiting: (() => void)[] = [];
  private readonly release = (): void => {
    const next = this.waiting.shift();
    if (next === undefined) this.held = false;
    else next();
  };

  /** Run `critical` alone: it starts once every earlier caller's critical section has finished. */
  run<T>(critical: () => Promise<T>): Promise<T> {
    if (!this.held) {
      this.held = true;
      return this.enter(critical);
    }
    return new Promise<void>((resolve) => this.waiting.push(resolve)).then(() => this.enter(critical));
  }

  /** Start the critical section; the mutex passes on once it settles, however it ends (no async wrapper: a client request's hot path). */
  private enter<T>(critical: () => Promise<T>): Promise<T> {
    let done: Promise<T>;
    try {
      done = critical();
    } catch (e) {
      this.release();
      return Promise.reject(e);
    }
    done.then(this.release, this.release);
    return done;
  }
}
