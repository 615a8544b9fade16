// Canonical JSON text: object keys sorted at every depth, no whitespace, so equal values give
// equal strings (replica snapshots are compared with ===). It never accepts what JSON cannot
// carry (NaN, Infinity, undefined): that is a bug in the caller, and it throws.
import type { Json } from './env/types.js';
import { assert } from './assert.js';

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
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    assert(Number.isFinite(value), `canonicalJson: ${value} is not a JSON number`);
    return JSON.stringify(value);
  }
  assert(typeof value === 'object', `canonicalJson: a ${typeof value} is not JSON`);
  // Built by concatenation, not map/join: checksums of every VSR message and header run through here.
  if (Array.isArray(value)) {
    let text = '[';
    for (let i = 0; i < value.length; i++) text += (i === 0 ? '' : ',') + canonicalJson(value[i]!);
    return `${text}]`;
  }
  const keys = Object.keys(value).sort();
  let text = '{';
  for (let i = 0; i < keys.length; i++) text += `${i === 0 ? '' : ','}${quoted(keys[i]!)}:${canonicalJson(value[keys[i]!]!)}`;
  return `${text}}`;
}
