// The VSR checksums built from labs/vsr/canonical.ts's texts (no key sort, an entry's texts kept
// while it is sealed or checked) equal the checksums of canonicalJson's text of the same value, for
// well-formed headers, entries and messages and for odd shapes (extra, missing or undefined keys,
// keys that sort before `checksum`, an `entry` member that is no entry).
import { expect } from 'chai';
import fc from 'fast-check';
import type { Json } from '../src/env/types.js';
import { canonicalJson, shape, shapedJson } from '../src/json.js';
import { checksum } from '../src/engine/checksum.js';
import { entryValid, headerChecksum, makeEntry, rootEntry, seal, sealValid, type Entry, type Header, type HeaderFields, type Message } from '../labs/vsr/protocol.js';
import { batchBodyText, batchRequestJson, bodyText } from '../labs/vsr/canonical.js';

const json = fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.parse(JSON.stringify(v)) as Json);
const hex = fc.stringMatching(/^[0-9a-f]{32}$/);
const fields = fc.record({
  checksum_body: hex,
  parent: hex,
  cluster: fc.nat(),
  view: fc.nat(),
  op: fc.nat(),
  commit: fc.nat(),
  timestamp: fc.nat(),
  client: fc.string(),
  request: fc.nat(),
  operation: fc.constantFrom('root' as const, 'register' as const, 'request' as const),
  replica: fc.nat(),
});
/** Headers and field sets of odd shapes: a key added ('a' sorts before 'checksum'), one taken out. */
const odd = fc.tuple(fields, fc.dictionary(fc.constantFrom('a', 'checksum', 'zz', 'op'), json, { maxKeys: 2 }), fc.constantFrom(null, 'view', 'client', 'checksum_body')).map(([f, extra, drop]) => {
  const value: Record<string, Json> = { ...extra, ...f };
  if (drop !== null) delete value[drop];
  return value as unknown as HeaderFields;
});
/** Entries whose header certifies itself, or not (a checksum that is another field's). */
const entry = fc.tuple(fields, json, fc.boolean()).map(([f, body, good]): Entry => ({ header: { ...f, checksum: good ? headerChecksum(f) : f.parent }, body }));
const message = fc.oneof(
  fc.tuple(entry, fc.nat(), fc.nat()).map(([e, replica, view]) => ({ command: 'prepare', cluster: 1, replica, view, entry: e })),
  fc.tuple(fc.array(entry, { maxLength: 4 }), fc.nat()).map(([entries, view]) => ({ command: 'start_view', cluster: 1, replica: 0, view, op: entries.length, commit_max: 0, entries })),
  // `entry` and `entries` members that are not entries (or are odd ones) are encoded as canonicalJson encodes them.
  fc.tuple(json, odd).map(([x, h]) => ({ command: 'prepare', entry: Array.isArray(x) ? x : { header: h, body: x }, entries: [x, { header: h, body: null }] })),
) as fc.Arbitrary<Message>;

/** The checksums as defined: over canonicalJson's text. */
function headerReference(h: HeaderFields): string {
  const { checksum: _ignored, ...rest } = h as Header;
  return checksum(rest as unknown as Json);
}

/** canonicalJson as specified: every object's keys sorted by code unit, at every depth; JSON's own text for the rest. */
function sortedReference(value: Json): string {
  if (Array.isArray(value)) return `[${value.map(sortedReference).join(',')}]`;
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${sortedReference(value[k]!)}`).join(',')}}`;
}

describe('vsr canonical texts', () => {
  it('canonicalJson is the sorted-keys text of any JSON value, whether its keys come in order or not (the native fast path agrees)', () => {
    const keyed = fc.jsonValue().map((v) => JSON.parse(JSON.stringify(v)) as Json);
    const sorted = keyed.map((v) => JSON.parse(sortedReference(v)) as Json); // the same value with every key in order: the fast path
    fc.assert(fc.property(fc.oneof(keyed, sorted), (v) => canonicalJson(v) === sortedReference(v)), { numRuns: 5000 });
  });

  it('header and body checksums equal those of canonicalJson, for any fields', () => {
    fc.assert(fc.property(fc.oneof(fields, odd), (f) => headerChecksum(f) === headerReference(f)), { numRuns: 2000 });
    fc.assert(fc.property(fields, json, ({ checksum_body: _made, ...f }, body) => makeEntry(f, body).header.checksum_body === checksum({ body })), { numRuns: 1000 });
  });

  it('entryValid and seal agree with canonicalJson, asked again and interleaved with other entries', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(entry, message), { minLength: 1, maxLength: 4 }), (pairs) => {
        for (const [e, m] of pairs) {
          const valid = e.header.checksum === headerReference(e.header) && e.header.checksum_body === checksum({ body: e.body });
          const sealed = checksum(m as unknown as Json);
          expect(entryValid(e)).to.equal(valid);
          expect(seal(m).checksum).to.equal(sealed);
          expect(entryValid(e)).to.equal(valid);
          expect(sealValid({ checksum: sealed, message: m })).to.equal(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('two entries sharing a header are told apart by their bodies', () => {
    const root = rootEntry(3);
    const a: Entry = { header: root.header, body: null };
    const b: Entry = { header: root.header, body: 1 };
    expect([entryValid(a), entryValid(b), entryValid(a)]).to.deep.equal([true, false, true]);
  });

  it('makeEntry keeps the header keys in the order given, checksum_body first and checksum last, and certifies them', () => {
    const e = makeEntry({ parent: '0'.repeat(32), cluster: 1, view: 2, op: 3, commit: 2, timestamp: 4, client: 'c', request: 5, operation: 'request', replica: 0 }, { f: 'put', key: 'k', value: 'v' });
    expect(Object.keys(e.header)).to.deep.equal(['checksum_body', 'parent', 'cluster', 'view', 'op', 'commit', 'timestamp', 'client', 'request', 'operation', 'replica', 'checksum']);
    expect(e.header.checksum).to.equal(headerReference(e.header));
    expect(e.header.checksum_body).to.equal(checksum({ body: e.body }));
    expect(seal({ command: 'prepare', cluster: 1, replica: 0, view: 2, entry: e }).checksum).to.equal(checksum({ command: 'prepare', cluster: 1, replica: 0, view: 2, entry: e } as unknown as Json));
  });

  it("a batch body's text made from its requests' texts (the primary's, as it takes them off its queue) is canonicalJson's", () => {
    const request = fc.record({ client: fc.string({ minLength: 1 }), request: fc.nat(), op: json });
    fc.assert(
      fc.property(fc.array(request, { minLength: 2, maxLength: 6 }), (requests) => {
        const body = { requests } as unknown as Json;
        const text = batchBodyText(requests.map((r) => batchRequestJson(r)));
        expect(text).to.equal(canonicalJson(body));
        expect(text).to.equal(bodyText(body));
      }),
      { numRuns: 1000 },
    );
  });

  it('shapedJson writes canonicalJson text for its shape and refuses any other', () => {
    const ab = shape(['a', 'b']);
    expect(shapedJson({ b: [2, { y: 1, x: 0 }], a: 's' }, ab)).to.equal(canonicalJson({ b: [2, { y: 1, x: 0 }], a: 's' }));
    for (const other of [{ a: 1 }, { a: 1, c: 2 }, { a: 1, b: 2, c: 3 }, [1, 2], null, 'ab']) expect(shapedJson(other as Json, ab)).to.equal(null);
    expect(() => shape(['b', 'a'])).to.throw(/not sorted/);
  });
});
