// A real node's trace file: each line is copied into a buffer as it is recorded and the buffer is
// appended to the file at most FLUSH_MS later (or when full), so tracing costs no syscall and keeps
// no strings alive per event. It appends (a restarted node keeps its earlier lines); never parses.
import { appendFileSync } from 'node:fs';
import type { TraceSink } from '../../trace/recorder.js';

/** How long a line may wait in memory: what a SIGKILL can lose. */
const FLUSH_MS = 20;
const CAPACITY = 1 << 20;
const NEWLINE = 0x0a;

export class TraceFile implements TraceSink {
  private readonly buffer = Buffer.allocUnsafe(CAPACITY);
  private used = 0;
  private scheduled = false;
  private readonly flushLater = (): void => {
    this.scheduled = false;
    this.flush();
  };

  constructor(readonly path: string) {}

  write(line: string): void {
    const worst = 3 * line.length + 1; // UTF-8 bytes of a UTF-16 string, at most
    if (worst > CAPACITY) return this.flushWith(`${line}\n`);
    if (this.used + worst > CAPACITY) this.flush();
    this.used += this.buffer.write(line, this.used);
    this.buffer[this.used++] = NEWLINE;
    if (!this.scheduled) {
      this.scheduled = true;
      setTimeout(this.flushLater, FLUSH_MS).unref();
    }
  }

  flush(): void {
    if (this.used === 0) return;
    appendFileSync(this.path, this.buffer.subarray(0, this.used));
    this.used = 0;
  }

  private flushWith(text: string): void {
    this.flush();
    appendFileSync(this.path, text);
  }
}
