// The durable record log: an append-only file of checksummed JSON records on an Env disk.
// It owns the byte format, the fsync-before-resolve rule and torn-tail recovery; it never
// touches `fs` (only `Disk`) and never interprets what a record means.
//
// Format, per record: [length: u32 LE][crc: u32 LE][payload: `length` bytes of UTF-8 JSON],
// crc = CRC32 over the length bytes and the payload.
//
// Replay rule. Records are read from offset 0 until the end of the file.
// - A torn tail is dropped and truncated away: a partial header, a length that runs past the end
//   of the file, or a bad checksum on the record that ends exactly at the end of the file (the
//   last append, cut or garbled by a crash before its fsync).
// - A bad checksum on a record that is followed by more bytes is corruption in the middle of
//   durable history: replay throws RecordLogCorrupt and recovers nothing past it, because a
//   protocol that silently forgets an fsynced promise is unsafe.
import { crc32 } from 'node:zlib';
import type { z } from 'zod';
import { assert } from '../assert.js';
import type { Disk } from '../env/types.js';

const HEADER_BYTES = 8;

export class RecordLogCorrupt extends Error {
  constructor(file: string, offset: number, detail: string) {
    super(`record log ${file}: corrupt record at byte ${offset} (${detail}); it is followed by more data, so it is not a torn tail`);
    this.name = 'RecordLogCorrupt';
  }
}

/** What replay found, for tests and diagnostics. */
export interface ReplayReport<T> {
  records: T[];
  /** Bytes of torn tail that were dropped and truncated away (0 if the log was clean). */
  droppedBytes: number;
}

export class RecordLog<T> {
  private replayed = false;
  /** Appends run one after another, in call order, so the file order is the call order. */
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly disk: Disk,
    readonly file: string,
    private readonly schema: z.ZodType<T>,
  ) {}

  /** Every valid record, in order. Drops (and truncates) a torn tail; throws RecordLogCorrupt on a bad record in the middle. Call once, before the first append. */
  async replay(): Promise<T[]> {
    return (await this.replayReport()).records;
  }

  async replayReport(): Promise<ReplayReport<T>> {
    assert(!this.replayed, `record log ${this.file}: replay() called twice`);
    const bytes = await this.disk.read(this.file);
    const { payloads, validEnd } = scan(this.file, bytes);
    if (validEnd < bytes.length) {
      await this.disk.truncate(this.file, validEnd);
      await this.disk.fsync(this.file);
    }
    this.replayed = true;
    return { records: payloads.map((p, i) => this.parse(p, i)), droppedBytes: bytes.length - validEnd };
  }

  /** Append one record; resolves once it is on the medium (written and fsynced). */
  append(record: T): Promise<void> {
    assert(this.replayed, `record log ${this.file}: append() before replay() (a torn tail must be cut first)`);
    const frame = encodeRecord(record);
    const done = this.queue.then(async () => {
      await this.disk.append(this.file, frame);
      await this.disk.fsync(this.file);
    });
    this.queue = done.catch(() => undefined);
    return done;
  }

  private parse(payload: Uint8Array, index: number): T {
    const value: unknown = JSON.parse(Buffer.from(payload).toString('utf8'));
    const parsed = this.schema.safeParse(value);
    if (!parsed.success) throw new Error(`record log ${this.file}: record ${index} passed its checksum but not its schema: ${parsed.error.message}`);
    return parsed.data;
  }
}

/** One record as bytes: header (length, crc) + JSON payload. */
export function encodeRecord(record: unknown): Uint8Array {
  const payload = Buffer.from(JSON.stringify(record), 'utf8');
  const frame = Buffer.alloc(HEADER_BYTES + payload.length);
  frame.writeUInt32LE(payload.length, 0);
  frame.writeUInt32LE(checksum(frame.subarray(0, 4), payload), 4);
  payload.copy(frame, HEADER_BYTES);
  return frame;
}

function checksum(lengthBytes: Uint8Array, payload: Uint8Array): number {
  return crc32(payload, crc32(lengthBytes));
}

/** Walk the frames; return the good payloads and where the good prefix ends. */
function scan(file: string, bytes: Uint8Array): { payloads: Uint8Array[]; validEnd: number } {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const payloads: Uint8Array[] = [];
  let offset = 0;
  while (offset < buf.length) {
    if (buf.length - offset < HEADER_BYTES) break;
    const length = buf.readUInt32LE(offset);
    const end = offset + HEADER_BYTES + length;
    if (end > buf.length) break;
    const payload = buf.subarray(offset + HEADER_BYTES, end);
    if (checksum(buf.subarray(offset, offset + 4), payload) !== buf.readUInt32LE(offset + 4)) {
      if (end === buf.length) break;
      throw new RecordLogCorrupt(file, offset, 'checksum mismatch');
    }
    payloads.push(payload);
    offset = end;
  }
  return { payloads, validEnd: offset };
}
