// The durable record log: an append-only file of checksummed JSON records on an Env disk.
// It owns the byte format, the fsync-before-resolve rule and the replay rule that tells a torn
// tail from corruption; it never touches `fs` (only `Disk`) and never interprets what a record
// means. It never truncates durable history on corruption: it refuses, loudly. With a witness file,
// it also refuses a log that lost every record (emptied or removed): it never comes back as new.
//
// Format, per record: [length: u32 LE][hcrc: u32 LE][crc: u32 LE][payload: `length` bytes of UTF-8 JSON],
// hcrc = CRC32 over the length bytes, crc = CRC32 over the length bytes and the payload. A header
// never straddles a 512-byte boundary (the smallest sector): when fewer than 12 bytes are left
// before the boundary, the append first pads with zeros to it. A crash tears a write at a sector
// boundary, so it cuts a record's payload or drops its header whole, never garbles a header.
//
// Replay rule. Appends are sequential, each fsynced before the next starts, so only the last
// append can be torn by a crash. Records are read from offset 0; at the first bad one:
// - the file ends inside it (a partial header, or a valid header whose length runs past the end
//   of the file): the last append, cut. Dropped and truncated away.
// - its header is valid, it ends exactly at the end of the file, its payload checksum fails: the
//   last append, garbled (or the last record corrupted on the medium: the two cannot be told
//   apart locally). Dropped and truncated away: only this one record, never one before it.
// - anything else (a bad header checksum, a bad payload followed by more bytes) is corruption of
//   durable history: replay throws RecordLogCorrupt, changes nothing, recovers nothing.
// Before it drops or refuses anything, replay reads the file a second time, so a transient read
// error is never taken for a torn tail.
//
// Preallocation (optional). An fsync that carries a new file size also commits the file system's
// metadata (ext4 journals the inode), which took about twice as long as the data's own flush on
// this project's machines. With `preallocate`, on a disk that can (Disk.preallocate: the real
// one's; the simulator's fsyncs cost no metadata), an append that passes the zeros already written
// beyond the last record has the disk write more after itself (about as many as the log holds,
// from PREALLOCATE_MIN to PREALLOCATE_MAX) under the same fsync, so most appends overwrite zeros
// and change no metadata. Replay, on any disk, then reads zeros as no bytes at all: a record
// boundary followed only by zeros is the log's clean end (kept, not truncated), and a bad last
// record followed only by zeros is a torn last append. The price: a lost write of the last append
// (acknowledged, never on the medium) leaves zeros, which such a log reads as its clean end, where
// a log without the option refuses them as corruption (the file's new size made it, its data did not).
//
// Witness (optional). A log with no record may be a new one or one that lost them all; its bytes
// cannot tell (a crash can tear the very first append down to nothing). So the first append, once
// its record is fsynced and before it resolves, makes a small witness file and fsyncs it: no record
// was ever acknowledged without it. A witness present and no valid record on replay is lost history:
// replay throws RecordLogLost, changing nothing. A log with records and no witness (a crash between
// the two fsyncs) gets its witness at replay. The witness's bytes mean nothing; only its presence.
import type { z } from 'zod';
import * as zlib from 'node:zlib';
import { assert } from '../assert.js';
import { MIN_SECTOR_BYTES } from '../env/disk-faults.js';
import type { Disk } from '../env/types.js';
import { StorageCorrupt } from './storage-corrupt.js';
import { carve } from '../slab.js';
import { jsonScratch, writeJson } from './json-bytes.js';

const HEADER_BYTES = 12;
/** The zeros a preallocating log keeps ahead of its last record: about as many bytes as it holds, within these bounds. */
const PREALLOCATE_MIN = 64 * 1024;
const PREALLOCATE_MAX = 16 * 1024 * 1024;
/** Headers never straddle a multiple of this (the smallest sector of any disk). */
const HEADER_ALIGN = MIN_SECTOR_BYTES;

export class RecordLogCorrupt extends StorageCorrupt {
  constructor(
    readonly file: string,
    readonly offset: number,
    detail: string,
  ) {
    super(`record log ${file}: corrupt record at byte ${offset} (${detail}); it is not a torn last append, so the log refuses to replay rather than forget durable records`);
    this.name = 'RecordLogCorrupt';
  }
}

export class RecordLogLost extends StorageCorrupt {
  constructor(
    readonly file: string,
    readonly witness: string,
  ) {
    super(`record log ${file}: it holds no record, but ${witness} exists, so it once held durable records (emptied, removed or every record torn away); refusing to start rather than come back with no memory of them (to start this node afresh on purpose, remove ${witness} too)`);
    this.name = 'RecordLogLost';
  }
}

