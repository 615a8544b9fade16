// The live feed's view of a simulated run: its nodes, its fault-and-control interface (the
// SimCluster's, so a fault from the page lands in the run at the current virtual instant and in its
// trace), and the trace lines it recorded since the last look. It never advances virtual time.
import type { Json, NodeId } from '../env/types.js';
import { parseTrace } from '../trace/reader.js';
import type { TraceEvent } from '../trace/event.js';
import type { SimCluster } from '../../tester/sim-cluster.js';
import type { FaultControl } from '../control/fault-control.js';
import type { LiveSource } from './live.js';

export class SimLiveSource implements LiveSource {
  readonly world = 'sim' as const;
  private cluster: SimCluster | undefined;
  private read = 0;
  /** Why the run is over ('PASS' or 'FAIL: …'), once it is. */
  over: string | null = null;

  constructor(
    readonly title: string,
    readonly nodes: readonly NodeId[],
    private readonly playerState: () => Json,
  ) {}

  player(): Json {
    return this.playerState();
  }

  attach(cluster: SimCluster): void {
    this.cluster = cluster;
  }

  private get live(): SimCluster {
    if (this.cluster === undefined) throw new Error('the simulated run has not started yet');
    return this.cluster;
  }

  now(): number {
    return this.cluster?.sim.now ?? 0;
  }

  get control(): FaultControl {
    return this.live.control;
  }

  events(): TraceEvent[] {
    if (this.cluster === undefined || this.over) return [];
    const text = this.cluster.sim.trace.jsonl();
    const fresh = text.slice(this.read);
    const end = fresh.lastIndexOf('\n') + 1;
    this.read += end;
    return parseTrace(fresh.slice(0, end));
  }
}
