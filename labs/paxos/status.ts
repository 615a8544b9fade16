// The Paxos lab's status JSON (what `status` on the control plane returns for a node): its views
// and its Paxos state. Declared once here so nodes build it and the tester parses it with one
// schema; it never reads a node (labs/paxos/lab.ts builds it).
import { z } from 'zod';
import { viewSchema } from '../config/view.js';
import { propSchema, valueSchema } from './protocol.js';

/** A value the acceptor refused as impossible for its instance (labs/paxos/acceptor.ts, ValueCheck): in which phase, the value (clipped), and why. */
export const dropSchema = z.object({ phase: z.enum(['accept', 'decide']), instance: z.number().int().positive(), v: z.string(), reason: z.string() });
export type Drop = z.infer<typeof dropSchema>;

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
  /** The last value the acceptor refused (a paxos.drop of the trace), or null: none since the node started. */
  dropped: dropSchema.nullable(),
  /** Whether the node is trying to join (it is not a member of its latest view). */
  joining: z.boolean(),
});
export type PaxosStatus = z.infer<typeof paxosStatusSchema>;
