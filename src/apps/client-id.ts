// A client's id, as the replicated services key their duplicate tables by it (Lab 2's exactly-once
// table, Lab 3's client sessions). It owns the bound and its schema, checked at the wire; it never
// decides what an id means or how a client picks one.
import { z } from 'zod';

/**
 * At most this many UTF-16 units (zod's measure). Every replica keeps each client's id for as long
 * as the service runs, so an unbounded id from one client would grow every replica's table, and its
 * snapshot, by whatever it sent.
 */
export const CLIENT_ID_MAX = 200;

export const clientIdSchema = z.string().min(1).max(CLIENT_ID_MAX);
