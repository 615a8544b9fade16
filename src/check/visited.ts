// The cache of visited search configurations: (linearized set, model state) pairs already
// explored without success, so the search never explores one twice. An open-addressing hash
// table over flat typed arrays; it never interprets states beyond the model's equal().

export class VisitedCache<S> {
  private readonly width: number;
  private pool: Uint32Array;
  private hashes: Int32Array;
  private readonly states: S[] = [];
  /** Slot -> entry + 1; 0 is an empty slot. */
  private table: Int32Array;
  private count = 0;

  constructor(
    words: number,
    private readonly equal: (a: S, b: S) => boolean,
  ) {
    this.width = words;
    this.pool = new Uint32Array(words * 1024);
    this.hashes = new Int32Array(1024);
    this.table = new Int32Array(2048);
  }

  get size(): number {
    return this.count;
  }

  /** Remember (set, state) under `hash`; false if it was already there. */
  insert(hash: number, set: Uint32Array, state: S): boolean {
    const mask = this.table.length - 1;
    let slot = hash & mask;
    for (let entry = this.table[slot]!; entry !== 0; entry = this.table[slot]!) {
      if (this.hashes[entry - 1] === hash && this.sameSet(entry - 1, set) && this.equal(this.states[entry - 1]!, state)) return false;
      slot = (slot + 1) & mask;
    }
    this.append(hash, set, state);
    this.table[slot] = this.count;
    if (this.count * 2 > this.table.length) this.rehash();
    return true;
  }

  private sameSet(entry: number, set: Uint32Array): boolean {
    const base = entry * this.width;
    for (let i = 0; i < this.width; i++) if (this.pool[base + i] !== set[i]) return false;
    return true;
  }

  private append(hash: number, set: Uint32Array, state: S): void {
    if (this.count === this.hashes.length) {
      const pool = new Uint32Array(this.pool.length * 2);
      pool.set(this.pool);
      this.pool = pool;
      const hashes = new Int32Array(this.hashes.length * 2);
      hashes.set(this.hashes);
      this.hashes = hashes;
    }
    this.pool.set(set, this.count * this.width);
    this.hashes[this.count] = hash;
    this.states.push(state);
    this.count++;
  }

  private rehash(): void {
    const table = new Int32Array(this.table.length * 2);
    const mask = table.length - 1;
    for (let entry = 0; entry < this.count; entry++) {
      let slot = this.hashes[entry]! & mask;
      while (table[slot] !== 0) slot = (slot + 1) & mask;
      table[slot] = entry + 1;
    }
    this.table = table;
  }
}