export interface RecordLogOptions {
  /** The witness file (see the replay rule above): made after the first record is durable, it makes a log without records a refused one. */
  witness?: string;
  /** Keep zeros written ahead of the last record (see Preallocation above). */
  preallocate?: boolean;
}

/** What replay found, for tests and diagnostics. */
export interface ReplayReport<T> {
  records: T[];
  /** Bytes of torn tail that were dropped and truncated away (0 if the log was clean). */
  droppedBytes: number;
}

export class RecordLog<T> {
  private replayed = false;
  /** Where the next record goes (the log is the file's only writer). */
  private end = 0;
  /** Where the file ends: zeros from `end` to here (a preallocating log's; else `end`). */
  private allocated = 0;
  /** Whether appends have the disk write zeros ahead (the option, on a disk that can). */
  private readonly preallocating: boolean;
  /** Appends run one after another, in call order, so the file order is the call order. */
  private queue: Promise<void> = Promise.resolve();
  /** Set when an append failed: what is on the medium is unknown, so no later append may follow it. */
  private broken: Error | null = null;
  /** Whether the witness is durable (or there is none to make): until it is, an append makes it before resolving. */
  private witnessed: boolean;

  constructor(
    private readonly disk: Disk,
    readonly file: string,
    private readonly schema: z.ZodType<T>,
    private readonly options: RecordLogOptions = {},
  ) {
    this.witnessed = options.witness === undefined;
    this.preallocating = options.preallocate === true && disk.preallocate !== undefined;
  }

  /** Every valid record, in order. Drops (and truncates) a torn tail; throws RecordLogCorrupt on any other bad record. Call once, before the first append. */
  async replay(): Promise<T[]> {
    return (await this.replayReport()).records;
  }

  async replayReport(): Promise<ReplayReport<T>> {
    assert(!this.replayed, `record log ${this.file}: replay() called twice`);
    const witnessed = await this.presentWitness();
    const zerosEnd = this.options.preallocate === true;
    let bytes = await this.disk.read(this.file);
    let found = scan(bytes, zerosEnd);
    if (found.bad !== null) {
      bytes = await this.disk.read(this.file); // a transient read error must not pass for a torn tail
      found = scan(bytes, zerosEnd);
    }
    if (found.bad?.corrupt === true) throw new RecordLogCorrupt(this.file, found.validEnd, found.bad.why);
    if (witnessed !== null && found.payloads.length === 0) throw new RecordLogLost(this.file, witnessed);
    // A torn last append goes, zeros after it too; a clean log's zeros stay (a preallocating log's).
    const torn = found.bad !== null;
    if (torn) {
      await this.disk.truncate(this.file, found.validEnd);
      await this.disk.fsync(this.file);
    }
    if (witnessed !== null) this.witnessed = true;
    else if (found.payloads.length > 0) await this.witness();
    this.replayed = true;
    this.end = found.validEnd;
    this.allocated = torn ? found.validEnd : bytes.length;
    return { records: found.payloads.map((p, i) => this.parse(p, i)), droppedBytes: torn ? bytes.length - found.validEnd : 0 };
  }

  /** Append one record; resolves once it is on the medium (written and fsynced). */
  append(record: T): Promise<void> {
    this.mayAppend();
    const at = this.end;
    return this.persist(at, this.frame(record));
  }

  /** Append records in order with one write and one fsync (group commit); resolves once all are on the medium. */
  appendAll(records: readonly T[]): Promise<void> {
    this.mayAppend();
    assert(records.length > 0, `record log ${this.file}: appendAll() of nothing`);
    const at = this.end;
    const frames = records.map((record) => this.frame(record));
    return this.persist(at, frames.length === 1 ? frames[0]! : Buffer.concat(frames));
  }

  private mayAppend(): void {
    assert(this.replayed, `record log ${this.file}: append() before replay() (a torn tail must be cut first)`);
  }

  /** One record's frame, at the end of the log (which moves past it). */
  private frame(record: T): Uint8Array {
    const frame = encodeRecord(record, this.end);
    this.end += frame.length;
    return frame;
  }

  /** Write `bytes` at `at` and fsync, after every append before it; resolves once they are on the medium. */
  private persist(at: number, bytes: Uint8Array): Promise<void> {
    const done = this.queue.then(async () => {
      if (this.broken) throw this.broken;
      try {
        await this.disk.write(this.file, at, bytes);
        // Only when the record passed the zeros: an await more would start every fsync a job later.
        if (this.preallocating && at + bytes.length > this.allocated) await this.preallocate(at + bytes.length);
        await this.disk.fsync(this.file);
        await this.witness();
      } catch (e) {
        this.broken = new Error(`record log ${this.file}: an append failed, so no later one may follow it (${e instanceof Error ? e.message : String(e)})`);
        throw e;
      }
    });
    this.queue = done.catch(ignore);
    return done;
  }

