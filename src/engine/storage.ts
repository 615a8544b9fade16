// A VSR replica's log storage as the driver sees it: Lab 3's append-only record log or Lab 4's
// two-ring journal (journal-storage.ts), one interface. It owns reading the log at start and
// carrying out queued writes and truncations in order, reporting which entries became durable;
// it never sends, never steps the engine and never decides what to write.
import { z } from 'zod';
import type { Disk, Env } from '../env/types.js';
import { RecordLog } from '../storage/record-log.js';
import { StorageCorrupt } from '../storage/storage-corrupt.js';
import { entrySchema, entryValid, rootEntry, type Entry } from '../../labs/vsr/protocol.js';

/** Run `open`; a refusal (StorageCorrupt) is traced as vsr.storage.refused and thrown: the node does not start. */
export async function refusingCorrupt<T>(env: Env, open: () => Promise<T>): Promise<T> {
  try {
    return await open();
  } catch (e) {
    if (e instanceof StorageCorrupt) env.log('vsr.storage.refused', { error: e.message });
    throw e;
  }
}

/** Which storage a VSR replica keeps its log in: Lab 3's append-only log, or Lab 4's two-ring journal. */
export type VsrStorage = 'log' | 'journal';

export interface EngineStorage {
  /** Queue a durable write of `entry` (it replaces any ops ≥ its op), which came from replica `from` (null: made here). True if the queue was empty before. */
  write(entry: Entry, from?: number | null): boolean;
  /** Queue the log's new end `op` (durable before any later write). True if the queue was empty before. */
  truncate(op: number): boolean;
  /** Whether writes wait for a flush that has not started (it takes every one queued by then). */
  readonly queued: boolean;
  /** Carry out everything queued so far, in order; resolves with the written entries now durable (and clean), in order. */
  flush(): Promise<Entry[]>;
  /** fsyncs asked of the disk so far. */
  readonly fsyncs: number;
}

export const LOG_FILE = 'vsr.log';
/** Made once the log's first record is durable: a log without records next to it is lost history, refused (as Lab 1's paxos.log.written). */
export const LOG_WITNESS_FILE = 'vsr.log.written';

/**
 * Bytes a prepare's body may take on Lab 3's log (its VsrConfig.body_bytes_max; Lab 4's is the
 * journal cell's, opBytesMax): a client's request carrying the largest op, a prepare or log record
 * carrying it, and a vsr.batch frame of BATCH_MAX such prepares (16 MiB) all fit in one wire frame
 * (MAX_FRAME_BYTES, 64 MiB). The driver refuses a larger op and drops a peer's larger entry.
 */
export const LOG_BODY_BYTES_MAX = 64 * 1024;

/** A record of the log file: an entry (replacing any ops ≥ its op), or the log's new end. */
const logRecordSchema = z.union([entrySchema, z.strictObject({ truncate: z.number().int().nonnegative() })]);
type LogRecord = z.infer<typeof logRecordSchema>;

/**
 * Lab 3's storage: an append-only record log, consecutive records group-committed with one fsync,
 * with zeros written ahead (preallocate): a group commit's fsync then mostly flushes data alone,
 * not the file's new size too (the three replicas' fsyncs share one disk on a course machine).
 */
export class LogStorage implements EngineStorage {
  private unwritten: LogRecord[] = [];
  fsyncs = 0;

  private constructor(private readonly log: RecordLog<LogRecord>) {}

  /** Open the log file and read it: ops 1..n, how many records held them, and the bytes of a torn last append it dropped (0 if none). */
  static async open(disk: Disk, cluster: number): Promise<{ storage: LogStorage; entries: Entry[]; records: number; droppedBytes: number }> {
    const log = new RecordLog<LogRecord>(disk, LOG_FILE, logRecordSchema, { preallocate: true, witness: LOG_WITNESS_FILE });
    const { records, droppedBytes } = await log.replayReport();
    return { storage: new LogStorage(log), entries: readLog(records, cluster), records: records.length, droppedBytes };
  }

  get queued(): boolean {
    return this.unwritten.length > 0;
  }

  write(entry: Entry): boolean {
    this.unwritten.push(entry);
    return this.unwritten.length === 1;
  }

  truncate(op: number): boolean {
    this.unwritten.push({ truncate: op });
    return this.unwritten.length === 1;
  }

  async flush(): Promise<Entry[]> {
    const records = this.unwritten;
    this.unwritten = [];
    this.fsyncs++;
    await this.log.appendAll(records);
    return records.filter((r): r is Entry => 'header' in r);
  }
}

/** The log's entries from its records in order: a record for op k replacing ops ≥ k, a truncation cutting the tail. */
function readLog(records: readonly LogRecord[], cluster: number): Entry[] {
  const entries: Entry[] = [];
  const root = rootEntry(cluster);
  for (const record of records) {
    if ('truncate' in record) {
      if (record.truncate > entries.length) throw new StorageCorrupt(`vsr log: a truncation to op ${record.truncate} past the end (op ${entries.length})`);
      entries.length = record.truncate;
      continue;
    }
    const entry = record;
    const op = entry.header.op;
    if (!entryValid(entry) || entry.header.cluster !== cluster || op < 1 || op > entries.length + 1) {
      throw new StorageCorrupt(`vsr log: a record for op ${op} that is not the next op or fails its checksum`);
    }
    entries.length = op - 1;
    const parent = op === 1 ? root : entries[op - 2]!;
    if (entry.header.parent !== parent.header.checksum) throw new StorageCorrupt(`vsr log: op ${op} does not chain to op ${op - 1}`);
    entries.push(entry);
  }
  return entries;
}
