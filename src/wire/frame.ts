// JSON-RPC 2.0 framing: turns one WebSocket text frame into a typed Frame (via jsonrpc-lite) and
// builds outgoing frames from already-encoded JSON text. It never throws on input, never looks at
// method semantics (that is dispatch.ts) and never touches sockets.
import { parseObject, RpcStatusType, type JsonRpcError } from 'jsonrpc-lite';
import { numberText, quoted } from '../json.js';

/** JSON-RPC 2.0 error codes (spec §5.1); handler failures use `server` (the -32000 range). */
export const ErrorCode = {
  parse: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internal: -32603,
  server: -32000,
} as const;

export type RpcId = string | number;

/**
 * `payload` is the params' (or result's) JSON text exactly as it travelled, when the frame has the
 * layout our encoders write (payload last); traces summarize it without serializing the value again.
 */
export type Frame =
  | { type: 'request'; id: RpcId; method: string; params: unknown; payload: string | undefined }
  /** `mid`: the sender's message id (an rsmlab extension member, for trace correlation). */
  | { type: 'notice'; method: string; params: unknown; mid: number | undefined; payload: string | undefined }
  | { type: 'result'; id: RpcId; result: unknown; payload: string | undefined }
  | { type: 'error'; id: RpcId | null; code: number; message: string }
  /** Not a JSON-RPC message: answer with this error (id is null when none could be read). */
  | { type: 'invalid'; id: RpcId | null; code: number; message: string };

const MAX_ERROR_TEXT = 200;

/** Peer-supplied text quoted in an error message, cut to a bounded length. */
export function clip(text: string): string {
  return text.length <= MAX_ERROR_TEXT ? text : `${text.slice(0, MAX_ERROR_TEXT - 1)}…`;
}

function isRpcId(x: unknown): x is RpcId {
  return (typeof x === 'string' && x !== '') || Number.isSafeInteger(x);
}

const has = (o: object, key: string): boolean => Object.hasOwn(o, key);

/** Absent, or an object or array (JSON-RPC §4.2). */
function isParams(x: unknown): boolean {
  return x === undefined || (typeof x === 'object' && x !== null);
}

/**
 * The hot path: well-formed requests, notices and results, classified exactly as jsonrpc-lite
 * would (same checks) without its copies and re-serialization. Anything else returns undefined.
 */
function wellFormed(o: Record<string, unknown>, text: string, payloads: boolean): Frame | undefined {
  if (o.jsonrpc !== '2.0') return undefined;
  const method = o.method;
  if (typeof method === 'string' && method !== '' && isParams(o.params)) {
    if (!has(o, 'id')) {
      const mid = Number.isSafeInteger(o.mid) ? (o.mid as number) : undefined;
      const payload = mid === undefined || !payloads ? undefined : paramsText(text, MID, mid, method);
      return { type: 'notice', method, params: o.params, mid, payload };
    }
    if (!isRpcId(o.id)) return undefined;
    return { type: 'request', id: o.id, method, params: o.params, payload: payloads ? paramsText(text, ID, o.id, method) : undefined };
  }
  if (!has(o, 'method') && isRpcId(o.id) && has(o, 'result')) {
    return { type: 'result', id: o.id, result: o.result, payload: payloads ? textAfter(text, ID, o.id, RESULT) : undefined };
  }
  return undefined;
}

/** How our encoders start a frame, then its id or message id member. */
const HEAD = '{"jsonrpc":"2.0",';
const ID = '"id":';
const MID = '"mid":';
const METHOD = ',"method":';
const PARAMS = ',"params":';
const RESULT = ',"result":';

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;

/**
 * Where the id (or message id) token our encoders wrote for `id` ends, or -1. A number's digits are
 * read back as they are scanned (exact: ids are safe integers), never formatted or sliced.
 */