  /** The record now ends at `end`, past the zeros: the disk writes more after it, about as many as the log holds (the caller's fsync makes them durable). */
  private async preallocate(end: number): Promise<void> {
    const size = end + Math.min(PREALLOCATE_MAX, Math.max(PREALLOCATE_MIN, end));
    await this.disk.preallocate?.(this.file, size);
    this.allocated = size;
  }

  /** The witness's name if it is on the disk; null if it is absent (or there is none). */
  private async presentWitness(): Promise<string | null> {
    const { witness } = this.options;
    return witness !== undefined && (await this.disk.size(witness)) > 0 ? witness : null;
  }

  /** Make the witness durable, unless it is (or there is none). */
  private async witness(): Promise<void> {
    const { witness } = this.options;
    if (this.witnessed || witness === undefined) return;
    await this.disk.write(witness, 0, witnessText(this.file));
    await this.disk.fsync(witness);
    this.witnessed = true;
  }

  private parse(payload: Uint8Array, index: number): T {
    const value: unknown = JSON.parse(Buffer.from(payload).toString('utf8'));
    const parsed = this.schema.safeParse(value);
    if (!parsed.success) throw new Error(`record log ${this.file}: record ${index} passed its checksum but not its schema: ${parsed.error.message}`);
    return parsed.data;
  }
}

/** What a witness file says, for a person who finds it next to the log. */
function witnessText(file: string): Uint8Array {
  return Buffer.from(`${file} has held durable records since this file was made: an empty or missing ${file} is lost history, and the node refuses to start on it.\n`, 'utf8');
}

/** Whether bytes [from, end) of `buf` are all zero (none: true). */
function zerosFrom(buf: Uint8Array, from: number): boolean {
  for (let i = from; i < buf.length; i++) if (buf[i] !== 0) return false;
  return true;
}

/** A failed append's error, as the queue of later appends sees it (they check `broken`). */
function ignore(): void {}

/**
 * CRC32 tables for slicing by four (reflected polynomial 0xEDB88320): table k (at k * 256) carries a
 * byte through k more zero bytes. JS beats two zlib calls on records this small.
 */
const CRC_TABLES = ((): Int32Array => {
  const t = new Int32Array(4 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) for (let k = 1; k < 4; k++) t[k * 256 + n] = (t[(k - 1) * 256 + n]! >>> 8) ^ t[t[(k - 1) * 256 + n]! & 0xff]!;
  return t;
})();

/**
 * node:zlib's crc32 (node 20.15 on; package.json allows 20.12, where it is absent and the JS loop
 * does all). From NATIVE_CRC_MIN payload bytes it is faster, copy included: a Lab 3 batch prepare's
 * record (some 6 KB) takes a fifth of the JS loop's time; one call costs what ~200 bytes in JS do.
 */
const nativeCrc32: ((data: Uint8Array, value: number) => number) | undefined = (zlib as { crc32?: (data: Uint8Array, value: number) => number }).crc32;
const NATIVE_CRC_MIN = 256;

/** Zero padding before a header at `offset`, so that the header does not straddle a HEADER_ALIGN boundary. */
function paddingAt(offset: number): number {
  const left = HEADER_ALIGN - (offset % HEADER_ALIGN);
  return left < HEADER_BYTES ? left : 0;
}

/**
 * One record as bytes, to be written at file offset `at`: zero padding, header (length, hcrc, crc),
 * JSON payload. A record of simple JSON data (nearly every one) has its text written as bytes
 * (json-bytes.ts); anything else goes through JSON.stringify. Frames are carved out of shared slabs
 * (src/slab.ts), so nothing may keep a frame for long (the disk copies what it writes).
 */
export function encodeRecord(record: unknown, at = 0): Uint8Array {
  const pad = paddingAt(at);
  const n = writeJson(record);
  if (n >= 0) return seal(jsonScratch(), n, pad);
  const json = JSON.stringify(record);
  if (json === undefined) throw new TypeError('a record must be JSON data (JSON.stringify gave nothing)');
  const payload = Buffer.from(json, 'utf8');
  return seal(payload, payload.length, pad);
}

/**
 * The frame of the payload `payload[0, n)` after `pad` bytes of zero padding: the header (length,
 * hcrc, crc) and the payload copied into place and checksummed (a large one by zlib where node has it).
 * Reading checks every frame with the JS loop (checksum), so each test that reads a large record
 * also checks zlib against it; where zlib is absent, the JS loop is all there is.
 */
