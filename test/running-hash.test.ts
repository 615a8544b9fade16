// The trace's running hash: strings and bytes hash as the words they stand for, wherever the
// buffer of unmixed words happens to be and wherever the bytes lie in memory (its fast paths and
// its word-at-a-time path agree), a digest changes nothing, and different inputs give different
// digests.
import { expect } from 'chai';
import fc from 'fast-check';
import { RunningHash } from '../src/trace/running-hash.js';

/** The words string() stands for, fed one at a time. */
function stringWords(h: RunningHash, s: string): void {
  h.word(s.length);
  for (let i = 0; i < s.length; i += 2) h.word(s.charCodeAt(i) | (i + 1 < s.length ? s.charCodeAt(i + 1) << 16 : 0));
}

/** The words bytes() stands for, fed one at a time. */
function byteWords(h: RunningHash, b: Uint8Array): void {
  h.word(b.length);
  for (let i = 0; i < b.length; i += 4) h.word((b[i] ?? 0) | ((b[i + 1] ?? 0) << 8) | ((b[i + 2] ?? 0) << 16) | ((b[i + 3] ?? 0) << 24));
}

describe('running hash', () => {
  it('hashes a string or bytes as their words at every offset of the buffer, across its end too', () => {
    const long = 'ü'.repeat(1500) + 'x'; // longer than the buffer: the word-at-a-time path
    const bytes = Uint8Array.from({ length: 8199 }, (_, i) => (i * 7 + (i >> 8)) & 0xff);
    for (const prefix of [0, 1, 2, 3, 500, 1000, 1019, 1020, 1021, 1022, 1023, 1024, 1025, 2040]) {
      for (const s of ['', 'a', 'ab', 'abc', 'x'.repeat(61), long]) {
        const [fast, slow] = [new RunningHash(), new RunningHash()];
        for (let i = 0; i < prefix; i++) for (const h of [fast, slow]) h.word(i);
        fast.string(s);
        stringWords(slow, s);
        for (let i = 0; i < 5; i++) for (const h of [fast, slow]) h.word(-i); // words after it land where they should
        expect(fast.digest(), `string of ${s.length} after ${prefix} words`).to.equal(slow.digest());
      }
      // At a four-byte aligned offset (copied as words) and at others (put together byte by byte).
      for (const [at, n] of [0, 1, 2, 4].flatMap((at) => [0, 1, 3, 4, 5, 70, 255, 256, 260, 4099, 8195].map((n) => [at, n] as const))) {
        const [fast, slow] = [new RunningHash(), new RunningHash()];
        for (let i = 0; i < prefix; i++) for (const h of [fast, slow]) h.word(i);
        fast.bytes(bytes.subarray(at, at + n));
        byteWords(slow, bytes.subarray(at, at + n));
        for (let i = 0; i < 5; i++) for (const h of [fast, slow]) h.word(-i);
        expect(fast.digest(), `${n} bytes at offset ${at} after ${prefix} words`).to.equal(slow.digest());
      }
    }
  });

  it('gives the same digest with or without digests taken on the way', () => {
    const [a, b] = [new RunningHash(), new RunningHash()];
    for (let i = 0; i < 5000; i++) {
      for (const h of [a, b]) h.string(`line ${i}`);
      if (i % 13 === 0) a.digest();
    }
    expect(a.digest()).to.equal(b.digest()).and.match(/^[0-9a-f]{32}$/);
  });

  it('gives different digests to different strings, byte strings and numbers', () => {
    const digest = (feed: (h: RunningHash) => void): string => {
      const h = new RunningHash();
      feed(h);
      return h.digest();
    };
    fc.assert(fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (x, y) => x === y || digest((h) => h.string(x)) !== digest((h) => h.string(y))));
    fc.assert(fc.property(fc.uint8Array(), fc.uint8Array(), (x, y) => Buffer.from(x).equals(Buffer.from(y)) || digest((h) => h.bytes(x)) !== digest((h) => h.bytes(y))));
    const numbers = [0, 1, -1, 2 ** 30 - 1, 2 ** 30, 2 ** 31, -(2 ** 31), 2 ** 40, -(2 ** 40), Number.MAX_SAFE_INTEGER, 0.5, -0.5, 1e21, NaN];
    expect(new Set(numbers.map((x) => digest((h) => h.number(x)))).size).to.equal(numbers.length);
    // As JSON shows them: -0 is 0, and NaN and the infinities are all null.
    expect(digest((h) => h.number(-0))).to.equal(digest((h) => h.number(0)));
    expect(digest((h) => h.number(Infinity))).to.equal(digest((h) => h.number(NaN)));
  });
});
