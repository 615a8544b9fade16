// The VSR replica's status JSON (what `status` on the control plane returns, and what the tester's
// state checker reads): its numbers, its log's headers (to compare committed prefixes and hash
// chains) and the canonical text and hash of its executed state. Declared once; it never reads a node.
import { z } from 'zod';
import type { Json } from '../../src/env/types.js';
import { canonicalJson } from '../../src/json.js';
import { checksum } from '../../src/engine/checksum.js';
import { appNames } from '../../src/apps/app.js';
import { operations } from './protocol.js';
import { statuses, type ReplicaState } from './state.js';

const uint = z.number().int().nonnegative();

export const logHeaderSchema = z.object({
  op: uint,
  view: uint,
  checksum: z.string(),
  parent: z.string(),
  client: z.string(),
  request: uint,
  operation: z.enum(operations),
});
export type LogHeader = z.infer<typeof logHeaderSchema>;

export const vsrStatusSchema = z.object({
  /** This replica's index and the whole replica set, by index. */
  replica: uint,
  replicas: z.array(z.string()),
  status: z.enum(statuses),
  view: uint,
  log_view: uint,
  op: uint,
  commit_min: uint,
  commit_max: uint,
  /** The primary of `view`: its index and address. */
  primary: uint,
  primary_id: z.string(),
  /** ops 0..op (0 is the root); a complete hash chain. */
  log: z.array(logHeaderSchema),
  /** The highest op on disk exactly as in memory. */
  log_durable: uint,
  app: z.enum(appNames),
  /** canonicalJson of {app, clients} after commit_min ops, and its checksum: equal ⇔ equal executed state. */
  state: z.string(),
  state_hash: z.string(),
  /** fsyncs this process asked of its disk so far (group commit: one per batch of log appends). */
  fsyncs: uint.optional(),
  /** Lab 4 (par): the journal's layout (where each slot's cells are), and the ops whose copy here is faulty. */
  journal: z.object({ cluster: uint, slot_count: uint, sector_bytes: uint, prepare_cell_bytes: uint }).optional(),
  faulty: z.array(uint).optional(),
});
export type VsrStatus = z.infer<typeof vsrStatusSchema>;

/** The executed state (app snapshot and client table) as canonical text and its checksum. */
export function executedState(s: ReplicaState): { text: string; hash: string } {
  const value = { app: s.app, clients: s.clients.map((c) => ({ ...c })) } as unknown as Json;
  return { text: canonicalJson(value), hash: checksum(value) };
}

export function vsrStatus(s: ReplicaState): VsrStatus {
  const primary = s.view % s.config.replicas.length;
  const { text, hash } = executedState(s);
  return {
    replica: s.config.replica,
    replicas: [...s.config.replicas],
    status: s.status,
    view: s.view,
    log_view: s.log_view,
    op: s.op,
    commit_min: s.commit_min,
    commit_max: s.commit_max,
    primary,
    primary_id: s.config.replicas[primary]!,
    log: s.log.map(({ header: h }) => ({ op: h.op, view: h.view, checksum: h.checksum, parent: h.parent, client: h.client, request: h.request, operation: h.operation })),
    log_durable: s.log_durable,
    app: s.config.app,
    state: text,
    state_hash: hash,
  };
}
