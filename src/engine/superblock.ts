// The VSR superblock: the view and log_view, kept in two checksummed copies written in turn
// (copies.ts), so a crash mid-write leaves the other copy whole. It owns the record's fields and
// files; it never decides what the numbers mean. A copy that fails its checksum is never trusted.
import { z } from 'zod';
import type { Disk } from '../env/types.js';
import { copyFile, DualCopies, type CopiesFormat } from './copies.js';

export const SUPERBLOCK_FILES = ['superblock.0', 'superblock.1'] as const;

/**
 * No op position. Issue 7 asks to persist "the view and the log position": log_view is the log's
 * position that a view change compares (VRR's v': the last view the log was normal in). The op is
 * the log's own head, which its records carry, checksummed and hash-chained, and which recovery reads
 * back (Lab 3's log, Lab 4's rings). A copy here would need a superblock fsync on every group commit
 * (prepare_ok waits for the write) or go stale, and where it disagreed with the log the log would
 * have to win. The one op the logs cannot give, the one a Lab 4 checkpoint stands for, is in that
 * checkpoint's own two copies (checkpoint.ts).
 */
const valueSchema = z.strictObject({ view: z.number().int().nonnegative(), log_view: z.number().int().nonnegative() });
export type SuperblockValue = z.infer<typeof valueSchema>;

const FORMAT: CopiesFormat<SuperblockValue> = { files: SUPERBLOCK_FILES, schema: valueSchema, what: 'vsr superblock', refusal: 'forget the view', bytes: 256 };

/** The file the second copy makes (copies.ts writes them in turn): it exists only once the first copy was durable. */
export const SUPERBLOCK_SECOND_FILE = copyFile(FORMAT, 2);

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
