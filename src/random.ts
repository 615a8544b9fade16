// Seeded randomness: a xoroshiro128+ stream (pure-rand). It is the simulator's one source of
// randomness (delays, loss, ties, disk faults, env.random) and the tester's for its own choices;
// it never reads the clock or Math.random.
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';

const TWO_32 = 0x1_0000_0000;

export class Prng {
  private readonly rng: RandomGenerator;

  /** `seed`: any non-negative safe integer; all 53 bits matter. */
  constructor(readonly seed: number) {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`seed must be a non-negative safe integer, not ${seed}`);
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
}

/** A function returning uniform numbers in [0, 1), fully determined by `seed` (scenario and workload choices). */
export function seededRandom(seed: number): () => number {
  const prng = new Prng(Math.abs(Math.trunc(seed)));
  return () => prng.float();
}
