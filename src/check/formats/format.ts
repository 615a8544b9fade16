// Which history format a text is in, and reading it into history lines whatever the format.
// Detection looks only at the first non-blank line; it never guesses past it, and an unknown
// shape is an error that says how to name the format.
import { HistoryError, parseHistory, type HistoryLine } from '../history.js';
import { parseJepsenEdn } from './jepsen-edn.js';
import { parseJepsenLog } from './jepsen-log.js';

export type HistoryFormat = 'jsonl' | 'jepsen' | 'edn';

export const FORMATS: readonly HistoryFormat[] = ['jsonl', 'jepsen', 'edn'];

const READERS: Record<HistoryFormat, (text: string) => HistoryLine[]> = {
  jsonl: parseHistory,
  jepsen: parseJepsenLog,
  edn: parseJepsenEdn,
};

/** The format of `text`, from its first non-blank line; an empty text is an empty jsonl history. */
export function detectFormat(text: string): HistoryFormat {
  const lines = text.split('\n');
  const i = lines.findIndex((l) => l.trim() !== '');
  if (i < 0) return 'jsonl';
  const first = lines[i]!.trim();
  if (/^\{\s*:/.test(first)) return 'edn';
  if (first.startsWith('{')) return 'jsonl';
  if (/jepsen\.util\s+-\s/.test(first)) return 'jepsen';
  throw new HistoryError(i + 1, `cannot tell the history format from this line; name it (${FORMATS.join(', ')})`);
}

export function readHistory(text: string, format: HistoryFormat = detectFormat(text)): { format: HistoryFormat; lines: HistoryLine[] } {
  return { format, lines: READERS[format](text) };
}
