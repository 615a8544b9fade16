// Helpers for the VSR tests: judge a workload history with the KV model.
import type { HistoryEvent } from '../src/check/history.js';
import { judgeEvents } from '../src/check/judge.js';

/** The linearizability verdict of a KV history, with the checker's text when it is not 'ok'. */
export function kvVerdict(history: readonly HistoryEvent[]): string {
  const j = judgeEvents('kv', history);
  return j.verdict === 'linearizable' ? 'ok' : `${j.verdict}\n${j.text}`;
}
