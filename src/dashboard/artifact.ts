// What the trace viewer shows, read from a failure artifact: a trace.jsonl (or a failures/ folder
// holding one, its notes and the shrunk run's trace in shrunk/), and the linearizability of the client operations the
// trace recorded, with each op tied to its trace events so the page can jump between the two views.
// It reads files and runs the checker; it never writes and never runs a world.
import { z } from 'zod';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { Json } from '../env/types.js';
import type { TraceEvent } from '../trace/event.js';
import { parseTrace } from '../trace/reader.js';
import { countKinds, describeCount } from '../env/sim/decisions.js';
import type { HistoryEvent, HistoryEventType, HistoryLine } from '../check/history.js';
import { judgeLines } from '../check/judge.js';
import { MODELS, type ModelName } from '../check/models/index.js';
import type { Model } from '../check/model.js';
import { pairOperations } from '../check/operation.js';
import { operationView } from '../check/report.js';

export type OpStatus = 'linearized' | 'failing' | 'unplaced' | 'ok' | 'unchecked';

export interface ViewOp {
  id: number;
  process: string;
  op: string;
  call: number;
  /** null: never returned. */
  ret: number | null;
  /** The trace seqs of its invoke and of its completion. */
  seq: number | null;
  retSeq: number | null;
  status: OpStatus;
}

export interface LinView {
  model: ModelName;
  verdict: string;
  /** The checker's report for a terminal. */
  text: string;
  ops: ViewOp[];
}

export interface ViewTrace {
  name: string;
  events: TraceEvent[];
  lin: LinView | null;
  /** Its own run's notes and what failed (a failures/ folder's, or its shrunk/ folder's: another replay command, and the shrunk run's own failure), when it has them. */
  notes?: string;
  failure?: string;
  /** Its simulated run's fault decisions (decisions.txt): counted by kind, and its lines (`t=1897 delay p0>p1 paxos.prepare#1`); absent if the folder has none. */
  decisions?: Decisions;
}

export interface Decisions {
  /** `221 (delay 219, crash 2)`, then `; 3 vetoed` when some were. */
  summary: string;
  lines: string[];
}

export interface ViewData {
  title: string;
  notes: string;
  /** What failed (a failures/ folder's FAILURE_FILE: the report's error and what lab code threw), '' if the artifact does not say. */
  failure: string;
  /** The trace, then the shrunk trace when the folder has one. */
  traces: ViewTrace[];
  /** A real run's nodes, address -> name (p0, p1, …: the names its notes use); {} otherwise. */
  nodeNames: Record<string, string>;
}

function modelFor(events: readonly HistoryEvent[]): ModelName | undefined {
  const fs = new Set(events.map((e) => e.f));
  if (['acquire', 'release', 'renew'].some((f) => fs.has(f))) return 'lock';
  if (['get', 'put', 'append'].some((f) => fs.has(f))) return 'kv';
  if (['read', 'write', 'cas'].some((f) => fs.has(f))) return 'register';
  return undefined;
}

const historyTypes = new Set<string>(['invoke', 'ok', 'fail', 'info']);

/** The client operations a trace recorded (its 'client' events), as history lines numbered by trace seq + 1. */
export function historyOf(events: readonly TraceEvent[]): HistoryLine[] {
  const lines: HistoryLine[] = [];
  for (const e of events) {
    const d = e.detail;
    if (e.kind !== 'client' || d === undefined || typeof d.type !== 'string' || !historyTypes.has(d.type) || typeof d.f !== 'string') continue;
    const event: HistoryEvent = { process: e.node.replace(/^client:/, ''), type: d.type as HistoryEventType, f: d.f, value: (d.value ?? null) as Json, time: e.t };
    if (typeof d.key === 'string') event.key = d.key;
    lines.push({ line: e.seq + 1, event });
  }
  return lines;
}

/** The checker's verdict on a trace's client operations, every op placed; null if it recorded none. */
export function linearizabilityOf(events: readonly TraceEvent[], maxSteps = 2_000_000): LinView | null {
  const lines = historyOf(events);
  const model = modelFor(lines.map((l) => l.event));
  if (model === undefined) return null;
  try {
    const judgement = judgeLines(model, lines, { maxSteps, timeoutMs: 20_000 });
    const status = new Map<number, OpStatus>();
    for (const d of judgement.report.details) {
      for (const op of d.ops) status.set(op.id, 'unplaced');
      for (const id of d.linearized) status.set(id, 'linearized');
      for (const id of d.failing) status.set(id, 'failing');
    }
    const ops = viewOps(MODELS[model] as Model<unknown, unknown, unknown>, lines).map((op) => ({ ...op, status: status.get(op.id) ?? (judgement.verdict === 'unknown' ? 'unchecked' : 'ok') }));
    return { model, verdict: judgement.verdict, text: judgement.text, ops };
  } catch (e) {
    return { model, verdict: 'unknown', text: `could not check the history: ${e instanceof Error ? e.message : String(e)}`, ops: [] };
  }
}

