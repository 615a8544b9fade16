// The set of ops linearized so far on the current search path: a bitset with an incremental
// Zobrist hash (one fixed random word per op, XORed in and out), so hashing costs O(1) per step.
// It never decides anything; the search owns it and the visited cache copies its words.

export class LinearizedSet {
  readonly words: Uint32Array;
  /** XOR of the keys of the members: equal sets hash alike, whatever order built them. */
  hash = 0;
  private readonly keys: Int32Array;

  constructor(size: number) {
    this.words = new Uint32Array(Math.max(1, Math.ceil(size / 32)));
    this.keys = zobristKeys(size);
  }

  /** The hash this set would have with `op` toggled. */
  hashWith(op: number): number {
    return this.hash ^ this.keys[op]!;
  }

  add(op: number): void {
    this.words[op >>> 5]! |= 1 << (op & 31);
    this.hash ^= this.keys[op]!;
  }

  remove(op: number): void {
    this.words[op >>> 5]! &= ~(1 << (op & 31));
    this.hash ^= this.keys[op]!;
  }
}

/** Deterministic pseudo-random keys (xorshift32 from a fixed seed): same run, same hashes. */
function zobristKeys(size: number): Int32Array {
  const keys = new Int32Array(size);
  let x = 0x2545f491;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    keys[i] = x;
  }
  return keys;
}
