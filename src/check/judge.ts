// From a history to a verdict in one call, for the `check` command and for scenarios that hold
// their client history in memory: pair, check, add the mutual-exclusion check for locks, report.
// It never reads files, prints or exits.
import { checkOperations, type CheckOptions } from './check.js';
import type { HistoryEvent, HistoryLine } from './history.js';
import type { Model } from './model.js';
import { MODELS, type ModelName } from './models/index.js';
import { lockModel } from './models/lock.js';
import { checkMutualExclusion, describeMutex, type MutexResult } from './mutex.js';
import { pairOperations } from './operation.js';
import { reportData, reportText, type CheckReport } from './report.js';
import type { Verdict } from './wgl.js';

export interface Judgement {
  /** The linearizability verdict, made 'not linearizable' by a mutual-exclusion violation too. */
  verdict: Verdict;
  report: CheckReport;
  /** Locks only. */
  mutex?: MutexResult;
  /** The report for a terminal. */
  text: string;
}

/** Judge events held in memory; event i counts as line i + 1. Throws HistoryError on misuse. */
export function judgeEvents(model: ModelName, events: readonly HistoryEvent[], options: CheckOptions = {}): Judgement {
  return judgeLines(
    model,
    events.map((event, i) => ({ line: i + 1, event })),
    options,
  );
}

/** Judge a parsed history. Throws HistoryError (naming the line) when ops do not pair up. */
export function judgeLines(model: ModelName, lines: readonly HistoryLine[], options: CheckOptions = {}): Judgement {
  if (model !== 'lock') return judgement(linearizability(MODELS[model], lines, options));
  const history = pairOperations(lockModel, lines);
  const report = reportData(lockModel, history.ops, checkOperations(lockModel, history.ops, options));
  return judgement(report, checkMutualExclusion(history));
}

function linearizability<S, I, O>(model: Model<S, I, O>, lines: readonly HistoryLine[], options: CheckOptions): CheckReport {
  const { ops } = pairOperations(model, lines);
  return reportData(model, ops, checkOperations(model, ops, options));
}

function judgement(report: CheckReport, mutex?: MutexResult): Judgement {
  if (mutex === undefined) return { verdict: report.verdict, report, text: reportText(report) };
  const text = [reportText(report), describeMutex(mutex)];
  if (!mutex.ok && report.verdict !== 'not linearizable') text.push('verdict: not linearizable (mutual exclusion violated)');
  return { verdict: mutex.ok ? report.verdict : 'not linearizable', report, mutex, text: text.join('\n') };
}
