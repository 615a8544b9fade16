// Snapshot encoding shared by the apps: a Map becomes an array of [key, value] pairs sorted by key,
// so plain JSON.stringify of a snapshot is already canonical and odd keys ("__proto__", "10" vs "9")
// survive. It never trusts a snapshot it decodes: unsorted or duplicate keys are rejected.
import { z } from 'zod';
import { describeIssues } from '../env/method.js';

/**
 * The map's entries sorted by key (code-unit order, as Array.prototype.sort). A map's keys are often
 * in order already (a replica snapshots its app after every op): then there is nothing to sort.
 */
export function sortedEntries<V>(map: ReadonlyMap<string, V>): [string, V][] {
  const entries = [...map.entries()];
  for (let i = 1; i < entries.length; i++) {
    if (!(entries[i - 1]![0] < entries[i]![0])) return entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }
  return entries;
}

/** The schema of an encoded map with values of `value`. */
export function entriesSchema<V>(value: z.ZodType<V>): z.ZodType<[string, V][]> {
  return z.array(z.tuple([z.string(), value]));
}

/** Decode `snapshot` (from sortedEntries) into a Map; throws on a malformed or non-canonical one. */
export function decodeEntries<V>(what: string, value: z.ZodType<V>, snapshot: unknown): Map<string, V> {
  const parsed = entriesSchema(value).safeParse(snapshot);
  if (!parsed.success) throw new Error(`bad ${what} snapshot: ${describeIssues(parsed.error)}`);
  const entries = parsed.data;
  for (let i = 1; i < entries.length; i++) {
    const [prev] = entries[i - 1];
    const [key] = entries[i];
    if (!(prev < key)) throw new Error(`bad ${what} snapshot: keys not strictly sorted at ${JSON.stringify(key)}`);
  }
  return new Map(entries);
}
