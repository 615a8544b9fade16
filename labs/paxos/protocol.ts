// The Paxos messages (the seed's paxos_protocol.h): prepare, accept and decide, declared once
// with their zod schemas, plus proposal numbers and their order. It never holds state and never
// sends anything; the wire boundary validates every message against these schemas.
import { z } from 'zod';
import { method } from '../../src/env/method.js';
import { compareNodeIds } from '../../src/env/node-id.js';

/** A round no cluster reaches by counting up one a round: one past it is forged, and refused at the wire. */
export const PROP_N_MAX = 2 ** 40;
/** A proposal number (the seed's prop_t): round n, made unique by the proposer's node id m. */
export const propSchema = z.object({ n: z.number().int().nonnegative().max(PROP_N_MAX, 'a proposal number past 2^40 is forged'), m: z.string() });
export type Prop = z.infer<typeof propSchema>;

/** Order proposals by n, then by node id (compareNodeIds). Negative if a < b. */
export function compareProps(a: Prop, b: Prop): number {
  return a.n !== b.n ? a.n - b.n : compareNodeIds(a.m, b.m);
}

/**
 * A Paxos value: opaque to Paxos, but never empty. Config stores a view's member list in it, and a
 * view has at least one member: an empty value decided would leave every node in a view of nobody.
 */
export const valueSchema = z.string().min(1, 'a Paxos value is never empty (it holds a view\'s members)');

export const prepareArgs = z.object({ instance: z.number().int().positive(), n: propSchema });
export type PrepareArgs = z.infer<typeof prepareArgs>;

/**
 * The acceptor's answer to prepare. `oldinstance`: the instance is already decided here, and v_a
 * is its decided value. Otherwise `accept` says whether n was above n_h; if so, n_a/v_a are what
 * this acceptor accepted in the instance so far (v_a null: nothing yet). A refusal may carry the
 * acceptor's n_h (not in the yfs seed): the proposer's next n goes above it at once, not one step
 * per failed round (a node back from a long outage, whose peers' n_h ran on meanwhile).
 */
export const prepareRes = z.object({
  oldinstance: z.boolean(),
  accept: z.boolean(),
  n_a: propSchema,
  v_a: valueSchema.nullable(),
  n_h: propSchema.optional(),
});
export type PrepareRes = z.infer<typeof prepareRes>;

export const acceptArgs = z.object({ instance: z.number().int().positive(), n: propSchema, v: valueSchema });
export type AcceptArgs = z.infer<typeof acceptArgs>;

export const decideArgs = z.object({ instance: z.number().int().positive(), v: valueSchema });
export type DecideArgs = z.infer<typeof decideArgs>;

export const paxosPrepare = method('paxos.prepare', prepareArgs, prepareRes);
/** true: accepted (n >= n_h). */
export const paxosAccept = method('paxos.accept', acceptArgs, z.boolean());
export const paxosDecide = method('paxos.decide', decideArgs, z.null());
