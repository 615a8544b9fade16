// canonicalJson (src/json.ts) writes the text every VSR checksum and Lab 2/3 state hash is taken
// over, member by member with fast paths (plain-ASCII strings, keys already in order, long in-order
// arrays to JSON.stringify): its text must be exactly a plain reference's, for any JSON value.
import { expect } from 'chai';
import fc from 'fast-check';
import type { Json } from '../src/env/types.js';
import { canonicalJson } from '../src/json.js';

/** The canonical text by its definition: JSON.stringify's scalars, keys sorted by code unit at every depth. */
function reference(value: Json): string {
  if (Array.isArray(value)) return '[' + value.map(reference).join(',') + ']';
  if (typeof value === 'object' && value !== null) {
    const keys = Object.keys(value).sort();
    return '{' + keys.map((k) => JSON.stringify(k) + ':' + reference(value[k]!)).join(',') + '}';
  }
  return JSON.stringify(value);
}

/** Strings of every kind: printable ASCII, quotes and backslashes, control characters, any UTF-16 unit (lone surrogates too). */
const text = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: fc.constantFrom('"', '\\', '\n', '\u0000', '\u007f', 'é', '\ud800', 'a') }));
/** Keys that JSON.stringify would put first (integer-like) next to others, so code-unit order and insertion order differ. */
const key = fc.oneof(text, fc.constantFrom('10', '9', '0', '-1', 'a', 'B', '__proto__'));
const value: fc.Arbitrary<Json> = fc.letrec<{ value: Json }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    text,
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.integer(),
    fc.constantFrom(-0, 2 ** 53, 1e21, 1e-7, true, false, null),
    fc.array(tie('value'), { maxLength: 4 }),
    // Long arrays, some of them already in canonical order (the native path), some not.
    fc.array(tie('value'), { minLength: 17, maxLength: 24 }),
    fc.array(fc.integer(), { minLength: 17, maxLength: 40 }),
    fc.dictionary(key, tie('value'), { maxKeys: 5 }),
  ),
})).value.map((v) => JSON.parse(JSON.stringify(v)) as Json); // as JSON data comes: plain objects, an own __proto__ key kept

describe('canonicalJson', () => {
  it('writes exactly the reference canonical text (sorted keys, JSON.stringify scalars) for any JSON value', () => {
    fc.assert(
      fc.property(value, (v) => {
        expect(canonicalJson(v)).to.equal(reference(v));
      }),
      { numRuns: 3000 },
    );
  });

  it('writes objects with keys out of order, integer-like keys and escapes in code-unit order', () => {
    const v = JSON.parse('{"b":1,"10":[{"z":"\\"q\\"","a":"\\u00e9\\n"}],"9":-0,"a":null}') as Json;
    expect(canonicalJson(v)).to.equal('{"10":[{"a":"é\\n","z":"\\"q\\""}],"9":0,"a":null,"b":1}');
  });
});
