// The simulator's copy of a message's params for its receiver (src/env/sim/json-copy.ts): the very
// value JSON.parse makes of the wire text, for any value a lab might send, sharing no object with it.
import { expect } from 'chai';
import fc from 'fast-check';
import { jsonCopy } from '../src/env/sim/json-copy.js';

/** What the receiver got before the copy: the params' wire text, parsed. */
function viaText(value: unknown): unknown {
  const text = JSON.stringify(value);
  return text === undefined ? undefined : (JSON.parse(text) as unknown);
}

/** Objects reachable from `value` (to show the copy shares none). */
function objects(value: unknown, into = new Set<object>()): Set<object> {
  if (typeof value === 'object' && value !== null && !into.has(value)) {
    into.add(value);
    for (const v of Object.values(value)) objects(v, into);
  }
  return into;
}

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}

describe('sim json copy', () => {
  it('makes exactly what JSON.parse makes of the text, for any value, and shares no object with it', () => {
    fc.assert(
      fc.property(fc.anything({ withBoxedValues: true, withDate: true, withMap: true, withSet: true, withNullPrototype: true, withTypedArray: true, withSparseArray: true, withObjectString: true }), (value) => {
        const copy = jsonCopy(value);
        expect(copy).to.deep.equal(viaText(value));
        expect(JSON.stringify(copy)).to.equal(JSON.stringify(value));
        const shared = [...objects(copy)].filter((o) => objects(value).has(o));
        expect(shared).to.deep.equal([]);
      }),
      { numRuns: 3000 },
    );
  });

  it('follows JSON in the corner cases: -0, non-finite numbers, holes, undefined, functions, toJSON, class instances, __proto__', () => {
    const cases: unknown[] = [
      -0,
      [NaN, Infinity, -Infinity, -0],
      [undefined, () => 1, Symbol('s'), , 1], // eslint-disable-line no-sparse-arrays
      { a: undefined, b: () => 1, c: Symbol('s'), d: 1 },
      { when: new Date(0), nested: { toJSON: (key: string) => `key=${key}` }, list: [{ toJSON: (key: string) => `at ${key}` }] },
      new Point(1, 2),
      [new Point(3, 4), new Map([[1, 2]]), new Set([1]), Object(5), Object('s'), Object(false)],
      JSON.parse('{"__proto__":{"x":1},"y":2}') as unknown,
      Object.assign(Object.create(null) as object, { a: 1 }),
      { get g() { return 7; } },
      undefined,
      null,
    ];
    for (const value of cases) {
      const copy = jsonCopy(value);
      expect(copy, JSON.stringify(value)).to.deep.equal(viaText(value));
      expect(JSON.stringify(copy)).to.equal(JSON.stringify(value));
    }
    expect(Object.getPrototypeOf(jsonCopy(JSON.parse('{"__proto__":{"x":1}}')))).to.equal(Object.prototype);
    expect(Object.keys(jsonCopy(JSON.parse('{"__proto__":{"x":1}}')) as object)).to.deep.equal(['__proto__']);
  });

  it('finds every toJSON JSON.stringify calls: hidden, a getter, on a null prototype, or put on Object.prototype or Array.prototype', () => {
    const hidden = Object.defineProperty({ a: 1 }, 'toJSON', { value: () => 'hidden', enumerable: false });
    const getter = { a: 1, get toJSON() { return () => 'got'; } };
    const bare = Object.assign(Object.create(null) as object, { toJSON: () => 'bare' });
    const cases: unknown[] = [hidden, getter, bare, [hidden], { list: [1, 2], inner: { x: 1 } }];
    const same = (): void => {
      for (const value of cases) expect(jsonCopy(value), JSON.stringify(value)).to.deep.equal(viaText(value));
    };
    same();
    for (const proto of [Object.prototype, Array.prototype]) {
      Object.defineProperty(proto, 'toJSON', { value: () => 'polluted', configurable: true, writable: true });
      try {
        same();
      } finally {
        delete (proto as { toJSON?: unknown }).toJSON;
      }
    }
  });

  it('throws what JSON.stringify throws: a BigInt, a cycle', () => {
    const cycle: Record<string, unknown> = { a: 1 };
    cycle.self = cycle;
    for (const value of [{ n: 1n }, [2n], cycle]) {
      let expected: unknown;
      try {
        JSON.stringify(value);
      } catch (e) {
        expected = e;
      }
      expect(expected).to.be.instanceOf(TypeError);
      expect(() => jsonCopy(value)).to.throw(TypeError, (expected as Error).message);
    }
  });
});
