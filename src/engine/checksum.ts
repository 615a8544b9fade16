// Checksums for the VSR engine: the sha256 (first 128 bits, hex) of a value's canonical JSON text,
// which is the canonical byte encoding of headers and messages. Pure and deterministic; it never
// decides what a checksum protects.
import { createHash } from 'node:crypto';
import type { Json } from '../env/types.js';
import { canonicalJson } from '../json.js';

export function checksum(value: Json): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 32);
}
