// The simulator's copy of a message's params for its receiver: exactly the value JSON.parse would
// make of the params' wire text, made without parsing the text (a parse cost ~3x this copy, once per
// delivered request). It decides nothing about what is sent, and shares no object with its input.
import { toJSONOf } from '../../json.js';

/**
 * Object.prototype.hasOwnProperty as it was at load, in this module: in a for-in loop,
 * `hasOwnProperty.call(o, k)` of the loop's own key is answered from the enum cache, no look-up
 * (V8 knows the pattern when the function is a constant of the module; imported, it is not: so
 * src/storage/json-bytes.ts and src/trace/recorder.ts, which walk JSON the same way, keep their own).
 * Object.hasOwn is a look-up each time: it cost the JSON walk about 20 ns an object.
 */
const hasOwnProperty: (this: object, key: PropertyKey) => boolean = Object.prototype.hasOwnProperty;

/**
 * JSON.parse(JSON.stringify(value)), copied directly where the value is plain data (strings,
 * numbers, booleans, null, arrays, objects whose prototype is Object's or none) and through the text
 * for anything else (a class instance, a boxed primitive). Getters and toJSON run once, as in
 * JSON.stringify. undefined where JSON.stringify gives undefined; throws where it throws (a BigInt,
 * a cycle), with its error.
 */
export function jsonCopy(value: unknown): unknown {
  try {
    return copy(value, '');
  } catch {
    return JSON.parse(JSON.stringify(value) ?? 'null') as unknown; // JSON's own error (or, if it writes this value after all, its value)
  }
}

/** The copy of `value` found under `key` (an index in an array); undefined for what JSON leaves out. */
function copy(value: unknown, key: string | number): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value + 0 : null; // -0 + 0 is 0, as JSON writes it
    case 'object':
      return value === null ? null : copyObject(value, key);
    case 'bigint':
      throw new TypeError('Do not know how to serialize a BigInt');
    default:
      return undefined; // undefined, a function, a symbol
  }
}

function copyObject(value: object, key: string | number): unknown {
  const toJSON = toJSONOf(value);
  if (typeof toJSON === 'function') {
    return copy((toJSON as (key: string) => unknown).call(value, `${key}`), key);
  }
  if (Array.isArray(value)) {
    const out: unknown[] = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) out[i] = copy(value[i], i) ?? null;
    return out;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) {
    const text = JSON.stringify(value);
    return text === undefined ? undefined : (JSON.parse(text) as unknown);
  }
  const out: Record<string, unknown> = {};
  const record = value as Record<string, unknown>;
  for (const k in record) {
    if (!hasOwnProperty.call(record, k)) continue; // (for-in, not Object.keys: no array of keys per object)
    const v = copy(record[k], k);
    if (v === undefined) continue;
    if (k === '__proto__') Object.defineProperty(out, k, { value: v, writable: true, enumerable: true, configurable: true });
    else out[k] = v;
  }
  return out;
}
