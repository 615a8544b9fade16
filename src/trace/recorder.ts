// The trace recorder: numbers events, keeps them (in memory and/or a JSONL file) and hashes them
// as they come, so a trace's hash is known without re-reading it. The hash also covers what lines
// only summarize (a message's full wire text, absorbed or hashed as its value; every disk operation
// and the bytes it writes), so two runs with equal lines but different bytes never share a hash.
// It hashes each event's fields, not its line: a run that keeps no lines formats none (the
// simulator's many quiet runs), and keeping lines never changes the hash.
// It never decides what happens; worlds call emit() and absorb() for what they did.
import { appendFileSync, writeFileSync } from 'node:fs';
import type { Json } from '../env/types.js';
import { toJSONOf } from '../json.js';
import { formatLine, type MessageSummary, type TraceEvent, type TraceKind } from './event.js';
import { RunningHash } from './running-hash.js';
import { settled } from '../settled.js';

/** Module-local on purpose, for this module's for-in walk (see src/env/sim/json-copy.ts). */
const hasOwnProperty: (this: object, key: PropertyKey) => boolean = Object.prototype.hasOwnProperty;

export type EventInput = Omit<TraceEvent, 'seq'>;

/**
 * Characters of kept lines held before they are joined into one chunk: short enough that the lines
 * die young (the GC never copies them out of the young generation).
 */
const LINES_CHUNK = 1 << 13;
/** How long, and for how many events, holdLinesWhile() may keep emitLater() lines waiting. */
const HOLD_MS = 20;
const HOLD_EVENTS = 1024;

/**
 * The first word of each record in the hash: an event (with which optional fields it has, whether
 * its node is its message's sender or receiver, and its kind's code) or another record.
 */
const EVENT = 0x7e60_0000;
const HAS_MSG = 1;
const HAS_CAUSE = 2;
const HAS_DETAIL = 4;
const NODE_IS_FROM = 8;
const NODE_IS_TO = 16;
const KIND_SHIFT = 8;
/** A lab's log line (emitLog), with or without fields. */
const LOG = 0x7e5f0400;
const HAS_FIELDS = 1;
const ABSORBED = 0x7e5f0100;
const HAS_BYTES = 1;
/** A disk operation, with its operation's code (or 0: its name follows). */
const DISK_OP = 0x7e5f0200;
const OP_SHIFT = 4;
/** A disk operation's missing number (no word RunningHash.number starts with). */
const NO_NUMBER = 0x4000_0100;
/** Before an event's message: its fields follow (with its type's code, or 0: its name follows), or it is the message of the event's cause. */
const MESSAGE = 0x7e5f0310;
const SAME_MESSAGE = 0x7e5f0301;
/** Before a ValuedMessage: its fields and value follow (with its type's code), or (then the seq of that event) it was hashed so before. */
const VALUED_MESSAGE = 0x7e5f0320;
const SAME_VALUED_MESSAGE = 0x7e5f0303;
/** A message's summary that is the previous hashed summary again (a broadcast): no string length is this large. */
const SAME_SUMMARY = 0x7e5f0302;
/** Before a message's label (a message hashed by its summary; a ValuedMessage's label is a function of its value). */
const LABEL = 0x7e5f0304;
/** Recent events whose message a later event may name by its cause (a power of two). */
const MESSAGE_RING = 1 << 8;
/**
 * Names (nodes, kinds, methods, message types, disk operations, files, log names) are hashed in
 * full the first time, after NEW_NAME, and as their number (1, 2, ...) afterwards: the numbers
 * follow from the names hashed before, so the stream stays a function of the events. Past
 * MAX_NAMES distinct names, a new one is hashed in full after UNNAMED.
 */
const NEW_NAME = 0;
const UNNAMED = 0x7e5f0500;
const MAX_NAMES = 4096;
/** Slots of the recorder's cache of name numbers (a power of two). */
const NAME_SLOTS = 64;
/**
 * A JSON value's words (json()): a tag, then a string's or number's words, an array's length and
 * elements, or an object's members (key as a name, then value) up to END_OBJECT.
 */