function idEnd(text: string, start: number, id: RpcId): number {
  if (typeof id === 'string') {
    const idJson = JSON.stringify(id);
    return text.startsWith(idJson, start) ? start + idJson.length : -1;
  }
  const negative = text.charCodeAt(start) === 0x2d; // '-'
  const first = negative ? start + 1 : start;
  let end = first;
  while (isDigit(text.charCodeAt(end))) end++;
  const value = digitsValue(text, first, end);
  return end > first && (negative ? -value : value) === id ? end : -1;
}

/** The text between the member `key` (`,"result":`, say) right after the id and the closing brace, if `text` is laid out as our encoders write. */
function textAfter(text: string, idMember: string, id: RpcId, key: string): string | undefined {
  if (!text.startsWith(HEAD) || !text.startsWith(idMember, HEAD.length) || !text.endsWith('}')) return undefined;
  const end = idEnd(text, HEAD.length + idMember.length, id);
  if (end < 0 || !text.startsWith(key, end) || end + key.length >= text.length - 1) return undefined;
  return text.slice(end + key.length, -1);
}

/** The params' text of a request or notice laid out as our encoders write it (method, then params, last). */
function paramsText(text: string, idMember: string, id: RpcId, method: string): string | undefined {
  const rest = textAfter(text, idMember, id, METHOD);
  const methodJson = quoted(method);
  return rest?.startsWith(methodJson) && rest.startsWith(PARAMS, methodJson.length) && rest.length > methodJson.length + PARAMS.length ? rest.slice(methodJson.length + PARAMS.length) : undefined;
}

function invalid(id: RpcId | null, code: number, message: string): Frame {
  return { type: 'invalid', id, code, message: clip(message) };
}

/** jsonrpc-lite's verdict in our words: its own message for a bad id is "Internal error", which the sender would misread as ours. */
function fromParseError(value: Record<string, unknown>, err: JsonRpcError): Frame {
  const id = isRpcId(value.id) ? value.id : null;
  // jsonrpc-lite's data for bad params is the params themselves: a string there is the sender's text, never the reason.
  if (err.code === ErrorCode.invalidParams) return invalid(id, ErrorCode.invalidParams, 'Invalid params: params must be an object or an array');
  return invalid(id, ErrorCode.invalidRequest, `Invalid request: ${typeof err.data === 'string' ? err.data : 'not a JSON-RPC 2.0 request, notification or response'}`);
}

/**
 * A frame exactly as our encoders write it, `{"jsonrpc":"2.0","id":N,"result":R}` or
 * `{"jsonrpc":"2.0","id":N|"mid":N,"method":"M","params":P}` (N a safe integer in plain digits, M
 * printable ASCII with no escapes), read without parsing its envelope: only R or P goes through
 * JSON.parse, and the id is read as it is scanned. The hot path of every reply and request; such a
 * text is JSON and gives the very frame wellFormed() would, since R or P parsing alone rules out any
 * other member or trailing text. Anything else (undefined) is parsed whole.
 */
function encoderLayout(text: string, payloads: boolean): Frame | undefined {
  if (!text.startsWith(HEAD) || text.charCodeAt(text.length - 1) !== 0x7d) return undefined; // '}'
  const isMid = text.startsWith(MID, HEAD.length);
  if (!isMid && !text.startsWith(ID, HEAD.length)) return undefined;
  const start = HEAD.length + (isMid ? MID.length : ID.length);
  const end = digitsEnd(text, start);
  if (end < 0) return undefined;
  const id = digitsValue(text, start, end);
  if (!Number.isSafeInteger(id)) return undefined;
  if (!isMid && text.startsWith(RESULT, end)) {
    const payload = text.slice(end + RESULT.length, -1);
    const result = parsedOr(payload);
    return result === NOT_JSON ? undefined : { type: 'result', id, result, payload: payloads ? payload : undefined };
  }
  if (!text.startsWith(METHOD, end)) return undefined;
  const methodStart = end + METHOD.length;
  const methodEnd = plainStringEnd(text, methodStart);
  if (methodEnd < 0 || !text.startsWith(PARAMS, methodEnd)) return undefined;
  const method = text.slice(methodStart + 1, methodEnd - 1);
  const payload = text.slice(methodEnd + PARAMS.length, -1);
  const params = parsedOr(payload);
  if (typeof params !== 'object' || params === null) return undefined; // not JSON, or not params: the whole frame's parse says what
  const kept = payloads ? payload : undefined;
  return isMid ? { type: 'notice', method, params, mid: id, payload: kept } : { type: 'request', id, method, params, payload: kept };
}

