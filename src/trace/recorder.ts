// The trace recorder: numbers events, keeps them (in memory and/or a JSONL file) and hashes them
// as they come, so a trace's hash is known without re-reading it. The hash also covers what lines
// only summarize (absorb(): a message's full wire text, every disk operation and the bytes it
// writes), so two runs with equal lines but different bytes never share a hash. It hashes each
// event's fields, not its line: a run that keeps no lines formats none (the simulator's many quiet
// runs), and keeping lines never changes the hash.
// It never decides what happens; worlds call emit() and absorb() for what they did.
import { appendFileSync, writeFileSync } from 'node:fs';
import type { Json } from '../env/types.js';
import { formatLine, type MessageSummary, type TraceEvent } from './event.js';
import { RunningHash } from './running-hash.js';

export type EventInput = Omit<TraceEvent, 'seq'>;

/**
 * Characters of kept lines held before they are joined into one chunk: short enough that the lines
 * die young (the GC never copies them out of the young generation).
 */
const LINES_CHUNK = 1 << 13;

/** The first word of each record in the hash: an event (with which optional fields it has) or an absorbed record. */
const EVENT = 0x7e5e0000;
const HAS_MSG = 1;
const HAS_CAUSE = 2;
const HAS_DETAIL = 4;
/** A lab's log line (emitLog), with or without fields. */
const LOG = 0x7e5e0400;
const HAS_FIELDS = 1;
const ABSORBED = 0x7e5e0100;
const HAS_BYTES = 1;
const DISK_OP = 0x7e5e0200;
/** A disk operation's missing number (no word RunningHash.number starts with). */
const NO_NUMBER = 0x4000_0100;
/** Before an event's message: its fields follow, or it is the message of the event's cause. */
const MESSAGE = 0x7e5e0300;
const SAME_MESSAGE = 0x7e5e0301;
/** Recent events whose message a later event may name by its cause (a power of two). */
const MESSAGE_RING = 1 << 8;

/** Somewhere else lines go as they are recorded (the real world's buffered per-node trace file). */
export interface TraceSink {
  write(line: string): void;
  /** Make every line written so far durable in the sink now (before the process exits). */
  flush(): void;
}

export interface RecorderOptions {
  /** Keep the formatted lines in memory (for the viewer, tests and writing on failure). Default true. */
  keep?: boolean;
  /** Also append each line to this JSONL file as it happens (the real world's per-node trace). */
  file?: string;
  /** Also hand each line to this sink; flush() flushes it. */
  sink?: TraceSink;
  /** Hash the events (default true). The real world turns it off: its traces are not reproducible. */
  hash?: boolean;
}

export class TraceRecorder {
  private nextSeq = 0;
  /** The events and absorbed records so far (hash: true). */
  private readonly hash: RunningHash | undefined;
  /** Kept text (keep: true), in chunks of whole lines: a few large strings cost the GC far less than one per line. */
  private readonly chunks: string[] = [];
  private readonly keep: boolean;
  private readonly file: string | undefined;
  private readonly sink: TraceSink | undefined;
  /** Kept lines not yet in `chunks`, and how many characters they hold. */
  private pending: string[] = [];
  private pendingChars = 0;
  private absorbedRecords = 0;
  /** The message of recent events, by seq modulo MESSAGE_RING (for hashEvent's mark). */
  private readonly ringMessages: (MessageSummary | undefined)[] = new Array<MessageSummary | undefined>(MESSAGE_RING).fill(undefined);
  private readonly ringSeqs = new Float64Array(MESSAGE_RING).fill(-1);
  /** Events recorded with emitLater() and not yet formatted; the first one's seq is laterSeq. */
  private later: EventInput[] = [];
  private laterSeq = 0;

  constructor(options: RecorderOptions = {}) {
    this.keep = options.keep ?? true;
    this.file = options.file;
    this.sink = options.sink;
    this.hash = (options.hash ?? true) ? new RunningHash() : undefined;
    if (this.file) writeFileSync(this.file, '');
  }

  /** How many events were recorded so far. */
  get events(): number {
    return this.nextSeq;
  }

  /** Record an event and return its seq (for `cause` links). */
  emit(input: EventInput): number {
    this.formatLater();
    const seq = this.nextSeq++;
    this.record(seq, input);
    return seq;
  }

  /**
   * Record a lab's env.log(what, fields): a 'log' event whose detail is {...fields, what}. That
   * object is built only if a line is made; the hash takes `fields` and `what` as they are.
   */
  emitLog(t: number, node: string, what: string, fields: Record<string, Json> | undefined): number {
    this.formatLater();
    const seq = this.nextSeq++;
    const hash = this.hash;
    if (hash !== undefined) {
      hash.word(fields === undefined ? LOG : LOG | HAS_FIELDS);
      hash.number(t);
      hash.string(node);
      hash.string(what);
      if (fields !== undefined) hash.string(JSON.stringify(fields));
    }
    if (this.keep || this.file || this.sink) this.line(seq, { t, node, kind: 'log', detail: fields === undefined ? { what } : { ...fields, what } });
    return seq;
  }

  /**
   * Record an event now but format it a moment later (at the end of this event-loop turn, or at the
   * next emit/flush/jsonl/digest, whichever comes first), so a real node's reply leaves before its
   * trace lines are written. The caller must never change `input` or anything in it afterwards.
   */
  emitLater(input: EventInput): number {
    if (this.later.length === 0) {
      this.laterSeq = this.nextSeq;
      setImmediate(this.formatLater);
    }
    this.later.push(input);
    return this.nextSeq++;
  }

