// Fresh byte arrays for small buffers made at a high rate (record frames, the simulated disk's
// copies of written bytes): views carved out of shared 64 KiB slabs, one ArrayBuffer per slab
// rather than one per array (a backing store each costs the GC far more). It never reuses bytes.

const SLAB_BYTES = 1 << 16;
/** Larger arrays get an ArrayBuffer of their own (a slab's few bytes left over are not worth it). */
const MAX_CARVED = SLAB_BYTES >> 4;

let slab = new Uint8Array(0);
let slabUsed = 0;

/**
 * `length` zero bytes, never handed out before. The view keeps its whole slab alive: for bytes that
 * are short-lived or copied from, not for long-lived stores.
 */
export function carve(length: number): Uint8Array {
  if (length > MAX_CARVED) return new Uint8Array(length);
  if (slabUsed + length > slab.length) {
    slab = new Uint8Array(SLAB_BYTES);
    slabUsed = 0;
  }
  // A view made on the buffer directly: subarray() looks up the species constructor first, and took twice as long.
  const bytes = new Uint8Array(slab.buffer, slabUsed, length);
  slabUsed += length;
  return bytes;
}
