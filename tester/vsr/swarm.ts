// The VOPR's swarm parameters: one seed draws one set of fault rates (TigerBeetle's options_swarm),
// so a thousand seeds cover calm runs, lossy ones, partitioned ones and crash-heavy ones. It only
// draws numbers from its own stream of the seed; it never touches a cluster (tester/vsr/vopr.ts does).
import { Prng, streamSeed } from '../../src/random.js';

/** How the network is cut during the safety phase. */
export type PartitionMode = 'none' | 'isolate' | 'symmetric' | 'asymmetric';
export const partitionModes: readonly PartitionMode[] = ['none', 'isolate', 'symmetric', 'asymmetric'];

export interface Swarm {
  /** Every message's delay is uniform in [minDelayMs, maxDelayMs]. */
  minDelayMs: number;
  maxDelayMs: number;
  /** Probability that a message is lost / delivered twice (each copy delayed on its own). */
  loss: number;
  dup: number;
  partition: PartitionMode;
  /** Per nemesis step: chance of cutting the network (as `partition` says) if it is whole, and of healing it if cut. */
  partitionRate: number;
  healRate: number;
  /** Per nemesis step and live replica: chance that it crashes (never more than f down at once). */
  crashRate: number;
  /** Per nemesis step and crashed replica: chance that it restarts. */
  restartRate: number;
  /** At a crash: chance that each unsynced write reached the medium anyway, and that the last one is torn. */
  unsyncedKept: number;
  torn: number;
  /** Concurrent clients; together they send the run's requests. */
  clients: number;
  /**
   * The nemesis steps (0-based, ascending) at which the power fails on every replica at once, with
   * writes in flight: each live replica crashes (its unsynced writes kept, lost or torn as above) and
   * all restart together. Most seeds have none.
   */
  powerCuts: number[];
}

/** A stream of its own, so the swarm of a seed never shifts the world's draws (same seed, same world). */
const SWARM_STREAM = 0x5a4d;

/** Uniform in [lo, hi), rounded to 3 decimals so the swarm prints readably. */
function between(prng: Prng, lo: number, hi: number): number {
  return Math.round((lo + prng.float() * (hi - lo)) * 1000) / 1000;
}

/** Some seeds get none of a fault at all: calm runs must pass too, and they reach the deeper code paths. */
function sometimes(prng: Prng, p: number, draw: () => number): number {
  return prng.chance(p) ? draw() : 0;
}

/** The swarm of `seed`: loss 0-30%, duplication 0-40%, delays up to 40 ms, partitions of each kind, crashes. */
export function drawSwarm(seed: number): Swarm {
  const prng = new Prng((seed * 0x9e37 + SWARM_STREAM) % Number.MAX_SAFE_INTEGER);
  const minDelayMs = prng.int(1, 5);
  const maxDelayMs = minDelayMs + prng.int(0, 35);
  return {
    minDelayMs,
    maxDelayMs,
    loss: sometimes(prng, 0.7, () => between(prng, 0, 0.3)),
    dup: sometimes(prng, 0.6, () => between(prng, 0, 0.4)),
    partition: partitionModes[prng.int(0, partitionModes.length - 1)]!,
    partitionRate: between(prng, 0.02, 0.2),
    healRate: between(prng, 0.1, 0.5),
    crashRate: sometimes(prng, 0.7, () => between(prng, 0.005, 0.06)),
    restartRate: between(prng, 0.05, 0.4),
    unsyncedKept: sometimes(prng, 0.5, () => between(prng, 0, 1)),
    torn: sometimes(prng, 0.5, () => between(prng, 0, 0.5)),
    clients: prng.int(2, 8),
    powerCuts: drawPowerCuts(seed),
  };
}

/** Power cuts fall within the first this many nemesis steps: every seed's safety phase takes at least as many (VOPR.safetySteps). */
export const POWER_CUT_STEPS = 10;

/**
 * A quarter of the seeds get one or two power cuts within the safety phase's first POWER_CUT_STEPS
 * nemesis steps. Drawn from a stream of their own, so adding them shifted none of a seed's other draws.
 */
function drawPowerCuts(seed: number): number[] {
  const prng = new Prng(streamSeed(seed, 'vopr:power-cuts'));
  if (!prng.chance(0.25)) return [];
  const steps = Array.from({ length: prng.int(1, 2) }, () => prng.int(0, POWER_CUT_STEPS - 1));
  return [...new Set(steps)].sort((a, b) => a - b);
}

export function describeSwarm(s: Swarm): string {
  return `delay ${s.minDelayMs}-${s.maxDelayMs} ms, loss ${s.loss}, dup ${s.dup}, partitions ${s.partition} (cut ${s.partitionRate}, heal ${s.healRate}), crash ${s.crashRate}, restart ${s.restartRate}, unsynced kept ${s.unsyncedKept}, torn ${s.torn}, ${s.clients} clients${s.powerCuts.length > 0 ? `, power cuts at steps ${s.powerCuts.join(',')}` : ''}`;
}

/** Lab 4's storage faults: per-operation rates of each sector fault kind (within the scenario's fault atlas). */
export interface StorageSwarm {
  readCorrupt: number;
  /** Of the read corruptions, the fraction that are latent (every read until a write heals the sector). */
  latent: number;
  writeCorrupt: number;
  misdirect: number;
  lostWrite: number;
}

/** A stream of its own: a seed's network swarm is the same with or without storage faults. */
const STORAGE_STREAM = 0x5d15c;

/** TigerBeetle's VOPR: reads and writes each corrupt at 0-9%; misdirected and lost writes (HEAD's additions) rarer. */
export function drawStorageSwarm(seed: number): StorageSwarm {
  const prng = new Prng((seed * 0x9e37 + STORAGE_STREAM) % Number.MAX_SAFE_INTEGER);
  return {
    readCorrupt: sometimes(prng, 0.8, () => between(prng, 0, 0.09)),
    latent: between(prng, 0, 1),
    writeCorrupt: sometimes(prng, 0.8, () => between(prng, 0, 0.09)),
    misdirect: sometimes(prng, 0.5, () => between(prng, 0, 0.03)),
    lostWrite: sometimes(prng, 0.5, () => between(prng, 0, 0.03)),
  };
}

export function describeStorageSwarm(s: StorageSwarm): string {
  return `disk: read corrupt ${s.readCorrupt} (latent ${s.latent}), write corrupt ${s.writeCorrupt}, misdirect ${s.misdirect}, lost write ${s.lostWrite}`;
}
