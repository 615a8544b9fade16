// Frames (src/wire/frame.ts): what our encoders write decodes to the same message, and its payload
// (what traces summarize) is exactly the params' or result's JSON text; for any other layout the
// payload is absent or still exactly that text. Ids, method names and values are generated to hold
// quotes, commas and member look-alikes (',"method":', ',"result":').
import { expect } from 'chai';
import fc from 'fast-check';
import { decodeFrame, encodeNotice, encodeRequest, encodeResult, JSON_DEPTH_MAX, MAX_FRAME_BYTES, nestsDeeper, oversizedFrame, type Frame } from '../src/wire/frame.js';
import { numberText } from '../src/json.js';

const tricky = fc.constantFrom(',"method":', ',"params":', ',"result":', '"', '\\', '}', '{"jsonrpc":"2.0","id":');
const text = fc.oneof(fc.string({ minLength: 1 }), fc.tuple(fc.string(), tricky, fc.string()).map(([a, b, c]) => `${a}${b}${c}`));
/** As it comes out of JSON.parse (no -0). */
const wire = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
/** Keys that spell our members: an object holding them has ',"method":' and such in its text. */
const key = fc.oneof(text, fc.constantFrom('method', 'params', 'result', 'id', 'jsonrpc'));
const value = fc.oneof(fc.jsonValue(), fc.dictionary(key, fc.oneof(text, fc.jsonValue())), fc.array(text)).map(wire);
const params = fc.oneof(fc.dictionary(key, value, { minKeys: 1 }), fc.array(value)).map(wire);
const id = fc.oneof(fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }), text);

/** The same members in another order, or with one more: a frame our encoders never write. */
function shuffled(members: Record<string, unknown>, extra: boolean): string {
  const keys = Object.keys(members).reverse();
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = members[k];
  if (extra) out.extra = 1;
  return JSON.stringify(out);
}

