// Two checksummed copies of one small record in two files, written in turn (the older copy each
// time) with an fsync each, so a crash mid-write leaves the other copy whole: the format of the VSR
// superblock and of Lab 4's checkpoint. Until the second write, only the first copy exists: a fault
// in it then leaves no whole copy, and the record is refused (never taken for absent). It owns the bytes and the choice of copy at start; it never
// decides what the record means. A copy that fails its checksum is never trusted.
import { z } from 'zod';
import type { Disk, Json } from '../env/types.js';
import { checksum } from './checksum.js';
import { StorageCorrupt } from '../storage/storage-corrupt.js';

const envelopeSchema = z.object({ sequence: z.number().int().positive(), cluster: z.number().int().nonnegative(), checksum: z.string() });

/** What a copy's file holds: a record with its sequence number, or nothing, or bytes that are not one. */
type Copy<T> = { sequence: number; cluster: number; value: T } | 'absent' | 'corrupt';

export interface CopiesFormat<T> {
  files: readonly [string, string];
  /** The record's fields (beside sequence, cluster and checksum), checked on read. */
  schema: z.ZodType<T>;
  /** What the record is and what refusing keeps, for error messages ('vsr superblock', 'forget the view'). */
  what: string;
  refusal: string;
  /** A copy's fixed size in bytes (padded with spaces), or null: the text and a newline (read up to it). */
  bytes: number | null;
}

function sealedChecksum(sequence: number, cluster: number, value: Json): string {
  return checksum({ ...(value as Record<string, Json>), sequence, cluster });
}

function decode<T>(bytes: Uint8Array, format: CopiesFormat<T>): Copy<T> {
  if (bytes.length === 0) return 'absent';
  try {
    // A fixed-size copy is its first `bytes` bytes: a write never shortens the file, so bytes past them are not the copy's.
    const text = Buffer.from(format.bytes === null ? bytes : bytes.subarray(0, format.bytes)).toString('utf8');
    const end = text.indexOf('\n');
    const raw: unknown = JSON.parse(end < 0 ? text : text.slice(0, end));
    const envelope = envelopeSchema.safeParse(raw);
    if (!envelope.success) return 'corrupt';
    const { sequence, cluster, checksum: sum, ...rest } = raw as Record<string, Json>;
    const value = format.schema.safeParse(rest);
    if (value.success && sum === sealedChecksum(envelope.data.sequence, envelope.data.cluster, rest)) return { sequence: envelope.data.sequence, cluster: envelope.data.cluster, value: value.data };
  } catch {
    // not JSON: corrupt
  }
  return 'corrupt';
}

/** The file copy number `sequence` goes to: the first to files[1], the second to files[0], and so on in turn. */
export function copyFile<T>(format: CopiesFormat<T>, sequence: number): string {
  return format.files[sequence % 2]!;
}

export class DualCopies<T extends Json> {
  private sequence = 0;

  private constructor(
    private readonly disk: Disk,
    private readonly cluster: number,
    private readonly format: CopiesFormat<T>,
  ) {}

  /** Open the copies: the newest valid one's record, null if none was ever written; throws if copies exist but none is valid, or it is another cluster's. */
  static async open<T extends Json>(disk: Disk, cluster: number, format: CopiesFormat<T>): Promise<{ copies: DualCopies<T>; value: T | null }> {
    const read = await Promise.all(format.files.map(async (f) => decode(await disk.read(f), format)));
    const valid = read.filter((c): c is Exclude<Copy<T>, 'absent' | 'corrupt'> => typeof c === 'object');
    const copies = new DualCopies(disk, cluster, format);
    if (valid.length === 0) {
      if (read.includes('corrupt')) throw new StorageCorrupt(`${format.what}: every copy fails its checksum; refusing to start rather than ${format.refusal}`);
      return { copies, value: null };
    }
    const newest = valid.reduce((a, b) => (b.sequence > a.sequence ? b : a));
    if (newest.cluster !== cluster) throw new StorageCorrupt(`${format.what}: it belongs to cluster ${newest.cluster}, not ${cluster}`);
    copies.sequence = newest.sequence;
    return { copies, value: newest.value };
  }

  /** Write the next copy (over the older one) and fsync it. */
  async write(value: T): Promise<void> {
    this.sequence++;
    const text = JSON.stringify({ sequence: this.sequence, cluster: this.cluster, ...(value as Record<string, Json>), checksum: sealedChecksum(this.sequence, this.cluster, value) });
    const encoded = Buffer.from(this.format.bytes === null ? `${text}\n` : text, 'utf8');
    const bytes = this.format.bytes === null ? new Uint8Array(encoded) : new Uint8Array(this.format.bytes).fill(0x20);
    if (this.format.bytes !== null) bytes.set(encoded);
    const file = copyFile(this.format, this.sequence);
    await this.disk.write(file, 0, bytes);
    await this.disk.fsync(file);
  }
}
