// The Config module's messages: the heartbeat (the seed's paxos_protocol::heartbeat) and Lab 1's
// join request to the first node. Declared once with zod schemas; no state, no sending here.
import { z } from 'zod';
import { method } from '../../src/env/method.js';
import { memberIdSchema, viewSchema } from './view.js';

/** "I am in view vid": ok if the receiver agrees (or is mid-change, one view apart). */
export const configHeartbeat = method(
  'config.heartbeat',
  z.object({ vid: z.number().int().nonnegative() }),
  z.object({ ok: z.boolean(), vid: z.number().int().nonnegative() }),
);

/** Lab 1's join: ask the first node to add `node`; the reply is every view the first node knows. */
export const configJoin = method(
  'config.join',
  z.object({ node: memberIdSchema }),
  z.object({ views: z.array(viewSchema) }),
);
