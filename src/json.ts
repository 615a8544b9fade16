// Canonical JSON text: object keys sorted at every depth, no whitespace, so equal values give
// equal strings (replica snapshots are compared with ===). It never accepts what JSON cannot
// carry (NaN, Infinity, undefined): that is a bug in the caller, and it throws.
import type { Json } from './env/types.js';
import { assert, InvariantViolation } from './assert.js';

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

/** The canonical text of `value`: like JSON.stringify, but with keys sorted by code unit. */
export function canonicalJson(value: Json): string {
  // Built by concatenation, not map/join or templates: checksums of every VSR message and header run through here.
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      // A finite number's JSON text is its string (JSON.stringify's own rule).
      assert(Number.isFinite(value), () => `canonicalJson: ${value} is not a JSON number`);
      return String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) {
        if (value.length === 0) return '[]';
        let text = '[' + canonicalJson(value[0]!);
        for (let i = 1; i < value.length; i++) text += ',' + canonicalJson(value[i]!);
        return text + ']';
      }
      const keys = Object.keys(value);
      if (keys.length === 0) return '{}';
      keys.sort();
      let text = '{' + quoted(keys[0]!) + ':' + canonicalJson(value[keys[0]!]!);
      for (let i = 1; i < keys.length; i++) text += ',' + quoted(keys[i]!) + ':' + canonicalJson(value[keys[i]!]!);
      return text + '}';
    }
    default:
      throw new InvariantViolation(`canonicalJson: a ${typeof value} is not JSON`);
  }
}
