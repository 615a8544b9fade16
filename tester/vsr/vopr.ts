// The VOPR (TigerBeetle's Viewstamped Operation Replicator): one seed, one swarm of fault rates, 3
// replicas and 200 client requests. A safety phase runs the load under the swarm's loss,
// duplication, delays, partitions, crashes and power cuts, with the state checker after every step; then a
// liveness phase heals a quorum core (the others stay down) and the core must converge within a
// bound counted in ticks, the load must finish, and its history must be linearizable. Lab 4 runs
// it with storage faults too (VoprStorage): sector faults inside the scenario's fault atlas during
// the safety phase, its storage checks after every nemesis step and at the end.
import { SimCluster, simOf } from '../sim-cluster.js';
import { Nemesis, type NemesisHooks } from './nemesis.js';
import type { NetFaults } from '../cluster.js';
import type { VsrRun } from './observer.js';
import { describeStorageSwarm, describeSwarm, drawStorageSwarm, drawSwarm, POWER_CUT_STEPS, type Swarm } from './swarm.js';
import { assert } from '../../src/assert.js';

/** Lab 4's storage faults in the VOPR (simulator only). */
export interface VoprStorage {
  /**
   * Checks of the replicas' storage against what they believe (tester/par/journal-check.ts), after
   * every nemesis step and (`final`: the costlier full checks too) at the end.
   */
  check(run: VsrRun, final?: boolean): void;
  /** What the checks covered, noted at the end. */
  summary(): string;
}

export const VOPR = {
  replicas: 3,
  /** Seeds per seed asked for: `rsmlab test vsr` (200 seeds by default) runs 1,000 VOPR seeds. */
  seedFactor: 5,
  requests: 200,
  /** The nemesis acts every this many ticks during the safety phase... */
  nemesisEveryTicks: 10,
  /** ...for between these many of its steps (drawn per seed). */
  safetySteps: [10, 60] as const,
  /**
   * Once the load is done after the heal, the core converges within this many ticks: about 10x the
   * slowest of 1,100 reference seeds (Lab 3 and Lab 4: half converged at once, 99% within 3 ticks,
   * the slowest in 28), so a protocol that recovers only by luck or by heartbeats fails it.
   */
  livenessTicks: 300,
};

/**
 * Outside the simulator, the link faults of the phase (the swarm's, then none) are each node's own:
 * a restarted replica is a new process without any, so the nemesis gives them back (`restarted`).
 */
class RealNet {
  private faults: NetFaults = {};

  constructor(private readonly run: VsrRun) {}

  async apply(faults: NetFaults): Promise<void> {
    this.faults = faults;
    for (const i of this.run.all) if (this.run.cluster.alive(i)) await this.run.cluster.faults(i, faults);
  }

  async restarted(index: number): Promise<void> {
    await this.run.cluster.faults(index, this.faults);
    this.run.note(`${this.run.name(index)} has its link faults back: ${JSON.stringify(this.faults)}`);
  }
}

/** The network of the safety phase: in the simulator for every link, elsewhere on every node's links. */
async function applyNet(run: VsrRun, swarm: Swarm, real: RealNet): Promise<void> {
  const { cluster } = run;
  if (cluster instanceof SimCluster) {
    cluster.sim.configureNet({ minDelayMs: swarm.minDelayMs, maxDelayMs: swarm.maxDelayMs, loss: swarm.loss, dup: swarm.dup });
    cluster.sim.setDiskFaults({ unsyncedKept: swarm.unsyncedKept, torn: swarm.torn });
    return;
  }
  // A message crosses two nodes' link faults in the real world: halve the rates to keep the swarm's.
  await real.apply({ loss: swarm.loss / 2, dup: swarm.dup / 2, delayMs: swarm.maxDelayMs });
}

/** The liveness phase's network: no loss or duplication, short delays, no cuts. */
async function calmNet(run: VsrRun, real: RealNet): Promise<void> {
  const { cluster } = run;
  if (cluster instanceof SimCluster) {
    cluster.sim.healAll();
    cluster.sim.configureNet({ loss: 0, dup: 0, minDelayMs: 1, maxDelayMs: 10 });
    return;
  }
  await real.apply({ loss: 0, dup: 0, delayMs: 0 });
}

