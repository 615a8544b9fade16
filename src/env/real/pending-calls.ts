// The calls one link awaits replies to, by request id. A link mostly has one call at a time (a
// sequential client, a primary's invoke to each backup), and that one lives in a slot, not in the
// Map: V8 (node 20) reallocates a Map's table on every delete that empties it, a runtime call that
// measured ~0.9 us per reply against ~0.1 us for a delete that leaves an entry. It never times out,
// settles or orders anything by time: PeerLink does.

export class PendingCalls<C> {
  /** The slot's call and its id (undefined: empty). */
  private slot: C | undefined;
  private slotId = -1;
  /** The calls made while the slot was taken. */
  private readonly rest = new Map<number, C>();

  get size(): number {
    return (this.slot === undefined ? 0 : 1) + this.rest.size;
  }

  /** Await call `id` (ids are unique: the link's owner numbers its requests). */
  add(id: number, call: C): void {
    if (this.slot === undefined) {
      this.slot = call;
      this.slotId = id;
    } else {
      this.rest.set(id, call);
    }
  }

  /** The call `id` (a reply's id, whatever its type), if still awaited. */
  get(id: number | string): C | undefined {
    return this.slot !== undefined && this.slotId === id ? this.slot : typeof id === 'number' ? this.rest.get(id) : undefined;
  }

  /** Stop awaiting call `id`: the call, or undefined if it was not awaited. */
  take(id: number | string): C | undefined {
    if (this.slot !== undefined && this.slotId === id) {
      const call = this.slot;
      this.slot = undefined;
      return call;
    }
    if (typeof id !== 'number') return undefined;
    const call = this.rest.get(id);
    if (call !== undefined) this.rest.delete(id);
    return call;
  }

  /** Every awaited call with its id, in the order of their ids (the order they were made). */
  entries(): [number, C][] {
    const all: [number, C][] = [...this.rest];
    if (this.slot !== undefined) all.push([this.slotId, this.slot]);
    return all.sort((a, b) => a[0] - b[0]);
  }
}