function seal(payload: Uint8Array, n: number, pad: number): Uint8Array {
  const frame = carve(pad + HEADER_BYTES + n); // zeroed: the padding is written
  writeU32(frame, pad, n);
  const hcrc = crc32(~0, frame, pad, pad + 4);
  writeU32(frame, pad + 4, ~hcrc);
  const at = pad + HEADER_BYTES;
  frame.set(payload.subarray(0, n), at);
  // zlib's crc32 goes on from a finished CRC (inverted), and returns one.
  const crc = nativeCrc32 !== undefined && n >= NATIVE_CRC_MIN ? nativeCrc32(frame.subarray(at, at + n), ~hcrc >>> 0) : ~crc32(hcrc, frame, at, at + n);
  writeU32(frame, pad + 8, crc);
  return frame;
}

/** Write the 32-bit word `x` little-endian at `at`. */
function writeU32(bytes: Uint8Array, at: number, x: number): void {
  bytes[at] = x;
  bytes[at + 1] = x >>> 8;
  bytes[at + 2] = x >>> 16;
  bytes[at + 3] = x >>> 24;
}

/** A whole log as bytes (tests, tools): the records appended one after another from offset 0. */
export function encodeRecords(records: readonly unknown[]): Uint8Array {
  const frames: Uint8Array[] = [];
  let at = 0;
  for (const r of records) {
    const frame = encodeRecord(r, at);
    frames.push(frame);
    at += frame.length;
  }
  const log = new Uint8Array(at); // a plain Uint8Array: its slice() copies, unlike a Buffer's
  at = 0;
  for (const frame of frames) {
    log.set(frame, at);
    at += frame.length;
  }
  return log;
}

/** CRC32 (the zlib/PNG polynomial, as node:zlib's crc32) of the 4 length bytes at `at` and the payload [from, to). */
function checksum(bytes: Uint8Array, at: number, from: number, to: number): number {
  return ~crc32(crc32(~0, bytes, at, at + 4), bytes, from, to) >>> 0;
}

/** The running (not yet inverted) CRC32 state `c` carried over bytes [from, to), four bytes at a step. */
function crc32(c: number, bytes: Uint8Array, from: number, to: number): number {
  const t = CRC_TABLES;
  let i = from;
  for (; i + 4 <= to; i += 4) c = crcWord(c ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24)));
  for (; i < to; i++) c = t[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return c;
}

/** The CRC32 state after four bytes, given the state already XORed with them (little-endian). */
function crcWord(c: number): number {
  const t = CRC_TABLES;
  return t[768 + (c & 0xff)]! ^ t[512 + ((c >>> 8) & 0xff)]! ^ t[256 + ((c >>> 16) & 0xff)]! ^ t[c >>> 24]!;
}

interface Scan {
  payloads: Uint8Array[];
  /** Where the good prefix ends: the first bad record (its padding included), or a preallocating log's zeros, start here. */
  validEnd: number;
  /** The first bad record: a torn last append (corrupt false) or corruption of durable history. */
  bad: { corrupt: boolean; why: string } | null;
}

/**
 * Walk the frames; return the good payloads, where the good prefix ends and what the first bad
 * record is. `zerosEnd` (a preallocating log): zeros from a record boundary to the end of the file
 * are the log's clean end, and a bad record followed only by zeros is the last append, torn.
 */
function scan(bytes: Uint8Array, zerosEnd: boolean): Scan {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const payloads: Uint8Array[] = [];
  let offset = 0;
  const stop = (corrupt: boolean, why: string): Scan => ({ payloads, validEnd: offset, bad: { corrupt, why } });
  while (offset < buf.length) {
    if (zerosEnd && zerosFrom(buf, offset)) break;
    const header = offset + paddingAt(offset);
    if (buf.length - header < HEADER_BYTES) return stop(false, 'the file ends inside a header');
    const length = buf.readUInt32LE(header);
    if (checksum(buf, header, 0, 0) !== buf.readUInt32LE(header + 4)) return stop(true, 'header checksum mismatch');
    const end = header + HEADER_BYTES + length;
    if (end > buf.length) return stop(false, 'the file ends inside the record');
    if (checksum(buf, header, header + HEADER_BYTES, end) !== buf.readUInt32LE(header + 8)) {
      const last = end === buf.length || (zerosEnd && zerosFrom(buf, end));
      return stop(!last, last ? 'payload checksum mismatch in the last record' : 'payload checksum mismatch, and more records follow');
    }
    payloads.push(buf.subarray(header + HEADER_BYTES, end));
    offset = end;
  }
  return { payloads, validEnd: offset, bad: null };
}
