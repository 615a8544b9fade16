// Checksums for the VSR engine: the sha256 (first 128 bits, hex) of a value's canonical JSON text,
// which is the canonical byte encoding of headers and messages. Pure and deterministic; it never
// decides what a checksum protects.
import { hash } from 'node:crypto';
import type { Json } from '../env/types.js';
import { canonicalJson } from '../json.js';

/** crypto.hash, not createHash: one call with no Hash object (several times faster on texts this short). */
export function checksum(value: Json): string {
  return hash('sha256', canonicalJson(value)).slice(0, 32);
}
