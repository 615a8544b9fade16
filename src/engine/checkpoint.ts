// Lab 4's checkpoint on disk: the state after executing ops 1..op (the op's prepare, the app's
// snapshot, the client table) in two checksummed copies written in turn (copies.ts), so a crash
// mid-write leaves the older checkpoint whole. It owns the record's fields and files; it never
// decides when to checkpoint (the engine does) and never repairs a copy.
import { z } from 'zod';
import type { Disk, Json } from '../env/types.js';
import { DualCopies, type CopiesFormat } from './copies.js';
import { StorageCorrupt } from '../storage/storage-corrupt.js';
import { checkpointSchema } from '../../labs/vsr/protocol.js';
import type { Checkpoint } from '../../labs/vsr/state.js';

export const CHECKPOINT_FILES = ['checkpoint.0', 'checkpoint.1'] as const;

/** On disk a checkpoint may carry a rebuild's mark (the op its tail must reach). */
const recordSchema = checkpointSchema.extend({ sync_target: z.number().int().nonnegative().optional() });

const FORMAT: CopiesFormat<Checkpoint> = { files: CHECKPOINT_FILES, schema: recordSchema, what: 'vsr checkpoint', refusal: 'forget the checkpointed ops', bytes: null };

export class CheckpointStore {
  private constructor(private readonly copies: DualCopies<Checkpoint & Json>) {}

  /** Open the checkpoint: the newest intact copy, null if none was ever written; throws if both copies are corrupt or it is another cluster's. */
  static async open(disk: Disk, cluster: number): Promise<{ store: CheckpointStore; checkpoint: Checkpoint | null }> {
    const { copies, value } = await DualCopies.open(disk, cluster, FORMAT as CopiesFormat<Checkpoint & Json>);
    if (value !== null && value.entry.header.op !== value.op) throw new StorageCorrupt(`vsr checkpoint: op ${value.op} holds the prepare of op ${value.entry.header.op}; refusing to start`);
    return { store: new CheckpointStore(copies), checkpoint: value };
  }

  /** Write the next copy (over the older one) and fsync it: durable when this resolves. */
  async write(checkpoint: Checkpoint): Promise<void> {
    await this.copies.write(checkpoint as Checkpoint & Json);
  }
}
