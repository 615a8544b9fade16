// A 128-bit running hash of a stream of 32-bit words, strings, numbers and bytes, for the trace hash:
// MurmurHash3 x86_128's mixing, fed words straight from the values (a string's code units, a
// number's bits), so that hashing an event builds no string. Words wait in a small buffer and are
// mixed a buffer at a time. Deterministic in every process and on every machine; not cryptographic
// (nothing adversarial picks the inputs: it tells runs apart). It never decides what is hashed.

const C1 = 0x239b961b;
const C2 = 0xab0e9789;
const C3 = 0x38b34ae5;
const C4 = 0xa1e38b93;
/** 2^32, to split a safe integer into two words. */
const WORD = 0x1_0000_0000;
/** number(): an integer in [0, 2^30) is its own word; any other number starts with one of these. */
const SMALL_MASK = 0x3fff_ffff;
const INT32 = 0x4000_0000;
const SAFE_INTEGER = 0x4000_0001;
const FRACTION = 0x4000_0002;
const NON_FINITE = 0x4000_0003;
/** Words buffered before they are mixed: a multiple of MurmurHash3's 4-word block. */
const BUFFER_WORDS = 1024;
/**
 * Bytes from which bytes() copies aligned words a buffer at a time: below it, the two views that
 * takes (an Int32Array and its subarray, ~100 bytes of garbage each) cost more than putting each word
 * together, and most writes are short (a record log's frame is ~80 bytes).
 */
const BULK_BYTES = 256;
/** Whether this machine lays out an Int32Array's words little-endian, as bytes() reads them. */
const LITTLE_ENDIAN = new Uint8Array(Int32Array.of(1).buffer)[0] === 1;

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

function hex(x: number): string {
  return (x >>> 0).toString(16).padStart(8, '0');
}

/** MurmurHash3 x86_128's body: mix words [0, count) of `words` (count a multiple of 4) into `state` (h1..h4). */
function mixBlocks(state: Int32Array, words: Int32Array, count: number): void {
  let h1 = state[0]!;
  let h2 = state[1]!;
  let h3 = state[2]!;
  let h4 = state[3]!;
  for (let i = 0; i < count; i += 4) {
    h1 ^= Math.imul(rotl(Math.imul(words[i]!, C1), 15), C2);
    h1 = (Math.imul(rotl(h1, 19) + h2, 5) + 0x561ccd1b) | 0;
    h2 ^= Math.imul(rotl(Math.imul(words[i + 1]!, C2), 16), C3);
    h2 = (Math.imul(rotl(h2, 17) + h3, 5) + 0x0bcaa747) | 0;
    h3 ^= Math.imul(rotl(Math.imul(words[i + 2]!, C3), 17), C4);
    h3 = (Math.imul(rotl(h3, 15) + h4, 5) + 0x96cd1c35) | 0;
    h4 ^= Math.imul(rotl(Math.imul(words[i + 3]!, C4), 18), C1);
    h4 = (Math.imul(rotl(h4, 13) + h1, 5) + 0x32ac3b17) | 0;
  }
  state[0] = h1;
  state[1] = h2;
  state[2] = h3;
  state[3] = h4;
}

export class RunningHash {
  /** h1..h4 after every word mixed so far. */
  private readonly state = Int32Array.of(0x9e3779b9, 0x7f4a7c15, 0xf39cc060, 0x5ced8a7f);
  /** Words not yet mixed: [0, used). */
  private readonly buffer = new Int32Array(BUFFER_WORDS);
  private used = 0;
  /** Words mixed so far (with `used`: the length in the finalization). */
  private mixed = 0;

  /** One 32-bit word (the low 32 bits of `k`). */
  word(k: number): void {
    this.buffer[this.used++] = k;
    if (this.used === BUFFER_WORDS) this.mix();
  }

