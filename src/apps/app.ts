// The common interface of the replicated apps and the factory the RSM layer builds them with.
// An app is a deterministic state machine: it never blocks, reads a clock, draws randomness or
// does I/O, so every replica that executes the same requests ends in the same snapshot.
import type { Json } from '../env/types.js';
import { classicTiming, type Timing } from '../timing.js';
import { KvStore } from './kv.js';
import { LockService } from './lock.js';
import type { AppResult } from './result.js';

export type { AppResult } from './result.js';

export const appNames = ['kv', 'lock'] as const;
export type AppName = (typeof appNames)[number];

/** Who asked and when: `time` is stamped by the primary into the replicated request, so every replica sees the same. */
export interface AppContext {
  client: string;
  time: number;
}

export interface StateMachine {
  readonly name: AppName;
  /** Run one op. Never throws: an unknown op or bad args answer {ok: false} and change nothing. */
  execute(op: unknown, ctx: AppContext): AppResult;
  /** The whole state as JSON; equal states give equal canonicalJson text. */
  snapshot(): Json;
  /** Replace the whole state with a snapshot from snapshot(); throws (changing nothing) on a malformed one. */
  restore(snapshot: Json): void;
}

export function isAppName(name: string): name is AppName {
  return (appNames as readonly string[]).includes(name);
}

/** A fresh app in its initial state. The lock service's lease comes from `timing.lockLeaseMs`. */
export function createStateMachine(name: AppName, timing: Timing = classicTiming): StateMachine {
  switch (name) {
    case 'kv':
      return new KvStore();
    case 'lock':
      return new LockService(timing.lockLeaseMs);
  }
}
