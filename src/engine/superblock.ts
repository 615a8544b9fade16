// The VSR superblock: the view and log_view, kept in two checksummed copies written in turn
// (copies.ts), so a crash mid-write leaves the other copy whole. It owns the record's fields and
// files, and the refusal of a start whose superblock was lost; it never decides what the numbers
// mean. A copy that fails its checksum is never trusted.
import { z } from 'zod';
import type { Disk } from '../env/types.js';
import { StorageCorrupt } from '../storage/storage-corrupt.js';
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

/** The first copy, written before a replica first starts (its storage's format ends with it): view 0, which no view change persists. */
export const FORMAT_SUPERBLOCK: SuperblockValue = { view: 0, log_view: 0 };

/**
 * With no superblock copy on disk, refuse a start whose disk shows that the replica ran before:
 * every storage's format ends with the superblock's first copy, and the replica starts only once it
 * is durable, so nothing it wrote can outlive the superblock. `outlived` names what did (a log's
 * record, a journal's op, a checkpoint), or null. Unless `fresh` (the storage was formatted by this
 * start), the disk is listed too: the second copy's file exists only once a view change wrote it.
 */
export async function refuseLostSuperblock(disk: Disk, outlived: string | null, fresh: boolean): Promise<void> {
  const lost = `vsr superblock: no copy in ${SUPERBLOCK_FILES.join(' or ')}`;
  if (outlived !== null) throw new StorageCorrupt(`${lost}, but ${outlived} (a replica's storage is formatted with the superblock's first copy before it first starts); refusing to start rather than forget the view`);
  if (fresh) return;
  if ((await disk.list()).includes(SUPERBLOCK_SECOND_FILE)) {
    throw new StorageCorrupt(`${lost}, but ${SUPERBLOCK_SECOND_FILE} exists (only a view change makes it, after the format's copy was durable); refusing to start rather than forget the view`);
  }
}

/** The superblock the engine starts from: none for the format's copy (views only grow), so a restart before any view change is fresh. */
export function viewChanged(value: SuperblockValue | null): SuperblockValue | null {
  return value !== null && value.view > 0 ? value : null;
}

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
