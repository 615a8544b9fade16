// Helpers for the VSR tests: judge a workload history with the KV model, and a bench of engines
// whose messages, ticks and write completions a test moves by hand.
import { expect } from 'chai';
import type { HistoryEvent } from '../src/check/history.js';
import { judgeEvents } from '../src/check/judge.js';
import { step, type EngineCommand, type Event } from '../labs/vsr/engine.js';
import { createState, majority, type ReplicaState, type VsrConfig } from '../labs/vsr/state.js';
import type { ClientRequest, Message } from '../labs/vsr/protocol.js';
import type { Json } from '../src/env/types.js';
import { checksum } from '../src/engine/checksum.js';

/** The checksum_body a header of `body` carries, as defined: over canonicalJson's text of {body} (tests that build headers by hand). */
export function bodyChecksum(body: Json): string {
  return checksum({ body });
}

/** The linearizability verdict of a KV history, with the checker's text when it is not 'ok'. */
export function kvVerdict(history: readonly HistoryEvent[]): string {
  const j = judgeEvents('kv', history);
  return j.verdict === 'linearizable' ? 'ok' : `${j.verdict}\n${j.text}`;
}

/** Replication and view-change quorums (default: majorities). */
export interface Quorums {
  replication?: number;
  view_change?: number;
}

/** Pipeline and batching limits a bench's replicas take instead of the defaults (pipeline 8, no batching). */
export type Limits = Partial<Pick<VsrConfig, 'pipeline_max' | 'batch_max' | 'body_bytes_max'>>;

function replica(index: number, n: number, q: Quorums, limits: Limits): ReplicaState {
  const replicas = Array.from({ length: n }, (_, i) => `r${i}`);
  const config = { cluster: 7, replica: index, replicas, quorum_replication: q.replication ?? majority(n), quorum_view_change: q.view_change ?? majority(n), pipeline_max: 8, app: 'kv' as const, ...limits };
  const s = createState(config, { superblock: null, entries: [] });
  step(s, { kind: 'nonce', nonce: `nonce-${index}` });
  return s;
}

/** A cluster of engines and the commands in flight; nothing moves unless a test says so. */
export class Bench {
  readonly states: ReplicaState[];
  /** Messages sent and not yet delivered, in order. */
  inbox: { to: number; message: Message }[] = [];
  /** Writes handed out and not yet completed. */
  writes: { replica: number; op: number; checksum: string }[] = [];
  replies: (EngineCommand & { kind: 'reply' })[] = [];
  /** Every message any replica sent, delivered or not. */
  readonly sentLog: Message[] = [];
  down = new Set<number>();

  constructor(n = 3, quorums: Quorums = {}, limits: Limits = {}) {
    this.states = Array.from({ length: n }, (_, i) => replica(i, n, quorums, limits));
  }

  run(i: number, event: Event): EngineCommand[] {
    const commands = step(this.states[i]!, event);
    for (const c of commands) {
      if (c.kind === 'send') {
        this.inbox.push({ to: c.to, message: c.message });
        this.sentLog.push(c.message);
      }
      if (c.kind === 'write') this.writes.push({ replica: i, op: c.entry.header.op, checksum: c.entry.header.checksum });
      if (c.kind === 'reply') this.replies.push(c);
    }
    return commands;
  }

  request(r: Omit<ClientRequest, 'op'> & { op?: ClientRequest['op'] }, to = 0): EngineCommand[] {
    return this.requests([r], to);
  }

  /** Requests that reach replica `to` together (one socket read, one delivery): one `requests` event. */
  requests(rs: (Omit<ClientRequest, 'op'> & { op?: ClientRequest['op'] })[], to = 0): EngineCommand[] {
    return this.run(to, { kind: 'requests', requests: rs.map((r) => ({ op: null, ...r })), time: 1000 });
  }

  /** Complete every pending write (of live replicas), in order. */
  flushWrites(): void {
    while (this.writes.length > 0) {
      const w = this.writes.shift()!;
      if (!this.down.has(w.replica)) this.run(w.replica, { kind: 'written', op: w.op, checksum: w.checksum });
    }
  }

  /** Deliver every message (to live replicas) and complete every write until nothing is left. */
  settle(limit = 10_000): void {
    for (let n = 0; (this.inbox.length > 0 || this.writes.length > 0) && n < limit; n++) {
      this.flushWrites();
      const m = this.inbox.shift();
      if (m !== undefined && !this.down.has(m.to) && !this.down.has(m.message.replica)) this.run(m.to, { kind: 'message', message: m.message });
    }
    expect(this.inbox.length + this.writes.length, 'settled').to.equal(0);
  }

  tick(times: number): void {
    for (let t = 0; t < times; t++) {
      this.states.forEach((_, i) => this.down.has(i) || this.run(i, { kind: 'tick' }));
      this.settle();
    }
  }

  /** Register `client` and run writes 1..count through the primary `to`. */
  writeSome(client: string, count: number, to = 0): void {
    this.request({ client, request: 0, kind: 'register' }, to);
    this.settle();
    for (let r = 1; r <= count; r++) {
      this.request({ client, request: r, kind: 'write', op: { f: 'append', key: 'k', value: `${client}.${r}` } }, to);
      this.settle();
    }
  }
}

