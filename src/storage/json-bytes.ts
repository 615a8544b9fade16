// The JSON text of plain data, written as bytes straight into one scratch array (no string made):
// the record log's payloads, made at a high rate. It writes exactly JSON.stringify's text, and only
// for values it can be sure of (plain objects and arrays, booleans, null, numbers, printable ASCII
// strings); for anything else it says so, and the caller uses JSON.stringify. It keeps no value.
import { toJSONOf } from '../json.js';

/** Module-local on purpose, for this module's for-in walk (see src/env/sim/json-copy.ts). */
const hasOwnProperty: (this: object, key: PropertyKey) => boolean = Object.prototype.hasOwnProperty;

let scratch = new Uint8Array(1024);
let pos = 0;

/** Thrown inside a walk at what is left to JSON.stringify (a toJSON, a class instance, an escape, non-ASCII). */
const notSimple = new Error('not simple JSON data');

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const NULL_TEXT = [0x6e, 0x75, 0x6c, 0x6c];
const TRUE_TEXT = [0x74, 0x72, 0x75, 0x65];
const FALSE_TEXT = [0x66, 0x61, 0x6c, 0x73, 0x65];
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

/**
 * Write JSON.stringify(value) as UTF-8 bytes into the scratch array (jsonScratch()) and return their
 * count; -1 if the value is not simple (then nothing is promised about the scratch). A getter runs
 * once here, and again in the caller's JSON.stringify if the value turns out not to be simple.
 */
export function writeJson(value: unknown): number {
  pos = 0;
  try {
    if (!writeValue(value)) return -1; // undefined, a function, a symbol: JSON.stringify gives undefined
  } catch {
    return -1; // not simple, or JSON's own failure (a cycle, a BigInt), which the caller's JSON.stringify reports
  }
  return pos;
}

/** The bytes writeJson() wrote: [0, its count). Valid until its next call. */
export function jsonScratch(): Uint8Array {
  return scratch;
}

function room(n: number): void {
  if (pos + n <= scratch.length) return;
  const bigger = new Uint8Array(Math.max(2 * scratch.length, pos + n));
  bigger.set(scratch.subarray(0, pos));
  scratch = bigger;
}

function bytes(text: readonly number[]): void {
  room(text.length);
  for (let i = 0; i < text.length; i++) scratch[pos++] = text[i]!;
}

/** One byte of punctuation (a record writes a dozen: a loop over a one-byte array each cost more than the byte). */
function byte(c: number): void {
  room(1);
  scratch[pos++] = c;
}

/** Write `value`; false if JSON leaves it out (undefined, a function, a symbol). */
function writeValue(value: unknown): boolean {
  switch (typeof value) {
    case 'string':
      writeString(value);
      return true;
    case 'number':
      writeNumber(value);
      return true;
    case 'boolean':
      bytes(value ? TRUE_TEXT : FALSE_TEXT);
      return true;
    case 'object':
      if (value === null) bytes(NULL_TEXT);
      else writeObject(value);
      return true;
    case 'bigint':
      throw notSimple;
    default:
      return false;
  }
}

/** A string of printable ASCII without a quote or a backslash (JSON writes it as it is); anything else is not simple. */
function writeString(s: string): void {
  const n = s.length;
  room(n + 2);
  scratch[pos++] = QUOTE;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === QUOTE || c === BACKSLASH) throw notSimple;
    scratch[pos++] = c;
  }
  scratch[pos++] = QUOTE;
}

/** A number as JSON writes it: its shortest text (String(x), the same for every finite number), null if not finite. */
function writeNumber(x: number): void {
  if (x >= 0 && x < 10 && (x | 0) === x) {
    room(1);
    scratch[pos++] = 0x30 + x; // (-0 too: it writes "0", as JSON does)
    return;
  }
  if (!Number.isFinite(x)) return bytes(NULL_TEXT);
  const text = `${x}`;
  room(text.length);
  for (let i = 0; i < text.length; i++) scratch[pos++] = text.charCodeAt(i);
}

function writeObject(value: object): void {
  if (typeof toJSONOf(value) === 'function') throw notSimple;
  if (Array.isArray(value)) {
    byte(OPEN_ARRAY);
    for (let i = 0; i < value.length; i++) {
      if (i > 0) byte(COMMA);
      if (!writeValue(value[i])) bytes(NULL_TEXT);
    }
    byte(CLOSE_ARRAY);
    return;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) throw notSimple; // a class instance, a boxed primitive, a Map
  byte(OPEN_OBJECT);
  let first = true;
  const record = value as Record<string, unknown>;
  for (const k in record) {
    if (!hasOwnProperty.call(record, k)) continue; // (for-in: own keys in JSON.stringify's order)
    const v = record[k];
    if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
    if (!first) byte(COMMA);
    first = false;
    writeString(k);
    byte(COLON);
    writeValue(v);
  }
  byte(CLOSE_OBJECT);
}
