// A zod schema for any JSON value, for message declarations: it accepts, rejects and outputs exactly
// what `z.json()` does (same issue text, so traces and error replies read the same), in one walk
// instead of zod's recursive union, which costs several microseconds per message at every check.
// It never changes a valid value: the output is the input, or a copy where zod's would differ.
// A message's params or result as the wire boundary gets them (checkParsed) take a shorter walk.
import { z } from 'zod';
import type { Json } from './types.js';

/**
 * Object.prototype.hasOwnProperty as it was at load, in this module: in walkParsed()'s for-in loop,
 * `hasOwnProperty.call(o, k)` of the loop's own key is answered from the enum cache (see
 * src/env/sim/json-copy.ts), and no array of keys is made per object.
 */
const hasOwnProperty: (this: object, key: PropertyKey) => boolean = Object.prototype.hasOwnProperty;

/** The key z.json()'s records never copy, so its output drops it. */
const PROTO = '__proto__';

/** zod's isPlainObject: any object whose constructor, if it has a usable one, has Object's prototype shape. */
function isPlainObject(o: object): boolean {
  const ctor = (o as { constructor?: unknown }).constructor;
  if (typeof ctor !== 'function') return true;
  const proto: unknown = ctor.prototype;
  return typeof proto === 'object' && proto !== null && Object.hasOwn(proto, 'isPrototypeOf');
}

/** Outcome of one walk: invalid, valid as it is, or valid with z.json()'s output differing from it. */
const INVALID = 0;
const SAME = 1;
const COPY = 2;
type Walk = typeof INVALID | typeof SAME | typeof COPY;

function walk(value: unknown): Walk {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return SAME;
    case 'number':
      return Number.isFinite(value) ? SAME : INVALID;
    case 'object':
      if (value === null) return SAME;
      return Array.isArray(value) ? walkArray(value) : walkObject(value);
    default:
      return INVALID;
  }
}

function walkArray(items: readonly unknown[]): Walk {
  let result: Walk = SAME;
  for (let i = 0; i < items.length; i++) {
    const item = walk(items[i]);
    if (item === INVALID) return INVALID;
    if (item === COPY) result = COPY;
  }
  return result;
}

function walkObject(o: object): Walk {
  if (!isPlainObject(o)) return INVALID;
  // A prototype other than Object's, or null, is dropped by zod's copy, as are non-enumerable keys.
  let result: Walk = Object.getPrototypeOf(o) === Object.prototype ? SAME : COPY;
  // Object.keys and the counts below, not Reflect.ownKeys (several times slower): zod reads own
  // enumerable keys only, and an enumerable symbol key fails its record.
  const keys = Object.keys(o);
  if (Object.getOwnPropertyNames(o).length !== keys.length) result = COPY;
  for (const symbol of Object.getOwnPropertySymbols(o)) {
    if (Object.prototype.propertyIsEnumerable.call(o, symbol)) return INVALID;
    result = COPY;
  }
  for (const key of keys) {
    if (key === PROTO) {
      result = COPY;
      continue;
    }
    const field = walk((o as Record<string, unknown>)[key]);
    if (field === INVALID) return INVALID;
    if (field === COPY) result = COPY;
  }
  return result;
}

/**
 * walk() of a value JSON.parse made, or the simulator's jsonCopy (exactly what JSON.parse would
 * make): its objects are plain, of Object's prototype, with own enumerable string keys only, and its
 * arrays dense, so of walk()'s checks only two can fail: a number too large for a double (`1e400`
 * parses to Infinity) and a `__proto__` key (an own member, which zod's copy drops).
 */
function walkParsed(value: unknown): Walk {
  if (typeof value !== 'object' || value === null) return typeof value !== 'number' || Number.isFinite(value) ? SAME : INVALID;
  let result: Walk = SAME;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item = walkParsed(value[i]);
      if (item === INVALID) return INVALID;
      if (item === COPY) result = COPY;
    }
    return result;
  }
  const record = value as Record<string, unknown>;
  for (const key in record) {
    if (!hasOwnProperty.call(record, key)) continue;
    if (key === PROTO) {
      result = COPY;
      continue;
    }
    const field = walkParsed(record[key]);
    if (field === INVALID) return INVALID;
    if (field === COPY) result = COPY;
  }
  return result;
}

/** Whether the value being checked is one JSON.parse made (set by checkParsed() around its parse). */
let parsedInput = false;

/**
 * `schema.safeParse(value)` for a value JSON.parse made (a frame's params or result), or the
 * simulator's jsonCopy of one: every json() in the schema takes walkParsed(), the same verdict and
 * output for such values at a fraction of the cost. Only for such values: a schema's own transforms
 * that make other values for a json() to check would be judged by the shorter walk.
 */
export function checkParsed<T>(schema: z.ZodType<T>, value: unknown): z.ZodSafeParseResult<T> {
  parsedInput = true;
  try {
    return schema.safeParse(value);
  } finally {
    parsedInput = false;
  }
}

/** z.json()'s output for a value walk() found valid: plain objects and arrays, without `__proto__` keys. */
function copy(value: unknown): Json {
  if (typeof value !== 'object' || value === null) return value as Json;
  if (Array.isArray(value)) return value.map(copy);
  const out: Record<string, Json> = {};
  for (const key of Object.keys(value)) if (key !== PROTO) out[key] = copy((value as Record<string, unknown>)[key]);
  return out;
}

/** Any JSON value: z.json() in behaviour and messages, without its cost. */
export function json(): z.ZodType<Json> {
  return z.unknown().transform((value, ctx): Json => {
    const found = parsedInput ? walkParsed(value) : walk(value);
    if (found === SAME) return value as Json;
    if (found === COPY) return copy(value);
    ctx.issues.push({ code: 'custom', message: 'Invalid input', input: value });
    return z.NEVER;
  });
}
