// A message event's trace line written straight into bytes: formatLine()'s exact UTF-8 bytes, made
// from byte runs kept for the parts that repeat (node and kind, a message's route) and digits written
// in place, without building the line as a string, flattening it and encoding it again (a real
// node writes two to six such lines per request it serves). It owns no buffer and no file, and
// it takes only what it can write exactly: any other event is left to formatLine.
import { E8, numberText, quoted, SMALL } from '../json.js';
import { labelJson, summaryJson, type MessageSummary } from './event.js';
import type { EventInput } from './recorder.js';

/** A byte run and the strings it was made from (compared on every use: a hit costs no allocation). */
interface Run {
  readonly a: string;
  readonly b: string;
  readonly c: string;
  readonly d: string;
  readonly bytes: Uint8Array;
}

/** Runs kept per kind of run: a node's lines take a few routes over and over (a primary: client, then each backup). */
const RUNS = 8;
/** Bytes of a number's text at most (`-1.2345678901234567e-308`), and of the line's keys and punctuation. */
const NUMBER_BYTES = 24;
const FRAME_BYTES = 128;
/** UTF-8 bytes of one UTF-16 unit of a string in JSON, at most (a control character or a lone surrogate escaped: `\u001f`). */
const UNIT_BYTES = 6;

const SEQ = bytesOf('{"seq":');
const T = bytesOf(',"t":');
const CAUSE = bytesOf(',"cause":');
const CLOSE = 0x7d; // '}'
const QUOTE = 0x22; // '"'
const BACKSLASH = 0x5c; // '\\'
/** 10^n for n = 0..9: a number below 10^n has at most n digits. */
const TENS = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];

function bytesOf(text: string): Uint8Array {
  return Buffer.from(text, 'utf8');
}

/** A small cache of runs, most recent first, filled round-robin. */
class Runs {
  private readonly runs: (Run | undefined)[] = new Array<Run | undefined>(RUNS).fill(undefined);
  private next = 0;

  constructor(private readonly text: (a: string, b: string, c: string, d: string) => string) {}

  get(a: string, b: string, c: string, d: string): Uint8Array {
    for (let i = 0; i < RUNS; i++) {
      const run = this.runs[i];
      if (run !== undefined && run.a === a && run.b === b && run.c === c && run.d === d) return run.bytes;
    }
    const bytes = bytesOf(this.text(a, b, c, d));
    this.runs[this.next] = { a, b, c, d, bytes };
    this.next = (this.next + 1) % RUNS;
    return bytes;
  }
}

export class LineBytes {
  /** `,"node":…,"kind":…,"msg":{"id":` for a node and a kind. */
  private readonly heads = new Runs((node, kind) => `,"node":${quoted(node)},"kind":${quoted(kind)},"msg":{"id":`);
  /** `,"from":…,"to":…,"method":…,"type":…,"summary":` for a route. */
  private readonly routes = new Runs((from, to, method, type) => `,"from":${quoted(from)},"to":${quoted(to)},"method":${quoted(method)},"type":${quoted(type)},"summary":`);

  /** Whether write() takes `e`: a message event without detail, its message a plain summary. */
  takes(e: EventInput): boolean {
    return e.msg !== undefined && e.detail === undefined && !('json' in e.msg);
  }

  /** At most how many bytes write() needs for `e` (one of those it takes), its newline included. */
  bound(e: EventInput): number {
    const m = e.msg!;
    return FRAME_BYTES + 4 * NUMBER_BYTES + UNIT_BYTES * (e.node.length + e.kind.length + m.from.length + m.to.length + m.method.length + m.type.length + m.summary.length + (m.label?.length ?? 0));
  }

  /** The high halves of the large numbers last written: a node's times, and its message ids, share theirs for long runs. */
  private readonly times = new HighHalf();
  private readonly ids = new HighHalf();