/** Where the digits of a non-negative JSON integer at `start` end (at most 16, no leading zero), or -1. */
function digitsEnd(text: string, start: number): number {
  let end = start;
  while (end - start <= 16 && isDigit(text.charCodeAt(end))) end++;
  const n = end - start;
  return n === 0 || n > 16 || (n > 1 && text.charCodeAt(start) === 0x30) ? -1 : end;
}

/** Where a non-empty JSON string of printable ASCII without escapes at `start` ends (after its closing quote), or -1. */
function plainStringEnd(text: string, start: number): number {
  if (text.charCodeAt(start) !== 0x22) return -1; // '"'
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) return i > start + 1 ? i + 1 : -1;
    if (c < 0x20 || c > 0x7e || c === 0x5c) return -1; // a control character, non-ASCII, or '\'
  }
  return -1;
}

/** The value of digits text[start, end): exact up to 2^53; a larger one stays larger (each step rounds to nearest). */
function digitsValue(text: string, start: number, end: number): number {
  let value = 0;
  for (let i = start; i < end; i++) value = value * 10 + (text.charCodeAt(i) - 0x30);
  return value;
}

const NOT_JSON: unique symbol = Symbol('not JSON');

/** JSON.parse's value of `text`, or NOT_JSON if `text` is not one JSON value. */
function parsedOr(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return NOT_JSON;
  }
}

/**
 * How deep a frame's arrays and objects may nest. Our messages nest a dozen levels at most; past
 * this, the recursive walks a frame meets downstream (schemas, summaries, canonical JSON) would
 * overflow the stack and kill the node, so such a frame is refused here, once, for every reader.
 */
export const JSON_DEPTH_MAX = 256;

/**
 * Whether JSON text nests arrays and objects more than `max` deep (brackets in strings do not
 * count). Valid JSON needs two characters a level, so shorter text is never scanned.
 */
export function nestsDeeper(text: string, max: number): boolean {
  if (text.length <= 2 * max + 1) return false;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) i = stringEnd(text, i); // '"'
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true; // '[' '{'
    } else if (c === 0x5d || c === 0x7d) depth--; // ']' '}'
  }
  return false;
}

/** The index of the quote that closes the JSON string opening at `start` (or the text's end). */
function stringEnd(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x22) return i;
    i += c === 0x5c ? 2 : 1; // '\' escapes the next character
  }
  return i;
}

/**
 * A frame nested past JSON_DEPTH_MAX: a reply becomes an error for its call (the caller learns why
 * at once), a request is answered with one, anything else with an error of id null.
 */
function tooDeep(text: string): Frame {
  const value = parsedOr(text);
  if (value === NOT_JSON) return invalid(null, ErrorCode.parse, 'Parse error: not one JSON value');
  const object = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  const id = isRpcId(object.id) ? object.id : null;
  const what = `JSON nested deeper than ${JSON_DEPTH_MAX} levels`;
  if (id !== null && !('method' in object) && ('result' in object || 'error' in object)) return { type: 'error', id, code: ErrorCode.invalidRequest, message: `Invalid response: ${what}` };
  return invalid('method' in object ? id : null, ErrorCode.invalidRequest, `Invalid request: ${what}`);
}

