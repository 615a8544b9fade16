// The VSR superblock: the view and log_view, kept in two checksummed copies written in turn
// (copies.ts), so a crash mid-write leaves the other copy whole. It owns the record's fields and
// files; it never decides what the numbers mean. A copy that fails its checksum is never trusted.
import { z } from 'zod';
import type { Disk } from '../env/types.js';
import { DualCopies, type CopiesFormat } from './copies.js';

export const SUPERBLOCK_FILES = ['superblock.0', 'superblock.1'] as const;

const valueSchema = z.strictObject({ view: z.number().int().nonnegative(), log_view: z.number().int().nonnegative() });
export type SuperblockValue = z.infer<typeof valueSchema>;

const FORMAT: CopiesFormat<SuperblockValue> = { files: SUPERBLOCK_FILES, schema: valueSchema, what: 'vsr superblock', refusal: 'forget the view', bytes: 256 };

export class Superblock {
  private constructor(private readonly copies: DualCopies<SuperblockValue>) {}

  /** Open the superblock: the newest valid copy, null if none was ever written; throws if copies exist but none is valid or it is another cluster's. */
  static async open(disk: Disk, cluster: number): Promise<{ superblock: Superblock; value: SuperblockValue | null }> {
    const { copies, value } = await DualCopies.open(disk, cluster, FORMAT);
    return { superblock: new Superblock(copies), value };
  }

  /** Write the next copy (the older slot) and fsync it. */
  async write(value: SuperblockValue): Promise<void> {
    await this.copies.write({ view: value.view, log_view: value.log_view });
  }
}
