// The trace event: one JSONL line per thing that happened in a world. Both worlds write this
// one format; the simulator's traces are byte-identical for a seed, the real world's are not.
// This module owns the shape and its canonical serialization, never where events are stored.
import type { Json, NodeId } from '../env/types.js';
import { numberText, quoted } from '../json.js';

export type TraceKind =
  | 'start' // a node process/instance began (detail: first, restarted)
  | 'send' // a message left its sender
  | 'deliver' // a message reached its receiver's handler (cause = the send's seq)
  | 'drop' // a message was lost: loss fault, partition, dead receiver (cause = the send's seq)
  | 'timer' // a timer fired
  | 'crash' // a node died (kill, signal, breakpoint); memory gone, disk kept
  | 'restart' // a crashed node was built anew from its disk
  | 'breakpoint' // a breakpoint was armed or hit (detail: n, hit)
  | 'partition' // a node was cut off (or armed to be)
  | 'heal' // a node's partition was healed
  | 'faults' // network fault settings changed
  | 'disk' // a disk fault was injected or applied
  | 'client' // a client operation: invoke / ok / fail / info
  | 'log'; // a lab's own env.log line

export interface MessageSummary {
  /** Unique per world: correlates a send with its deliver/drop, and a reply with its request. */
  id: number;
  from: NodeId;
  to: NodeId;
  method: string;
  /** 'req' and 'res' are the two halves of a call; 'notice' is one-way. */
  type: 'req' | 'res' | 'notice';
  /** Short text of the params or result, at most ~160 characters. */
  summary: string;
  /**
   * What a notice carries, as its declaration labels it (VSR's command: `prepare`; a batch's,
   * `start_view_change+do_view_change`): on its send's line (the simulator's deliver and drop lines
   * show it too). A function of the params: where the hash takes those whole (a simulated notice's
   * value), it leaves the label out, so no run's hash changed when labels came.
   */
  label?: string;
}

export interface TraceEvent {
  /** Position in this trace, from 0. */
  seq: number;
  /** World time in ms: virtual in the simulator, since the run began in the real world. */
  t: number;
  node: NodeId;
  kind: TraceKind;
  msg?: MessageSummary;
  /** For deliver/drop: the seq of the send event this is the consequence of. */
  cause?: number;
  detail?: Record<string, Json>;
}

const MAX_SUMMARY = 160;

/** Summarize params or results for a trace line: compact JSON, cut to a bounded length. */
export function summarize(value: unknown): string {
  return summarizeText(JSON.stringify(value) ?? 'undefined');
}

/** The same summary from JSON text already at hand (a message's wire text): cut to a bounded length. */
export function summarizeText(text: string): string {
  return text.length <= MAX_SUMMARY ? text : `${text.slice(0, MAX_SUMMARY - 1)}…`;
}

/** The canonical line for an event: fixed key order, so equal events give equal bytes. */
export function formatEvent(e: TraceEvent): string {
  return formatLine(e.seq, e);
}

/**
 * The canonical line of `e` numbered `seq`: the same bytes as JSON.stringify of the event with its
 * keys in the fixed order, written out by hand because the simulator formats millions of them.
 */
export function formatLine(seq: number, e: Omit<TraceEvent, 'seq'>): string {
  let line = `{"seq":${number(seq)},"t":${timeText(e.t)},"node":${quoted(e.node)},"kind":${quoted(e.kind)}`;
  const m = e.msg;
  if (m) line += `,"msg":${'json' in m ? (m as FormattedMessage).json : messageJson(m)}`;
  if (e.cause !== undefined) line += `,"cause":${number(e.cause)}`;
  if (e.detail !== undefined) line += `,"detail":${JSON.stringify(e.detail)}`;
  return `${line}}`;
}

/** The canonical JSON of a message summary (its part of a trace line). */
export function messageJson(m: MessageSummary): string {
  return `{"id":${number(m.id)}${routeJson(m)}${summaryJson(m)}${labelJson(m)}}`;
}

/** The last label written, and its `,"label":…` (a node sends the same few labels over and over). */
let lastLabel = '';
let lastLabelJson = ',"label":""';

/** `,"label":…` of a message that has a label, else nothing (line-bytes.ts writes it too). */
export function labelJson(m: MessageSummary): string {
  if (m.label === undefined) return '';
  if (m.label !== lastLabel) {
    lastLabelJson = `,"label":${JSON.stringify(m.label)}`;
    lastLabel = m.label;
  }
  return lastLabelJson;
}

/** A message's members between its id and its summary's text, as last written for a message of its type. */
interface Route {
  readonly from: string;
  readonly to: string;
  readonly method: string;
  readonly json: string;
}

/** One Route per message type (a real node's calls, and its replies, mostly go the same way with the same method). */
const routes = new Map<string, Route>();

/** `,"from":…,"to":…,"method":…,"type":…,"summary":`: one string, built again only when the route or method changes. */
function routeJson(m: MessageSummary): string {
  const last = routes.get(m.type);
  if (last !== undefined && last.from === m.from && last.to === m.to && last.method === m.method) return last.json;
  const json = `,"from":${quoted(m.from)},"to":${quoted(m.to)},"method":${quoted(m.method)},"type":${quoted(m.type)},"summary":`;
  routes.set(m.type, { from: m.from, to: m.to, method: m.method, json });
  return json;
}

/** A summary escaped, and its JSON. */
interface EscapedSummary {
  summary: string;
  json: string;
}

/**
 * The last summary escaped for each message type: a message sent to several peers (an RSM primary's
 * invoke, a broadcast) is escaped once, its longest part of a line; and one per type, since a node's
 * lines alternate between a request delivered and its reply sent, each like the last of its type.
 */
const summaries = new Map<string, EscapedSummary>();

/** A message's summary as JSON text (line-bytes.ts writes it too). */
export function summaryJson(m: MessageSummary): string {
  let last = summaries.get(m.type);
  if (last === undefined) summaries.set(m.type, (last = { summary: '', json: '""' }));
  if (m.summary !== last.summary) {
    last.json = JSON.stringify(m.summary);
    last.summary = m.summary;
  }
  return last.json;
}

/** A message summary that carries its canonical JSON, formatted once (the simulator traces a message up to three times). */
export interface FormattedMessage extends MessageSummary {
  /** messageJson(this). */
  readonly json: string;
}

/** The last event time written, and its text: the events of one millisecond (or one virtual instant) share it. */
let lastTime = Number.NaN;
let lastTimeText = 'null';

function timeText(t: number): string {
  if (t !== lastTime) {
    lastTimeText = number(t);
    lastTime = t;
  }
  return lastTimeText;
}

/** A number as JSON writes it (non-finite numbers become null). */
function number(x: number): string {
  return Number.isFinite(x) ? numberText(x) : 'null';
}
