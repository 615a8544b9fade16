// The `rsmlab check FILE --model M [--format F] [--json]` command as a function the CLI calls:
// read the file, judge it, shape the output. Exit 0 linearizable, 1 not, 2 unknown or unreadable
// input (the message names the line). It never prints or exits itself; the CLI does.
import { readFile } from 'node:fs/promises';
import type { CheckOptions } from './check.js';
import { FORMATS, readHistory, type HistoryFormat } from './formats/format.js';
import { HistoryError } from './history.js';
import { judgeLines, type Judgement } from './judge.js';
import { MODEL_NAMES, type ModelName } from './models/index.js';

export interface RunCheckOptions {
  model: ModelName;
  /** Detected from the content when omitted. */
  format?: HistoryFormat;
  json?: boolean;
  timeoutMs?: number;
}

export interface RunCheckResult {
  exitCode: 0 | 1 | 2;
  /** For stdout: the verdict (or, with --json, the error as JSON); empty for a plain-text error. */
  output: string;
  /** Why the history could not be judged (exit 2), for stderr. */
  error?: string;
}

export async function runCheck(file: string, opts: RunCheckOptions): Promise<RunCheckResult> {
  const started = performance.now();
  if (!MODEL_NAMES.includes(opts.model)) return failure(opts, `unknown model '${String(opts.model)}' (expected ${MODEL_NAMES.join(', ')})`);
  if (opts.format !== undefined && !FORMATS.includes(opts.format)) return failure(opts, `unknown format '${String(opts.format)}' (expected ${FORMATS.join(', ')})`);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    return failure(opts, `cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    const { format, lines } = readHistory(text, opts.format);
    if (lines.length === 0) return failure(opts, `${file}: no operations in the history (an empty file proves nothing)`);
    const checkOptions: CheckOptions = opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs };
    const judged = judgeLines(opts.model, lines, checkOptions);
    // Failed ops took no effect and are left out: a history of nothing else proves nothing, as an empty file does.
    if (judged.report.operations === 0) return failure(opts, `${file}: no operation in the history succeeded or may have taken effect (every one failed), so there is nothing to check`);
    return output(judged, format, opts, performance.now() - started);
  } catch (err) {
    if (err instanceof HistoryError) return failure(opts, `${file}: ${err.message}`);
    throw err;
  }
}

function output(judged: Judgement, format: HistoryFormat, opts: RunCheckOptions, elapsedMs: number): RunCheckResult {
  const { verdict, report, mutex } = judged;
  const exitCode = verdict === 'linearizable' ? 0 : verdict === 'not linearizable' ? 1 : 2;
  if (!opts.json) return { exitCode, output: `${judged.text}\n(${format}, ${Math.round(elapsedMs)} ms)` };
  const { model, operations, partitions, linearizablePartitions, steps, details } = report;
  const data = { verdict, model, format, operations, partitions, elapsedMs: Math.round(elapsedMs), linearizablePartitions, steps, details, ...(mutex === undefined ? {} : { mutualExclusion: mutex }) };
  return { exitCode, output: JSON.stringify(data) };
}

function failure(opts: RunCheckOptions, message: string): RunCheckResult {
  return { exitCode: 2, output: opts.json ? JSON.stringify({ verdict: 'error', model: opts.model, error: message }) : '', error: message };
}
