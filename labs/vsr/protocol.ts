// The VSR messages (VR Revisited names, TigerBeetle 0.8.1 shapes): the prepare header with its hash
// chain, every replica-to-replica message as one discriminated union, and the client's request and
// reply. Declared once; the wire validates against these and nothing else does. It holds no state.
// Lab 4 adds its journal-repair messages (request_headers, headers, nack_prepare) and its rebuild
// messages (request_sync, sync) to the union.
import { z } from 'zod';
import { method, notice } from '../../src/env/method.js';
import { json } from '../../src/env/json-value.js';
import type { Json } from '../../src/env/types.js';
import type { AppResult } from '../../src/apps/app.js';
import { CLIENT_ID_MAX, clientIdSchema } from '../../src/apps/client-id.js';
import { checksumText } from '../../src/engine/checksum.js';
import { jsonFits, textFits } from '../../src/json-bytes.js';
import { bodyJson, bodyText, entryTexts, headerFieldsJson, keepTexts, sealedMessageJson } from './canonical.js';

const uint = z.number().int().nonnegative();
const hash = z.string().regex(/^[0-9a-f]{32}$/);

/**
 * What a prepare asks the state machine to do: the root of the chain (op 0), open a session, run a
 * client's op, or run several clients' ops in order (a `batch`: its body is a BatchBody, its
 * header's client '' and request 0; the primary packs writes so only with batch_max > 1).
 */
export const operations = ['root', 'register', 'request', 'batch'] as const;
export type Operation = (typeof operations)[number];

/**
 * A prepare's header. `checksum` covers the canonical encoding of every other field (so the
 * header is self-certifying) and `checksum_body` the body; `parent` is the checksum of op−1's
 * header: the hash chain. `commit` is the primary's commit_max when it prepared the op.
 */
export const headerSchema = z.strictObject({
  checksum: hash,
  checksum_body: hash,
  parent: hash,
  cluster: uint,
  view: uint,
  op: uint,
  commit: uint,
  timestamp: uint,
  /** The client's id ('' in a header no client sent: root, batch). */
  client: z.string().max(CLIENT_ID_MAX),
  request: uint,
  operation: z.enum(operations),
  /** The primary that prepared it. */
  replica: uint,
});
export type Header = z.infer<typeof headerSchema>;

/** A log entry: the header and its body (the client's app op; null for root and register). */
export const entrySchema = z.strictObject({ header: headerSchema, body: json() });
export type Entry = z.infer<typeof entrySchema>;

export type HeaderFields = Omit<Header, 'checksum'>;

/** A batch prepare's body: two or more client writes, executed in this order (checksum_body covers them all). Compiled: a backup checks every batch it is sent. */
export const batchBodySchema = z.compile(
  z.strictObject({
    requests: z.array(z.strictObject({ client: clientIdSchema, request: z.number().int().positive(), op: json() })).min(2),
  }),
);
export type BatchBody = z.infer<typeof batchBodySchema>;

/** Whether a header is a batch's only as one may be: naming no client and no request (its body names them); any other header passes. */
export function batchHeaderValid(h: Pick<Header, 'operation' | 'client' | 'request'>): boolean {
  return h.operation !== 'batch' || (h.client === '' && h.request === 0);
}

/** Whether an entry that is a batch is a well-formed one (batchHeaderValid, a body of two or more writes); any other entry passes. */
export function batchValid(entry: Entry): boolean {
  return entry.header.operation !== 'batch' || (batchHeaderValid(entry.header) && (plainBatchBody(entry.body) || batchBodySchema.safeParse(entry.body).success));
}

/**
 * A batch body batchBodySchema certainly passes, checked without its parse (which copies every
 * request, and walks every op again, for each batch a backup is sent): requests of exactly its
 * keys, a client of 1 to CLIENT_ID_MAX UTF-16 units (so as many code points at most, zod's measure), a
 * positive safe integer (zod's int). Each op is JSON: an Entry's body is (the wire's schema and the
 * disk's walked it). False says nothing: the schema decides.
 */
