// Node ids and their order. The seed orders nodes by port ("lowest-numbered member"), so ids
// compare by their trailing number first ("n2" < "n10", "h:9000" < "h:10000"), then as text.
import type { NodeId } from './types.js';

function trailingNumber(id: NodeId): number {
  const m = /(\d+)$/.exec(id);
  return m ? Number(m[1]) : Number.NaN;
}

export function compareNodeIds(a: NodeId, b: NodeId): number {
  const na = trailingNumber(a);
  const nb = trailingNumber(b);
  if (na !== nb && !Number.isNaN(na) && !Number.isNaN(nb)) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function sortNodeIds(ids: Iterable<NodeId>): NodeId[] {
  return [...ids].sort(compareNodeIds);
}