const J_NULL = 0x7e5f0600;
const J_FALSE = 0x7e5f0601;
const J_TRUE = 0x7e5f0602;
const J_NUMBER = 0x7e5f0603;
const J_STRING = 0x7e5f0604;
const J_ARRAY = 0x7e5f0605;
const J_OBJECT = 0x7e5f0606;
const END_OBJECT = 0x7e5f0607;

/**
 * A message whose content the hash takes as a JSON value, not as text (the simulator's requests and
 * notices): `value` is plain JSON data (jsonCopy), the very value its wire text is written from, so
 * its words (json()) stand for the whole text exactly and the text need not be made unless a line
 * is. `hashedAt` belongs to the recorder: the seq of the event that hashed the value (-1: none
 * yet). Every later event of the message (its deliver, its drop, a duplicate's deliver) hashes a
 * mark instead: by then the receiver owns the value and may have changed it.
 */
export interface ValuedMessage extends MessageSummary {
  readonly value: unknown;
  hashedAt: number;
}

/** Whether `m` is a ValuedMessage: it has a number `hashedAt` (a message that may be either has it undefined when it is not). */
function isValued(m: MessageSummary): m is ValuedMessage {
  return typeof (m as { hashedAt?: unknown }).hashedAt === 'number';
}

/** Somewhere else lines go as they are recorded (the real world's buffered per-node trace file). */
export interface TraceSink {
  /** One event's line, and its kind (so a sink that treats kinds apart need not read the line for it). */
  write(line: string, kind: string): void;
  /**
   * The line of event `seq` written by the sink itself (formatLine's exact bytes), without the line
   * being made: false if it does not take that event (then write() gets its line).
   */
  writeEvent?(seq: number, event: EventInput): boolean;
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
  /** The sink, when it writes events itself and nothing else reads lines (a real node's trace file). */
  private readonly direct: TraceSink | undefined;
  /** Nothing to hash, keep, append or hand on (a real client's recorder): events are only counted. */
  private readonly inert: boolean;
  /** Kept lines not yet in `chunks`, and how many characters they hold. */
  private pending: string[] = [];
  private pendingChars = 0;
  private absorbedRecords = 0;
  /** The message of recent events, by seq modulo MESSAGE_RING (for hashEvent's mark). */
  private readonly ringMessages: (MessageSummary | undefined)[] = new Array<MessageSummary | undefined>(MESSAGE_RING).fill(undefined);
  private readonly ringSeqs = new Float64Array(MESSAGE_RING).fill(-1);
  /** Names hashed so far, and their numbers (see NEW_NAME). */
  private readonly names = new Map<string, number>();
  /**
   * A direct-mapped cache in front of `names` (slot: nameSlot()): the same few names come again and
   * again (nodes, methods, JSON keys), and a hit costs a fraction of a Map look-up.
   */
  private readonly slotNames: (string | undefined)[] = new Array<string | undefined>(NAME_SLOTS).fill(undefined);
  private readonly slotNumbers = new Int32Array(NAME_SLOTS);
  /** The last message summary hashed (see SAME_SUMMARY). */
  private lastSummary: string | undefined;
  /** Events recorded with emitLater() and not yet formatted; the first one's seq is laterSeq. */
  private later: EventInput[] = [];
  private laterSeq = 0;
  /** A turn's end is scheduled (afterTurn) to format `later`. */
  private turnEnding = false;
  /** See holdLinesWhile(); the timer that ends a hold. */
  private holding: (() => boolean) | undefined;
  private holdTimer: NodeJS.Timeout | undefined;

  constructor(options: RecorderOptions = {}) {
    this.keep = options.keep ?? true;
    this.file = options.file;
    this.sink = options.sink;
    this.direct = !this.keep && !this.file && this.sink?.writeEvent !== undefined ? this.sink : undefined;
    this.hash = (options.hash ?? true) ? new RunningHash() : undefined;
    this.inert = this.hash === undefined && !this.keep && !this.file && !this.sink;
    if (this.file) writeFileSync(this.file, '');
  }