function plainBatchBody(body: Json): boolean {
  if (typeof body !== 'object' || body === null || Array.isArray(body) || Object.keys(body).length !== 1) return false;
  const requests = body.requests;
  if (!Array.isArray(requests) || requests.length < 2) return false;
  for (const r of requests) {
    if (typeof r !== 'object' || r === null || Array.isArray(r) || Object.keys(r).length !== 3 || r.op === undefined) return false;
    const { client, request } = r;
    if (typeof client !== 'string' || client.length < 1 || client.length > CLIENT_ID_MAX || !Number.isSafeInteger(request) || (request as number) <= 0) return false;
  }
  return true;
}

/** UTF-8 bytes of a text at most: 1 per ASCII unit, 2 below U+0800, else 3 (a surrogate pair's 4 counted as 6). */
export function utf8Bytes(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    bytes += unit < 0x80 ? 1 : unit < 0x800 ? 2 : 3;
  }
  return bytes;
}

/**
 * Whether a prepare's body (a client's op, a batch) takes at most `max` UTF-8 bytes as canonical
 * text: the storage's bound (VsrConfig.body_bytes_max), which the driver applies to every client op
 * and every entry a peer sends, and the engine to a rebuild's checkpoint.
 */
export function bodyFits(body: Json, max: number): boolean {
  return jsonFits(body, max);
}

/** bodyFits of an entry's body, from the text entryValid encoded (kept with the entry: nothing is encoded again). */
export function entryBodyFits(entry: Entry, max: number): boolean {
  return textFits(entryTexts(entry).body, max);
}

/** A client request a prepare carries, as its execution needs it (op: the app op; null for a register). */
export interface PreparedRequest {
  client: string;
  request: number;
  operation: 'register' | 'request';
  op: Json;
}

/**
 * The client requests `entry` carries, in execution order: none (the root), its one register or
 * write, or a batch's writes. A batch's body is trusted here: the wire and the snapshot parser
 * checked it (batchValid).
 */
export function preparedRequests(entry: Entry): PreparedRequest[] {
  const h = entry.header;
  switch (h.operation) {
    case 'root':
      return [];
    case 'register':
      return [{ client: h.client, request: 0, operation: 'register', op: null }];
    case 'request':
      return [{ client: h.client, request: h.request, operation: 'request', op: entry.body }];
    case 'batch':
      return (entry.body as BatchBody).requests.map((r) => ({ client: r.client, request: r.request, operation: 'request', op: r.op }));
  }
}

/** The checksum a header must carry: over every field but itself. */
export function headerChecksum(fields: HeaderFields): string {
  return checksumText(headerFieldsJson(fields));
}

/**
 * Headers known to carry their own checksum: made by makeEntry, or found valid (entryValid,
 * headerValid). Each is frozen as it is added, so a change to one throws rather than hiding
 * behind this set (or the texts cached by identity: canonical.ts, journal/format.ts).
 */
const validHeaders = new WeakSet<Header>();

function knownValid(h: Header): void {
  validHeaders.add(Object.freeze(h));
}

/** Whether the header carries its checksum: a set lookup for a header made here or checked before. */
export function headerValid(h: Header): boolean {
  if (validHeaders.has(h)) return true;
  const valid = h.checksum === headerChecksum(h);
  if (valid) knownValid(h);
  return valid;
}

/** Whether the entry's header certifies itself and its body. */
export function entryValid(entry: Entry): boolean {
  const { fields, body } = entryTexts(entry);
  const valid = entry.header.checksum === checksumText(fields) && entry.header.checksum_body === checksumText(bodyJson(body));
  if (valid) knownValid(entry.header);
  return valid;
}

