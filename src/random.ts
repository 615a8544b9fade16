// Seeded randomness: xoroshiro128+ streams (pure-rand), one per purpose, each derived from the run's
// seed (Streams), so a draw for one purpose never shifts another's: one extra env.random() in lab
// code leaves every delay, loss, tie and disk fault of the run where it was. It never reads the
// clock, Math.random or node:crypto.
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';

const TWO_32 = 0x1_0000_0000;
const TWO_21 = 0x20_0000;

export class Prng {
  private readonly rng: RandomGenerator;

  /** `seed`: any non-negative safe integer; all 53 bits matter. */
  constructor(readonly seed: number) {
    checkSeed(seed);
    const lo = seed % TWO_32 | 0;
    const hi = Math.floor(seed / TWO_32) | 0;
    this.rng = xoroshiro128plusFromState([~hi, ~lo, lo, hi ^ 0x5bd1e995]);
    for (let i = 0; i < 16; i++) this.rng.next(); // spread the seed's few bits over the whole state
  }

  /** Uniform unsigned 32-bit integer. */
  uint32(): number {
    return this.rng.next() >>> 0;
  }

  /** Uniform in [0, 1), with 32 bits of resolution. */
  float(): number {
    return (this.rng.next() >>> 0) / TWO_32;
  }

  /** Uniform integer in [min, max] (both included). */
  int(min: number, max: number): number {
    return min === max ? min : uniformInt(this.rng, min, max);
  }

  /** True with probability p; draws nothing when p is 0 or 1. */
  chance(p: number): boolean {
    if (p <= 0) return false;
    if (p >= 1) return true;
    return this.float() < p;
  }

  /** A random (version 4) UUID made of 122 drawn bits: the simulator's env.nonce(). */
  uuid(): string {
    const hex = (n: number): string => (n >>> 0).toString(16).padStart(8, '0');
    const a = hex(this.uint32());
    const b = hex(((this.uint32() & 0xffff0fff) | 0x4000) >>> 0); // version 4
    const c = hex(((this.uint32() & 0x3fffffff) | 0x80000000) >>> 0); // variant 10
    const d = hex(this.uint32());
    return `${a}-${b.slice(0, 4)}-${b.slice(4)}-${c.slice(0, 4)}-${c.slice(4)}${d}`;
  }
}

function checkSeed(seed: number): void {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`seed must be a non-negative safe integer, not ${seed}`);
}

/** A 32-bit avalanche of x (murmur3's finalizer). */
function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** The seed of `purpose`'s stream in the run of `seed`: a safe integer that depends on all bits of both. */
export function streamSeed(seed: number, purpose: string): number {
  checkSeed(seed);
  let h = 0x811c9dc5; // FNV-1a over the purpose's UTF-16 units
  for (let i = 0; i < purpose.length; i++) h = Math.imul(h ^ purpose.charCodeAt(i), 0x01000193);
  const lo = seed % TWO_32 >>> 0;
  const hi = Math.floor(seed / TWO_32) >>> 0;
  const a = mix32(lo ^ mix32(h ^ 0x9e3779b9));
  const b = mix32(hi ^ mix32(a ^ h));
  return (b % TWO_21) * TWO_32 + mix32(a ^ b);
}

/**
 * What a simulated run draws randomness for. Each purpose has its own stream; each node's lab code
 * (its env.random() and env.nonce()) has one of its own, kept across its restarts.
 */
export type Purpose =
  | 'ties' // the order of events due at the same instant (scheduler.ts)
  | 'network' // message delay, loss and duplication (network.ts)
  | 'disk' // what a crash does to unsynced writes, corruption noise, IO latency and sector faults (disk.ts)
  | 'faults' // crashes, restarts and partitions a scenario draws: the VOPR's nemesis, kill times (ScenarioContext.faults)
  | 'workload'; // the client load's and the scenario's other own choices (ScenarioContext.random)

/**
 * The simulated world's randomness: one stream per purpose it draws for, all derived from one seed.
 * The tester's two ('faults', 'workload') come from the same seed through streamRandom.
 */
export class Streams {
  readonly ties: Prng;
  readonly network: Prng;
  readonly disk: Prng;
  private readonly labs = new Map<string, Prng>();

  constructor(readonly seed: number) {
    this.ties = this.stream('ties');
    this.network = this.stream('network');
    this.disk = this.stream('disk');
  }

  private stream(purpose: Purpose | `lab:${string}`): Prng {
    return new Prng(streamSeed(this.seed, purpose));
  }

  /** The stream of node (or client) `id`'s own code: its env.random() and env.nonce(). */
  lab(id: string): Prng {
    let prng = this.labs.get(id);
    if (prng === undefined) {
      prng = this.stream(`lab:${id}`);
      this.labs.set(id, prng);
    }
    return prng;
  }
}

/** A function returning uniform numbers in [0, 1), fully determined by `seed` (unit tests' own choices). */
export function seededRandom(seed: number): () => number {
  const prng = new Prng(Math.abs(Math.trunc(seed)));
  return () => prng.float();
}

/** The run's `purpose` stream as a function (the tester's: 'workload' for its load, 'faults' for the faults it draws). */
export function streamRandom(seed: number, purpose: Purpose): () => number {
  const prng = new Prng(streamSeed(Math.abs(Math.trunc(seed)), purpose));
  return () => prng.float();
}
