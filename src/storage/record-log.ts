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

/** The byte-at-a-time CRC32 table (reflected polynomial 0xEDB88320). JS beats two zlib calls on records this small. */
const CRC_TABLE = ((): Int32Array => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
})();

/** One record as bytes: header (length, crc) + JSON payload. Written in place: one allocation per record. */
export function encodeRecord(record: unknown): Uint8Array {
  const json = JSON.stringify(record);
  const length = Buffer.byteLength(json, 'utf8');
  const frame = Buffer.allocUnsafe(HEADER_BYTES + length);
  frame.writeUInt32LE(length, 0);
  frame.write(json, HEADER_BYTES, 'utf8');
  frame.writeUInt32LE(checksum(frame, 0, HEADER_BYTES, frame.length), 4);
  return frame;
}

/** CRC32 (the zlib/PNG polynomial, as node:zlib's crc32) of the 4 length bytes at `at` and the payload [from, to). */
function checksum(bytes: Uint8Array, at: number, from: number, to: number): number {
  let c = ~0;
  for (let i = at; i < at + 4; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  for (let i = from; i < to; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
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
    if (checksum(buf, offset, offset + HEADER_BYTES, end) !== buf.readUInt32LE(offset + 4)) {
      if (end === buf.length) break;
      throw new RecordLogCorrupt(file, offset, 'checksum mismatch');
    }
    payloads.push(buf.subarray(offset + HEADER_BYTES, end));
    offset = end;
  }
  return { payloads, validEnd: offset };
}
