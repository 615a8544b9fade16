// The trace recorder: numbers events, keeps them (in memory and/or a JSONL file) and hashes the
// canonical lines as they come, so a trace's hash is known without re-reading it. The hash also
// covers what lines only summarize (absorb(): a message's full wire text, every disk operation and
// the bytes it writes), so two runs with equal lines but different bytes never share a hash.
// It never decides what happens; worlds call emit() and absorb() for what they did.
import { createHash, type Hash } from 'node:crypto';
import { appendFileSync, writeFileSync } from 'node:fs';
import { formatLine, type TraceEvent } from './event.js';

export type EventInput = Omit<TraceEvent, 'seq'>;

const HASH_CHUNK = 1 << 16;
/** Room for a chunk plus one more record of up to HASH_CHUNK characters (3 UTF-8 bytes each at most) and its newline. */
const PENDING_BYTES = 4 * HASH_CHUNK + 1;
/**
 * Characters of lines held as one string before they are hashed: short enough that the string's
 * pieces die young (the GC never copies them out of the young generation), long enough to make few
 * hash updates.
 */
const LINES_CHUNK = 1 << 13;

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
  /** Hash the lines (default true). The real world turns it off: its traces are not reproducible. */
  hash?: boolean;
}

/**
 * The hashed side stream of a trace (what its lines only summarize), buffered like the lines: a
 * record is UTF-8 text and optional bytes, tagged with the number of lines before it.
 */
class Content {
  private readonly hash: Hash = createHash('sha256');
  private readonly buffer = Buffer.allocUnsafe(PENDING_BYTES);
  private used = 0;
  records = 0;

  add(lines: number, text: string, bytes: Uint8Array | undefined): void {
    this.records++;
    this.text(`${lines} ${text}\n`);
    if (bytes === undefined) return;
    if (bytes.length > HASH_CHUNK) {
      this.flush();
      this.hash.update(bytes);
    } else {
      this.buffer.set(bytes, this.used);
      this.used += bytes.length;
    }
    this.buffer[this.used++] = 0x0a;
    if (this.used >= HASH_CHUNK) this.flush();
  }

  private text(text: string): void {
    if (text.length > HASH_CHUNK) {
      this.flush();
      this.hash.update(text);
      return;
    }
    this.used += this.buffer.write(text, this.used, 'utf8');
    if (this.used >= HASH_CHUNK) this.flush();
  }

  private flush(): void {
    if (this.used === 0) return;
    this.hash.update(this.buffer.subarray(0, this.used));
    this.used = 0;
  }

  digest(): string {
    this.flush();
    return this.hash.copy().digest('hex');
  }
}

export class TraceRecorder {
  private nextSeq = 0;
  private readonly hash: Hash = createHash('sha256');
  /** Kept text (keep: true), in chunks of whole lines: a few large strings cost the GC far less than one per line. */
  private readonly chunks: string[] = [];
  private readonly keep: boolean;
  private readonly file: string | undefined;
  private readonly sink: TraceSink | undefined;
  private readonly hashing: boolean;
  /**
   * Lines not yet hashed or kept, each followed by '\n', as one string: hashing in chunks gives the
   * same digest, much faster, and encoding a chunk at once costs far less than encoding line by line.
   */
  private pending = '';
  /** What the lines only summarize, hashed (hash: true); created at the first absorb(). */
  private content: Content | undefined;
  /** Events recorded with emitLater() and not yet formatted; the first one's seq is laterSeq. */
  private later: EventInput[] = [];
  private laterSeq = 0;

  constructor(options: RecorderOptions = {}) {
    this.keep = options.keep ?? true;
    this.file = options.file;
    this.sink = options.sink;
    this.hashing = options.hash ?? true;
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
    if (!this.hashing && !this.keep && !this.file && !this.sink) return; // counted only: no line to format
    const line = formatLine(seq, input);
    if (this.hashing || this.keep) this.hold(line);
    if (this.file) appendFileSync(this.file, `${line}\n`);
    this.sink?.write(line);
  }

  /** Add `line` and its newline to the text not yet hashed or kept. */
  private hold(line: string): void {
    this.pending += `${line}\n`;
    if (this.pending.length >= LINES_CHUNK) this.hashPending();
  }

  /**
   * Hash what the lines only summarize, here in the order of events: `text` (one line of it, e.g. a
   * message's full wire text or a disk operation) and then `bytes` (the data a disk write carries).
   * Not kept, not written: it changes only the digest. A no-op unless hashing.
   */
  absorb(text: string, bytes?: Uint8Array): void {
    if (!this.hashing) return;
    this.formatLater();
    (this.content ??= new Content()).add(this.nextSeq, text, bytes);
  }

  /** How many records absorb() hashed. */
  get absorbed(): number {
    return this.content?.records ?? 0;
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
    return this.keep ? this.chunks.join('') + this.pending : '';
  }

  /**
   * The trace's hash (hex). Lines only: sha256 of every line emitted so far, each followed by '\n'
   * (equal to hashing jsonl()). Once anything was absorbed: sha256 of "<that> <sha256 of the absorbed
   * records>", so it covers full message texts and disk operations too.
   */
  digest(): string {
    if (!this.hashing) throw new Error('this trace recorder was made with hash: false');
    this.formatLater();
    this.hashPending();
    const lines = this.hash.copy().digest('hex');
    return this.content === undefined ? lines : createHash('sha256').update(`${lines} ${this.content.digest()}`).digest('hex');
  }

  private hashPending(): void {
    const text = this.pending;
    if (text.length === 0) return;
    if (this.hashing) this.hash.update(text, 'utf8');
    if (this.keep) this.chunks.push(text);
    this.pending = '';
  }
}
