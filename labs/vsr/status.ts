// The VSR replica's status JSON (what `status` on the control plane returns, and what the tester
// reads of a real replica): its numbers, the headers of its log's last ops (a bounded suffix: the hash
// chain makes op k's checksum stand for ops 0..k) and the hash and size of its executed state (its
// canonical text too while that is small). Declared once; it never reads a node.
import { z } from 'zod';
import type { Json } from '../../src/env/types.js';
import { canonicalJson } from '../../src/json.js';
import { checksum } from '../../src/engine/checksum.js';
import { statusText } from '../../src/status-text.js';
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

/**
 * Headers a status carries at most: the last ops of the log, so a status (which the dashboard and the
 * tester poll) stays small however long the log grows (256 headers are about 50 KB of JSON).
 */
export const STATUS_LOG_HEADERS = 256;

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
  /**
   * The headers of the log's last ops, consecutive and ending at `op`: at most STATUS_LOG_HEADERS,
   * from max(op_checkpoint, op − STATUS_LOG_HEADERS + 1) (op 0 is the root). Each header's checksum
   * covers its parent's, so two replicas with equal checksums at op k hold equal ops 0..k.
   */
  log: z.array(logHeaderSchema).min(1).max(STATUS_LOG_HEADERS),
  /** The highest op on disk exactly as in memory. */
  log_durable: uint,
  app: z.enum(appNames),
  /**
   * canonicalJson of {app, clients} after commit_min ops while it takes at most STATUS_TEXT_BYTES
   * (null past that: src/status-text.ts), its UTF-8 bytes, and its checksum: equal ⇔ equal executed state.
   */
  state: z.string().nullable(),
  state_bytes: uint,
  state_hash: z.string(),
  /** fsyncs this process asked of its disk so far (group commit: one per batch of log appends). */
  fsyncs: uint.optional(),
  /** Lab 4 (par): the journal's layout (where each slot's cells are), and the ops whose copy here is faulty. */
  journal: z.object({ cluster: uint, slot_count: uint, sector_bytes: uint, prepare_cell_bytes: uint }).optional(),
  faulty: z.array(uint).optional(),
}).refine((s) => s.log.every((h, i) => h.op === s.op - (s.log.length - 1 - i)), { message: 'log: the headers of consecutive ops ending at op', path: ['log'] });
export type VsrStatus = z.infer<typeof vsrStatusSchema>;

/** The header of `op` in a status, or undefined when its log suffix does not reach it (or op is past its head). */
export function statusHeader(s: VsrStatus, op: number): LogHeader | undefined {
  const first = s.op - s.log.length + 1;
  return op >= first && op <= s.op ? s.log[op - first] : undefined;
}

/** The executed state (app snapshot and client table) as canonical text and its checksum. */
export function executedState(s: ReplicaState): { text: string; hash: string } {
  const value = { app: s.app, clients: s.clients.map((c) => ({ ...c })) } as unknown as Json;
  return { text: canonicalJson(value), hash: checksum(value) };
}

export function vsrStatus(s: ReplicaState): VsrStatus {
  const primary = s.view % s.config.replicas.length;
  const { text, hash } = executedState(s);
  const state = statusText(text);
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
    log: s.log.slice(-STATUS_LOG_HEADERS).map(({ header: h }) => ({ op: h.op, view: h.view, checksum: h.checksum, parent: h.parent, client: h.client, request: h.request, operation: h.operation })),
    log_durable: s.log_durable,
    app: s.config.app,
    state: state.text,
    state_bytes: state.bytes,
    state_hash: hash,
  };
}
