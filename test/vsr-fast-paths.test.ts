// Two fast paths in labs/vsr/protocol.ts restate rules held elsewhere: batchValid's plain check
// (plainBatchBody) restates batchBodySchema, and bodyFits' walk (bytesAtMost) bounds the canonical
// text's UTF-8 size. These properties fail as soon as either drifts from the rule it stands for;
// they reach plainBatchBody through batchValid and never widen the module's API for a test.
import { expect } from 'chai';
import fc from 'fast-check';
import type { Json } from '../src/env/types.js';
import { canonicalJson } from '../src/json.js';
import { batchBodySchema, batchValid, bodyFits, type Entry, type Header } from '../labs/vsr/protocol.js';

/** A batch's header as batchHeaderValid wants it (client '', request 0): batchValid's answer is then the body's. */
const BATCH_HEADER: Header = {
  checksum: '0'.repeat(32),
  checksum_body: '0'.repeat(32),
  parent: '0'.repeat(32),
  cluster: 0,
  view: 0,
  op: 1,
  commit: 0,
  timestamp: 0,
  client: '',
  request: 0,
  operation: 'batch',
  replica: 0,
};

/** Texts of every kind: printable ASCII, escapes, control characters, any UTF-16 unit (lone surrogates too). */
const text = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.string({ unit: fc.constantFrom('"', '\\', '\n', '\u0000', '\u007f', 'é', '\u0800', '\ud83d\ude00', '\ud800', 'a') }),
  // Mostly 3 bytes per unit: textFits' shortcut (3 per unit) is tight, so its exact measure decides size-1.
  fc.string({ unit: fc.constantFrom('\u0800', '\uffff', '\u20ac', 'é'), minLength: 2 }),
  // Nothing but escapes, most of them \uXXXX (a control character, a lone surrogate): the walk's whole 6 bytes a unit.
  fc.string({ unit: fc.constantFrom('\u0000', '\u001f', '\ud800', '\udfff', '"', '\\', '\t'), minLength: 1 }),
);

/**
 * Numbers, with the longest texts JSON.stringify writes among them: 17 significant digits after
 * "-0.00000" (25 characters, e.g. -0.0000012345678901234567) and in exponent form (24).
 */
const number = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.double({ min: -1e-5, max: -1e-6, noNaN: true }),
  fc.double({ min: -1e-300, max: -1e-307, noNaN: true }),
  fc.constantFrom(-0, 0.1, 1e-7, 5e-324, 1e21, -1e21, 2 ** 53, -(2 ** 53 - 1), -123456789012345680000),
);

const jsonValue: fc.Arbitrary<Json> = fc.letrec<{ value: Json }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    text,
    number,
    fc.constantFrom(true, false, null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(text, tie('value'), { maxKeys: 5 }),
    // Nothing but numbers or short scalars: no string's slack (6 bytes per unit) hides a tight bound;
    // nothing but scalars whose text takes their whole bound (false, null, the longest numbers): no slack at all.
    fc.array(number, { minLength: 2, maxLength: 40 }),
    fc.array(fc.oneof(fc.double({ min: -1e-5, max: -1e-6, noNaN: true }), fc.constantFrom(false, null)), { minLength: 2, maxLength: 40 }),
    fc.dictionary(fc.constantFrom('', 'a', 'b', 'c', 'd'), fc.oneof(number, fc.constantFrom(true, false, null))),
  ),
})).value;

/** Clients at and past the schema's edges: 0, 1, 200 and 201 UTF-16 units, non-ASCII, surrogate pairs (counted two units each, one code point). */
const clientEdge = fc.constantFrom(
  '',
  'a',
  'é',
  '\ud83d\ude00',
  '\ud800',
  'a'.repeat(199),
  'a'.repeat(200),
  'a'.repeat(201),
  'é'.repeat(200),
  'é'.repeat(201),
  '\ud83d\ude00'.repeat(100),
  '\ud83d\ude00'.repeat(100) + 'a',
  '\ud83d\ude00'.repeat(101),
);
const goodClient = fc.oneof(fc.string({ minLength: 1, maxLength: 8 }), fc.string({ unit: 'binary', minLength: 1, maxLength: 200 }), clientEdge.filter((c) => c.length >= 1 && c.length <= 200));
const anyClient: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: clientEdge, weight: 4 },
  { arbitrary: fc.string({ unit: 'binary', minLength: 195, maxLength: 205 }), weight: 1 },
  { arbitrary: fc.constantFrom(null, 1, ['a'], { a: 'a' }, true), weight: 1 },
);