  /** Whether events are used at all (hashed, kept, appended or handed on): a caller may skip building what none would read. */
  get recording(): boolean {
    return !this.inert;
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
   * Record a message event (a send, deliver or drop; `cause`: the send's seq, `detail`: a drop's
   * reason) as emit() would, building the event object only if a line is made: the simulator
   * records two or three of these per message.
   */
  emitMessage(t: number, node: string, kind: TraceKind, msg: MessageSummary, cause?: number, detail?: Record<string, Json>): number {
    this.formatLater();
    const seq = this.nextSeq++;
    if (this.hash !== undefined) this.hashEvent(this.hash, seq, t, node, kind, msg, cause, detail);
    if (this.keep || this.file || this.sink) this.line(seq, cause === undefined ? { t, node, kind, msg } : detail === undefined ? { t, node, kind, msg, cause } : { t, node, kind, msg, cause, detail });
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
      this.name(hash, node);
      this.name(hash, what);
      if (fields !== undefined) this.json(hash, fields);
    }
    if (this.keep || this.file || this.sink) this.line(seq, { t, node, kind: 'log', detail: fields === undefined ? { what } : { ...fields, what } });
    return seq;
  }

  /**
   * Record an event now but format it a moment later (at the end of this turn, once the promise jobs
   * it queued have run, or at the next emit/flush/jsonl/digest, whichever comes first), so a real node's reply leaves before its
   * trace lines are written. While the owner's holdLinesWhile() predicate says so, a turn's end leaves
   * them waiting too, for at most HOLD_MS. The caller must never change `input` or anything in it afterwards.
   */
  emitLater(input: EventInput): number {
    if (this.inert) return this.nextSeq++; // record() would do nothing with it: no turn to wait for
    if (this.later.length === 0) this.laterSeq = this.nextSeq;
    if (!this.turnEnding) {
      this.turnEnding = true;
      void settled.then(this.afterTurn);
    }
    this.later.push(input);
    return this.nextSeq++;
  }

  /**
   * Let emitLater() lines wait past a turn's end while `hold()` is true: a real node with calls
   * awaiting replies (a Lab 2 primary between its invokes and their answers) formats them once the
   * replies are in, not while the peers it just woke compete with it for the cores. The lines and
   * their order are the same; only when they are written moves (by at most HOLD_MS, HOLD_EVENTS).
   */
  holdLinesWhile(hold: () => boolean): void {
    this.holding = hold;
  }

  /**
   * The first of two promise jobs to a turn's end. A turn that traces and replies queues this job
   * first, then its socket's uncork (coalesce.ts, a microtask); hopping once more puts the lines
   * after the reply's write. Not setImmediate: an immediate costs a native ref toggle each way and
   * a callback into JS from the loop's check phase, on every turn of a real node that traces.
   */
  private readonly afterTurn = (): void => void settled.then(this.turnEnd);

  private readonly turnEnd = (): void => {
    this.turnEnding = false;
    if (this.holding === undefined || this.later.length >= HOLD_EVENTS || !this.holding()) return this.formatLater();
    this.holdTimer ??= setTimeout(this.holdOver, HOLD_MS).unref();
  };

  private readonly holdOver = (): void => {
    this.holdTimer = undefined;
    this.formatLater();
  };

  private readonly formatLater = (): void => {
    const events = this.later;
    if (events.length === 0) return;
    this.later = [];
    for (let i = 0; i < events.length; i++) this.record(this.laterSeq + i, events[i]!);
  };

  private record(seq: number, input: EventInput): void {
    if (this.hash !== undefined) this.hashEvent(this.hash, seq, input.t, input.node, input.kind, input.msg, input.cause, input.detail);
    if (this.keep || this.file || this.sink) this.line(seq, input);
  }

  /** Make the event's line and keep, append or hand it on (or let a sink that is the line's only reader write it). */
  private line(seq: number, input: EventInput): void {
    if (this.direct !== undefined && this.direct.writeEvent!(seq, input)) return;
    const line = formatLine(seq, input);
    if (this.keep) this.hold(line);
    if (this.file) appendFileSync(this.file, `${line}\n`);
    this.sink?.write(line, input.kind);
  }

