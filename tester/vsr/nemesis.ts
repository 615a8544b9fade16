// The VOPR's nemesis: at each of its steps it draws, from the seed's fault stream (ScenarioContext.faults,
// never the workload's), whether to crash or restart a replica and whether to cut or heal the network,
// as the seed's swarm rates say. Every fault decision is one draw in this one place, but for the power
// cuts' steps (drawn with the swarm). It keeps at most f replicas down, so the cluster can always
// recover, except in a power cut (all down at once, all back at once: their superblocks and logs must
// bring the cluster back). It never checks anything (the state checker and the scenario do).
import type { NodeId } from '../../src/env/types.js';
import type { Cluster } from '../cluster.js';
import { SimCluster } from '../sim-cluster.js';
import type { Swarm } from './swarm.js';

/** What the nemesis acts through: the scenario's own crash and restart, which keep the state checker informed. */
export interface NemesisHooks {
  note(message: string): void;
  crash(index: number): Promise<void>;
  restart(index: number): Promise<void>;
  /** Whether a live replica is still recovering (it counts as failed: it answers no one yet). */
  recovering(index: number): Promise<boolean>;
}

export class Nemesis {
  private cut = false;
  private readonly down = new Set<number>();
  /** Steps taken so far. */
  private steps = 0;

  constructor(
    private readonly cluster: Cluster,
    private readonly replicas: number,
    private readonly swarm: Swarm,
    /** The seed's fault stream: the load's draws never shift it. */
    private readonly random: () => number,
    private readonly hooks: NemesisHooks,
  ) {}

  /** f: how many replicas may be down at once. */
  private get faultsAllowed(): number {
    return Math.floor((this.replicas - 1) / 2);
  }

  private chance(p: number): boolean {
    return p > 0 && this.random() < p;
  }

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }

  /**
   * Replicas down or still recovering. VR's recovery needs f+1 normal replicas to answer, so the
   * nemesis never fails more than f at once: beyond that the cluster may stall for good (not a bug).
   */
  async failed(): Promise<number[]> {
    const failed: number[] = [];
    for (let i = 0; i < this.replicas; i++) if (this.down.has(i) || (await this.hooks.recovering(i))) failed.push(i);
    return failed;
  }

  /**
   * One nemesis step: each decision is one draw; at a step of the swarm's powerCuts, a power cut
   * instead. A live replica's crash is drawn even when f are already failed (and then not done), so
   * how many draws a step takes never depends on how fast the cluster recovers.
   */
  async step(): Promise<void> {
    if (this.swarm.powerCuts.includes(this.steps++)) return this.powerCut();
    let failed = (await this.failed()).length;
    for (let i = 0; i < this.replicas; i++) {
      if (this.down.has(i)) {
        if (this.chance(this.swarm.restartRate)) await this.restart(i);
      } else if (this.chance(this.swarm.crashRate) && failed < this.faultsAllowed) {
        await this.crash(i);
        failed++;
      }
    }
    if (this.swarm.partition === 'none') return;
    if (this.cut ? this.chance(this.swarm.healRate) : this.chance(this.swarm.partitionRate)) await (this.cut ? this.heal() : this.partition());
  }

  /**
   * Every live replica crashes at once, with whatever writes it has in flight; then all restart, on a
   * whole network (a crash ends a node's isolation anyway: healing says so, and lets the next cut be drawn).
   */
  private async powerCut(): Promise<void> {
    this.hooks.note('power cut: every replica at once');
    for (let i = 0; i < this.replicas; i++) if (!this.down.has(i)) await this.crash(i);
    for (let i = 0; i < this.replicas; i++) await this.restart(i);
    if (this.cut) await this.heal();
  }

  async crash(index: number): Promise<void> {
    await this.hooks.crash(index);
    this.down.add(index);
  }

  async restart(index: number): Promise<void> {
    await this.hooks.restart(index);
    this.down.delete(index);
  }

  /** Cut the network as the swarm says; only whole-node isolation exists outside the simulator. */
  private async partition(): Promise<void> {
    const sim = this.cluster instanceof SimCluster ? this.cluster.sim : undefined;
    const ids: NodeId[] = Array.from({ length: this.replicas }, (_, i) => this.cluster.id(i));
    const mode = sim === undefined ? 'isolate' : this.swarm.partition;
    this.cut = true;
    if (mode === 'isolate' || sim === undefined) {
      const victim = this.pick(ids.map((_, i) => i).filter((i) => !this.down.has(i)));
      this.hooks.note(`partition: isolate p${victim}`);
      return this.cluster.partition(victim, true);
    }
    if (mode === 'symmetric') {
      const side = ids.filter(() => this.random() < 0.5);
      const other = ids.filter((id) => !side.includes(id));
      this.hooks.note(`partition: {${side.join(',')}} | {${other.join(',')}}`);
      return sim.split([side, other]);
    }
    const from = this.pick(ids);
    const to = this.pick(ids.filter((id) => id !== from));
    this.hooks.note(`partition: one way ${from} -> ${to}`);
    sim.block(from, to);
  }

  async heal(): Promise<void> {
    this.hooks.note('heal the network');
    this.cut = false;
    if (this.cluster instanceof SimCluster) return this.cluster.sim.healAll();
    for (let i = 0; i < this.replicas; i++) if (this.cluster.alive(i)) await this.cluster.heal(i);
  }

  /** Replicas the nemesis has crashed and not restarted. */
  isDown(index: number): boolean {
    return this.down.has(index);
  }
}