describe('wire frames', () => {
  it('oversizedFrame counts UTF-8 bytes: a frame of exactly MAX_FRAME_BYTES fits, one byte more does not', () => {
    const over = (bytes: number): string => `a frame of ${bytes} bytes is over the 64 MiB frame limit`;
    expect(oversizedFrame('x'.repeat(MAX_FRAME_BYTES))).to.equal(undefined);
    expect(oversizedFrame('x'.repeat(MAX_FRAME_BYTES + 1))).to.equal(over(MAX_FRAME_BYTES + 1));
    // 'é' is 2 bytes, '€' 3: the byte count decides, never the string's length.
    expect(oversizedFrame('é'.repeat(MAX_FRAME_BYTES / 2))).to.equal(undefined);
    expect(oversizedFrame('é'.repeat(MAX_FRAME_BYTES / 2) + 'x')).to.equal(over(MAX_FRAME_BYTES + 1));
    const thirds = Math.floor(MAX_FRAME_BYTES / 3);
    expect(oversizedFrame('€'.repeat(thirds) + 'x'.repeat(MAX_FRAME_BYTES - 3 * thirds))).to.equal(undefined);
    expect(oversizedFrame('€'.repeat(thirds + 1))).to.equal(over(3 * thirds + 3));
  });

  it("decode our requests, notices and results with the params' or result's exact text as payload", () => {
    fc.assert(
      fc.property(id, fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), text, params, value, (rid, mid, method, p, r) => {
        const paramsJson = JSON.stringify(p);
        const numeric = typeof rid === 'number' ? rid : mid;
        const request = decodeFrame(encodeRequest(numeric, JSON.stringify(method), paramsJson));
        expect(request).to.deep.equal({ type: 'request', id: numeric, method, params: p, payload: paramsJson });
        const notice = decodeFrame(encodeNotice(mid, JSON.stringify(method), paramsJson));
        expect(notice).to.deep.equal({ type: 'notice', method, params: p, mid, payload: paramsJson });
        const resultJson = JSON.stringify(r);
        const result = decodeFrame(encodeResult(rid, resultJson));
        expect(result).to.deep.equal({ type: 'result', id: rid, result: r, payload: resultJson });
      }),
      { numRuns: 2000 },
    );
  });

  it("writes every number as JSON does, large ids (two halves around 10^8) and multiples of 10^8 +- 1 included", () => {
    const near = fc.tuple(fc.integer({ min: 0, max: 90_071_992 }), fc.integer({ min: -1, max: 1 })).map(([k, d]) => Math.max(0, k * 1e8 + d));
    const numbers = fc.oneof(fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }), fc.maxSafeNat(), near, fc.double());
    fc.assert(
      fc.property(numbers, (x) => {
        expect(numberText(x)).to.equal(`${x}`);
      }),
      { numRuns: 20000 },
    );
  });

  it("reads a frame in our encoders' layout (envelope unparsed) as the whole frame's parse does, edits of it included", () => {
    /** The frame but for its payload (and a parse error's message: it names a position). */
    const gist = (f: Frame): unknown => ({ ...f, payload: undefined, ...(f.type === 'invalid' && { message: undefined }) });
    /** The same text that only a whole parse reads (a space before it). */
    const parsedWhole = (t: string): unknown => gist(decodeFrame(` ${t}`));
    const edit = fc.constantFrom('', '0', '00', '-', ' ', '}', ',"x":1', ',"result":2', ',"method":"m"', '"', '\\', '.5', 'e3', '\u00e9');
    const frames = fc.tuple(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.constantFrom('echo.ping', 'a', 'é', 'a"b', 'a\\b', ''), params, value).map(([n, m, p, r]) => [
      encodeRequest(n, JSON.stringify(m), JSON.stringify(p)),
      encodeNotice(n, JSON.stringify(m), JSON.stringify(p)),
      encodeResult(n, JSON.stringify(r)),
      encodeRequest(n, JSON.stringify(m), JSON.stringify(r)),
    ]);
    fc.assert(
      fc.property(frames, fc.nat(), edit, (texts, at, inserted) => {
        for (const t of texts) {
          for (const variant of [t, `${t.slice(0, at % t.length)}${inserted}${t.slice(at % t.length)}`]) {
            const frame = decodeFrame(variant);
            expect(gist(frame)).to.deep.equal(parsedWhole(variant));
            if (variant === t && 'payload' in frame && frame.payload !== undefined) expect(JSON.parse(frame.payload)).to.deep.equal(frame.type === 'result' ? frame.result : frame.params);
          }
        }
      }),
      { numRuns: 3000 },
    );
    for (const t of ['{"jsonrpc":"2.0","id":01,"result":1}', '{"jsonrpc":"2.0","id":9007199254740993,"result":1}', '{"jsonrpc":"2.0","id":12345678901234567,"result":1}', '{"jsonrpc":"2.0","id":-0,"result":1}']) {
      expect(gist(decodeFrame(t))).to.deep.equal(parsedWhole(t));
    }
  });

  it('refuses an empty string id, as jsonrpc-lite does, in a request and in a result (the layouts above carry only numeric ids)', () => {
    for (const t of ['{"jsonrpc":"2.0","id":"","method":"m","params":{}}', '{"jsonrpc":"2.0","id":"","result":1}']) {
      expect(decodeFrame(t)).to.deep.include({ type: 'invalid', id: null, code: -32600 });
    }
    expect(decodeFrame('{"jsonrpc":"2.0","id":"a","result":1}')).to.deep.include({ type: 'result', id: 'a', result: 1 });
  });

  it('never gives a payload other than the exact text for a frame laid out otherwise', () => {
    fc.assert(
      fc.property(id, text, params, value, fc.boolean(), (rid, method, p, r, extra) => {
        const request = decodeFrame(shuffled({ jsonrpc: '2.0', id: rid, method, params: p }, extra));
        expect(request.type).to.equal('request');
        if (request.type === 'request' && request.payload !== undefined) expect(request.payload).to.equal(JSON.stringify(p));
        const result = decodeFrame(shuffled({ jsonrpc: '2.0', id: rid, result: r }, extra));
        if (result.type === 'result' && result.payload !== undefined) expect(result.payload).to.equal(JSON.stringify(r));
        // A duplicated member: JSON.parse keeps the last one.
        const twice = decodeFrame(`${encodeRequest(7, JSON.stringify(`${method}a`), JSON.stringify(p)).slice(0, -1)},"method":${JSON.stringify(`${method}b`)}}`);
        expect(twice.type === 'request' && twice.method).to.equal(`${method}b`);
        if (twice.type === 'request' && twice.payload !== undefined) expect(twice.payload).to.equal(JSON.stringify(p));
        const other = typeof rid === 'number' ? rid + 1 : `${rid}x`;
        const again = decodeFrame(`${encodeResult(other, JSON.stringify(p)).slice(0, -1)},"id":${JSON.stringify(rid)},"result":${JSON.stringify(r)}}`);
        expect(again.type === 'result' && again.id).to.equal(rid);
        if (again.type === 'result' && again.payload !== undefined) expect(again.payload).to.equal(JSON.stringify(r));
      }),
      { numRuns: 2000 },
    );
  });

  /** How deep a JSON value nests its arrays and objects (a scalar: 0). */
  function depthOf(v: unknown): number {
    if (typeof v !== 'object' || v === null) return 0;
    return 1 + Math.max(0, ...Object.values(v).map(depthOf));
  }

  it('nestsDeeper measures the nesting of arrays and objects, never of brackets in strings', () => {
    const bracketed = fc.string({ unit: fc.constantFrom('[', ']', '{', '}', '"', '\\', 'a') });
    const nested = fc.letrec((tie) => ({
      v: fc.oneof({ depthSize: 'small' }, fc.jsonValue(), bracketed, fc.array(tie('v')), fc.dictionary(bracketed, tie('v'))),
    })).v;
    fc.assert(
      fc.property(nested, fc.nat(8), (v, max) => {
        const text = JSON.stringify(v);
        expect(nestsDeeper(text, max), text).to.equal(depthOf(v) > max);
      }),
      { numRuns: 3000 },
    );
  });

  it('refuses a frame nested past JSON_DEPTH_MAX: a reply becomes its call\'s error, a request or notice an error to send', () => {
    const deep = '['.repeat(JSON_DEPTH_MAX) + ']'.repeat(JSON_DEPTH_MAX);
    const message = `JSON nested deeper than ${JSON_DEPTH_MAX} levels`;
    expect(decodeFrame(`{"jsonrpc":"2.0","id":7,"result":${deep}}`)).to.deep.equal({ type: 'error', id: 7, code: -32600, message: `Invalid response: ${message}` });
    expect(decodeFrame(`{"jsonrpc":"2.0","id":"r","error":{"code":1,"message":"m","data":${deep}}}`)).to.deep.equal({ type: 'error', id: 'r', code: -32600, message: `Invalid response: ${message}` });
    expect(decodeFrame(encodeRequest(8, '"m"', `[${deep}]`))).to.deep.equal({ type: 'invalid', id: 8, code: -32600, message: `Invalid request: ${message}` });
    expect(decodeFrame(`{"jsonrpc":"2.0","method":"n","params":[${deep}]}`)).to.deep.equal({ type: 'invalid', id: null, code: -32600, message: `Invalid request: ${message}` });
    expect(decodeFrame(`[${deep}`)).to.deep.include({ type: 'invalid', id: null, code: -32700 });
    // One level less is the bound exactly: decoded as ever.
    const fits = '['.repeat(JSON_DEPTH_MAX - 2) + ']'.repeat(JSON_DEPTH_MAX - 2);
    expect(decodeFrame(encodeRequest(9, '"m"', `[${fits}]`))).to.deep.include({ type: 'request', id: 9, method: 'm' });
  });
});
