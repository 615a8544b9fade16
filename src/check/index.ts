// The checker's public surface, for the CLI, the tester and workloads: one import point. It only
// re-exports; every concept lives in its own module.
export { runCheck, type RunCheckOptions, type RunCheckResult } from './run.js';
export { judgeEvents, judgeLines, type Judgement } from './judge.js';
export { formatHistoryEvent, parseHistory, HistoryError, type HistoryEvent, type HistoryEventType, type HistoryLine } from './history.js';
export { HistoryBuilder } from './builder.js';
export { checkOperations, type CheckOptions, type CheckResult, type PartitionResult } from './check.js';
export { pairOperations, type Operation, type PairedHistory } from './operation.js';
export { MODELS, MODEL_NAMES, type ModelName } from './models/index.js';
export { FORMATS, detectFormat, readHistory, type HistoryFormat } from './formats/format.js';
export { checkMutualExclusion, type MutexResult, type Hold } from './mutex.js';
export type { CheckReport, PartitionReport, OperationView } from './report.js';
export type { Verdict } from './wgl.js';
