// The acceptor's durable log (the seed's log.cc, provided: students call it, never change it):
// `propseen n_h`, `accepted n_a v_a` and `done instance value` records, and the replay that rebuilds
// the acceptor's state. It never decides anything, and never replays a lost (emptied) log as new.
import { z } from 'zod';
import { assert } from '../../src/assert.js';
import type { Disk, NodeId } from '../../src/env/types.js';
import { RecordLog } from '../../src/storage/record-log.js';
import { propSchema, valueSchema, type Prop } from './protocol.js';

const recordSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('propseen'), n_h: propSchema }),
  z.object({ type: z.literal('accepted'), n_a: propSchema, v_a: valueSchema }),
  z.object({ type: z.literal('done'), instance: z.number().int().positive(), v: valueSchema }),
]);
type PaxosRecord = z.infer<typeof recordSchema>;

/** Everything an acceptor must remember across a crash. */
export interface AcceptorState {
  /** The highest decided instance (0: none). */
  instance_h: number;
  /** Decided values, instances 1..instance_h. */
  values: Map<number, string>;
  /** For instance_h + 1: the highest prepare seen, and the highest proposal accepted. */
  n_h: Prop;
  n_a: Prop;
  v_a: string | null;
}

export const PAXOS_LOG_FILE = 'paxos.log';
/** Made once paxos.log first holds a durable record: while it exists, an emptied or missing paxos.log is refused, never replayed as a new acceptor's. */
export const PAXOS_WITNESS_FILE = 'paxos.log.written';

/** State of an acceptor that has seen nothing in instance `instance_h + 1` yet (the seed's reset). */
export function freshRound(me: NodeId): Pick<AcceptorState, 'n_h' | 'n_a' | 'v_a'> {
  return { n_h: { n: 0, m: me }, n_a: { n: 0, m: me }, v_a: null };
}

export class PaxosLog {
  private readonly records: RecordLog<PaxosRecord>;

  constructor(disk: Disk, private readonly me: NodeId) {
    this.records = new RecordLog(disk, PAXOS_LOG_FILE, recordSchema, { witness: PAXOS_WITNESS_FILE });
  }

  /** Bytes of a torn last append that replay() dropped (a crash mid-write; 0 if the log was whole). */
  droppedBytes = 0;

  /** Rebuild the acceptor's state from the disk (once, at start). */
  async replay(): Promise<AcceptorState> {
    const state: AcceptorState = { instance_h: 0, values: new Map(), ...freshRound(this.me) };
    const { records, droppedBytes } = await this.records.replayReport();
    this.droppedBytes = droppedBytes;
    for (const record of records) apply(state, record, this.me);
    return state;
  }

  /** Remember a promise: n_h. Resolves when it is durable. */
  logprop(n_h: Prop): Promise<void> {
    return this.records.append({ type: 'propseen', n_h });
  }

  /** Remember an acceptance: n_a and v_a. Resolves when it is durable. */
  logaccept(n_a: Prop, v_a: string): Promise<void> {
    return this.records.append({ type: 'accepted', n_a, v_a });
  }

  /** Remember a decision (the seed's `done` line). Resolves when it is durable. */
  loginstance(instance: number, v: string): Promise<void> {
    return this.records.append({ type: 'done', instance, v });
  }
}

function apply(state: AcceptorState, record: PaxosRecord, me: NodeId): void {
  switch (record.type) {
    case 'propseen':
      state.n_h = record.n_h;
      return;
    case 'accepted':
      state.n_a = record.n_a;
      state.v_a = record.v_a;
      return;
    case 'done':
      assert(record.instance === state.instance_h + 1, `paxos log: done ${record.instance} after done ${state.instance_h}`);
      state.values.set(record.instance, record.v);
      state.instance_h = record.instance;
      Object.assign(state, freshRound(me));
  }
}