  /**
   * Hash an event's fields: all that its line shows but its seq (the place in the stream is the
   * seq). A ValuedMessage is hashed by its value (valuedMessage()), which its summary and label are
   * made from; another message by its summary and label (its sender absorbs a text the summary
   * cuts short), and an event whose message is the very object of its `cause` event's (a deliver
   * or drop of a send) hashes a mark instead, since that event hashed the same message: messages
   * never change.
   */
  private hashEvent(
    hash: RunningHash,
    seq: number,
    t: number,
    node: string,
    kind: string,
    m: MessageSummary | undefined,
    cause: number | undefined,
    detail: Record<string, Json> | undefined,
  ): void {
    const kindCode = codeOf(KIND_CODES, kind);
    const nodeIs = m === undefined ? 0 : node === m.from ? NODE_IS_FROM : node === m.to ? NODE_IS_TO : 0;
    hash.word(EVENT | (kindCode << KIND_SHIFT) | nodeIs | (m === undefined ? 0 : HAS_MSG) | (cause === undefined ? 0 : HAS_CAUSE) | (detail === undefined ? 0 : HAS_DETAIL));
    hash.number(t);
    if (nodeIs === 0) this.name(hash, node);
    if (kindCode === 0) this.name(hash, kind);
    if (cause !== undefined) hash.number(cause);
    if (m !== undefined && isValued(m)) {
      this.valuedMessage(hash, seq, m);
    } else if (m !== undefined) {
      const slot = cause === undefined ? -1 : cause & (MESSAGE_RING - 1);
      if (slot >= 0 && this.ringSeqs[slot] === cause && this.ringMessages[slot] === m) {
        hash.word(SAME_MESSAGE);
      } else {
        this.messageFields(hash, MESSAGE, m);
        if (m.summary === this.lastSummary) {
          hash.word(SAME_SUMMARY);
        } else {
          hash.string(m.summary);
          this.lastSummary = m.summary;
        }
        if (m.label !== undefined) {
          hash.word(LABEL);
          hash.string(m.label);
        }
      }
      const own = seq & (MESSAGE_RING - 1);
      this.ringSeqs[own] = seq;
      this.ringMessages[own] = m;
    }
    if (detail !== undefined) this.json(hash, detail);
  }

  /** Hash a ValuedMessage: in full by its value the first time (event `seq`), by a mark naming that event afterwards. */
  private valuedMessage(hash: RunningHash, seq: number, m: ValuedMessage): void {
    if (m.hashedAt >= 0) {
      hash.word(SAME_VALUED_MESSAGE);
      hash.number(m.hashedAt);
      return;
    }
    this.messageFields(hash, VALUED_MESSAGE, m);
    if (!this.jsonValue(hash, m.value, '', true)) hash.word(J_NULL); // (undefined: the text says null)
    m.hashedAt = seq;
  }

  /** A message's first word (`tag` with its type's code) and its fields but its content: id, sender, receiver, method (and its type, if it has no code). */
  private messageFields(hash: RunningHash, tag: number, m: MessageSummary): void {
    const typeCode = codeOf(TYPE_CODES, m.type);
    hash.word(tag | typeCode);
    hash.number(m.id);
    this.name(hash, m.from);
    this.name(hash, m.to);
    this.name(hash, m.method);
    if (typeCode === 0) this.name(hash, m.type);
  }

  /**
   * Hash a JSON value as its JSON text shows it, without making the text: equal texts give equal
   * words and different texts different words. A value JSON.stringify cannot write throws as it does.
   */
  private json(hash: RunningHash, value: object): void {
    try {
      this.jsonValue(hash, value, '', false);
    } catch (e) {
      JSON.stringify(value); // its own error for what it cannot write (a cycle, a BigInt)
      throw e;
    }
  }

  /**
   * The words of `value`, found under `key` (an index in an array); false if JSON leaves it out
   * (undefined, a function, a symbol). `plain`: the value is plain JSON data (jsonCopy's), with no
   * toJSON and no prototype of its own to look for.
   */
  private jsonValue(hash: RunningHash, value: unknown, key: string | number, plain: boolean): boolean {
    switch (typeof value) {
      case 'string':
        hash.word(J_STRING);
        hash.string(value);
        return true;
      case 'number':
        if (Number.isFinite(value)) {
          hash.word(J_NUMBER);
          hash.number(value);
        } else {
          hash.word(J_NULL);
        }
        return true;
      case 'boolean':
        hash.word(value ? J_TRUE : J_FALSE);
        return true;
      case 'object':
        return value === null ? (hash.word(J_NULL), true) : this.jsonObject(hash, value, key, plain);
      case 'bigint':
        throw new TypeError('Do not know how to serialize a BigInt');
      default:
        return false;
    }
  }

