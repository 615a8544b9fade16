// The canonical texts of VSR's hot shapes (a header, an entry, a batch body, a message carrying entries), equal to
// canonicalJson's but built without its sort, and an entry's texts kept for its life (entries are
// never changed once made), so sealing or checking a prepare encodes its header and body once. It
// decides nothing about what a checksum covers: protocol.ts does, with these texts.
import type { Json } from '../../src/env/types.js';
import { canonicalArray, canonicalJson, canonicalObject, hasShape, shape, shapedJson } from '../../src/json.js';
import type { Entry, Header, HeaderFields, Message } from './protocol.js';

const FIELDS = ['checksum_body', 'client', 'cluster', 'commit', 'op', 'operation', 'parent', 'replica', 'request', 'timestamp', 'view'];
/** A header's fields but its checksum, and a whole header ('checksum' sorts before every other field). */
const HEADER_FIELDS = shape(FIELDS);
/** A whole header's shape: the one list of a header's keys in canonical order (the journal's header cells use it too). */
export const HEADER = shape(['checksum', ...FIELDS]);
const ENTRY = shape(['body', 'header']);
/** A batch body and each of its requests (protocol.ts's BatchBody), in canonical key order. */
const BATCH = shape(['requests']);
const REQUEST = shape(['client', 'op', 'request']);

/** An entry's canonical texts: its body's, and its header's fields but the checksum. */
export interface EntryTexts {
  body: string;
  fields: string;
}

/**
 * The texts of the entry last encoded (one slot, not a map: a map of every entry costs the garbage
 * collector more than it saves): checking a prepare reads them twice, and so does making and then
 * sealing one. An entry is never changed once made: makeEntry freezes the entry and its header, and
 * entryValid the header it passes (protocol.ts); a body is not frozen, and nothing may change one.
 */
let last: { entry: Entry; texts: EntryTexts } | null = null;

/** The text of a whole header's fields but its checksum, from the whole header's text. */
function fieldsOf(headerText: string, header: Header): string {
  return '{' + headerText.slice(HEADER.heads[0]!.length + canonicalJson(header.checksum).length + 1);
}

/** The canonical text of the header's fields but `checksum` (present or not). */
export function headerFieldsJson(fields: HeaderFields): string {
  const value = fields as unknown as Json;
  if ('checksum' in fields) {
    const whole = shapedJson(value, HEADER);
    if (whole !== null) return fieldsOf(whole, fields as Header);
  } else {
    const text = shapedJson(value, HEADER_FIELDS);
    if (text !== null) return text;
  }
  const { checksum: _ignored, ...rest } = fields as Header;
  return canonicalJson(rest as unknown as Json);
}

/** The canonical text of `{ body }`, which checksum_body covers. */
export function bodyJson(bodyText: string): string {
  return '{"body":' + bodyText + '}';
}

/**
 * The canonical text of a prepare's body: a batch's from its requests' shape (no sort of their keys),
 * joined flat (a text concatenated request by request is a tree of thousands of pieces, which each
 * checksum of it walks again), any other as canonicalJson writes it.
 */
export function bodyText(body: Json): string {
  const requests = hasShape(body, BATCH) ? body.requests! : null;
  return Array.isArray(requests) ? batchBodyText(requests.map(batchRequestJson)) : canonicalJson(body);
}

/** The canonical text of one request of a batch body. */
export function batchRequestJson(request: Json): string {
  return shapedJson(request, REQUEST) ?? canonicalJson(request);
}

/** bodyText of a batch body from its requests' texts (batchRequestJson's, in order), which the primary made as it took them off its queue. */
export function batchBodyText(texts: readonly string[]): string {
  return '{"requests":[' + texts.join(',') + ']}';
}

/** An entry's kept texts, or null if it is not exactly an entry's shape (callers then take canonicalJson's way). */
function textsOf(entry: Entry): EntryTexts | null {
  if (last?.entry === entry) return last.texts;
  if (!hasShape(entry as unknown as Json, ENTRY)) return null;
  const header = shapedJson(entry.header as unknown as Json, HEADER);
  if (header === null) return null;
  const texts = { body: bodyText(entry.body), fields: fieldsOf(header, entry.header) };
  last = { entry, texts };
  return texts;
}

/** An entry's texts: its body's, and its header's fields but the checksum (what its two checksums cover). */
export function entryTexts(entry: Entry): EntryTexts {
  return textsOf(entry) ?? { body: bodyText(entry.body), fields: headerFieldsJson(entry.header) };
}

/** Keep the texts of an entry just made from them (its header of exactly a header's shape), so sealing it encodes nothing again. */
export function keepTexts(entry: Entry, t: EntryTexts): void {
  if (hasShape(entry as unknown as Json, ENTRY) && hasShape(entry.header as unknown as Json, HEADER)) last = { entry, texts: t };
}

/** canonicalJson of an entry or prepare cell `{ body, header }` from its members' texts ('body' sorts before 'header'). */
export function cellJson(bodyText: string, headerText: string): string {
  return '{"body":' + bodyText + ',"header":' + headerText + '}';
}

/** A whole header's text from its fields' text (the checksum's member first: it sorts before every other field). */
function headerJsonOf(header: Header, t: EntryTexts): string {
  return '{"checksum":' + canonicalJson(header.checksum) + ',' + t.fields.slice(1);
}

/** canonicalJson(entry.header), from the entry's kept texts (the journal's cells hold it: its prepare cell and its header cell). */
export function entryHeaderJson(entry: Entry): string {
  const t = textsOf(entry);
  return t === null ? canonicalJson(entry.header as unknown as Json) : headerJsonOf(entry.header, t);
}

/** canonicalJson(entry), from its kept texts. */
export function entryJson(value: Json): string {
  const entry = value as unknown as Entry;
  const t = typeof value === 'object' && value !== null && !Array.isArray(value) ? textsOf(entry) : null;
  if (t === null) return canonicalJson(value);
  return cellJson(t.body, headerJsonOf(entry.header, t));
}

function messageMember(key: string, value: Json): string {
  if (key === 'entry') return entryJson(value);
  if (key === 'entries' && Array.isArray(value)) return canonicalArray(value, entryJson);
  return canonicalJson(value);
}

/** canonicalJson(message), its entries' texts from entryJson: the text a sealed VSR message's checksum covers (not the trace's messageJson, src/trace/event.ts). */
export function sealedMessageJson(message: Message): string {
  return canonicalObject(message as unknown as { [key: string]: Json }, messageMember);
}
