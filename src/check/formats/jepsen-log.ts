// Reads Jepsen's textual op log (`INFO  jepsen.util - <process> <:type> <:f> <value>`, as in the
// etcd histories). Lines of other loggers are skipped; a jepsen.util line that is not an op is an
// error naming its line. It never interprets ops beyond jepsen.ts's rules.
import { HistoryError, type HistoryLine } from '../history.js';
import { EdnError, parseEdn, type Edn } from './edn.js';
import { fromJepsen } from './jepsen.js';

const OP_LINE = /^.*?INFO\s+jepsen\.util\s+-\s+(\S+)\s+(\S+)\s+(\S+)(?:\s+(.*?))?\s*$/;
const LOGGER = /jepsen\.util\s+-\s/;

export function parseJepsenLog(text: string): HistoryLine[] {
  const lines = text.split('\n');
  const out: HistoryLine[] = [];
  let content = 0;
  let opLines = 0;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    if (raw.trim() !== '') content++;
    if (!LOGGER.test(raw)) continue;
    opLines++;
    const m = OP_LINE.exec(raw);
    if (m === null) throw new HistoryError(i + 1, `not a Jepsen op line (expected 'INFO  jepsen.util - <process> <:type> <:f> <value>')`);
    const op = fromJepsen({ process: edn(m[1]!, i + 1), type: edn(m[2]!, i + 1), f: edn(m[3]!, i + 1), key: undefined, value: edn(m[4] ?? 'nil', i + 1) }, i + 1);
    if (op !== null) out.push(op);
  }
  if (content > 0 && opLines === 0) throw new HistoryError(1, 'no Jepsen op lines (INFO  jepsen.util - ...) in a non-empty file');
  return out;
}

function edn(token: string, line: number): Edn {
  try {
    return parseEdn(token);
  } catch (err) {
    if (err instanceof EdnError) throw new HistoryError(line, `'${token}': ${err.message}`);
    throw err;
  }
}
