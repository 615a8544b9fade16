// The framework's cheapest way to run code after the current job: a settled promise's then()
// queues a promise job. It owns nothing else, and lab code never needs it (it awaits env calls).

/**
 * A settled promise: its then() queues a job at half the cost of queueMicrotask, which makes an
 * AsyncResource and a bound wrapper for every call, and without process.nextTick's
 * tick-and-rejection pass.
 */
export const settled: Promise<void> = Promise.resolve();
