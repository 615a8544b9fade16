// A check's result as people and tools read it: data (JSON-serializable, for --json and a future
// trace viewer: partitions, linearized op ids in order, failing ops, states along the path) and
// terminal text made from that data alone. It never checks anything itself.
import type { CheckResult, PartitionResult } from './check.js';
import type { Model } from './model.js';
import type { Operation } from './operation.js';
import type { Verdict } from './wgl.js';

export interface OperationView {
  id: number;
  process: number | string;
  /** The model's description: call, arguments and result. */
  op: string;
  call: number;
  /** null: unknown outcome, returning at +infinity. */
  ret: number | null;
  line: number;
  retLine: number | null;
}

export interface PartitionReport {
  key: string;
  verdict: Verdict;
  /** Every op of the partition, by call time. */
  ops: OperationView[];
  /** Op ids of the longest linearizable prefix found, in linearization order. */
  linearized: number[];
  /** The model's state before the prefix and after each op of it (linearized.length + 1). */
  states: string[];
  /** Op ids none of which can come next after the prefix; the first one's return forced it. */
  failing: number[];
  visited: number;
}

export interface CheckReport {
  verdict: Verdict;
  model: string;
  operations: number;
  partitions: number;
  linearizablePartitions: number;
  steps: number;
  /** The partitions that are not linearizable, then those left unfinished. */
  details: PartitionReport[];
}

const SHOWN = 12;

export function reportData<S, I, O>(model: Model<S, I, O>, ops: readonly Operation<I, O>[], result: CheckResult<S>): CheckReport {
  const rank = (p: PartitionResult<S>): number => (p.verdict === 'not linearizable' ? 0 : 1);
  const details = result.partitions
    .filter((p) => p.verdict !== 'linearizable')
    .sort((a, b) => rank(a) - rank(b))
    .map((p) => partitionReport(model, ops, p));
  return {
    verdict: result.verdict,
    model: model.name,
    operations: ops.length,
    partitions: result.partitions.length,
    linearizablePartitions: result.partitions.filter((p) => p.verdict === 'linearizable').length,
    steps: result.steps,
    details,
  };
}

function partitionReport<S, I, O>(model: Model<S, I, O>, ops: readonly Operation<I, O>[], p: PartitionResult<S>): PartitionReport {
  return {
    key: p.key,
    verdict: p.verdict,
    ops: p.ops.map((id) => operationView(model, ops[id]!)),
    linearized: p.order,
    states: p.states.map((s) => model.describeState(s)),
    failing: p.stuck,
    visited: p.visited,
  };
}

export function operationView<S, I, O>(model: Model<S, I, O>, op: Operation<I, O>): OperationView {
  const ret = Number.isFinite(op.ret) ? op.ret : null;
  return { id: op.id, process: op.process, op: model.describeOperation(op.input, op.output), call: op.call, ret, line: op.line, retLine: op.retLine };
}

export function reportText(report: CheckReport): string {
  const head = `${report.verdict}: ${report.operations} ops of the ${report.model} model in ${report.partitions} partition${report.partitions === 1 ? '' : 's'}, ${report.linearizablePartitions} linearizable`;
  const failing = report.details.filter((d) => d.verdict === 'not linearizable');
  const unfinished = report.details.length - failing.length;
  const lines = [head];
  for (const d of failing) lines.push(...partitionText(d));
  if (unfinished > 0) {
    const why = failing.length > 0 ? 'the check stops at the first partition that fails' : 'the time or step budget ran out';
    lines.push(`${unfinished} partition${unfinished === 1 ? '' : 's'} unfinished (${why})`);
    if (failing.length === 0) for (const d of report.details) lines.push(...partitionText(d));
  }
  return lines.join('\n');
}

function partitionText(d: PartitionReport): string[] {
  const byId = new Map(d.ops.map((op) => [op.id, op]));
  const show = (id: number): OperationView => byId.get(id)!;
  const name = d.key === '' ? '(no key)' : JSON.stringify(d.key);
  const lines = [`partition ${name}: ${d.verdict} (${d.ops.length} ops, ${d.visited} configurations visited)`];
  lines.push(`  longest linearizable prefix: ${d.linearized.length} ops, from state ${d.states[0]}`);
  const from = Math.max(0, d.linearized.length - SHOWN);
  if (from > 0) lines.push(`    … ${from} earlier ops`);
  for (let i = from; i < d.linearized.length; i++) lines.push(`    ${opText(show(d.linearized[i]!))}   ⇒ ${d.states[i + 1]}`);
  if (d.failing.length > 0) {
    lines.push('  after it, none of these ops can come next:');
    d.failing.slice(0, SHOWN).forEach((id, i) => lines.push(`    ${opText(show(id))}${i === 0 ? '   ← returned, so it must come next' : ''}`));
    if (d.failing.length > SHOWN) lines.push(`    … ${d.failing.length - SHOWN} more`);
  }
  return lines;
}

function opText(op: OperationView): string {
  const where = op.retLine === null ? `line ${op.line}, never returned` : `lines ${op.line}–${op.retLine}`;
  return `#${op.id} process ${op.process}: ${op.op}  (${where})`;
}
