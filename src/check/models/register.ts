// The register model (Jepsen's etcd histories): read, write and cas of numbers or strings, nil
// initially, one register per key. It only names the verbs; the semantics live in cell.ts.
import type { Json } from '../../env/types.js';
import { cellModel, type CellModel, type CellValue } from './cell.js';

export const registerModel: CellModel = cellModel({
  name: 'register',
  initial: null,
  verbs: { read: 'read', write: 'write', cas: 'cas' },
  value: registerValue,
});

function registerValue(json: Json, what: string): CellValue {
  if (json === null || typeof json === 'number' || typeof json === 'string') return json;
  throw new Error(`${what} must be a number, a string or null, got ${JSON.stringify(json)}`);
}
