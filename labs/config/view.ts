// A view: Paxos instance `vid` and its decided value, the member list in join order. This module
// owns the view's shape and how members travel inside a Paxos value; it never decides views.
import { z } from 'zod';
import { assert } from '../../src/assert.js';
import type { NodeId } from '../../src/env/types.js';

export const viewSchema = z.object({ vid: z.number().int().positive(), members: z.array(z.string()) });
export type View = z.infer<typeof viewSchema>;

/** The Paxos value of a member list: ids separated by spaces, as in the seed's `done` lines. */
export function encodeMembers(members: readonly NodeId[]): string {
  assert(members.every((m) => m.length > 0 && !/\s/.test(m)), `node ids must be non-empty without spaces: ${members.join('|')}`);
  return members.join(' ');
}

export function decodeMembers(value: string): NodeId[] {
  return value.split(' ').filter((m) => m.length > 0);
}
