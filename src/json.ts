// Canonical JSON text: object keys sorted at every depth, no whitespace, so equal values give
// equal strings (replica snapshots are compared with ===). It never accepts what JSON cannot
// carry (NaN, Infinity, undefined): that is a bug in the caller, and it throws.
import type { Json } from './env/types.js';
import { assert } from './assert.js';

/** The canonical text of `value`: like JSON.stringify, but with keys sorted by code unit. */
export function canonicalJson(value: Json): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    assert(Number.isFinite(value), `canonicalJson: ${value} is not a JSON number`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
}
