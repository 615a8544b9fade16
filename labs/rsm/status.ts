// The RSM lab's status JSON (what `status` on the control plane returns for a node): the Lab-1
// fields plus the replication state and a summary of the replicated app's canonical snapshot.
// Declared once so nodes build it and the tester parses it with one schema; it never reads a node
// itself.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Json } from '../../src/env/types.js';
import { canonicalJson } from '../../src/json.js';
import { appNames } from '../../src/apps/app.js';
import { paxosStatusSchema } from '../paxos/status.js';
import { viewstampSchema } from './protocol.js';

/** A completed sync: this node entered view `vid` holding the state with last viewstamp `last`. */
export const syncRecordSchema = z.object({ vid: z.number().int().positive(), last: viewstampSchema, hash: z.string() });
export type SyncRecord = z.infer<typeof syncRecordSchema>;

export const rsmStatusSchema = paxosStatusSchema.extend({
  app: z.enum(appNames),
  /** The view the RSM layer last committed (config's `vid` may be ahead while an upcall runs). */
  vid_commit: z.number().int().nonnegative(),
  primary: z.string(),
  inviewchange: z.boolean(),
  insync: z.boolean(),
  /** This incarnation was added through joinreq (or founded view 1): its replica state is real. */
  joined: z.boolean(),
  /** The next viewstamp to assign (primary) or accept (backup), and the last one executed. */
  myvs: viewstampSchema,
  last_myvs: viewstampSchema,
  /** Requests this incarnation executed (not counting state transfers). */
  executed: z.number().int().nonnegative(),
  /**
   * The app snapshot (duplicate table included): canonicalJson's text while it takes at most
   * STATUS_SNAPSHOT_BYTES (null past that), its size in UTF-8 bytes, and its digest.
   */
  snapshot: z.string().nullable(),
  snapshotBytes: z.number().int().nonnegative(),
  snapshotHash: z.string(),
  /** The duplicate table's last seq of each client, by client: the tester checks acknowledged requests against it, text or no text. */
  lastSeqs: z.array(z.tuple([z.string(), z.number().int().nonnegative()])),
  /** The last completed syncs, oldest first: the tester compares them across members. */
  syncs: z.array(syncRecordSchema),
});
export type RsmStatus = z.infer<typeof rsmStatusSchema>;

/**
 * Bytes of snapshot text a status carries at most. A status is polled (the tester, the dashboard,
 * `rsmlab ctl status`) and must stay small: a kv state may grow past a frame, and its status then
 * could not be sent at all. The tester compares digests and reads lastSeqs; the text is for reading.
 */
export const STATUS_SNAPSHOT_BYTES = 16 * 1024;

/** A status's snapshot fields: its text only while that is at most STATUS_SNAPSHOT_BYTES, its size and its digest always. */
export function summarizeSnapshot(snapshot: Json): Pick<RsmStatus, 'snapshot' | 'snapshotBytes' | 'snapshotHash'> {
  const { text, hash } = digestSnapshot(snapshot);
  const bytes = Buffer.byteLength(text);
  return { snapshot: bytes <= STATUS_SNAPSHOT_BYTES ? text : null, snapshotBytes: bytes, snapshotHash: hash };
}

/** The canonical text of a snapshot and its sha256 (hex, first 16 digits). */
export function digestSnapshot(snapshot: Json): { text: string; hash: string } {
  const text = canonicalJson(snapshot);
  return { text, hash: createHash('sha256').update(text).digest('hex').slice(0, 16) };
}