  /**
   * A number as JSON shows it: exactly for a safe integer (one word for 0 <= x < 2^30, the common
   * case), by its text for another finite number; NaN and ±Infinity are all null.
   */
  number(x: number): void {
    if ((x & SMALL_MASK) === x) {
      this.word(x);
    } else if ((x | 0) === x) {
      this.word(INT32);
      this.word(x);
    } else if (Number.isSafeInteger(x)) {
      this.word(SAFE_INTEGER);
      this.word(x % WORD);
      this.word(Math.floor(x / WORD));
    } else if (Number.isFinite(x)) {
      this.word(FRACTION);
      this.string(`${x}`);
    } else {
      this.word(NON_FINITE);
    }
  }

  /** A string: its length, then its UTF-16 code units two to a word . */
  string(s: string): void {
    const n = s.length;
    this.word(n);
    let i = 0;
    if (this.used + ((n + 1) >> 1) < BUFFER_WORDS) {
      // Room for all of it: straight into the buffer.
      const buffer = this.buffer;
      let used = this.used;
      for (; i + 1 < n; i += 2) buffer[used++] = s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16);
      if (i < n) buffer[used++] = s.charCodeAt(i);
      this.used = used;
      return;
    }
    for (; i + 1 < n; i += 2) this.word(s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16));
    if (i < n) this.word(s.charCodeAt(i));
  }

  /**
   * Bytes: their length, then the bytes four to a word (little-endian). Four-byte aligned on a
   * little-endian machine and BULK_BYTES or more, the words are the bytes as they lie in memory,
   * copied a buffer at a time (a journal's format is megabytes); otherwise each word is put together
   * from its bytes.
   */
  bytes(data: Uint8Array): void {
    const n = data.length;
    this.word(n);
    const whole = n & ~3;
    const words = LITTLE_ENDIAN && whole >= BULK_BYTES && (data.byteOffset & 3) === 0 ? new Int32Array(data.buffer, data.byteOffset, whole >> 2) : undefined;
    let i = 0;
    while (i < whole) {
      const buffer = this.buffer;
      let used = this.used;
      const end = Math.min(whole, i + (BUFFER_WORDS - used) * 4);
      if (words !== undefined) {
        buffer.set(words.subarray(i >> 2, end >> 2), used);
        used += (end - i) >> 2;
        i = end;
      } else {
        for (; i < end; i += 4) buffer[used++] = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
      }
      this.used = used;
      if (used === BUFFER_WORDS) this.mix();
    }
    if (i < n) {
      let k = 0;
      for (let shift = 0; i < n; i++, shift += 8) k |= data[i]! << shift;
      this.word(k);
    }
  }

  /** The hash of everything so far, as 32 hex digits; hashing may go on afterwards. */
  digest(): string {
    const state = this.state.slice();
    const whole = this.used & ~3;
    mixBlocks(state, this.buffer, whole);
    let [h1, h2, h3, h4] = state as unknown as [number, number, number, number];
    // The last partial block, as MurmurHash3's tail: each word mixed into its own lane.
    const tail = this.used - whole;
    if (tail >= 3) h3 ^= Math.imul(rotl(Math.imul(this.buffer[whole + 2]!, C3), 17), C4);
    if (tail >= 2) h2 ^= Math.imul(rotl(Math.imul(this.buffer[whole + 1]!, C2), 16), C3);
    if (tail >= 1) h1 ^= Math.imul(rotl(Math.imul(this.buffer[whole]!, C1), 15), C2);
    const length = (this.mixed + this.used) * 4;
    h1 ^= length;
    h2 ^= length;
    h3 ^= length;
    h4 ^= length;
    h1 = (h1 + h2 + h3 + h4) | 0;
    h2 = (h2 + h1) | 0;
    h3 = (h3 + h1) | 0;
    h4 = (h4 + h1) | 0;
    h1 = fmix(h1);
    h2 = fmix(h2);
    h3 = fmix(h3);
    h4 = fmix(h4);
    h1 = (h1 + h2 + h3 + h4) | 0;
    h2 = (h2 + h1) | 0;
    h3 = (h3 + h1) | 0;
    h4 = (h4 + h1) | 0;
    return hex(h1) + hex(h2) + hex(h3) + hex(h4);
  }

  /** Mix the full buffer. */
  private mix(): void {
    mixBlocks(this.state, this.buffer, BUFFER_WORDS);
    this.mixed += BUFFER_WORDS;
    this.used = 0;
  }

}
