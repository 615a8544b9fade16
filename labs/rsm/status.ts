// The RSM lab's status JSON (what `status` on the control plane returns for a node): the Lab-1
// fields plus the replication state and a summary of the replicated app's canonical snapshot.
// Declared once so nodes build it and the tester parses it with one schema; it never reads a node
// itself.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { statusText } from '../../src/status-text.js';
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
   * STATUS_TEXT_BYTES (null past that), its size in UTF-8 bytes, and its digest.
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

/** A status's snapshot fields: its text only while that is at most STATUS_TEXT_BYTES (src/status-text.ts), its size and its digest always. */
export function summarizeSnapshot(snapshot: Json): Pick<RsmStatus, 'snapshot' | 'snapshotBytes' | 'snapshotHash'> {
  const { text, hash } = digestSnapshot(snapshot);
  const bounded = statusText(text);
  return { snapshot: bounded.text, snapshotBytes: bounded.bytes, snapshotHash: hash };
}

/** The canonical text of a snapshot and its sha256 (hex, first 16 digits). */
export function digestSnapshot(snapshot: Json): { text: string; hash: string } {
  const text = canonicalJson(snapshot);
  return { text, hash: createHash('sha256').update(text).digest('hex').slice(0, 16) };
}
