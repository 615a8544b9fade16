// Jepsen's op vocabulary mapped onto rsmlab history events, shared by the Jepsen log and EDN
// readers: a :fail with :timed-out is unknown (info), a cas :fail did not swap (ok, false), a cas
// :ok swapped (ok, true), and nemesis lines are not client ops. It never reads text itself.
import type { Json } from '../../env/types.js';
import { HistoryError, type HistoryEvent, type HistoryLine } from '../history.js';
import { EdnKeyword, EdnMap, EdnSymbol, type Edn } from './edn.js';

export interface JepsenOp {
  process: Edn;
  type: Edn;
  f: Edn;
  key: Edn | undefined;
  value: Edn;
}

const TYPES = new Set(['invoke', 'ok', 'fail', 'info']);

/** The history line for a Jepsen op at `line` (also its time), or null for a nemesis op. */
export function fromJepsen(op: JepsenOp, line: number): HistoryLine | null {
  if (op.process instanceof EdnKeyword) return null;
  if (typeof op.process !== 'number' && typeof op.process !== 'string') throw new HistoryError(line, `bad :process ${show(op.process)}`);
  const type = name(op.type);
  if (type === null || !TYPES.has(type)) throw new HistoryError(line, `bad :type ${show(op.type)} (expected :invoke, :ok, :fail or :info)`);
  const f = name(op.f);
  if (f === null) throw new HistoryError(line, `bad :f ${show(op.f)}`);
  const event: HistoryEvent = { process: op.process, type: type as HistoryEvent['type'], f, value: ednToJson(op.value), time: line };
  if (op.key !== undefined) event.key = keyOf(op.key, line);
  return { line, event: completion(event, op.value) };
}

function completion(event: HistoryEvent, value: Edn): HistoryEvent {
  if (event.type === 'fail' && value instanceof EdnKeyword && value.name === 'timed-out') return { ...event, type: 'info' };
  if (event.f === 'cas' && (event.type === 'fail' || event.type === 'ok')) return { ...event, type: 'ok', value: event.type === 'ok' };
  return event;
}

/** EDN to JSON: keywords and symbols become their names, map keys their printed names. */
export function ednToJson(value: Edn): Json {
  if (value instanceof EdnKeyword || value instanceof EdnSymbol) return value.name;
  if (value instanceof EdnMap) return Object.fromEntries(value.entries.map(([k, v]) => [String(ednToJson(k)), ednToJson(v)]));
  if (Array.isArray(value)) return value.map(ednToJson);
  return value;
}

function name(value: Edn): string | null {
  if (value instanceof EdnKeyword || value instanceof EdnSymbol) return value.name;
  return typeof value === 'string' && value !== '' ? value : null;
}

function keyOf(key: Edn, line: number): string {
  if (typeof key === 'string' || typeof key === 'number') return String(key);
  const named = name(key);
  if (named === null) throw new HistoryError(line, `bad :key ${show(key)}`);
  return named;
}

function show(value: Edn): string {
  return JSON.stringify(ednToJson(value));
}