/**
 * The entry of `fields` and `body` with its checksums: header keys in headerSchema's order but
 * checksum last (nextHeader's order, checksum_body first). `text`: the body's canonical text
 * (bodyText's), if the caller has made it. The fields are named, not spread: node 20's V8 builds
 * { x, ...fields } and { ...withBody, checksum } on a slow path (about 1-2 us each, per prepare).
 */
export function makeEntry(fields: Omit<HeaderFields, 'checksum_body'>, body: Json, text = bodyText(body)): Entry {
  const { parent, cluster, view, op, commit, timestamp, client, request, operation, replica } = fields;
  const checksum_body = checksumText(bodyJson(text));
  const withBody: HeaderFields = { checksum_body, parent, cluster, view, op, commit, timestamp, client, request, operation, replica };
  const fieldsText = headerFieldsJson(withBody);
  const checksum = checksumText(fieldsText);
  const header: Header = { checksum_body, parent, cluster, view, op, commit, timestamp, client, request, operation, replica, checksum };
  const entry: Entry = { header, body };
  keepTexts(entry, { body: text, fields: fieldsText });
  knownValid(entry.header);
  return Object.freeze(entry);
}

/** The root prepare (op 0) of a cluster: every replica starts its chain from it. */
export function rootEntry(cluster: number): Entry {
  return makeEntry({ parent: '0'.repeat(32), cluster, view: 0, op: 0, commit: 0, timestamp: 0, client: '', request: 0, operation: 'root', replica: 0 }, null);
}

// ---- replica-to-replica messages ------------------------------------------------------------

/** Headers in one `headers` message at most. */
export const HEADERS_MAX = 64;

/** Lab 4: characters of a checkpoint's text in one `sync` chunk at most (a rebuild's snapshot comes in chunks). */
export const SYNC_CHUNK_CHARS = 1024;

/** Every message names its cluster, its sender (replica index) and the sender's view; `checksum` covers the rest. */
const base = { cluster: uint, replica: uint, view: uint };
/**
 * The first op a log-carrying message holds (Lab 4: the sender's op_checkpoint + 1, the ops before
 * it checkpointed). Absent when 1, so Lab 3's messages (which never checkpoint) are unchanged.
 */
const first = z.number().int().min(2);

