// The fault-and-control interface over the simulator: each call is one SimWorld fault or query,
// taking effect at the current virtual instant. Restarting needs the lab, so it goes to the node's
// owner (the SimCluster). It never advances time and never decides anything the seed decides.
import type { BreakpointNumber, NodeId } from '../env/types.js';
import type { SimWorld } from '../env/sim/world.js';
import type { CutScope, DiskFault, DiskFaultResult, DiskFile, FaultControl, FaultStatus, NetFaults, NodeOwner, PartitionState } from './fault-control.js';
import { checkFaultPointName, partitionState } from './fault-control.js';
import { checkDiskFaultTarget } from './disk-fault-target.js';
import { checkServedMethods } from './method-filter.js';
import { checkArmedSite, sitesReport } from './fault-sites.js';
import type { FaultSites } from '../lab.js';

export class SimFaultControl implements FaultControl {
  readonly world = 'sim' as const;

  constructor(
    private readonly sim: SimWorld,
    private readonly lab: string,
    /** Restarts nodes (it has the lab); kill and alive also go through it so it sees every death. */
    private readonly owner: NodeOwner,
    /** The fault sites the lab declares (Lab.sites), once it is loaded: status reports them, and arming one it never reaches is refused. */
    private readonly sites: () => FaultSites | undefined = () => undefined,
  ) {}

  crash(node: NodeId, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    return this.owner.kill(node, signal);
  }

  restart(node: NodeId): Promise<void> {
    return this.owner.restart(node);
  }

  async partition(node: NodeId, now = false, scope: CutScope = 'all'): Promise<PartitionState> {
    if (!now) checkArmedSite({ partitionPoint: true }, this.sites(), this.lab);
    this.sim.partition(node, now, scope === 'peers');
    return this.partitionOf(node);
  }

  async heal(node: NodeId): Promise<PartitionState> {
    this.sim.heal(node);
    return this.partitionOf(node);
  }

  async breakpoint(node: NodeId, n: BreakpointNumber): Promise<{ breakpoints: number[] }> {
    checkArmedSite({ breakpoint: n }, this.sites(), this.lab);
    this.sim.armBreakpoint(node, n);
    return { breakpoints: this.sim.armed(node).breakpoints };
  }

  async faultPoint(node: NodeId, name: string): Promise<{ faultPoints: string[] }> {
    checkFaultPointName(name);
    checkArmedSite({ faultPoint: name }, this.sites(), this.lab);
    this.sim.armFaultPoint(node, name);
    return { faultPoints: this.sim.armed(node).faultPoints };
  }

  async netFaults(node: NodeId, change: Partial<NetFaults>): Promise<NetFaults> {
    // A node down or still starting is not checked: its scenarios name methods by their declarations.
    const filter = change.methods ?? [];
    const served = this.sim.served(node);
    if (filter.length > 0 && served !== undefined) checkServedMethods(filter, served, this.lab);
    return this.sim.setFaults(node, change);
  }

  async diskFault(node: NodeId, fault: DiskFault): Promise<DiskFaultResult> {
    checkDiskFaultTarget(fault, this.filesOf(node));
    return this.sim.diskFault(node, fault);
  }

  async clearDiskFaults(node: NodeId, file?: string): Promise<{ cleared: number }> {
    return { cleared: this.sim.clearDiskFaults(node, file) };
  }

  async diskFiles(node: NodeId): Promise<DiskFile[]> {
    return this.filesOf(node);
  }

  async status(node: NodeId): Promise<FaultStatus> {
    const state = this.sim.netState(node);
    const sites = this.sites();
    return {
      node,
      alive: this.owner.alive(node),
      lab: this.lab,
      pid: null,
      ...partitionState(state),
      ...this.sim.armed(node),
      ...(sites && { sites: sitesReport(sites) }),
      faults: state.faults,
      state: this.sim.status(node),
    };
  }

  /** The node's disk files, now (no await between a check and the fault it checks). */
  private filesOf(node: NodeId): DiskFile[] {
    const disk = this.sim.disk(node);
    return disk.list().map((name) => ({ name, size: disk.size(name) }));
  }

  private partitionOf(node: NodeId): PartitionState {
    return partitionState(this.sim.netState(node));
  }
}
