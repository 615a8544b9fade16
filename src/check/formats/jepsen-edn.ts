// Reads a Jepsen history written as EDN maps, one a line ({:process 0, :type :invoke, :f :get,
// :key "k", :value nil}, as in Porcupine's kv histories). Blank lines and ; comments are skipped;
// anything else that is not such a map is an error naming its line.
import { HistoryError, type HistoryLine } from '../history.js';
import { EdnError, EdnMap, parseEdn, type Edn } from './edn.js';
import { fromJepsen } from './jepsen.js';

export function parseJepsenEdn(text: string): HistoryLine[] {
  const lines = text.split('\n');
  const out: HistoryLine[] = [];
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (raw === '' || raw.startsWith(';')) continue;
    const map = readMap(raw, i + 1);
    const op = fromJepsen({ process: field(map, 'process', i + 1), type: field(map, 'type', i + 1), f: field(map, 'f', i + 1), key: map.get('key'), value: map.get('value') ?? null }, i + 1);
    if (op !== null) out.push(op);
  }
  return out;
}

function readMap(raw: string, line: number): EdnMap {
  let value: Edn;
  try {
    value = parseEdn(raw);
  } catch (err) {
    if (err instanceof EdnError) throw new HistoryError(line, `bad EDN (${err.message})`);
    throw err;
  }
  if (!(value instanceof EdnMap)) throw new HistoryError(line, 'expected an EDN map {:process …, :type …, :f …, :value …}');
  return value;
}

function field(map: EdnMap, name: string, line: number): Edn {
  const value = map.get(name);
  if (value === undefined) throw new HistoryError(line, `missing :${name}`);
  return value;
}
