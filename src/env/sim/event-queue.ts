// The simulator's pending events: a binary min-heap ordered by (time, tie, seq). `tie` is a PRNG
// draw made when the event is scheduled, so events due in the same millisecond run in a seeded
// random order; `seq` (insertion order) settles the rest. An event that can no longer do anything
// (a cancelled timer, the timeout of a settled call) is taken out at once, so the heap holds only
// live events. It never runs events: scheduler.ts does.
//
// The keys live in typed arrays beside the heap's events, not on the events: the events are of six
// classes, so reading a key off one was a megamorphic property load (and writing one, a store), the
// heap's main cost. Replaying the same pushes, pops and removals of six event classes, this heap
// takes about half the CPU of one with the keys on the events.

export abstract class SimEvent {
  /** Its place in the heap, or -1 when not queued. */
  index = -1;
  /**
   * Do what the event does. Returns true if it may have run lab or tester code or settled a promise,
   * so the microtask queue must drain before the next event; false for pure bookkeeping.
   */
  abstract fire(): boolean;
}

export class EventQueue {
  private readonly events: SimEvent[] = [];
  /** The keys of events[i]: its due time, its tie draw (moved down by 2^31: an int32), its seq. */
  private times = new Float64Array(64);
  private ties = new Int32Array(64);
  private seqs = new Float64Array(64);
  /** The due time of the event pop() returned last. */
  poppedTime = 0;

  get size(): number {
    return this.events.length;
  }

  push(event: SimEvent, time: number, tie: number, seq: number): void {
    const i = this.events.length;
    if (i === this.times.length) this.grow();
    this.events.push(event);
    this.up(event, time, tie, seq, i);
  }

  /** The due time of the next event, left queued; undefined if none is queued. */
  get nextTime(): number | undefined {
    return this.events.length === 0 ? undefined : this.times[0];
  }

  /** The next event (its due time in poppedTime), taken out; undefined if none is queued. */
  pop(): SimEvent | undefined {
    const top = this.events[0];
    if (top === undefined) return undefined;
    this.poppedTime = this.times[0]!;
    this.removeAt(0);
    return top;
  }

  /** Take `event` out if it is queued (it will never fire). */
  remove(event: SimEvent): void {
    const i = event.index;
    if (i >= 0 && this.events[i] === event) this.removeAt(i);
  }

  private grow(): void {
    const n = this.times.length * 2;
    const times = new Float64Array(n);
    const ties = new Int32Array(n);
    const seqs = new Float64Array(n);
    times.set(this.times);
    ties.set(this.ties);
    seqs.set(this.seqs);
    this.times = times;
    this.ties = ties;
    this.seqs = seqs;
  }

  private removeAt(i: number): void {
    const events = this.events;
    events[i]!.index = -1;
    const last = events.pop()!;
    const n = events.length;
    if (i === n) return;
    const time = this.times[n]!;
    const tie = this.ties[n]!;
    const seq = this.seqs[n]!;
    if (i > 0 && this.before(time, tie, seq, (i - 1) >> 1)) this.up(last, time, tie, seq, i);
    else this.down(last, time, tie, seq, i);
  }

  /** Whether keys (time, tie, seq) come before the keys at heap place `j`. */
  private before(time: number, tie: number, seq: number, j: number): boolean {
    const t = this.times[j]!;
    if (time !== t) return time < t;
    const k = this.ties[j]!;
    if (tie !== k) return tie < k;
    return seq < this.seqs[j]!;
  }

  /** Move the event at heap place `from`, with its keys, to place `to`. */
  private move(from: number, to: number): void {
    const e = this.events[from]!;
    this.events[to] = e;
    e.index = to;
    this.times[to] = this.times[from]!;
    this.ties[to] = this.ties[from]!;
    this.seqs[to] = this.seqs[from]!;
  }

  private place(event: SimEvent, time: number, tie: number, seq: number, i: number): void {
    this.events[i] = event;
    event.index = i;
    this.times[i] = time;
    this.ties[i] = tie;
    this.seqs[i] = seq;
  }

  /** Place `event` with its keys at hole `i` or above it. */
  private up(event: SimEvent, time: number, tie: number, seq: number, i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(time, tie, seq, parent)) break;
      this.move(parent, i);
      i = parent;
    }
    this.place(event, time, tie, seq, i);
  }

  /** Place `event` with its keys at hole `i` or below it. */
  private down(event: SimEvent, time: number, tie: number, seq: number, i: number): void {
    const n = this.events.length;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && this.before(this.times[right]!, this.ties[right]!, this.seqs[right]!, left) ? right : left;
      if (this.before(time, tie, seq, child)) break;
      this.move(child, i);
      i = child;
    }
    this.place(event, time, tie, seq, i);
  }
}
