// Three Lab 4 (par) engines in one process, moved by hand: the par configuration (a 1,024-slot ring,
// checkpoints every 512 ops), every message delivered in order, every write and checkpoint durable
// at once; replica 2 can be kept down and brought back to catch up or rebuild, and chosen messages
// lost on the way. It owns no checks: the rebuild bench times it, the bad-input test mutates the
// messages it recorded, and the rebuild tests lose some.
import { performance } from 'node:perf_hooks';
import { step, type Event } from '../labs/vsr/engine.js';
import { createState, majority, type ReplicaState } from '../labs/vsr/state.js';
import type { Message } from '../labs/vsr/protocol.js';
import { JOURNAL_SHAPE, opBytesMax } from '../src/engine/journal-storage.js';

/** Three par engines moved by hand: every message delivered in order, every write and checkpoint durable at once. */
export class ParEngines {
  readonly states: ReplicaState[];
  private inbox: { to: number; message: Message }[] = [];
  private events: { replica: number; event: Event }[] = [];
  readonly down = new Set<number>();
  private request = 0;
  rebuilds = 0;
  /** Every message sent, delivered or not (the bad-input test mutates them). */
  readonly sent: Message[] = [];
  /** Messages this returns true for are lost on the way (still recorded in `sent`). */
  lose: (to: number, message: Message) => boolean = () => false;

  constructor(private readonly keys: number) {
    const replicas = ['r0', 'r1', 'r2'];
    this.states = replicas.map((_, replica) => {
      const config = { cluster: 7, replica, replicas, quorum_replication: majority(3), quorum_view_change: majority(3), pipeline_max: 8, body_bytes_max: opBytesMax(JOURNAL_SHAPE), app: 'kv' as const, journal: { slot_count: JOURNAL_SHAPE.slot_count } };
      const s = createState(config, { superblock: null, entries: [] });
      step(s, { kind: 'nonce', nonce: `n${replica}` });
      return s;
    });
    this.run(0, { kind: 'requests', requests: [{ client: 'c', request: 0, kind: 'register', op: null }], time: 1 });
    this.settle();
  }

  private run(i: number, event: Event): void {
    for (const c of step(this.states[i]!, event)) {
      if (c.kind === 'send') {
        this.sent.push(c.message);
        if (!this.lose(c.to, c.message)) this.inbox.push({ to: c.to, message: c.message });
      }
      else if (c.kind === 'write') this.events.push({ replica: i, event: { kind: 'written', op: c.entry.header.op, checksum: c.entry.header.checksum } });
      else if (c.kind === 'checkpoint') this.events.push({ replica: i, event: { kind: 'checkpointed', op: c.checkpoint.op } });
      else if (c.kind === 'trace' && c.what === 'vsr.sync.start') this.rebuilds++;
    }
  }

  /** Deliver and complete everything in flight (to and from live replicas). */
  private settle(): void {
    while (this.inbox.length > 0 || this.events.length > 0) {
      const e = this.events.shift();
      if (e !== undefined && !this.down.has(e.replica)) this.run(e.replica, e.event);
      const m = this.inbox.shift();
      if (m !== undefined && !this.down.has(m.to) && !this.down.has(m.message.replica)) this.run(m.to, { kind: 'message', message: m.message });
    }
  }

  write(count: number): void {
    for (let k = 0; k < count; k++) {
      this.request++;
      this.run(0, { kind: 'requests', requests: [{ client: 'c', request: this.request, kind: 'write', op: { f: 'put', key: `k${this.request % this.keys}`, value: `v${this.request}` } }], time: 1 });
      this.settle();
    }
  }

  /** One tick on every live replica, then everything in flight delivered. */
  tick(): void {
    for (let i = 0; i < 3; i++) if (!this.down.has(i)) this.run(i, { kind: 'tick' });
    this.settle();
  }

  /** Bring replica 2 back and tick every replica until it executed what the primary did: the ms it took. */
  catchUp(stepsMax = 5_000_000): number {
    this.down.delete(2);
    const started = performance.now();
    for (let steps = 0; this.states[2]!.commit_min < this.states[0]!.commit_min || this.states[2]!.sync !== null; steps++) {
      if (steps > stepsMax) throw new Error(`bench: replica 2 did not catch up (commit_min ${this.states[2]!.commit_min} of ${this.states[0]!.commit_min})`);
      this.tick();
    }
    return performance.now() - started;
  }
}