export const messageSchema = z.discriminatedUnion('command', [
  /** Primary → backups (and any replica answering request_prepare): append this op. */
  z.strictObject({ command: z.literal('prepare'), ...base, entry: entrySchema }),
  /** Backup → primary of `view`: I hold ops up to `op` durably, `op`'s header has `checksum`. */
  z.strictObject({ command: z.literal('prepare_ok'), ...base, op: uint, checksum: hash }),
  /** Primary → backups, while idle: ops up to `commit` are committed; `beat` (> 0) numbers a heartbeat that reads wait on, to be acked; 0 asks for no ack. */
  z.strictObject({ command: z.literal('commit'), ...base, commit: uint, beat: uint }),
  /** Backup → primary: I am still in your view and heard heartbeat `beat` (read authority). */
  z.strictObject({ command: z.literal('commit_ok'), ...base, beat: uint }),
  /**
   * Send me op `op`, the prepare whose header has `checksum` if given: a lagging backup's catch-up
   * (to its primary), or (Lab 4) a new primary repairing the log it chose (to all). The answer is a
   * `prepare`, a `nack_prepare`, or silence.
   */
  z.strictObject({ command: z.literal('request_prepare'), ...base, op: uint, checksum: hash.nullable() }),
  /**
   * Lab 4 (CTRL's dontHave): in view_change status, to the new primary only: I do not hold op `op`
   * (with `checksum`, if given) and never acknowledged it. A replica whose copy is unreadable is silent.
   */
  z.strictObject({ command: z.literal('nack_prepare'), ...base, op: uint, checksum: hash.nullable() }),
  /** Lab 4: a lagging backup → its primary: send me the headers of ops op_min..op_max (to close the break after my head). */
  z.strictObject({ command: z.literal('request_headers'), ...base, op_min: uint, op_max: uint }),
  /** Lab 4: the answer to request_headers: consecutive headers from op_min, at most HEADERS_MAX of them. */
  z.strictObject({ command: z.literal('headers'), ...base, headers: z.array(headerSchema) }),
  /**
   * Lab 4: a replica that cannot join a log it was sent (it lacks ops before that log's first) →
   * the sender: my head is `op`; send me chunk `chunk` of your checkpoint `op_checkpoint` (0: your
   * latest). The sender decides with one threshold: `op` at or past its op_checkpoint catches up by
   * repair (no answer here), behind it rebuilds (a `sync` chunk).
   */
  z.strictObject({ command: z.literal('request_sync'), ...base, op: uint, op_checkpoint: uint, chunk: uint }),
  /**
   * Lab 4: chunk `chunk` of `chunks` of the sender's checkpoint of `op_checkpoint` (its canonical
   * text; `checksum` covers the whole text), and the sender's commit_max as the rebuild's target.
   */
  z.strictObject({
    command: z.literal('sync'),
    ...base,
    op_checkpoint: z.number().int().positive(),
    checksum: hash,
    chunk: uint,
    chunks: z.number().int().positive(),
    data: z.string().max(SYNC_CHUNK_CHARS),
    target: uint,
  }),
  z.strictObject({ command: z.literal('start_view_change'), ...base }),
  /**
   * → the primary of `view`: my log, the last view I was normal in, and my commit numbers. `entries`
   * are ops first..op (`first`: absent when 1; Lab 4, past a checkpoint: op_checkpoint + 1), but
   * (Lab 4) the ops in `faulty` (sorted; absent when none), whose copy here is faulty: `entries` then
   * holds the others, in order. The log still runs to `op`.
   */
  z.strictObject({
    command: z.literal('do_view_change'),
    ...base,
    log_view: uint,
    op: uint,
    commit_max: uint,
    first: first.optional(),
    entries: z.array(entrySchema),
    faulty: z.array(uint).optional(),
  }),
  /** New primary → all: the log of `view` (ops first..op; `first` absent when 1) and its commit number. */
  z.strictObject({ command: z.literal('start_view'), ...base, op: uint, commit_max: uint, first: first.optional(), entries: z.array(entrySchema) }),
  /** A replica behind in views → the primary of `view`: send me start_view. */
  z.strictObject({ command: z.literal('request_start_view'), ...base }),
  /** A restarted replica → all: who is primary, and what is the log? `nonce` is this incarnation's. */
  z.strictObject({ command: z.literal('recovery'), ...base, nonce: z.string().min(1) }),
  /** A normal replica → the recovering one: its view, and (primary only) its log and commit number. */
  z.strictObject({
    command: z.literal('recovery_response'),
    ...base,
    nonce: z.string().min(1),
    log_view: uint,
    op: uint,
    commit_max: uint,
    /** The first op of `entries` (absent when 1). */
    first: first.optional(),
    entries: z.array(entrySchema).nullable(),
  }),
]);

/** A message as the engine makes and takes it (no checksum: the driver seals and checks it). */
export type Message = z.infer<typeof messageSchema>;
export type Command = Message['command'];
export type MessageOf<C extends Command> = Extract<Message, { command: C }>;

/** On the wire: the message and the checksum of its canonical encoding. */
export const sealedSchema = z.strictObject({ checksum: hash, message: messageSchema });
export type Sealed = z.infer<typeof sealedSchema>;
/** Every peer message travels as this one notice; its trace label is its command, for the viewer's filter. */
export const vsrMessage = notice('vsr.message', sealedSchema, (sealed) => sealed.message.command);

/** Messages in one batch frame at most. */
export const BATCH_MAX = 256;
/**
 * Several messages to one peer in one frame: what a replica's driver sends that peer at one moment
 * (e.g. the prepares of one group commit), in order, each sealed on its own. A lone message goes as
 * vsr.message. Never a new kind of message: the receiver takes them one by one, as if sent apart.
 */
