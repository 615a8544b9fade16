// The search machinery: the visited cache, the entry list's order of equal times, P-compositionality
// (partition by key, stop at the first failing partition) and the step budget's 'unknown'.
// handout: framework test (passes without the lab solutions)
import { expect } from 'chai';
import { HistoryBuilder } from '../src/check/builder.js';
import { checkOperations, partitionOps } from '../src/check/check.js';
import { EntryList } from '../src/check/entries.js';
import { parseHistory, formatHistoryEvent, type HistoryEvent } from '../src/check/history.js';
import { LinearizedSet } from '../src/check/linearized.js';
import { kvModel } from '../src/check/models/kv.js';
import { registerModel } from '../src/check/models/register.js';
import { pairOperations } from '../src/check/operation.js';
import { VisitedCache } from '../src/check/visited.js';

/** n appends to key `key`, all concurrent, then a get that returns `seen` after all returned. */
function concurrentAppends(h: HistoryBuilder, key: string, n: number, seen: string): HistoryBuilder {
  for (let p = 0; p < n; p++) h.invoke(`${key}${p}`, 'append', String.fromCharCode(97 + p), key);
  for (let p = 0; p < n; p++) h.ok(`${key}${p}`);
  return h.invoke(`${key}-reader`, 'get', null, key).ok(`${key}-reader`, seen);
}

describe('check: visited cache', () => {
  it('remembers (set, state) pairs and tells apart equal hashes with different sets or states', () => {
    const cache = new VisitedCache<string>(2, (a, b) => a === b);
    const set = new Uint32Array([1, 0]);
    expect(cache.insert(7, set, 's')).to.equal(true);
    expect(cache.insert(7, set, 's')).to.equal(false);
    expect(cache.insert(7, set, 't')).to.equal(true);
    expect(cache.insert(7, new Uint32Array([1, 1]), 's')).to.equal(true);
    expect(cache.size).to.equal(3);
  });

  it('keeps every entry across growth', () => {
    const cache = new VisitedCache<number>(1, (a, b) => a === b);
    for (let i = 0; i < 5000; i++) expect(cache.insert(i & 15, new Uint32Array([i]), i)).to.equal(true);
    for (let i = 0; i < 5000; i++) expect(cache.insert(i & 15, new Uint32Array([i]), i)).to.equal(false);
  });

  it('hashes a linearized set by its members, not the order they came in', () => {
    const a = new LinearizedSet(40);
    const b = new LinearizedSet(40);
    a.add(3);
    a.add(35);
    b.add(35);
    b.add(3);
    expect(a.hash).to.equal(b.hash);
    expect([...a.words]).to.deep.equal([8, 8]);
    a.remove(35);
    expect(a.hash).to.not.equal(b.hash);
    expect(a.hashWith(35)).to.equal(b.hash);
  });

  it('visits each (set of writes, state) once: 2^8 - 1 configurations, not 8! orders', () => {
    const h = new HistoryBuilder();
    for (let p = 0; p < 8; p++) h.invoke(p, 'write', 1);
    for (let p = 0; p < 8; p++) h.ok(p);
    h.invoke(8, 'read').ok(8, 2);
    const result = checkOperations(registerModel, pairOperations(registerModel, h.build()).ops);
    expect(result.verdict).to.equal('not linearizable');
    expect(result.partitions[0]!.visited).to.equal(255);
    expect(result.steps).to.be.below(40320);
  });
});

describe('check: entry order', () => {
  it('puts calls before returns at equal times, and each call before its own return', () => {
    const list = new EntryList([0, 5, 5], [5, 5, 9]);
    const order: number[] = [];
    for (let e = list.first(); e !== -1; e = list.next[e]!) order.push(e);
    expect(order).to.deep.equal([0, 1, 2, 3, 4, 5]);
    list.lift(1);
    const lifted: number[] = [];
    for (let e = list.first(); e !== -1; e = list.next[e]!) lifted.push(e);
    expect(lifted).to.deep.equal([0, 2, 3, 5]);
    list.unlift(1);
    expect(list.next[list.head]).to.equal(0);
    expect([list.next[0], list.next[1], list.next[2], list.next[3], list.next[4]]).to.deep.equal([1, 2, 3, 4, 5]);
  });

  it('treats a return and a call at the same time as concurrent, one tick later as ordered', () => {
    const events = (readAt: number): HistoryEvent[] => [
      { process: 0, type: 'invoke', f: 'write', value: 1, time: 0 },
      { process: 0, type: 'ok', f: 'write', value: null, time: 5 },
      { process: 1, type: 'invoke', f: 'read', value: null, time: readAt },
      { process: 1, type: 'ok', f: 'read', value: null, time: 7 },
    ];
    const check = (readAt: number): string => {
      const lines = parseHistory(events(readAt).map(formatHistoryEvent).join('\n'));
      return checkOperations(registerModel, pairOperations(registerModel, lines).ops).verdict;
    };
    expect(check(5)).to.equal('linearizable');
    expect(check(6)).to.equal('not linearizable');
  });
});

