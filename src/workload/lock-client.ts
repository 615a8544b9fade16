// The lock workload of one client: pick a lock, acquire it (waiting and retrying until granted:
// one history op from first request to grant), hold it briefly, release it. After an unknown
// outcome it releases that lock once more, so a grant it never heard of does not sit until its lease ends.
import type { LockOp } from '../apps/lock.js';
import { acquireUntilGranted } from './acquire.js';
import { completionOf, type WorkloadClient } from './client.js';

export interface LockClientOptions {
  /** Acquire/hold/release cycles (two history ops each, plus a release after an unknown outcome). */
  cycles: number;
  /** Locks are "l0" .. "l{locks-1}", after `names`. */
  locks: number;
  /** What every lock name starts with (WorkloadOptions.names). */
  names: string;
  holdMs: number;
  retryMs: number;
  random(): number;
  sleep(ms: number): Promise<void>;
  think(): Promise<void>;
  /** Asked after each think time: true ends the client before its next cycle. */
  stopped(): boolean;
}

export async function runLockClient(client: WorkloadClient, options: LockClientOptions): Promise<void> {
  const send = (op: LockOp) => client.send(op);
  for (let n = 0; n < options.cycles; n++) {
    await options.think();
    if (options.stopped()) return;
    const lock = `${options.names}l${Math.floor(options.random() * options.locks)}`;
    const acquired = await client.op('acquire', lock, client.name, async () => completionOf(await acquireUntilGranted(send, lock, options)));
    if (acquired?.type === 'fail') continue;
    let unknown = acquired === null;
    if (!unknown) {
      await options.sleep(options.holdMs);
      unknown = (await release(client, lock)) === null;
    }
    if (unknown) await release(client, lock); // give back a grant we may not have heard of
  }
}

function release(client: WorkloadClient, lock: string) {
  return client.op('release', lock, client.name, async () => completionOf(await client.send({ f: 'release', lock })));
}
