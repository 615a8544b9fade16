// The message schemas' JSON value (src/env/json-value.ts) against zod's own z.json(): the same
// verdict, the same issue text and the same output for generated values, wire-like and hostile
// (NaN, undefined, functions, class instances, null prototypes, symbol and __proto__ keys), alone
// and inside an object schema.
import { expect } from 'chai';
import fc from 'fast-check';
import { z } from 'zod';
import { checkParsed, json } from '../src/env/json-value.js';
import { describeIssues } from '../src/env/method.js';

class Point {
  constructor(readonly x = 1) {}
}

/** Values z.json() has to think about: JSON, and everything that is almost JSON. */
const strange = fc.oneof(
  fc.constantFrom(NaN, Infinity, -Infinity, -0, undefined, 10n, Symbol('s'), () => 1, new Date(0), new Map(), new Uint8Array(2), new Point()),
  fc.constant(null).map(() => Object.assign(Object.create(null) as object, { a: 1 })),
  fc.constant(null).map(() => Object.assign(Object.create({ inherited: 1 }) as object, { own: 2 })),
  fc.constant(null).map(() => JSON.parse('{"__proto__":{"a":1},"b":2}') as unknown),
  fc.constant(null).map(() => ({ [Symbol('k')]: 1 })),
  fc.constant(null).map(() => Object.defineProperty({ shown: 1 }, 'hidden', { value: NaN, enumerable: false })),
  fc.constant(null).map(() => Object.defineProperty({ shown: 1 }, Symbol('hidden'), { value: NaN, enumerable: false })),
  // eslint-disable-next-line no-sparse-arrays
  fc.constant(null).map(() => [1, , 3]),
);
const { value } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.jsonValue({ maxDepth: 2 }),
    strange,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.string(), fc.constantFrom('__proto__', 'constructor', 'toString')), tie('value'), { maxKeys: 4 }),
  ),
}));

/** A parse result as text: the output's JSON (with its prototypes' shape) or the issues as describeIssues words them. */
function outcome(schema: z.ZodType, input: unknown): string {
  const r = schema.safeParse(input);
  if (!r.success) return `error ${describeIssues(r.error)}`;
  return `ok ${JSON.stringify(r.data)} ${shape(r.data)}`;
}

/** Prototypes and own keys, deeply: what JSON.stringify cannot tell apart. */
function shape(v: unknown): string {
  if (typeof v !== 'object' || v === null) return typeof v;
  const proto = Object.getPrototypeOf(v) === Object.prototype ? 'O' : Array.isArray(v) ? 'A' : 'X';
  return `${proto}{${Reflect.ownKeys(v).map((k) => `${String(k)}:${shape((v as Record<PropertyKey, unknown>)[k])}`).join(',')}}`;
}

describe('json value schema', () => {
  it('judges, words and outputs every value as z.json() does, alone and as a field', () => {
    const ours = json();
    const zods = z.json();
    const inObject = (j: z.ZodType): z.ZodType => z.strictObject({ n: z.number(), op: j, tail: z.string() });
    fc.assert(
      fc.property(value, fc.oneof(fc.integer(), fc.string()), (v, n) => {
        expect(outcome(ours, v)).to.equal(outcome(zods, v));
        const message = { n, op: v, tail: 'x' };
        expect(outcome(inObject(ours), message)).to.equal(outcome(inObject(zods), message));
      }),
      { numRuns: 3000 },
    );
  });

  it('rejects a value hidden deep inside with the message path of the field', () => {
    const schema = z.strictObject({ req: z.strictObject({ op: json() }) });
    const r = schema.safeParse({ req: { op: { a: [1, { b: undefined }] } } });
    expect(r.success).to.equal(false);
    expect(describeIssues(r.error!)).to.equal('req.op: Invalid input');
  });

  it('hands on a valid wire value itself, not a copy', () => {
    const v = JSON.parse('{"f":"put","key":"k","value":"v","n":[1,2,{"x":null}]}') as unknown;
    expect(json().parse(v)).to.equal(v);
    const checked = checkParsed(z.strictObject({ op: json() }), { op: v });
    expect(checked.success && checked.data.op).to.equal(v);
  });

  it('judges and outputs what JSON.parse made as z.json() does, through checkParsed (numbers past a double, __proto__ keys)', () => {
    const ours = z.strictObject({ n: z.number(), op: json() });
    const zods = z.strictObject({ n: z.number(), op: z.json() });
    const hostile = fc.constantFrom('1e400', '-1e400', '-0', '{"__proto__":{"a":1},"b":2}', '[{"__proto__":null}]', '{"a":{"b":[1e999]}}', '{"constructor":1,"toString":"x"}');
    const text = fc.oneof(fc.json({ maxDepth: 3 }), hostile, fc.tuple(fc.json({ maxDepth: 2 }), hostile).map(([a, b]) => `[${a},${b}]`));
    fc.assert(
      fc.property(text, (t) => {
        const parsed = (): unknown => JSON.parse(`{"n":1,"op":${t}}`);
        const r = checkParsed(ours, parsed());
        const expected = outcome(zods, parsed());
        expect(r.success ? `ok ${JSON.stringify(r.data)} ${shape(r.data)}` : `error ${describeIssues(r.error)}`).to.equal(expected);
      }),
      { numRuns: 2000 },
    );
  });
});
