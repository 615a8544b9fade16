// The VSR superblock: the view and log_view, kept in two checksummed copies written in turn, so a
// crash mid-write leaves the other copy whole. It owns the byte format and the choice of copy at
// start; it never decides what the numbers mean. A copy that fails its checksum is never trusted.
import { z } from 'zod';
import type { Disk, Json } from '../env/types.js';
import { checksum } from './checksum.js';
import { StorageCorrupt } from '../storage/storage-corrupt.js';

export const SUPERBLOCK_FILES = ['superblock.0', 'superblock.1'] as const;
const COPY_BYTES = 256;

const copySchema = z.strictObject({
  sequence: z.number().int().positive(),
  cluster: z.number().int().nonnegative(),
  view: z.number().int().nonnegative(),
  log_view: z.number().int().nonnegative(),
  checksum: z.string(),
});
type Copy = z.infer<typeof copySchema>;

export interface SuperblockValue {
  view: number;
  log_view: number;
}

function copyChecksum(c: Omit<Copy, 'checksum'>): string {
  return checksum({ sequence: c.sequence, cluster: c.cluster, view: c.view, log_view: c.log_view } as Json);
}

function decode(bytes: Uint8Array): Copy | 'absent' | 'corrupt' {
  if (bytes.length === 0) return 'absent';
  try {
    const parsed = copySchema.safeParse(JSON.parse(Buffer.from(bytes).toString('utf8')));
    if (parsed.success && parsed.data.checksum === copyChecksum(parsed.data)) return parsed.data;
  } catch {
    // not JSON: corrupt
  }
  return 'corrupt';
}

export class Superblock {
  private sequence = 0;

  private constructor(
    private readonly disk: Disk,
    private readonly cluster: number,
  ) {}

  /** Open the superblock: the newest valid copy, null if none was ever written; throws if copies exist but none is valid or it is another cluster's. */
  static async open(disk: Disk, cluster: number): Promise<{ superblock: Superblock; value: SuperblockValue | null }> {
    const copies = await Promise.all(SUPERBLOCK_FILES.map(async (f) => decode(await disk.read(f))));
    const valid = copies.filter((c): c is Copy => typeof c === 'object');
    const sb = new Superblock(disk, cluster);
    if (valid.length === 0) {
      if (copies.includes('corrupt')) throw new StorageCorrupt('vsr superblock: every copy fails its checksum; refusing to start rather than forget the view');
      return { superblock: sb, value: null };
    }
    const newest = valid.reduce((a, b) => (b.sequence > a.sequence ? b : a));
    if (newest.cluster !== cluster) throw new StorageCorrupt(`vsr superblock: it belongs to cluster ${newest.cluster}, not ${cluster}`);
    sb.sequence = newest.sequence;
    return { superblock: sb, value: { view: newest.view, log_view: newest.log_view } };
  }

  /** Write the next copy (the older slot) and fsync it. */
  async write(value: SuperblockValue): Promise<void> {
    this.sequence++;
    const fields = { sequence: this.sequence, cluster: this.cluster, view: value.view, log_view: value.log_view };
    const text = JSON.stringify({ ...fields, checksum: copyChecksum(fields) });
    const bytes = new Uint8Array(COPY_BYTES).fill(0x20);
    bytes.set(Buffer.from(text, 'utf8'));
    const file = SUPERBLOCK_FILES[this.sequence % 2]!;
    await this.disk.write(file, 0, bytes);
    await this.disk.fsync(file);
  }
}