  private jsonObject(hash: RunningHash, value: object, key: string | number, plain: boolean): boolean {
    const toJSON = plain ? undefined : toJSONOf(value);
    if (typeof toJSON === 'function') return this.jsonValue(hash, (toJSON as (key: string) => unknown).call(value, `${key}`), key, false);
    if (Array.isArray(value)) {
      hash.word(J_ARRAY);
      hash.word(value.length);
      for (let i = 0; i < value.length; i++) if (!this.jsonValue(hash, value[i], i, plain)) hash.word(J_NULL);
      return true;
    }
    const proto = plain ? null : (Object.getPrototypeOf(value) as unknown);
    if (proto !== Object.prototype && proto !== null) {
      // A class instance, a boxed primitive, a Map: whatever JSON makes of it.
      const text = JSON.stringify(value);
      return text !== undefined && this.jsonValue(hash, JSON.parse(text), key, true);
    }
    hash.word(J_OBJECT);
    const record = value as Record<string, unknown>;
    for (const k in record) {
      if (!hasOwnProperty.call(record, k)) continue; // (for-in, not Object.keys: no array of keys per object)
      const v = record[k];
      if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
      this.name(hash, k);
      this.jsonValue(hash, v, k, plain);
    }
    hash.word(END_OBJECT);
    return true;
  }

  /** Hash a name: its number once it has one, else in full (see NEW_NAME). */
  private name(hash: RunningHash, s: string): void {
    const slot = nameSlot(s);
    if (this.slotNames[slot] === s) return hash.word(this.slotNumbers[slot]!);
    const known = this.names.get(s);
    if (known !== undefined) {
      this.slotNames[slot] = s;
      this.slotNumbers[slot] = known;
      return hash.word(known);
    }
    if (this.names.size < MAX_NAMES) {
      this.names.set(s, this.names.size + 1);
      hash.word(NEW_NAME);
    } else {
      hash.word(UNNAMED);
    }
    hash.string(s);
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
    const opCode = codeOf(OP_CODES, op);
    const hash = this.absorbing(DISK_OP | (opCode << OP_SHIFT), bytes);
    if (hash === undefined) return;
    this.name(hash, node);
    if (opCode === 0) this.name(hash, op);
    this.name(hash, file);
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


/**
 * Codes of the names most events carry, in their record's first word (so they are not hashed as
 * names): trace kinds in an event's, message types in a MESSAGE word, disk operations in a DISK_OP
 * word. 0 for a name not listed: the name follows.
 */
const KIND_CODES: readonly string[] = ['send', 'deliver', 'drop', 'log', 'timer', 'client', 'disk'];
const TYPE_CODES: readonly string[] = ['req', 'res', 'notice'];
const OP_CODES: readonly string[] = ['write', 'fsync', 'read', 'append', 'truncate', 'size', 'list', 'remove'];

/**
 * The code of `name` in `codes` (its place, from 1), or 0. A scan, not a Map: the names are few
 * and callers pass the same literals, which compare by identity at once.
 */
function codeOf(codes: readonly string[], name: string): number {
  for (let i = 0; i < codes.length; i++) if (codes[i] === name) return i + 1;
  return 0;
}

/** The cache slot of a name: from its length and its first and last code units (p0, p1 and p2 differ). */
function nameSlot(s: string): number {
  const n = s.length;
  return n === 0 ? 0 : (n * 7 + s.charCodeAt(0) * 3 + s.charCodeAt(n - 1)) & (NAME_SLOTS - 1);
}

/** Lines, each followed by '\n'. */
function joinLines(lines: readonly string[]): string {
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

function optionalNumber(hash: RunningHash, x: number | undefined): void {
  if (x === undefined) hash.word(NO_NUMBER);
  else hash.number(x);
}