  /** Write the line of `e` (one write() takes) numbered `seq`, and a newline, at `at` in `buf` (with bound(e) bytes of room); returns where it ends. */
  write(buf: Buffer, at: number, seq: number, e: EventInput): number {
    const m: MessageSummary = e.msg!;
    let p = put(buf, at, SEQ);
    p = number(buf, p, seq, this.ids);
    p = put(buf, p, T);
    p = number(buf, p, e.t, this.times);
    p = put(buf, p, this.heads.get(e.node, e.kind, '', ''));
    p = number(buf, p, m.id, this.ids);
    p = put(buf, p, this.routes.get(m.from, m.to, m.method, m.type));
    const end = asciiString(buf, p, m.summary);
    p = end >= 0 ? end : p + buf.write(summaryJson(m), p);
    if (m.label !== undefined) p += buf.write(labelJson(m), p);
    buf[p++] = CLOSE;
    if (e.cause !== undefined) {
      p = put(buf, p, CAUSE);
      p = number(buf, p, e.cause, this.ids);
    }
    buf[p++] = CLOSE;
    buf[p++] = 0x0a; // '\n'
    return p;
  }
}

/** The digits of the last high half written (see number()), kept to be copied while it stays the same. */
class HighHalf {
  value = -1;
  length = 0;
  /** A safe integer's high half is below 2^53 / 10^8: 8 digits at most. */
  readonly digits = new Uint8Array(8);
}

function put(buf: Buffer, at: number, bytes: Uint8Array): number {
  buf.set(bytes, at);
  return at + bytes.length;
}

/**
 * A number as formatLine writes it (numberText's text; null if not finite): digits in place for a
 * non-negative safe integer. Past SMALL, from two halves around 10^8, each a small integer (as
 * numberText does), the high one copied from `high` while it repeats. The halves come from a
 * division, not x % E8 (a floating-point remainder, several times slower): below 2^53, x / 10^8 is
 * below 2^27, where doubles lie 2^-26 apart or closer, so a quotient at least 10^-8 short of the
 * next integer never rounds up to it, and its floor is the exact high half.
 */
function number(buf: Buffer, at: number, x: number, high: HighHalf): number {
  if (!(x >= 0 && Number.isSafeInteger(x))) return ascii(buf, at, Number.isFinite(x) ? numberText(x) : 'null');
  if (x < SMALL) return digits(buf, at, x, 0);
  const h = Math.floor(x / E8);
  if (h !== high.value) {
    high.value = h;
    high.length = digits(high.digits, 0, h, 0);
  }
  for (let i = 0; i < high.length; i++) buf[at + i] = high.digits[i]!;
  return digits(buf, at + high.length, x - h * E8, 8);
}

/**
 * JSON.stringify(s)'s bytes at `at` for a string of printable ASCII, the usual summary (JSON text
 * of ASCII values: only its quotes and backslashes escaped), written without making that string;
 * -1 at the first other character (the caller writes JSON.stringify's text over what was written).
 */
function asciiString(buf: Buffer, at: number, s: string): number {
  let p = at;
  buf[p++] = QUOTE;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return -1;
    if (c === QUOTE || c === BACKSLASH) buf[p++] = BACKSLASH;
    buf[p++] = c;
  }
  buf[p++] = QUOTE;
  return p;
}

/** The digits of `x`, a non-negative integer below 2^31, at least `width` of them (zeros in front). */
function digits(buf: Uint8Array, at: number, x: number, width: number): number {
  let n = 1;
  while (n < 10 && x >= TENS[n]!) n++;
  if (n < width) n = width;
  let v = x;
  for (let i = at + n - 1; i >= at; i--) {
    const q = (v / 10) | 0;
    buf[i] = 0x30 + v - q * 10;
    v = q;
  }
  return at + n;
}

/** Text of ASCII characters only (a number's). */
function ascii(buf: Buffer, at: number, text: string): number {
  for (let i = 0; i < text.length; i++) buf[at + i] = text.charCodeAt(i);
  return at + text.length;
}