/** The run's own hooks for the nemesis, but outside the simulator a restarted replica gets its link faults back. */
function nemesisHooks(run: VsrRun, real: RealNet): NemesisHooks {
  const sim = run.cluster instanceof SimCluster;
  return {
    note: (message) => run.note(message),
    crash: (index) => run.crash(index),
    recovering: (index) => run.recovering(index),
    restart: async (index) => {
      await run.restart(index);
      if (!sim) await real.restarted(index);
    },
  };
}

/**
 * Sector faults at the seed's rates, inside the scenario's atlas; with none left to draw (the
 * liveness phase: TB switches faults off on healthy replicas) what is damaged stays damaged.
 */
function applyStorageFaults(run: VsrRun, on: boolean): void {
  const sim = simOf(run);
  const rates = on ? drawStorageSwarm(run.ctx.seed) : { readCorrupt: 0, latent: 0, writeCorrupt: 0, misdirect: 0, lostWrite: 0 };
  if (on) run.note(describeStorageSwarm(rates));
  sim.setDiskFaults(rates);
}

/**
 * How much work a VOPR seed does: its client requests, and the range its safety phase's nemesis
 * steps are drawn from; `clients` (default: the swarm's draw) and `thinkTicks` (default 4) make
 * a denser load (the batched VOPR: enough writes at once to fill the pipeline).
 */
export interface VoprShape {
  requests: number;
  safetySteps: readonly [number, number];
  clients?: number;
  thinkTicks?: number;
}

/** One VOPR seed (Lab 4's small-ring VOPR gives a bigger `shape`: its nemesis acts while the ring wraps several times). */
export async function vopr(run: VsrRun, storage?: VoprStorage, shape: VoprShape = VOPR): Promise<void> {
  const swarm = drawSwarm(run.ctx.seed);
  run.note(`swarm: ${describeSwarm(swarm)}`);
  await run.startAll();
  const real = new RealNet(run);
  await applyNet(run, swarm, real);
  if (storage) applyStorageFaults(run, true);
  const clients = shape.clients ?? swarm.clients;
  run.startLoad({ clients, ops: Math.ceil(shape.requests / clients), thinkTicks: shape.thinkTicks ?? 4 });
  // Every fault choice comes from the seed's fault stream, the load's from its workload stream: a
  // change to the load's draws leaves the fault schedule where it was. The safety phase's length and
  // the liveness core are drawn first, so how many steps the load lets the nemesis take moves neither.
  const [lo, hi] = shape.safetySteps;
  assert(lo >= POWER_CUT_STEPS, () => `vopr: a safety phase of ${lo} steps may end before its power cuts`);
  const steps = lo + Math.floor(run.ctx.faults() * (hi - lo + 1));
  const drawn = run.all.filter(() => run.ctx.faults() < 0.5);
  const nemesis = new Nemesis(run.cluster, run.n, swarm, run.ctx.faults, nemesisHooks(run, real));
  for (let s = 0; s < steps && !run.loadFinished; s++) {
    await run.sleepTicks(VOPR.nemesisEveryTicks);
    await nemesis.step();
    storage?.check(run);
  }
  // Liveness: a quorum core (drawn above), restarted and healed; the others stay down. A replica that is
  // down or recovering needs f+1 normal ones to answer its recovery, so then the core is everyone.
  const failed = await nemesis.failed();
  for (const i of run.all) if (drawn.length < run.quorum && !drawn.includes(i)) drawn.push(i);
  // With storage faults every replica: an op's only intact copy may be on any one of them.
  const core = failed.length > 0 || storage ? run.all : drawn.sort((a, b) => a - b);
  run.note(`liveness: core ${core.map((i) => run.name(i)).join(',')}`);
  await nemesis.heal();
  await calmNet(run, real);
  if (storage) applyStorageFaults(run, false);
  for (const i of run.all) {
    if (!core.includes(i) && run.cluster.alive(i)) await run.crash(i);
    if (core.includes(i) && !run.cluster.alive(i)) await nemesis.restart(i);
  }
  await run.finish(core, VOPR.livenessTicks);
  if (storage) {
    storage.check(run, true);
    run.note(storage.summary());
  }
}
