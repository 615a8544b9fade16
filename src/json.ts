// Canonical JSON text: object keys sorted at every depth, no whitespace, so equal values give
// equal strings (replica snapshots are compared with ===). It never accepts what JSON cannot
// carry (NaN, Infinity, undefined): that is a bug in the caller, and it throws.
import type { Json } from './env/types.js';
import { assert } from './assert.js';

/** Object keys as JSON strings, kept: messages and headers use a few keys over and over. */
const quotedKeys = new Map<string, string>();
const QUOTED_KEYS_MAX = 4096;

function quoted(key: string): string {
  let text = quotedKeys.get(key);
  if (text === undefined) {
    text = JSON.stringify(key);
    if (quotedKeys.size < QUOTED_KEYS_MAX) quotedKeys.set(key, text);
  }
  return text;
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
