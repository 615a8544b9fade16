// An async mutex (the seed's pthread mutexes, for code that awaits while holding them): waiters
// run in arrival order. It never times out and never reenters: a holder that awaits itself hangs.

export class Mutex {
  private tail: Promise<void> = Promise.resolve();

  /** Run `critical` alone: it starts once every earlier caller's critical section has finished. */
  async run<T>(critical: () => Promise<T>): Promise<T> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((resolve) => (release = resolve));
    await previous;
    try {
      return await critical();
    } finally {
      release();
    }
  }
}
