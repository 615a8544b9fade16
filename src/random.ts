// Seeded randomness for framework code that must be reproducible (scenario choices, workloads).
// A thin wrapper over pure-rand's xoroshiro128+; never use Math.random where a seed is in play.
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

/** A function returning uniform numbers in [0, 1), fully determined by `seed`. */
export function seededRandom(seed: number): () => number {
  const rng = xoroshiro128plus(seed | 0);
  return () => uniformFloat64(rng);
}
