// A view: Paxos instance `vid` and its decided value, the member list in join order. This module
// owns the view's shape and how members travel inside a Paxos value; it never decides views.
import { z } from 'zod';
import { assert } from '../../src/assert.js';
import type { NodeId } from '../../src/env/types.js';
import { isClientId } from '../../src/env/node-id.js';

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
