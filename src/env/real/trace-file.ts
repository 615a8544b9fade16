// A real node's trace file: each line is copied into a buffer as it is recorded, and the buffer is
// appended to the file at most FLUSH_MS later (or when full) by a write on libuv's thread pool, so
// tracing costs the event loop no syscall and never stalls it on the file system (an append that
// waits for a journal commit, on a disk other processes fsync). It appends (a restarted node keeps
// its earlier lines); never parses. flush() writes everything synchronously, in order, and closes the
// file until the next line, so a finished env holds no descriptor and an exiting process loses nothing.
import { closeSync, constants, fstatSync, openSync, write, writeSync } from 'node:fs';
import type { EventInput, TraceSink } from '../../trace/recorder.js';
import { LineBytes } from '../../trace/line-bytes.js';

/** How long a line may wait in memory before its write starts: what a SIGKILL can lose (with a write in flight). */
const FLUSH_MS = 20;
const CAPACITY = 1 << 20;
const NEWLINE = 0x0a;

/** Bytes bound for the file at `position`: written in order, one write in flight at a time. */
interface Chunk {
  readonly bytes: Buffer;
  readonly position: number;
}

export class TraceFile implements TraceSink {
  private buffer: Buffer = Buffer.allocUnsafe(CAPACITY);
  private used = 0;
  private scheduled = false;
  private fd: number | undefined;
  /** Where the next chunk goes: the file's size when opened, plus every byte handed out since. */
  private position = 0;
  /** Chunks not yet written, oldest first; the first is in flight while `writing`. */
  private readonly queue: Chunk[] = [];
  private writing = false;
  /** Buffers whose chunk is written, for reuse. */
  private readonly spare: Buffer[] = [];
  private readonly bytes = new LineBytes();
  private readonly flushLater = (): void => {
    this.scheduled = false;
    this.append();
  };

  constructor(readonly path: string) {}

  write(line: string): void {
    const worst = 3 * line.length + 1; // UTF-8 bytes of a UTF-16 string, at most
    if (worst > CAPACITY) {
      this.append();
      return this.enqueue(Buffer.from(`${line}\n`));
    }
    if (this.used + worst > CAPACITY) this.append();
    this.used += this.buffer.write(line, this.used);
    this.buffer[this.used++] = NEWLINE;
    this.scheduleFlush();
  }

  /** A message event's line written into the buffer as bytes (line-bytes.ts), not made as a string first: most of a node's lines. */
  writeEvent(seq: number, event: EventInput): boolean {
    const bytes = this.bytes;
    if (!bytes.takes(event)) return false;
    const worst = bytes.bound(event);
    if (worst > CAPACITY) return false;
    if (this.used + worst > CAPACITY) this.append();
    this.used = bytes.write(this.buffer, this.used, seq, event);
    this.scheduleFlush();
    return true;
  }

  private scheduleFlush(): void {
    if (!this.scheduled) {
      this.scheduled = true;
      setTimeout(this.flushLater, FLUSH_MS).unref();
    }
  }

  /** Write every line recorded so far now (the chunk in flight again, in its place: the same bytes), and close the file until the next line. */
  flush(): void {
    this.append(false);
    const fd = this.fd;
    if (fd === undefined) return;
    for (const chunk of this.queue) writeAllSync(fd, chunk);
    this.queue.length = 0;
    // A write still in flight uses fd: its completion closes it (closing it now could hand its number to another file).
    if (!this.writing) closeSync(fd);
    this.fd = undefined;
  }

  /** Queue the buffered lines and start filling a spare buffer; `start`: start writing them now if no write is in flight (flush() writes them itself). */
  private append(start = true): void {
    if (this.used === 0) return;
    const bytes = this.buffer.subarray(0, this.used);
    this.buffer = this.spare.pop() ?? Buffer.allocUnsafe(CAPACITY);
    this.used = 0;
    this.enqueue(bytes, start);
  }

  private enqueue(bytes: Buffer, start = true): void {
    if (this.fd === undefined) this.open();
    this.queue.push({ bytes, position: this.position });
    this.position += bytes.length;
    if (start && !this.writing) this.writeNext(this.fd!);
  }

  /** Open for positioned writes (not O_APPEND: a chunk written again in flush() must land where it did). */
  private open(): void {
    const fd = openSync(this.path, constants.O_WRONLY | constants.O_CREAT, 0o666);
    this.fd = fd;
    this.position = fstatSync(fd).size;
  }

  /** Start writing the oldest chunk on the thread pool; on completion, the next (unless flush() took over the file). */
  private writeNext(fd: number, done = 0): void {
    const chunk = this.queue[0];
    if (chunk === undefined || fd !== this.fd) return void (this.writing = false);
    this.writing = true;
    write(fd, chunk.bytes, done, chunk.bytes.length - done, chunk.position + done, (error, written) => {
      if (error) throw error; // as a failed synchronous append would: the node crashes with it
      if (fd !== this.fd) {
        // flush() wrote everything and gave up this descriptor while the write was in flight; lines since then wait on a new one.
        this.writing = false;
        closeSync(fd);
        if (this.fd !== undefined) this.writeNext(this.fd);
        return;
      }
      if (done + written < chunk.bytes.length) return this.writeNext(fd, done + written);
      this.queue.shift();
      this.recycle(chunk.bytes);
      this.writeNext(fd);
    });
  }

  /** Keep a written buffer of full capacity for reuse (two cover a steady stream). */
  private recycle(bytes: Buffer): void {
    if (bytes.buffer.byteLength === CAPACITY && bytes.byteOffset === 0 && this.spare.length < 2) this.spare.push(Buffer.from(bytes.buffer, 0, CAPACITY));
  }
}

function writeAllSync(fd: number, chunk: Chunk): void {
  for (let done = 0; done < chunk.bytes.length; ) done += writeSync(fd, chunk.bytes, done, chunk.bytes.length - done, chunk.position + done);
}
