// The client side of a lock that is held by someone else: the lock service never blocks, so the
// client asks again with a jittered, capped exponential backoff until it is granted. It never
// records history (the caller does) and never reads a real clock: pauses come from the injected sleep.
import type { AppResult } from '../apps/app.js';
import type { LockOp } from '../apps/lock.js';

export interface AcquireOptions {
  /** The first pause after a refusal (ms); later pauses double up to 8x this, each times 0.5..1.5. */
  retryMs: number;
  sleep(ms: number): Promise<void>;
  random(): number;
}

const MAX_BACKOFF_DOUBLINGS = 3;

/** Acquire `lock` through `send` until granted; an error result ends the wait and is returned as is. */
export async function acquireUntilGranted(send: (op: LockOp) => Promise<AppResult>, lock: string, options: AcquireOptions): Promise<AppResult> {
  for (let attempt = 0; ; attempt++) {
    const result = await send({ f: 'acquire', lock });
    if (!result.ok || isGranted(result.value)) return result;
    const base = options.retryMs * 2 ** Math.min(attempt, MAX_BACKOFF_DOUBLINGS);
    await options.sleep(Math.max(1, Math.round(base * (0.5 + options.random()))));
  }
}

function isGranted(value: unknown): boolean {
  return typeof value === 'object' && value !== null && 'granted' in value && value.granted === true;
}
