// What a lab is to the framework: a factory that builds one node's protocol stack on an Env.
// The framework starts, kills and restarts nodes and asks them for status; it never reaches
// into a lab's state any other way.
import { isLabErrorSink, type BreakpointNumber, type Env, type Json, type NodeId } from './env/types.js';
import type { Timing } from './timing.js';

/** How both worlds name a rejection lab code left unhandled: a real node dies of it, a simulated run fails. */
export const UNHANDLED_REJECTION = 'unhandled rejection in lab code (a promise nobody awaited or caught; a real node dies of it)';

/**
 * Run a lab's background loop (one nobody awaits, as the seed's threads were): a throw from the lab
 * code it calls (a student's TODO, say) is the lab error it is, reported with where it happened,
 * never an 'unhandled rejection' blamed on a promise the student never made.
 */
export function inBackground(env: Env, where: string, loop: Promise<void>): void {
  loop.catch((e: unknown) => {
    if (!isLabErrorSink(env)) throw e;
    env.labThrew(where, e);
  });
}

export interface LabOptions {
  /** The node to join through (the seed's "master"); a node whose first is itself founds view 1. */
  first: NodeId;
  timing: Timing;
  /** Which replicated app the RSM lab runs ('kv' or 'lock'); ignored by labs without one. */
  app?: string;
  /**
   * The fixed replica set, in replica-index order (labs with a static configuration, e.g. VSR).
   * Both cluster drivers and `rsmlab node --replicas` fill it; labs with dynamic views ignore it.
   */
  replicas?: NodeId[];
  /** This node's index in `replicas` (replicas[index] === env.me). Set whenever replicas is. */
  index?: number;
  /**
   * Engine limits for the VSR labs (`rsmlab node --pipeline-max/--batch-max`): each one given
   * overrides the lab's own default; labs without an engine ignore them.
   */
  engine?: EngineLimits;
}

/** A VSR replica's pipeline and batching limits (see labs/vsr/state.ts, VsrConfig), and Lab 4's ring size. */
export interface EngineLimits {
  pipeline_max?: number;
  batch_max?: number;
  /**
   * Lab 4: the journal ring's slots (default JOURNAL_SHAPE's), for a scenario on a small ring that
   * wraps within a short run. A scenario asks for it here, not by a lab of its own, so that every lab
   * it runs (a mutant, a student's) runs on that ring. Simulator only: `rsmlab node` has no flag for it.
   */
  slot_count?: number;
}

export interface LabNode {
  /** A JSON snapshot for the control plane's `status` and the tester's checks. Never blocks. */
  status(): Json;
}

/** The fault sites a lab's code reaches: env.breakpoint(n), env.partitionPoint(), env.faultPoint(name). */
export interface FaultSites {
  readonly breakpoints: readonly BreakpointNumber[];
  readonly partitionPoint: boolean;
  readonly faultPoints: readonly string[];
}

/** Fault sites from those a lab reaches; each one left out it never reaches (faultSites(): none at all). */
export function faultSites(reached: Partial<FaultSites> = {}): FaultSites {
  return { breakpoints: reached.breakpoints ?? [], partitionPoint: reached.partitionPoint ?? false, faultPoints: reached.faultPoints ?? [] };
}

/** `inner`'s lab under another start(): a wrapper (a test's bent disk or network) reaches what the lab it runs reaches. */
export function wrapping(inner: Lab, start: Lab['start']): Lab {
  return { name: inner.name, sites: inner.sites, start };
}

export interface Lab {
  readonly name: string;
  /** The fault sites its code reaches: both worlds' control refuse to arm one it never reaches, and report them in status. */
  readonly sites: FaultSites;
  /**
   * Build the node on `env`: read its disk, register its handlers, start its timers.
   * Called at first start and at every restart (same disk, fresh memory).
   */
  start(env: Env, options: LabOptions): Promise<LabNode>;
}
