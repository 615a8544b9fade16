// A view: Paxos instance `vid` and its decided value, the member list in join order. This module
// owns the view's shape, how members travel inside a Paxos value, and which values can be a view;
// it never decides views.
import { z } from 'zod';
import { assert } from '../../src/assert.js';
import type { NodeId } from '../../src/env/types.js';
import { isClientId } from '../../src/env/node-id.js';
import { clip } from '../../src/wire/frame.js';

/**
 * A member's id as a message names it: 1 to 200 characters without whitespace (a view's Paxos value
 * joins ids with spaces), and not a client's (a client serves nothing). Checked at the wire, so a
 * peer's bad id is a -32602 answer, never the death of the node that would have put it in a view.
 */
export const memberIdSchema = z
  .string()
  .regex(/^\S{1,200}$/, 'a node id is 1 to 200 characters without whitespace')
  .refine((id) => !isClientId(id), 'a client cannot be a member');

export const viewSchema = z.object({ vid: z.number().int().positive(), members: z.array(memberIdSchema) });
export type View = z.infer<typeof viewSchema>;

/** The Paxos value of a member list: ids separated by spaces, as in the seed's `done` lines. */
export function encodeMembers(members: readonly NodeId[]): string {
  assert(members.every((m) => m.length > 0 && !/\s/.test(m)), `node ids must be non-empty without spaces: ${members.join('|')}`);
  return members.join(' ');
}

export function decodeMembers(value: string): NodeId[] {
  return value.split(' ').filter((m) => m.length > 0);
}

/**
 * Why `value` cannot be the Paxos value of view `vid`, whose previous view has the members
 * `previous` (undefined for view 1, or if that view is unknown); null if it can. Config only ever
 * proposes view 1 = its founder alone, or the previous view with one new member appended or one
 * member left out (order kept, never empty); the value is encodeMembers' text of it. Anything else
 * came from a forged message: a value with no member in common with the view before it would leave
 * no primary (primaryOf), one with two new members a view whose majority cannot be reached.
 */
export function viewProblem(vid: number, value: string, previous: readonly NodeId[] | undefined): string | null {
  const members = value.split(' ');
  if (vid === 1) return members.length === 1 ? memberProblem(members) : 'view 1 is its founder alone';
  if (previous === undefined) return `view ${vid - 1} is unknown here`;
  // The count first: a forged value of a million ids is refused before any of them is parsed.
  const change = `not view ${vid - 1} {${clip(previous.join(','))}} with one member added or removed`;
  if (Math.abs(members.length - previous.length) !== 1) return change;
  return memberProblem(members) ?? (oneChange(previous, members) ? null : change);
}

/** Why `members` (a value split at its spaces) is no member list: an id that is none (two spaces in a row make an empty one), or one listed twice. */
function memberProblem(members: readonly string[]): string | null {
  const bad = members.find((m) => !memberIdSchema.safeParse(m).success);
  if (bad !== undefined) return `${JSON.stringify(clip(bad))} is not a node id`;
  return new Set(members).size === members.length ? null : 'a member is listed twice';
}

/** Whether `next` is `previous` plus one member at its end, or minus one of its members (order kept). */
function oneChange(previous: readonly NodeId[], next: readonly NodeId[]): boolean {
  if (next.length === previous.length + 1) return previous.every((m, i) => next[i] === m);
  if (next.length !== previous.length - 1) return false;
  const gone = previous.findIndex((m, i) => next[i] !== m);
  return next.every((m, i) => m === previous[i < gone ? i : i + 1]);
}