/** Classify one incoming frame; `payloads: false` leaves every payload out (for a reader that traces nothing). Never throws. */
export function decodeFrame(text: string, payloads = true): Frame {
  if (nestsDeeper(text, JSON_DEPTH_MAX)) return tooDeep(text);
  const ours = encoderLayout(text, payloads);
  if (ours !== undefined) return ours;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return invalid(null, ErrorCode.parse, `Parse error: ${(e as Error).message}`);
  }
  if (Array.isArray(value)) return invalid(null, ErrorCode.invalidRequest, 'Invalid request: batches are not supported');
  if (value === null || typeof value !== 'object') return invalid(null, ErrorCode.invalidRequest, 'Invalid request: not an object');
  const object = value as Record<string, unknown>;
  const common = wellFormed(object, text, payloads);
  if (common !== undefined) return common;
  const parsed = parseObject(object);
  switch (parsed.type) {
    case RpcStatusType.request:
      return { type: 'request', id: parsed.payload.id as RpcId, method: parsed.payload.method, params: parsed.payload.params, payload: undefined };
    case RpcStatusType.notification: {
      const mid = Number.isSafeInteger(object.mid) ? (object.mid as number) : undefined;
      return { type: 'notice', method: parsed.payload.method, params: parsed.payload.params, mid, payload: undefined };
    }
    case RpcStatusType.success:
      return { type: 'result', id: parsed.payload.id as RpcId, result: parsed.payload.result, payload: undefined };
    case RpcStatusType.error:
      return { type: 'error', id: parsed.payload.id, code: parsed.payload.error.code, message: String(parsed.payload.error.message) };
    case RpcStatusType.invalid:
      return fromParseError(object, parsed.payload);
  }
}

/**
 * The largest frame either end of a connection takes, in UTF-8 bytes (ws's maxPayload): 64 MiB. Lab 3's
 * view-change messages carry the whole log, as VR Revisited's do_view_change and start_view do, so they
 * grow with it: at 1 MiB a Lab 3 cluster could no longer change views after some 3,000 ops. 64 MiB
 * moves that bound (Lab 3 has no checkpoints) to some 190,000 small ops, or 1,000 at Lab 3's body
 * bound; Lab 4's logs end at its checkpoint and stay far below it. A sender never sends a larger
 * frame (oversizedFrame); a receiver closes a connection that does (code 1009).
 * The simulator has no frame limit: its runs stay far below this one.
 */
export const MAX_FRAME_BYTES = 64 << 20;

/** Why `text` may not be sent, or undefined when it fits in a frame (one length check for the usual frame). */
export function oversizedFrame(text: string): string | undefined {
  if (text.length * 3 <= MAX_FRAME_BYTES) return undefined;
  const bytes = Buffer.byteLength(text, 'utf8');
  return bytes > MAX_FRAME_BYTES ? `a frame of ${bytes} bytes is over the ${MAX_FRAME_BYTES >> 20} MiB frame limit` : undefined;
}

/** A request frame; `methodJson` and `paramsJson` are already JSON text (JSON.stringify of the name / params). */
export function encodeRequest(id: number, methodJson: string, paramsJson: string): string {
  return `{"jsonrpc":"2.0","id":${numberText(id)},"method":${methodJson},"params":${paramsJson}}`;
}

/** A notification frame, carrying the sender's message id in the extension member `mid`. */
export function encodeNotice(mid: number, methodJson: string, paramsJson: string): string {
  return `{"jsonrpc":"2.0","mid":${numberText(mid)},"method":${methodJson},"params":${paramsJson}}`;
}

export function encodeResult(id: RpcId, resultJson: string): string {
  return `{"jsonrpc":"2.0","id":${typeof id === 'number' ? numberText(id) : JSON.stringify(id)},"result":${resultJson}}`;
}

export function encodeError(id: RpcId | null, code: number, message: string): string {
  return JSON.stringify({ jsonrpc: '2.0', id, error: { code, message } });
}
