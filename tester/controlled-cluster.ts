// What both worlds' clusters do alike, by node index: the fault and status calls, each the
// FaultControl call on that node's id (the simulator's, or a real node's control plane), and a
// restart from the control interface, which joins through the node it last joined through. It owns
// no node: the world's cluster names, starts and kills them.
import type { DiskFault, DiskFaultResult } from '../src/env/disk-faults.js';
import type { CutScope, FaultControl } from '../src/control/fault-control.js';
import type { Json, NodeId } from '../src/env/types.js';
import type { NetFaults, StartOptions } from './cluster.js';

export abstract class ControlledCluster {
  abstract readonly control: FaultControl;
  /** The node each index last joined through. */
  private readonly firsts = new Map<number, number>();

  abstract id(index: number): NodeId;
  abstract indexOf(id: NodeId): number;
  abstract start(index: number, options?: StartOptions): Promise<void>;

  /** Note the node `index` joins through (a world's start calls it). */
  protected joinsThrough(index: number, options: StartOptions): void {
    this.firsts.set(index, options.first ?? 0);
  }

  /** Start node `id` again the way it last joined (the control interface's restart). */
  protected restartAsBefore(id: NodeId): Promise<void> {
    const index = this.indexOf(id);
    return this.start(index, { first: this.firsts.get(index) ?? 0 });
  }

  async breakpoint(index: number, n: 1 | 2 | 3 | 4): Promise<void> {
    await this.control.breakpoint(this.id(index), n);
  }

  async partition(index: number, now = false, scope: CutScope = 'all'): Promise<void> {
    await this.control.partition(this.id(index), now, scope);
  }

  async heal(index: number): Promise<void> {
    await this.control.heal(this.id(index));
  }

  async faults(index: number, faults: NetFaults): Promise<void> {
    await this.control.netFaults(this.id(index), faults);
  }

  diskFault(index: number, fault: DiskFault): Promise<DiskFaultResult> {
    return this.control.diskFault(this.id(index), fault);
  }

  async status(index: number): Promise<Json | null> {
    return (await this.control.status(this.id(index))).state;
  }
}
