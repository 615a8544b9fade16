// Who is primary of a view (the seed's set_primary), as a pure function of the view history, so
// every node that knows views 1..vid names the same primary whatever order it learned them in.
// It never reads a clock or a node's state: only the decided views.
import { assert } from '../../src/assert.js';
import type { NodeId } from '../../src/env/types.js';

/** Members of a decided view in join order, or undefined if this node does not know it. */
export type ViewLookup = (vid: number) => readonly NodeId[] | undefined;

/**
 * The founder is primary of view 1. In each later view the primary stays if it is still a member;
 * otherwise the first member of the previous view, in join order, that survives into the new one.
 * Join order (as the seed's code, not its comment's "smallest numbered") matters: a joiner comes
 * last, so a member that may not have finished its state transfer is never picked over an older one.
 */
export function primaryOf(view: ViewLookup, vid: number): NodeId {
  assert(vid >= 1, `no primary before view 1 (asked for view ${vid})`);
  let primary = known(view, 1)[0]!;
  for (let v = 2; v <= vid; v++) {
    const members = known(view, v);
    if (members.includes(primary)) continue;
    const survivor = known(view, v - 1).find((m) => members.includes(m));
    assert(survivor !== undefined, `view ${v} shares no member with view ${v - 1}: no primary`);
    primary = survivor;
  }
  return primary;
}

function known(view: ViewLookup, vid: number): readonly NodeId[] {
  const members = view(vid);
  assert(members !== undefined && members.length > 0, `view ${vid} is unknown here: cannot name its primary`);
  return members;
}
