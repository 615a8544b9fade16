// Whether a JSON value's text fits a byte budget (a client's op, a prepare's body): UTF-8 bytes of
// its canonical text, answered without making the text when a walk shows it is clearly small. It
// owns only this measure; it never picks a bound (each protocol states its own, and why).
import type { Json } from './env/types.js';

/** The one UTF-8 encoder. */
const utf8 = new TextEncoder();

/** Whether canonicalJson(value) takes at most `max` UTF-8 bytes. */
export function jsonFits(value: Json, max: number): boolean {
  // Asked of every client op: most are far below any bound, which a walk over them shows without
  // their text. Else JSON.stringify's text: the canonical text's characters in another key order,
  // so as long, and made without canonicalJson's walk over the keys.
  return bytesAtMost(value, max) <= max || textFits(JSON.stringify(value), max);
}

/**
 * An upper bound on the UTF-8 bytes of `value`'s JSON text, or a number past `max` once the bound
 * passes it (the walk stops there). A string's unit takes at most 6 bytes (an escape), a number 25
 * (-0.0000012345678901234567: 17 digits after "-0.00000"; the exponent form takes 24 at most).
 */
function bytesAtMost(value: Json, max: number): number {
  switch (typeof value) {
    case 'string':
      return 2 + 6 * value.length;
    case 'number':
      return 25;
    case 'boolean':
      return 5;
    case 'object': {
      if (value === null) return 4;
      let bytes = 2;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length && bytes <= max; i++) bytes += 1 + bytesAtMost(value[i]!, max);
        return bytes;
      }
      for (const key in value) {
        if (bytes > max) break;
        bytes += 4 + 6 * key.length + bytesAtMost(value[key]!, max);
      }
      return bytes;
    }
    default:
      return Infinity; // not JSON: JSON.stringify's text says what it is
  }
}

/** Whether `text` takes at most `max` UTF-8 bytes: one of at most a third as many UTF-16 units as `max` does, and is never encoded. */
export function textFits(text: string, max: number): boolean {
  return text.length * 3 <= max || utf8.encode(text).length <= max;
}
