// Canonical JSON text: object keys sorted at every depth, no whitespace, so equal values give
// equal strings (replica snapshots are compared with ===). It never accepts what JSON cannot
// carry (NaN, Infinity, undefined): that is a bug in the caller, and it throws.
import type { Json } from './env/types.js';
import { assert, InvariantViolation } from './assert.js';

const hasOwnProperty: (this: object, key: PropertyKey) => boolean = Object.prototype.hasOwnProperty;

/**
 * What JSON.stringify would read as `value`'s toJSON (it calls it if it is a function): the same as
 * `value.toJSON`, but for a plain object or array whose prototypes hold no toJSON (as they never
 * do) it asks `value` alone. Reading a property that is missing, at a site that sees objects of
 * many shapes, is a slow lookup through the whole prototype chain, and the simulator's JSON walks
 * (message copies, hashing, record bytes) did it for every object they met.
 */
export function toJSONOf(value: object): unknown {
  if (!hasOwnProperty.call(value, 'toJSON')) {
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto === null) return undefined;
    if (!hasOwnProperty.call(Object.prototype, 'toJSON')) {
      if (proto === Object.prototype) return undefined;
      if (proto === Array.prototype && !hasOwnProperty.call(Array.prototype, 'toJSON')) return undefined;
    }
  }
  return (value as { toJSON?: unknown }).toJSON;
}

/** JSON.stringify of short strings that repeat (object keys, node ids, kinds, method names), memoized. */
const quotes = new Map<string, string>();
const QUOTES_MAX = 4096;

export function quoted(s: string): string {
  let q = quotes.get(s);
  if (q === undefined) {
    q = JSON.stringify(s);
    if (s.length <= 64 && quotes.size < QUOTES_MAX) quotes.set(s, q);
  }
  return q;
}

/** Past this, an integer is a heap number to V8, whose `${x}` costs several times a small one's. */
export const SMALL = 2 ** 30;
export const E8 = 1e8;
const ZEROS = ['', '0', '00', '000', '0000', '00000', '000000', '0000000'];

/**
 * A finite number's JSON text, the same as `${x}`: a large safe integer (a message id, a wall-clock
 * time) is written from its two halves around 10^8, each a small integer (exact: % on doubles is, and
 * x - low is a multiple of 10^8 below 2^53). Every real message's id and each trace line go through here.
 */
export function numberText(x: number): string {
  if (x < SMALL || !Number.isSafeInteger(x)) return `${x}`;
  const low = x % E8;
  const lowText = `${low}`;
  return `${(x - low) / E8}${ZEROS[8 - lowText.length]!}${lowText}`;
}

/**
 * Arrays longer than this that are already in canonical order go to JSON.stringify whole: one call
 * and a flat text, where a text built member by member is a deep string that a checksum must flatten.
 */
const NATIVE_ARRAY_MIN = 16;

/**
 * The canonical text of `value`: like JSON.stringify, but with keys sorted by code unit. Written
 * here, member by member: V8's JSON.stringify costs some 150 ns a call before it writes a byte, more
 * than a small value's whole text takes in JS (a VSR replica writes one for every client op of every
 * prepare it makes or checks). A value with a toJSON (never JSON data) is left to JSON.stringify's rules.
 */
export function canonicalJson(value: Json): string {
  switch (typeof value) {
    case 'string':
      return stringJson(value);
    case 'number':
      // A finite number's JSON text is its string (JSON.stringify's own rule).
      assert(Number.isFinite(value), () => `canonicalJson: ${value} is not a JSON number`);
      return numberText(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value === null) return 'null';
      if (typeof toJSONOf(value) === 'function') return inCanonicalOrder(value) ? JSON.stringify(value) : orderedJson(value);
      // A long array already in order (a snapshot's pairs) is written natively: one call, a flat text.
      if (Array.isArray(value)) return value.length > NATIVE_ARRAY_MIN && inCanonicalOrder(value) ? JSON.stringify(value) : canonicalArray(value, canonicalJson);
      return canonicalObject(value, canonicalMember);
    default:
      throw new InvariantViolation(`canonicalJson: a ${typeof value} is not JSON`);
  }
}