/** Request numbers at and past the schema's edges (a positive safe integer), and what is no number at all. */
const requestEdge = fc.constantFrom(0, -0, -1, 1, 2, 1.5, 0.5, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, -(2 ** 53 - 1), 1e21, 5e-324, NaN, Infinity, -Infinity, '1', null, [1], { n: 1 }, true);
const goodRequest = fc.oneof(fc.integer({ min: 1, max: 1000 }), fc.constantFrom(1, 2 ** 53 - 1), fc.maxSafeNat().filter((n) => n > 0));
const anyRequest: fc.Arbitrary<unknown> = fc.oneof({ arbitrary: requestEdge, weight: 4 }, { arbitrary: fc.integer(), weight: 1 }, { arbitrary: fc.double(), weight: 1 });

/** Ops of any shape, missing (undefined) too. They are JSON otherwise: an Entry's body is (entrySchema's json() walked it). */
const anyOp: fc.Arbitrary<unknown> = fc.oneof(fc.constantFrom(undefined, null), jsonValue, fc.array(fc.array(jsonValue, { maxLength: 2 }), { maxLength: 2 }));

/** Keys a request or a body may carry besides its own, its own names included (a second copy is no key). */
const extraKey = fc.constantFrom('x', 'requests', 'client', 'request', 'op', '__proto__', 'ops', '');

/** An object of these fields, each kept or left out, and a time in four with one or two more keys (an own __proto__ key kept, as JSON.parse makes it). */
function record(fields: [string, fc.Arbitrary<unknown>][], keep: fc.Arbitrary<boolean>): fc.Arbitrary<unknown> {
  const own = fc.tuple(...fields.map(([name, value]) => fc.tuple(fc.constant(name), value, keep)));
  const more = fc.oneof({ arbitrary: fc.constant([]), weight: 3 }, { arbitrary: fc.array(fc.tuple(extraKey, jsonValue), { minLength: 1, maxLength: 2 }), weight: 1 });
  return fc.tuple(own, more).map(([ownFields, extra]) => {
    const entries: [string, unknown][] = ownFields.filter(([, , kept]) => kept).map(([name, value]) => [name, value]);
    for (const [name, value] of extra) if (!entries.some(([k]) => k === name)) entries.push([name, value]);
    return Object.fromEntries(entries);
  });
}

const keptMostly = fc.oneof({ arbitrary: fc.constant(true), weight: 12 }, { arbitrary: fc.constant(false), weight: 1 });
const keptAll = fc.constant(true);

/** A request the schema takes: the three keys exactly, the client and request from inside the edges. */
const goodItem = fc.record({ client: goodClient, request: goodRequest, op: jsonValue });
/** A request near or past an edge: a field out of range, missing or extra keys, or no object at all. */
const edgeItem: fc.Arbitrary<unknown> = fc.oneof(
  record([['client', anyClient], ['request', goodRequest], ['op', jsonValue]], keptAll),
  record([['client', goodClient], ['request', anyRequest], ['op', jsonValue]], keptAll),
  record([['client', goodClient], ['request', goodRequest], ['op', anyOp]], keptAll),
  record([['client', goodClient], ['request', goodRequest], ['op', jsonValue]], keptMostly),
  record([['client', anyClient], ['request', anyRequest], ['op', anyOp]], fc.boolean()),
  fc.constantFrom(null, 'r', 1, [], ['a', 1, null]),
  fc.tuple(goodClient, goodRequest, jsonValue),
);
const item: fc.Arbitrary<unknown> = fc.oneof({ arbitrary: goodItem, weight: 8 }, { arbitrary: edgeItem, weight: 1 });
/** Good requests with one edge request among them, at any place: that one alone decides the schema's answer. */
const oneFlaw = fc.tuple(fc.array(goodItem, { minLength: 1, maxLength: 4 }), edgeItem, fc.nat()).map(([good, flaw, at]) => {
  const rs: unknown[] = [...good];
  rs.splice(at % (good.length + 1), 0, flaw);
  return rs;
});