  private readonly formatLater = (): void => {
    const events = this.later;
    if (events.length === 0) return;
    this.later = [];
    for (let i = 0; i < events.length; i++) this.record(this.laterSeq + i, events[i]!);
  };

  private record(seq: number, input: EventInput): void {
    if (this.hash !== undefined) this.hashEvent(this.hash, seq, input);
    if (this.keep || this.file || this.sink) this.line(seq, input);
  }

  /** Make the event's line and keep, append or hand it on. */
  private line(seq: number, input: EventInput): void {
    const line = formatLine(seq, input);
    if (this.keep) this.hold(line);
    if (this.file) appendFileSync(this.file, `${line}\n`);
    this.sink?.write(line);
  }

  /**
   * Hash an event's fields: all that its line shows but its seq (the place in the stream is the
   * seq). A message is hashed by its summary (its sender absorbs a text the summary cuts short);
   * an event whose message is the very object of its `cause` event's (a deliver or drop of a send)
   * hashes a mark instead, since that event hashed the same message: messages never change.
   */
  private hashEvent(hash: RunningHash, seq: number, e: EventInput): void {
    const m = e.msg;
    const cause = e.cause;
    hash.word(EVENT | (m === undefined ? 0 : HAS_MSG) | (cause === undefined ? 0 : HAS_CAUSE) | (e.detail === undefined ? 0 : HAS_DETAIL));
    hash.number(e.t);
    hash.string(e.node);
    hash.string(e.kind);
    if (cause !== undefined) hash.number(cause);
    if (m !== undefined) {
      const slot = cause === undefined ? -1 : cause & (MESSAGE_RING - 1);
      if (slot >= 0 && this.ringSeqs[slot] === cause && this.ringMessages[slot] === m) {
        hash.word(SAME_MESSAGE);
      } else {
        hash.word(MESSAGE);
        hash.number(m.id);
        hash.string(m.from);
        hash.string(m.to);
        hash.string(m.method);
        hash.string(m.type);
        hash.string(m.summary);
      }
      const own = seq & (MESSAGE_RING - 1);
      this.ringSeqs[own] = seq;
      this.ringMessages[own] = m;
    }
    if (e.detail !== undefined) hash.string(JSON.stringify(e.detail));
  }

  /**
   * Add `line` to the kept text. Lines are joined a chunk at a time into one flat string (a string
   * built by `+=` stays a rope of every piece until something flattens it, and the GC traces them all).
   */
  private hold(line: string): void {
    this.pending.push(line);
    this.pendingChars += line.length + 1;
    if (this.pendingChars >= LINES_CHUNK) {
      this.chunks.push(joinLines(this.pending));
      this.pending = [];
      this.pendingChars = 0;
    }
  }

  /**
   * Hash what the lines only summarize, here in the order of events: `text` (e.g. a message's full
   * wire text) and then `bytes`, if any. Not kept, not written: it changes only the digest. A no-op
   * unless hashing.
   */
  absorb(text: string, bytes?: Uint8Array): void {
    const hash = this.absorbing(ABSORBED, bytes);
    if (hash === undefined) return;
    hash.string(text);
    if (bytes !== undefined) hash.bytes(bytes);
  }

  /**
   * absorb() of one disk operation: node `node` did `op` (read, write, fsync, ...) on `file`, with
   * up to two numbers (an offset, a length, a size) and the bytes it writes. Builds no text.
   */
  absorbDiskOp(node: string, op: string, file: string, a?: number, b?: number, bytes?: Uint8Array): void {
    const hash = this.absorbing(DISK_OP, bytes);
    if (hash === undefined) return;
    hash.string(node);
    hash.string(op);
    hash.string(file);
    optionalNumber(hash, a);
    optionalNumber(hash, b);
    if (bytes !== undefined) hash.bytes(bytes);
  }

  /** Start an absorbed record tagged `tag` (and whether bytes follow): the hash to feed it to, or undefined unless hashing. */
  private absorbing(tag: number, bytes: Uint8Array | undefined): RunningHash | undefined {
    const hash = this.hash;
    if (hash === undefined) return undefined;
    this.formatLater();
    this.absorbedRecords++;
    hash.word(bytes === undefined ? tag : tag | HAS_BYTES);
    return hash;
  }

  /** How many records absorb() and absorbDiskOp() hashed. */
  get absorbed(): number {
    return this.absorbedRecords;
  }

  /** Flush the sink, if any (before the process exits). */
  flush(): void {
    this.formatLater();
    this.sink?.flush();
  }

  get length(): number {
    return this.nextSeq;
  }

  /** The kept lines, one JSON event per line. */
  jsonl(): string {
    this.formatLater();
    return this.keep ? this.chunks.join('') + joinLines(this.pending) : '';
  }

  /**
   * The trace's hash (32 hex digits): a 128-bit running hash (running-hash.ts) of every event's
   * fields (all that its line shows) and every absorbed record, in order. Equal traces give equal
   * hashes in any process, whether or not lines are kept.
   */
  digest(): string {
    if (this.hash === undefined) throw new Error('this trace recorder was made with hash: false');
    this.formatLater();
    return this.hash.digest();
  }
}


/** Lines, each followed by '\n'. */
function joinLines(lines: readonly string[]): string {
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

function optionalNumber(hash: RunningHash, x: number | undefined): void {
  if (x === undefined) hash.word(NO_NUMBER);
  else hash.number(x);
}