describe('check: P-compositionality', () => {
  it('partitions ops by key, keys in order of first call', () => {
    const h = new HistoryBuilder().invoke(0, 'put', 'x', 'b').ok(0).invoke(0, 'put', 'y', 'a').ok(0).invoke(0, 'get', null, 'b').ok(0, 'x');
    const parts = partitionOps(kvModel, pairOperations(kvModel, h.build()).ops);
    expect([...parts].map(([key, ops]) => [key, ops.map((op) => op.id)])).to.deep.equal([
      ['b', [0, 2]],
      ['a', [1]],
    ]);
  });

  it('checks each key apart and names the failing partition and op', () => {
    const h = new HistoryBuilder()
      .invoke(0, 'put', 'x', 'good').ok(0)
      .invoke(1, 'put', 'y', 'bad').ok(1)
      .invoke(0, 'get', null, 'good').ok(0, 'x')
      .invoke(1, 'get', null, 'bad').ok(1, 'x');
    const result = checkOperations(kvModel, pairOperations(kvModel, h.build()).ops);
    expect(result.verdict).to.equal('not linearizable');
    expect(result.partitions.map((p) => [p.key, p.verdict])).to.deep.equal([
      ['good', 'linearizable'],
      ['bad', 'not linearizable'],
    ]);
    expect(result.partitions[1]!.stuck).to.deep.equal([3]);
  });

  it('stops at the first failing partition, even when another partition is hard', () => {
    const h = concurrentAppends(new HistoryBuilder(), 'hard', 12, 'impossible');
    h.invoke('e', 'put', 'x', 'easy').ok('e').invoke('e', 'get', null, 'easy').ok('e', 'y');
    const result = checkOperations(kvModel, pairOperations(kvModel, h.build()).ops, { maxSteps: 10_000_000 });
    expect(result.verdict).to.equal('not linearizable');
    expect(result.partitions.map((p) => [p.key, p.verdict])).to.deep.equal([
      ['hard', 'unknown'],
      ['easy', 'not linearizable'],
    ]);
    expect(result.steps).to.be.below(20_000);
  });
});

describe('check: budget', () => {
  it('answers unknown when the step budget runs out, with the longest prefix found so far', () => {
    const h = concurrentAppends(new HistoryBuilder(), 'k', 12, 'impossible');
    const result = checkOperations(kvModel, pairOperations(kvModel, h.build()).ops, { maxSteps: 50_000 });
    expect(result.verdict).to.equal('unknown');
    expect(result.steps).to.equal(50_000);
    const [p] = result.partitions;
    expect(p!.verdict).to.equal('unknown');
    expect(p!.order).to.have.length(12);
    expect(p!.stuck).to.deep.equal([12]);
  });

  it('answers unknown when the cache reaches its size budget', () => {
    const h = concurrentAppends(new HistoryBuilder(), 'k', 12, 'impossible');
    const result = checkOperations(kvModel, pairOperations(kvModel, h.build()).ops, { maxVisited: 1000 });
    expect(result.verdict).to.equal('unknown');
    expect(result.partitions[0]!.visited).to.be.within(1000, 1000 + 8192);
  });

  it('answers unknown at once with a zero time budget, and linearizable for an empty history', () => {
    const h = new HistoryBuilder().invoke(0, 'write', 1).ok(0);
    expect(checkOperations(registerModel, pairOperations(registerModel, h.build()).ops, { timeoutMs: 0 }).verdict).to.equal('unknown');
    expect(checkOperations(registerModel, [], { timeoutMs: 0 })).to.deep.equal({ verdict: 'linearizable', partitions: [], steps: 0 });
  });
});