export const vsrBatch = notice('vsr.batch', z.strictObject({ messages: z.array(sealedSchema).min(2).max(BATCH_MAX) }), batchLabel);

/** A batch's trace label: the commands it carries, each once, in order, `start_view_change+do_view_change`. */
function batchLabel(batch: { messages: readonly Sealed[] }): string {
  return [...new Set(batch.messages.map((sealed) => sealed.message.command))].join('+');
}

export function seal(message: Message): Sealed {
  return { checksum: checksumText(sealedMessageJson(message)), message };
}

export function sealValid(sealed: Sealed): boolean {
  return sealed.checksum === checksumText(sealedMessageJson(sealed.message));
}

/**
 * Lab 4: a checkpoint as it travels in a rebuild and rests on disk: the state after executing ops
 * 1..op (the op's prepare, the app's snapshot, the client table).
 */
export const checkpointSchema = z.strictObject({
  op: z.number().int().positive(),
  entry: entrySchema,
  app: json(),
  clients: z.array(z.strictObject({ client: clientIdSchema, session: uint, request: uint, op: uint, reply: z.lazy(() => appResultSchema) })),
});

/**
 * Whether a client table is sorted by client, each client once: session() binary-searches it, so a
 * table installed whole (a checkpoint's, from disk or a rebuild) is checked where it comes in.
 */
export function clientsSorted(clients: readonly { client: string }[]): boolean {
  for (let i = 1; i < clients.length; i++) if (!(clients[i - 1]!.client < clients[i]!.client)) return false;
  return true;
}

/**
 * A checkpoint of `cluster` from its text (a rebuild's reassembled chunks), or null if the text is
 * not one: a peer's table out of order is refused here, never asserted on (a node never crashes on a
 * peer's bytes).
 */
export function parseCheckpoint(text: string, cluster: number): z.infer<typeof checkpointSchema> | null {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  const parsed = checkpointSchema.safeParse(raw);
  if (!parsed.success) return null;
  const { op, entry } = parsed.data;
  return entryValid(entry) && batchValid(entry) && entry.header.op === op && entry.header.cluster === cluster && clientsSorted(parsed.data.clients) ? parsed.data : null;
}

// ---- clients --------------------------------------------------------------------------------

/**
 * A client request. `register` opens the client's session (request 0); `write` is request number
 * `request` (exactly last+1) through the log; `read` runs a read-only op at the primary without a
 * log entry, once its authority is verified (its `request` numbers the client's reads, 1, 2, ...,
 * apart from its writes, so that each call gets its own answer).
 */
export const requestKinds = ['register', 'write', 'read'] as const;
export const clientRequestSchema = z.strictObject({ client: clientIdSchema, request: uint, kind: z.enum(requestKinds), op: json() });
export type ClientRequest = z.infer<typeof clientRequestSchema>;

export const appResultSchema: z.ZodType<AppResult> = z.union([
  z.strictObject({ ok: z.literal(true), value: json() }),
  z.strictObject({ ok: z.literal(false), error: z.string() }),
]);

/**
 * ok: done (a write's `op` is its log position; a register's result value is the session).
 * not_primary: ask `primary` (a replica index, or null when unknown). busy: retry later (view
 * change, full pipeline, a read not yet verified). rejected: the request can never succeed
 * (no session, or a request number that is not the next one).
 */
export const clientReplySchema = z.discriminatedUnion('status', [
  z.strictObject({ status: z.literal('ok'), view: uint, request: uint, op: uint, result: appResultSchema }),
  z.strictObject({ status: z.literal('not_primary'), view: uint, primary: z.string().nullable() }),
  z.strictObject({ status: z.literal('busy'), view: uint }),
  z.strictObject({ status: z.literal('rejected'), view: uint, reason: z.string() }),
]);
export type ClientReply = z.infer<typeof clientReplySchema>;

export const vsrRequest = method('vsr.request', clientRequestSchema, clientReplySchema);
