// The lock-service model (src/apps/lock.ts): named locks, each free or held by one owner; one
// partition per lock name. Leases never expire here: check runs whose leases outlive them.
// It never blocks: an acquire of a held lock answers "not granted, held by h", as the app does.
import type { Json } from '../../env/types.js';
import type { HistoryEvent } from '../history.js';
import { REJECTED, UNKNOWN, accepted, hashString, type Model, type Outcome, type Step } from '../model.js';

/** Who holds the partition's lock, or null when it is free. */
export type Holder = string | null;

export interface LockInput {
  f: 'acquire' | 'release' | 'renew';
  lock: string;
  owner: string;
}

/** acquire -> whether it was granted and, if known, who holds the lock now; release, renew -> null. */
export type LockOutput = { granted: boolean; holder: Holder } | null;

export type LockModel = Model<Holder, LockInput, LockOutput>;

export const lockModel: LockModel = {
  name: 'lock',
  init: () => null,
  step,
  equal: (a, b) => a === b,
  hash: (holder) => (holder === null ? 0 : hashString(holder)),
  partition: (input) => input.lock,
  describeOperation,
  describeState: (holder) => (holder === null ? 'free' : `held by ${holder}`),
  input: readInput,
  output: readOutput,
};

function step(holder: Holder, input: LockInput, output: Outcome<LockOutput>): Step<Holder> {
  const mine = holder === input.owner;
  switch (input.f) {
    case 'acquire':
      if (output === UNKNOWN) return accepted(holder === null || mine ? input.owner : holder);
      if (output === null || output.granted) return holder === null || mine ? accepted(input.owner) : REJECTED;
      return holder !== null && !mine && (output.holder === null || output.holder === holder) ? accepted(holder) : REJECTED;
    case 'release':
      if (mine) return accepted(null);
      return output === UNKNOWN ? accepted(holder) : REJECTED;
    case 'renew':
      return mine || output === UNKNOWN ? accepted(holder) : REJECTED;
  }
}

function readInput(invoke: HistoryEvent): LockInput {
  const f = invoke.f;
  if (f !== 'acquire' && f !== 'release' && f !== 'renew') throw new Error(`lock has no op '${f}' (it has acquire, release, renew)`);
  if (invoke.key === undefined) throw new Error(`lock ${f} needs a key (the lock's name)`);
  const owner = typeof invoke.value === 'string' ? invoke.value : String(invoke.process);
  return { f, lock: invoke.key, owner };
}

function readOutput(input: LockInput, ok: HistoryEvent): LockOutput {
  if (input.f !== 'acquire') return null;
  const v = ok.value;
  if (v === null || v === true) return { granted: true, holder: input.owner };
  if (v === false) return { granted: false, holder: null };
  if (typeof v === 'object' && !Array.isArray(v) && typeof v.granted === 'boolean') {
    const holder = readHolder(v.owner);
    if (v.granted && holder !== null && holder !== input.owner) throw new Error(`acquire by ${input.owner} answered granted to ${holder}`);
    return { granted: v.granted, holder: v.granted ? input.owner : holder };
  }
  throw new Error(`acquire's result must be {granted, owner}, true, false or null, got ${JSON.stringify(v)}`);
}

function readHolder(owner: Json | undefined): Holder {
  if (owner === undefined || owner === null) return null;
  if (typeof owner === 'string') return owner;
  throw new Error(`acquire's owner must be a string, got ${JSON.stringify(owner)}`);
}

function describeOperation(input: LockInput, output: Outcome<LockOutput>): string {
  const call = `${input.f}(${JSON.stringify(input.lock)}) by ${input.owner}`;
  if (output === UNKNOWN) return `${call} → ?`;
  if (output === null) return call;
  if (output.granted) return `${call} → granted`;
  return `${call} → not granted${output.holder === null ? '' : ` (held by ${output.holder})`}`;
}
