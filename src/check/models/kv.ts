// The KV-store model (src/apps/kv.ts, and Porcupine's kv histories): get, put, append and cas of
// strings, every key starting as "". It only names the verbs; the semantics live in cell.ts.
import type { Json } from '../../env/types.js';
import { cellModel, type CellModel, type CellValue } from './cell.js';

export const kvModel: CellModel = cellModel({
  name: 'kv',
  initial: '',
  verbs: { read: 'get', write: 'put', append: 'append', cas: 'cas' },
  value: kvValue,
});

function kvValue(json: Json, what: string): CellValue {
  if (typeof json === 'string') return json;
  throw new Error(`${what} must be a string, got ${JSON.stringify(json)}`);
}
