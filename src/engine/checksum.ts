// Checksums for the VSR engine: the sha256 (first 128 bits, hex) of a value's canonical JSON text,
// which is the canonical byte encoding of headers and messages. Pure and deterministic; it never
// decides what a checksum protects.
import { hash } from 'node:crypto';
import type { Json } from '../env/types.js';
import { canonicalJson } from '../json.js';

export function checksum(value: Json): string {
  return checksumText(canonicalJson(value));
}

/** The checksum of a value whose canonical text the caller already has (it must be canonicalJson's). */
export function checksumText(text: string): string {
  // crypto.hash, not createHash: one call with no Hash object (several times faster on texts this short).
  return hash('sha256', text).slice(0, 32);
}
