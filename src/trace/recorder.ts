// The trace recorder: numbers events, keeps them (in memory and/or a JSONL file) and hashes the
// canonical lines as they come, so a trace's hash is known without re-reading it.
// It never decides what happens; worlds call emit() for what they did.
import { createHash, type Hash } from 'node:crypto';
import { appendFileSync, writeFileSync } from 'node:fs';
import { formatEvent, type TraceEvent } from './event.js';

export type EventInput = Omit<TraceEvent, 'seq'>;

export interface RecorderOptions {
  /** Keep the formatted lines in memory (for the viewer, tests and writing on failure). Default true. */
  keep?: boolean;
  /** Also append each line to this JSONL file as it happens (the real world's per-node trace). */
  file?: string;
}

export class TraceRecorder {
  private nextSeq = 0;
  private readonly hash: Hash = createHash('sha256');
  private readonly lines: string[] = [];
  private readonly keep: boolean;
  private readonly file: string | undefined;

  constructor(options: RecorderOptions = {}) {
    this.keep = options.keep ?? true;
    this.file = options.file;
    if (this.file) writeFileSync(this.file, '');
  }

  /** Record an event and return its seq (for `cause` links). */
  emit(input: EventInput): number {
    const seq = this.nextSeq++;
    const line = formatEvent({ seq, ...input });
    this.hash.update(line);
    this.hash.update('\n');
    if (this.keep) this.lines.push(line);
    if (this.file) appendFileSync(this.file, `${line}\n`);
    return seq;
  }

  get length(): number {
    return this.nextSeq;
  }

  /** The kept lines, one JSON event per line. */
  jsonl(): string {
    return this.lines.length === 0 ? '' : `${this.lines.join('\n')}\n`;
  }

  /** sha256 (hex) of every line emitted so far, each followed by '\n'. Equal to hashing jsonl(). */
  digest(): string {
    return this.hash.copy().digest('hex');
  }
}