function viewOps<S, I, O>(model: Model<S, I, O>, lines: readonly HistoryLine[]): Omit<ViewOp, 'status'>[] {
  return pairOperations(model, lines).ops.map((op) => {
    const v = operationView(model, op);
    return { id: v.id, process: String(v.process), op: v.op, call: v.call, ret: v.ret, seq: v.line - 1, retSeq: v.retLine === null ? null : v.retLine - 1 };
  });
}

function traceOf(name: string, file: string): ViewTrace {
  const events = parseTrace(readFileSync(file, 'utf8'));
  return { name, events, lin: linearizabilityOf(events) };
}

/** The file of a failures/ folder that says what failed, alone (notes.txt says it among the scenario's steps). */
export const FAILURE_FILE = 'failure.txt';

/** The file of a simulated run's failures/ folder that lists its fault decisions, in order (vetoed ones marked). */
export const DECISIONS_FILE = 'decisions.txt';

/** The file of a real run's failures/ folder that names its nodes: address -> p0, p1, … (the scenario's names). */
export const NODE_NAMES_FILE = 'nodes.json';

const nodeNamesSchema = z.record(z.string(), z.string());

/** A folder's node names ({} when it has none: a simulated run's nodes are named p0, p1, … already). */
function nodeNamesIn(folder: string): Record<string, string> {
  const text = textIn(folder, NODE_NAMES_FILE);
  if (text === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new Error(`${join(folder, NODE_NAMES_FILE)}: not JSON (${(e as Error).message})`);
  }
  const names = nodeNamesSchema.safeParse(parsed);
  if (!names.success) throw new Error(`${join(folder, NODE_NAMES_FILE)}: not a map of node address to name`);
  return names.data;
}

/** A folder's decisions.txt, counted by kind as every other report counts decisions (describeCount); undefined when it has none. */
function decisionsIn(folder: string): { decisions?: Decisions } {
  const lines = textIn(folder, DECISIONS_FILE).split('\n').filter((l) => l !== '');
  if (lines.length === 0) return {};
  const ids = lines.map((l) => l.replace(/^t=\d+ /, '').replace(/ \(vetoed\)$/, ''));
  const vetoed = lines.filter((l) => l.endsWith(' (vetoed)')).length;
  return { decisions: { summary: `${describeCount(ids.length, countKinds(ids))}${vetoed > 0 ? `; ${vetoed} vetoed` : ''}`, lines } };
}

/** A text file of the folder, '' if it has none. */
function textIn(folder: string, name: string): string {
  const file = join(folder, name);
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

/** Load a failures/ folder (trace.jsonl, notes.txt, failure.txt, a shrunk trace if any) or one trace file. */
export function loadArtifact(target: string): ViewData {
  const path = resolve(target);
  if (!existsSync(path)) throw new Error(`no such file or folder: ${target}`);
  if (!statSync(path).isDirectory()) {
    const trace = traceOf(basename(path), path);
    if (trace.events.length === 0) throw new Error(`${target}: the trace is empty`);
    return { title: basename(path), notes: '', failure: '', traces: [trace], nodeNames: {} };
  }
  const main = join(path, 'trace.jsonl');
  if (!existsSync(main)) throw new Error(`${target}: no trace.jsonl in this folder (is it a failures/ folder?)`);
  // rsmlab shrink writes the shrunk run's own artifacts (trace.jsonl, notes.txt, veto.json) in shrunk/.
  const shrunk = join(path, 'shrunk', 'trace.jsonl');
  const notes = textIn(path, 'notes.txt');
  const failure = textIn(path, FAILURE_FILE).trimEnd();
  const shrunkDir = join(path, 'shrunk');
  return {
    title: basename(path),
    notes,
    failure,
    nodeNames: nodeNamesIn(path),
    traces: [
      { ...traceOf('trace.jsonl', main), notes, failure, ...decisionsIn(path) },
      ...(existsSync(shrunk) ? [{ ...traceOf('shrunk/trace.jsonl (after shrinking)', shrunk), notes: textIn(shrunkDir, 'notes.txt'), failure: textIn(shrunkDir, FAILURE_FILE).trimEnd(), ...decisionsIn(shrunkDir) }] : []),
    ],
  };
}
