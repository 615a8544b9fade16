// The Paxos lab's status JSON (what `status` on the control plane returns for a node): its views
// and its Paxos state. Declared once here so nodes build it and the tester parses it with one
// schema; it never reads a node (labs/paxos/lab.ts builds it).
import { z } from 'zod';
import { viewSchema } from '../config/view.js';
import { propSchema, valueSchema } from './protocol.js';

export const paxosStatusSchema = z.object({
  /** The latest view this node knows (0: none yet), and its members in join order. */
  vid: z.number().int().nonnegative(),
  members: z.array(z.string()),
  /** Primary of view vid by the seed's set_primary rule (labs/config/primary.ts); null before view 1. */
  primary: z.string().nullable(),
  /** Every decided view this node knows: vids 1..vid. */
  views: z.array(viewSchema),
  acceptor: z.object({
    instance_h: z.number().int().nonnegative(),
    n_h: propSchema,
    n_a: propSchema,
    v_a: valueSchema.nullable(),
  }),
  proposer: z.object({ running: z.boolean(), my_n: propSchema }),
  /** Whether the node is trying to join (it is not a member of its latest view). */
  joining: z.boolean(),
});
export type PaxosStatus = z.infer<typeof paxosStatusSchema>;
