// A real node's trace file: each line is copied into a buffer as it is recorded and the buffer is
// appended to the file at most FLUSH_MS later (or when full), so tracing costs no syscall and keeps
// no strings alive per event. It appends (a restarted node keeps its earlier lines); never parses.
// The file stays open between timed flushes (one write each, not an open, a write and a close); an
// explicit flush() closes it, so a finished env holds no descriptor.
import { closeSync, openSync, writeSync } from 'node:fs';
import type { TraceSink } from '../../trace/recorder.js';

/** How long a line may wait in memory: what a SIGKILL can lose. */
const FLUSH_MS = 20;
const CAPACITY = 1 << 20;
const NEWLINE = 0x0a;

export class TraceFile implements TraceSink {
  private readonly buffer = Buffer.allocUnsafe(CAPACITY);
  private used = 0;
  private scheduled = false;
  private fd: number | undefined;
  private readonly flushLater = (): void => {
    this.scheduled = false;
    this.append();
  };

  constructor(readonly path: string) {}

  write(line: string): void {
    const worst = 3 * line.length + 1; // UTF-8 bytes of a UTF-16 string, at most
    if (worst > CAPACITY) return this.appendWith(`${line}\n`);
    if (this.used + worst > CAPACITY) this.append();
    this.used += this.buffer.write(line, this.used);
    this.buffer[this.used++] = NEWLINE;
    if (!this.scheduled) {
      this.scheduled = true;
      setTimeout(this.flushLater, FLUSH_MS).unref();
    }
  }

  /** Append every line written so far, and close the file until the next line. */
  flush(): void {
    this.append();
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }

  /** Append the buffered lines, opening the file if it is not open. */
  private append(): void {
    if (this.used === 0) return;
    this.writeAll(this.buffer.subarray(0, this.used));
    this.used = 0;
  }

  private appendWith(text: string): void {
    this.append();
    this.writeAll(Buffer.from(text));
  }

  private writeAll(bytes: Uint8Array): void {
    this.fd ??= openSync(this.path, 'a');
    for (let done = 0; done < bytes.length; ) done += writeSync(this.fd, bytes, done);
  }
}
