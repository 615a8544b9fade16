// The value-cell model shared by the register and the KV store: one value per key, with read,
// write, append and cas. Each store names its verbs and its values; this file owns the semantics
// and never knows which store it serves, or anything about time.
import type { Json } from '../../env/types.js';
import type { HistoryEvent } from '../history.js';
import { REJECTED, UNKNOWN, accepted, hashString, type Model, type Outcome, type Step } from '../model.js';

export type CellValue = number | string | null;

export type CellInput =
  | { f: 'read'; key: string }
  | { f: 'write'; key: string; value: CellValue }
  | { f: 'append'; key: string; value: string }
  | { f: 'cas'; key: string; from: CellValue; to: CellValue };

/** read -> the value read; write, append -> null; cas -> whether it swapped. */
export type CellOutput = CellValue | boolean;

/** How one store spells its ops and values. */
export interface CellVocabulary {
  name: string;
  initial: CellValue;
  /** The store's verb for each cell op it offers, e.g. {read: 'get', write: 'put'}. */
  verbs: Partial<Record<CellInput['f'], string>>;
  /** Read one value of this store; throws saying what is wrong. */
  value(json: Json, what: string): CellValue;
}

export type CellModel = Model<CellValue, CellInput, CellOutput>;

export function cellModel(vocabulary: CellVocabulary): CellModel {
  const ops = new Map<string, CellInput['f']>();
  for (const [op, verb] of Object.entries(vocabulary.verbs)) ops.set(verb, op as CellInput['f']);
  return {
    name: vocabulary.name,
    init: () => vocabulary.initial,
    step,
    equal: (a, b) => a === b,
    hash: hashValue,
    partition: (input) => input.key,
    describeOperation: (input, output) => describeOperation(vocabulary, input, output),
    describeState: (state) => JSON.stringify(state),
    input: (invoke) => readInput(vocabulary, ops, invoke),
    output: (input, ok) => readOutput(vocabulary, input, ok),
  };
}

function step(state: CellValue, input: CellInput, output: Outcome<CellOutput>): Step<CellValue> {
  switch (input.f) {
    case 'read':
      return output === UNKNOWN || output === state ? accepted(state) : REJECTED;
    case 'write':
      return accepted(input.value);
    case 'append':
      return typeof state === 'string' ? accepted(state + input.value) : REJECTED;
    case 'cas': {
      const swapped = state === input.from;
      if (output !== UNKNOWN && output !== swapped) return REJECTED;
      return accepted(swapped ? input.to : state);
    }
  }
}

function hashValue(state: CellValue): number {
  if (typeof state === 'string') return hashString(state);
  if (typeof state === 'number') return Math.imul(state | 0, 0x9e3779b1) ^ 0x5bd1e995;
  return 0;
}

function readInput(vocabulary: CellVocabulary, ops: Map<string, CellInput['f']>, invoke: HistoryEvent): CellInput {
  const f = ops.get(invoke.f);
  const key = invoke.key ?? '';
  switch (f) {
    case undefined:
      throw new Error(`${vocabulary.name} has no op '${invoke.f}' (it has ${[...ops.keys()].join(', ')})`);
    case 'read':
      return { f, key };
    case 'write':
      return { f, key, value: vocabulary.value(invoke.value, `${invoke.f}'s value`) };
    case 'append': {
      const value = vocabulary.value(invoke.value, `${invoke.f}'s value`);
      if (typeof value !== 'string') throw new Error(`${invoke.f}'s value must be a string, got ${JSON.stringify(value)}`);
      return { f, key, value };
    }
    case 'cas': {
      const arg = invoke.value;
      if (!Array.isArray(arg) || arg.length !== 2) throw new Error(`${invoke.f}'s value must be [from, to], got ${JSON.stringify(arg)}`);
      return { f, key, from: vocabulary.value(arg[0]!, 'cas from'), to: vocabulary.value(arg[1]!, 'cas to') };
    }
  }
}

function readOutput(vocabulary: CellVocabulary, input: CellInput, ok: HistoryEvent): CellOutput {
  switch (input.f) {
    case 'read':
      return vocabulary.value(ok.value, `${ok.f}'s result`);
    case 'write':
    case 'append':
      return null;
    case 'cas':
      return ok.value !== false;
  }
}

function describeOperation(vocabulary: CellVocabulary, input: CellInput, output: Outcome<CellOutput>): string {
  const args = input.key === '' ? [] : [JSON.stringify(input.key)];
  if (input.f === 'write' || input.f === 'append') args.push(JSON.stringify(input.value));
  if (input.f === 'cas') args.push(`${JSON.stringify(input.from)}→${JSON.stringify(input.to)}`);
  const call = `${vocabulary.verbs[input.f]}(${args.join(', ')})`;
  if (output === UNKNOWN) return `${call} → ?`;
  if (input.f === 'read') return `${call} → ${JSON.stringify(output)}`;
  if (input.f === 'cas') return `${call} → ${output ? 'swapped' : 'not swapped'}`;
  return call;
}
