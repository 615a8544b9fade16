// A condition variable for async code (the seed's pthread_cond_t): wait() resolves at the next
// notifyAll(). Like its model it has no memory: a notify with nobody waiting is lost, so callers
// re-check their predicate in a loop. It never times out; pair it with a timer if one is needed.

export class Condition {
  private waiters: (() => void)[] = [];

  wait(): Promise<void> {
    return new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  notifyAll(): void {
    const waking = this.waiters;
    this.waiters = [];
    for (const wake of waking) wake();
  }
}
