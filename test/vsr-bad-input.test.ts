// Bad peer input to the VSR replica: thousands of messages mutated from a real run (views, ops,
// commit numbers, senders, entries dropped, duplicated or swapped, bodies changed). The driver's
// checks drop what is impossible; whatever they let through, the engine must take without an
// invariant failure, from any state of the run. A node never crashes on a peer's bytes.
import { expect } from 'chai';
import fc from 'fast-check';
import { step } from '../labs/vsr/engine.js';
import { cloneState, createState, TICKS, type ReplicaState } from '../labs/vsr/state.js';
import type { Entry, Message } from '../labs/vsr/protocol.js';
import { messageProblem } from '../src/engine/driver.js';
import { Bench } from './vsr-helpers.js';

/** A run with normal operation, a view change and a recovery; its messages and some of its states. */
function recordedRun(client: string): { messages: Message[]; states: ReplicaState[] } {
  const b = new Bench();
  const states: ReplicaState[] = [];
  b.writeSome(client, 3);
  states.push(...b.states.map(cloneState));
  b.down.add(0);
  b.tick(TICKS.normal + 2);
  states.push(...b.states.map(cloneState));
  b.tick(3 * TICKS.normal);
  b.writeSome(`${client}-later`, 2, 1);
  states.push(...b.states.map(cloneState));
  b.down.delete(0);
  b.states[0] = createState(b.states[0]!.config, { superblock: { view: 0, log_view: 0 }, entries: b.states[0]!.log.slice(1) });
  b.run(0, { kind: 'nonce', nonce: 'n2' });
  states.push(cloneState(b.states[0]!));
  b.tick(2 * TICKS.recovery);
  states.push(...b.states.map(cloneState));
  return { messages: b.sentLog, states };
}

type Mutation = (m: Message, n: number) => Message;

const numberField = fc.constantFrom('view', 'op', 'commit', 'commit_max', 'log_view', 'beat', 'replica');
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.tuple(numberField, fc.integer({ min: 0, max: 40 })).map(([field, value]): Mutation => (m) => (field in m ? ({ ...m, [field]: value } as Message) : m)),
  fc.nat().map((i): Mutation => (m) => withEntries(m, (es) => es.filter((_, j) => j !== i % Math.max(1, es.length)))),
  fc.nat().map((i): Mutation => (m) => withEntries(m, (es) => (es.length === 0 ? es : [...es, es[i % es.length]!]))),
  fc.nat().map((i): Mutation => (m) => withEntries(m, (es) => swap(es, i))),
  fc.string().map((v): Mutation => (m) => withEntries(m, (es) => es.map((e, j) => (j === 0 ? { ...e, body: v } : e)))),
  fc.constant<Mutation>((m) => (m.command === 'prepare' ? { ...m, entry: { ...m.entry, header: { ...m.entry.header, op: m.entry.header.op + 1 } } } : m)),
);

/** Entries i and i+1 (mod length) swapped. */
function swap(entries: Entry[], i: number): Entry[] {
  if (entries.length < 2) return entries;
  const a = i % entries.length;
  const b = (a + 1) % entries.length;
  const out = [...entries];
  [out[a], out[b]] = [out[b]!, out[a]!];
  return out;
}

function withEntries(m: Message, change: (entries: Entry[]) => Entry[]): Message {
  if (m.command === 'prepare') {
    const [entry] = change([m.entry]);
    return entry === undefined ? m : { ...m, entry };
  }
  if ((m.command === 'do_view_change' || m.command === 'start_view' || m.command === 'recovery_response') && m.entries !== null) {
    return { ...m, entries: change(m.entries) };
  }
  return m;
}

describe('vsr: bad peer messages never crash a replica', function () {
  this.timeout(60_000);

  it('2,000 mutated messages from two real runs, at states from one of them: dropped, or taken with every invariant holding', () => {
    // Messages of a second run too: valid hash chains that contradict what the first run executed.
    const { messages: ours, states } = recordedRun('c');
    const messages = [...ours, ...recordedRun('other').messages];
    expect(messages.length).to.be.greaterThan(50);
    let taken = 0;
    fc.assert(
      fc.property(fc.nat(messages.length - 1), fc.nat(states.length - 1), fc.array(mutation, { minLength: 1, maxLength: 3 }), (mi, si, mutations) => {
        const state = cloneState(states[si]!);
        const n = state.config.replicas.length;
        const m = mutations.reduce((msg, mutate) => mutate(msg, n), structuredClone(messages[mi]!));
        if (m.replica === state.config.replica || m.replica >= n || m.cluster !== state.config.cluster) return; // the driver's sender and cluster checks
        if (messageProblem(m, state.config.cluster) !== null) return;
        taken++;
        step(state, { kind: 'message', message: m });
        step(state, { kind: 'tick' });
      }),
      { numRuns: 2000, seed: 42 },
    );
    expect(taken, 'some mutated messages pass the checks and reach the engine').to.be.greaterThan(200);
  });
});
