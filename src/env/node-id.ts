// Node ids and their order. The seed orders nodes by port ("lowest-numbered member"), so ids
// compare by their trailing number first ("n2" < "n10", "h:9000" < "h:10000"), then as text.
// A client (not a member: it serves nothing) is `client:<name>` in both worlds.
import type { NodeId } from './types.js';

const CLIENT_ID = /^client:\S{1,100}$/;

/** Whether `id` names a client, not a node: what a peers-only cut spares. */
export function isClientId(id: string): boolean {
  return CLIENT_ID.test(id);
}

/** The number its trailing ASCII digits spell (NaN if it ends in none): a scan, not a regex match (an array per call; ids are compared at a high rate). */
function trailingNumber(id: NodeId): number {
  let i = id.length;
  while (i > 0 && isDigit(id.charCodeAt(i - 1))) i--;
  return i === id.length ? Number.NaN : Number(id.slice(i));
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

export function compareNodeIds(a: NodeId, b: NodeId): number {
  if (a === b) return 0; // (what the rules below come to; Paxos compares a proposal's node with itself most often)
  const na = trailingNumber(a);
  const nb = trailingNumber(b);
  if (na !== nb && !Number.isNaN(na) && !Number.isNaN(nb)) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function sortNodeIds(ids: Iterable<NodeId>): NodeId[] {
  return [...ids].sort(compareNodeIds);
}
