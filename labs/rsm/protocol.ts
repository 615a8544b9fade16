// The RSM messages (the seed's rsm_protocol.h and rsm_client_protocol.h): client requests,
// replication to backups, state transfer and join, declared once with their zod schemas, plus
// viewstamps and their order. It never holds state or sends anything; the wire validates against it.
import { z } from 'zod';
import { method } from '../../src/env/method.js';
import { json } from '../../src/env/json-value.js';
import type { AppResult } from '../../src/apps/app.js';
import { clientIdSchema } from '../../src/apps/client-id.js';
import { memberIdSchema, viewSchema } from '../config/view.js';

/** A viewstamp: the view a request was stamped in and its position in that view (from 1). */
export const viewstampSchema = z.strictObject({ vid: z.number().int().nonnegative(), seqno: z.number().int().nonnegative() });
export type Viewstamp = z.infer<typeof viewstampSchema>;

export function sameViewstamp(a: Viewstamp, b: Viewstamp): boolean {
  return a.vid === b.vid && a.seqno === b.seqno;
}

/** Negative if a comes before b: by view, then by position in the view. */
export function compareViewstamps(a: Viewstamp, b: Viewstamp): number {
  return a.vid !== b.vid ? a.vid - b.vid : a.seqno - b.seqno;
}

const vid = z.number().int().nonnegative();

/**
 * The most UTF-8 bytes a client's op may take as JSON text: 64 KiB, as Lab 3's (LOG_BODY_BYTES_MAX).
 * Every node answers a larger one with an error result and replicates nothing (rsm.ts, serve).
 * It bounds each message that carries one op, a client's request and the primary's rsm.invoke, to a
 * thousandth of a frame (MAX_FRAME_BYTES, 64 MiB). It does not bound the state, which a state
 * transfer carries whole in one reply: a write adds at most its op's text to the app's state (a kv
 * put or append, a lock), and the duplicate table keeps each client's last result, a small one but
 * for a kv get (a whole value). That reply must fit one frame, which holds about a thousand writes
 * at this bound, and arrive within one RPC timeout: encoding, sending and checking it take some
 * tens of ms per MiB on a loopback, so the classic 1 s carries a few hundred such writes and a
 * timing scaled down for tests fewer (the real-world test gives 128 of them a 10 s timeout). Past
 * either, no op bound could help (the kv store bounds neither its keys nor what appends add): the
 * transfer fails on every retry, the primary says on its stderr that a reply was too large, and the
 * joiner traces each reason once (rsm.transfer_failed).
 */
export const OP_BYTES_MAX = 64 * 1024;

/** A client's request: the op is untrusted JSON, validated by the app when it executes. */
export const clientRequestSchema = z.strictObject({ client: clientIdSchema, seq: z.number().int().nonnegative(), op: json() });
export type ClientRequestArgs = z.infer<typeof clientRequestSchema>;

/** A request as the primary replicates it: stamped with the primary's clock (apps never read clocks). */
export const replicatedRequestSchema = clientRequestSchema.extend({ time: z.number() });
export type ReplicatedRequest = z.infer<typeof replicatedRequestSchema>;

export const appResultSchema: z.ZodType<AppResult> = z.union([
  z.strictObject({ ok: z.literal(true), value: json() }),
  z.strictObject({ ok: z.literal(false), error: z.string() }),
]);

/** BUSY: a view change is running, retry later. NOTPRIMARY: ask client_members who is. */
export const clientInvokeRes = z.discriminatedUnion('status', [
  z.strictObject({ status: z.literal('OK'), result: appResultSchema }),
  z.strictObject({ status: z.literal('BUSY') }),
  z.strictObject({ status: z.literal('NOTPRIMARY') }),
]);
export type ClientInvokeRes = z.infer<typeof clientInvokeRes>;

export const rsmClientInvoke = method('rsm.client_invoke', clientRequestSchema, clientInvokeRes);

/** The members of the view this node last committed, and who it thinks is primary. */
export const membersRes = z.strictObject({ vid, members: z.array(memberIdSchema), primary: memberIdSchema });
export type MembersRes = z.infer<typeof membersRes>;
export const rsmClientMembers = method('rsm.client_members', z.strictObject({}), membersRes);

/** Primary -> backup: execute this request, which must be exactly the backup's next viewstamp. */
export const invokeArgs = z.strictObject({ vs: viewstampSchema, req: replicatedRequestSchema });
export type InvokeArgs = z.infer<typeof invokeArgs>;
export const invokeRes = z.strictObject({ status: z.enum(['OK', 'ERR']) });
export type InvokeRes = z.infer<typeof invokeRes>;
export const rsmInvoke = method('rsm.invoke', invokeArgs, invokeRes);

/** Backup -> primary: my last executed viewstamp is `last`; send your state for view `vid`. */
export const transferArgs = z.strictObject({ src: memberIdSchema, last: viewstampSchema, vid });
/** OK: the primary's last viewstamp, and its snapshot unless the backup's `last` already equals it. */
export const transferRes = z.discriminatedUnion('status', [
  z.strictObject({ status: z.literal('OK'), last: viewstampSchema, state: json().optional() }),
  z.strictObject({ status: z.literal('BUSY') }),
]);
export type TransferRes = z.infer<typeof transferRes>;
export const rsmTransfer = method('rsm.transferreq', transferArgs, transferRes);

/** Backup -> primary: I hold your state of view `vid`. */
export const transferDoneArgs = z.strictObject({ src: memberIdSchema, vid });
export const rsmTransferDone = method('rsm.transferdonereq', transferDoneArgs, z.strictObject({ status: z.enum(['OK', 'BUSY']) }));

/** Joiner -> primary: add me to the view. */
export const joinArgs = z.strictObject({ src: memberIdSchema, last: viewstampSchema });
/**
 * OK: added (or already added and still to sync). BUSY: try later. NOTPRIMARY: ask `primary`.
 * Every answer carries the views the answerer knows: a joiner behind on views catches up from
 * anyone (its Paxos acceptor refuses instances past the next one until it does).
 */
export const joinRes = z.strictObject({ status: z.enum(['OK', 'BUSY', 'NOTPRIMARY']), primary: memberIdSchema, views: z.array(viewSchema) });
export type JoinRes = z.infer<typeof joinRes>;
export const rsmJoin = method('rsm.joinreq', joinArgs, joinRes);
