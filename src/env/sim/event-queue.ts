// The simulator's pending events: a binary min-heap ordered by (time, tie, seq). `tie` is a PRNG
// draw made when the event is scheduled, so events due in the same millisecond run in a seeded
// random order; `seq` (insertion order) settles the rest. It never runs events: scheduler.ts does.

export abstract class SimEvent {
  time = 0;
  tie = 0;
  seq = 0;
  /**
   * Do what the event does. Returns true if it may have run lab or tester code or settled a promise,
   * so the microtask queue must drain before the next event; false for pure bookkeeping.
   */
  abstract fire(): boolean;
}

function before(a: SimEvent, b: SimEvent): boolean {
  if (a.time !== b.time) return a.time < b.time;
  if (a.tie !== b.tie) return a.tie < b.tie;
  return a.seq < b.seq;
}

export class EventQueue {
  private readonly heap: SimEvent[] = [];

  get size(): number {
    return this.heap.length;
  }

  push(event: SimEvent): void {
    const heap = this.heap;
    let i = heap.length;
    heap.push(event);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent]!;
      if (!before(event, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = event;
  }

  pop(): SimEvent | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    const n = heap.length;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && before(heap[right]!, heap[left]!) ? right : left;
      const c = heap[child]!;
      if (!before(c, last)) break;
      heap[i] = c;
      i = child;
    }
    heap[i] = last;
    return top;
  }
}
