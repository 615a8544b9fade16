// The Porcupine conformance corpus (shared/testdata/porcupine): reads EXPECTED.tsv into cases and
// checks one case. It owns the mapping from the corpus's model column to our models and formats;
// it never decides where the corpus lives (callers pass its directory) and never embeds its data.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkOperations, type CheckResult } from './check.js';
import { readHistory, type HistoryFormat } from './formats/format.js';
import type { Model } from './model.js';
import { MODELS } from './models/index.js';
import { pairOperations } from './operation.js';

export interface ConformanceCase {
  /** Path relative to the corpus directory, e.g. jepsen/etcd_000.log. */
  file: string;
  linearizable: boolean;
  model: 'register' | 'kv';
  format: HistoryFormat;
}

export function readConformanceCases(dir: string): ConformanceCase[] {
  const rows = readFileSync(join(dir, 'EXPECTED.tsv'), 'utf8').split('\n').slice(1);
  return rows.filter((row) => row.trim() !== '').map((row, i) => conformanceCase(row, i + 2));
}

function conformanceCase(row: string, line: number): ConformanceCase {
  const [file, linearizable, model] = row.split('\t');
  if (file === undefined || (linearizable !== 'true' && linearizable !== 'false') || model === undefined) {
    throw new Error(`EXPECTED.tsv line ${line}: expected file, true|false, model`);
  }
  const kv = model.startsWith('kv');
  return { file, linearizable: linearizable === 'true', model: kv ? 'kv' : 'register', format: kv ? 'edn' : 'jepsen' };
}

/** Read and check one case's history. */
export function checkConformanceCase(dir: string, c: ConformanceCase): CheckResult<unknown> {
  return checkFile(MODELS[c.model], readFileSync(join(dir, c.file), 'utf8'), c.format);
}

function checkFile<S, I, O>(model: Model<S, I, O>, text: string, format: HistoryFormat): CheckResult<S> {
  const { ops } = pairOperations(model, readHistory(text, format).lines);
  return checkOperations(model, ops);
}
