// The WGL entry list: every op's call and return, ordered by time, as a doubly linked list over
// typed arrays. Entry i < n is op i's call, entry n + i its return; lift/unlift (dancing links)
// take an op's pair out while it is linearized and put it back on backtrack. No search logic here.

export class EntryList {
  readonly next: Int32Array;
  readonly prev: Int32Array;
  /** The sentinel before the first entry. */
  readonly head: number;
  private readonly n: number;

  /** `call[i]` and `ret[i]` are op i's times; at equal times calls come first (concurrent). */
  constructor(call: ArrayLike<number>, ret: ArrayLike<number>) {
    const n = call.length;
    this.n = n;
    this.head = 2 * n;
    this.next = new Int32Array(2 * n + 1);
    this.prev = new Int32Array(2 * n + 1);
    const time = (e: number): number => (e < n ? call[e]! : ret[e - n]!);
    const order = Array.from({ length: 2 * n }, (_, e) => e);
    order.sort((a, b) => time(a) - time(b) || (a < n ? 0 : 1) - (b < n ? 0 : 1) || a - b);
    let last = this.head;
    this.prev[this.head] = -1;
    for (const e of order) {
      this.next[last] = e;
      this.prev[e] = last;
      last = e;
    }
    this.next[last] = -1;
  }

  first(): number {
    return this.next[this.head]!;
  }

  isCall(entry: number): boolean {
    return entry < this.n;
  }

  /** The op an entry belongs to. */
  op(entry: number): number {
    return entry < this.n ? entry : entry - this.n;
  }

  /** Take op's call and return out of the list. */
  lift(op: number): void {
    this.unlink(op);
    this.unlink(op + this.n);
  }

  /** Put back what lift(op) took out; lifts must be undone in reverse order. */
  unlift(op: number): void {
    this.relink(op + this.n);
    this.relink(op);
  }

  private unlink(e: number): void {
    const p = this.prev[e]!;
    const q = this.next[e]!;
    this.next[p] = q;
    if (q !== -1) this.prev[q] = p;
  }

  private relink(e: number): void {
    const p = this.prev[e]!;
    const q = this.next[e]!;
    this.next[p] = e;
    if (q !== -1) this.prev[q] = e;
  }
}
