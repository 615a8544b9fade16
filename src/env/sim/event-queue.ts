// The simulator's pending events: a binary min-heap ordered by (time, tie, seq). `tie` is a PRNG
// draw made when the event is scheduled, so events due in the same millisecond run in a seeded
// random order; `seq` (insertion order) settles the rest. An event that can no longer do anything
// (a cancelled timer, the timeout of a settled call) is taken out at once, so the heap holds only
// live events. It never runs events: scheduler.ts does.

export abstract class SimEvent {
  time = 0;
  /** The tie draw, moved down by 2^31 (same order): a signed 32-bit integer, which V8 keeps unboxed. */
  tie = 0;
  seq = 0;
  /** Its place in the heap, or -1 when not queued. */
  index = -1;
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
    this.heap.push(event);
    this.up(event, this.heap.length - 1);
  }

  pop(): SimEvent | undefined {
    const top = this.heap[0];
    if (top !== undefined) this.removeAt(0);
    return top;
  }

  /** Take `event` out if it is queued (it will never fire). */
  remove(event: SimEvent): void {
    const i = event.index;
    if (i >= 0 && this.heap[i] === event) this.removeAt(i);
  }

  private removeAt(i: number): void {
    const heap = this.heap;
    heap[i]!.index = -1;
    const last = heap.pop()!;
    if (i === heap.length) return;
    if (i > 0 && before(last, heap[(i - 1) >> 1]!)) this.up(last, i);
    else this.down(last, i);
  }

  /** Place `event` at hole `i` or above it. */
  private up(event: SimEvent, i: number): void {
    const heap = this.heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent]!;
      if (!before(event, p)) break;
      heap[i] = p;
      p.index = i;
      i = parent;
    }
    heap[i] = event;
    event.index = i;
  }

  /** Place `event` at hole `i` or below it. */
  private down(event: SimEvent, i: number): void {
    const heap = this.heap;
    const n = heap.length;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && before(heap[right]!, heap[left]!) ? right : left;
      const c = heap[child]!;
      if (!before(c, event)) break;
      heap[i] = c;
      c.index = i;
      i = child;
    }
    heap[i] = event;
    event.index = i;
  }
}