/** Requests lists of length 0, 1, 2, a few or many (past the schema's minimum of two), or no array. */
const requests: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.array(item, { minLength: 0, maxLength: 4 }), weight: 4 },
  { arbitrary: oneFlaw, weight: 4 },
  { arbitrary: fc.array(item, { minLength: 5, maxLength: 64 }), weight: 1 },
  { arbitrary: fc.array(goodItem, { minLength: 5, maxLength: 64 }), weight: 1 },
  { arbitrary: fc.constantFrom(null, {}, 'requests', 2), weight: 1 },
  { arbitrary: goodItem, weight: 1 },
  { arbitrary: fc.array(goodItem, { minLength: 2, maxLength: 3 }).map((rs) => Object.fromEntries(rs.map((r, i) => [String(i), r]))), weight: 1 },
);

/** A batch body near the schema's edge: { requests } with keys left out or added, or no object. */
const batchBody: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: requests.map((rs) => ({ requests: rs })), weight: 8 },
  { arbitrary: record([['requests', requests]], keptMostly), weight: 2 },
  { arbitrary: fc.oneof(fc.constantFrom(null, 'batch', 0, {}), requests.map((rs) => [rs]), jsonValue), weight: 1 },
);

describe('VSR fast paths', () => {
  it('batchValid of a batch header is batchBodySchema.safeParse(body).success: plainBatchBody never takes what the schema refuses', () => {
    const seen = { valid: 0, invalid: 0 };
    fc.assert(
      fc.property(batchBody, (body) => {
        const entry: Entry = { header: BATCH_HEADER, body: body as Json };
        const schema = batchBodySchema.safeParse(body).success;
        expect(batchValid(entry)).to.equal(schema);
        seen[schema ? 'valid' : 'invalid']++;
      }),
      { seed: 0x5eed_ba7c, numRuns: 2500 },
    );
    // The generator must keep reaching both sides of the edge, or the property says little.
    expect(seen.valid).to.be.greaterThan(400);
    expect(seen.invalid).to.be.greaterThan(400);
  });

  it('bodyFits(body, max) is whether canonicalJson(body) takes at most max UTF-8 bytes', () => {
    const bodyAndMax = jsonValue.chain((body) => {
      const size = Buffer.byteLength(canonicalJson(body));
      const max = fc.oneof(fc.constantFrom(size - 1, size, size + 1), fc.integer({ min: 0, max: 2 * size + 8 }), fc.constantFrom(0, 1, 2, Math.floor(size / 3), Math.ceil(size / 3)));
      return fc.tuple(fc.constant(body), fc.constant(size), max);
    });
    fc.assert(
      fc.property(bodyAndMax, ([body, size, max]) => {
        expect(bodyFits(body, max), `${canonicalJson(body)} in ${max} bytes`).to.equal(size <= max);
      }),
      { seed: 0xb0d7_f175, numRuns: 3000 },
    );
  });

  it('bodyFits counts 25 bytes for the longest number texts', () => {
    // -0.0000012345678901234567: 17 digits after five zeros. Two of them take 53 bytes as [a,b].
    const body = [-0.0000012345678901234567, -0.0000012345678901234567];
    expect(Buffer.byteLength(canonicalJson(body))).to.equal(53);
    expect(bodyFits(body, 52)).to.equal(false);
    expect(bodyFits(body, 53)).to.equal(true);
  });
});