/** JSON.stringify(s): a string of printable ASCII but quote and backslash is itself in quotes; any other is left to JSON.stringify. */
function stringJson(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return JSON.stringify(s);
  }
  return '"' + s + '"';
}

/**
 * Whether JSON.stringify(value) is its canonical text: every object's keys (in Object.keys order,
 * which JSON.stringify follows) strictly ascend by code unit, and every number is finite. Anything
 * else (unsorted keys, a value JSON cannot carry) is false: orderedJson sorts it, or throws.
 */
function inCanonicalOrder(value: Json): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object': {
      if (value === null) return true;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) if (!inCanonicalOrder(value[i]!)) return false;
        return true;
      }
      // The keys' order first: an object out of order is not walked into (orderedJson walks its members).
      const keys = Object.keys(value);
      for (let i = 1; i < keys.length; i++) if (!(keys[i - 1]! < keys[i]!)) return false;
      for (let i = 0; i < keys.length; i++) if (!inCanonicalOrder(value[keys[i]!]!)) return false;
      return true;
    }
    default:
      return false;
  }
}

/** canonicalJson of a value with a toJSON whose keys are out of order: its own members, sorted (toJSON is not called, as it never was here). */
function orderedJson(value: Json): string {
  return Array.isArray(value) ? canonicalArray(value, canonicalJson) : canonicalObject(value as { [key: string]: Json }, canonicalMember);
}

function canonicalMember(_key: string, value: Json): string {
  return canonicalJson(value);
}

/** The canonical text of an array whose items' texts `item` writes (canonicalJson, or a caller's equal but faster text). */
export function canonicalArray(value: readonly Json[], item: (value: Json) => string): string {
  if (value.length === 0) return '[]';
  let text = '[' + item(value[0]!);
  for (let i = 1; i < value.length; i++) text += ',' + item(value[i]!);
  return text + ']';
}

/**
 * The canonical text of an object whose members' value texts `member` writes: canonicalJson's, or
 * (a caller that knows a member's shape, e.g. a VSR entry) a text equal to it, built faster.
 */
export function canonicalObject(value: { [key: string]: Json }, member: (key: string, value: Json) => string): string {
  const keys = Object.keys(value);
  if (keys.length === 0) return '{}';
  for (let i = 1; i < keys.length; i++) {
    if (!(keys[i - 1]! < keys[i]!)) {
      keys.sort();
      break;
    }
  }
  let text = '{' + quoted(keys[0]!) + ':' + member(keys[0]!, value[keys[0]!]!);
  for (let i = 1; i < keys.length; i++) text += ',' + quoted(keys[i]!) + ':' + member(keys[i]!, value[keys[i]!]!);
  return text + '}';
}

/**
 * Whether `value` is an object of `shape`: as many own keys as the shape has, and none of the
 * shape's keys undefined (so they are the shape's keys: plain JSON data inherits no enumerable keys).
 */
export function hasShape(value: Json, shape: Shape): value is { [key: string]: Json } {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || Object.keys(value).length !== shape.keys.length) return false;
  for (const key of shape.keys) if (value[key] === undefined) return false;
  return true;
}

/** canonicalJson(value) for an object of a known shape (hasShape), built without Object.keys' sort; null for any other value. */
export function shapedJson(value: Json, shape: Shape): string | null {
  if (!hasShape(value, shape)) return null;
  const { keys, heads } = shape;
  let text = '';
  for (let i = 0; i < keys.length; i++) text += heads[i]! + canonicalJson(value[keys[i]!]!);
  return text + '}';
}

/** An object shape for shapedJson: its keys in canonical order and each one's text before its value. */
export interface Shape {
  readonly keys: readonly string[];
  readonly heads: readonly string[];
}

export function shape(keys: readonly string[]): Shape {
  assert(keys.length > 0 && keys.every((k, i) => i === 0 || keys[i - 1]! < k), () => `shape: keys ${keys.join(',')} are not sorted and distinct`);
  return { keys, heads: keys.map((k, i) => (i === 0 ? '{' : ',') + JSON.stringify(k) + ':') };
}
