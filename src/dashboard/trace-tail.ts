// Follows the JSONL trace files of a live real cluster's folder (each node's trace.jsonl and each
// client's), returning the complete lines appended since the last look, parsed. It reads files
// only; a half-written last line waits for the next look, and a bad line is skipped, never fatal.
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import type { TraceEvent } from '../trace/event.js';
import { parseEvent } from '../trace/reader.js';

/** At most this many bytes are read from one file per look (the rest comes next time). */
const MAX_READ = 1 << 20;

export class TraceTail {
  private readonly offsets = new Map<string, number>();
  private readonly partial = new Map<string, string>();

  /** `files()` lists the files to follow now (it may grow as nodes and clients appear). */
  constructor(private readonly files: () => string[]) {}

  /** Whether everything in `file` has been read (a torn last line waits for its end). */
  readToEnd(file: string): boolean {
    return (existsSync(file) ? statSync(file).size : 0) <= (this.offsets.get(file) ?? 0);
  }

  /** New events from every file, ordered by time. */
  poll(): TraceEvent[] {
    const events: TraceEvent[] = [];
    for (const file of this.files()) events.push(...this.read(file));
    return events.sort((a, b) => a.t - b.t);
  }

  private read(file: string): TraceEvent[] {
    if (!existsSync(file)) return [];
    const from = this.offsets.get(file) ?? 0;
    const size = statSync(file).size;
    if (size <= from) return [];
    const length = Math.min(size - from, MAX_READ);
    const buffer = Buffer.alloc(length);
    const fd = openSync(file, 'r');
    try {
      readSync(fd, buffer, 0, length, from);
    } finally {
      closeSync(fd);
    }
    this.offsets.set(file, from + length);
    const text = (this.partial.get(file) ?? '') + buffer.toString('utf8');
    const lines = text.split('\n');
    const rest = lines.pop() ?? '';
    if (rest === '') this.partial.delete(file);
    else this.partial.set(file, rest);
    const events: TraceEvent[] = [];
    for (const line of lines) {
      if (line.trim() === '') continue;
      try {
        events.push(parseEvent(line));
      } catch {
        // a torn or foreign line: the viewer shows what it can read
      }
    }
    return events;
  }
}
