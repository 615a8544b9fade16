// The live feed's view of a real cluster of node processes: its nodes, its fault-and-control
// interface (the cluster owns the processes, so kill and restart work), and the trace lines its
// nodes and clients append to their files. It reads files only; it never starts or stops anything.
import type { NodeId } from '../env/types.js';
import type { TraceEvent } from '../trace/event.js';
import type { RealCluster } from '../../tester/real-cluster.js';
import type { LiveSource } from './live.js';
import { TraceTail, clusterTraceFiles } from './trace-tail.js';

export class RealLiveSource implements LiveSource {
  readonly world = 'real' as const;
  readonly nodes: NodeId[];
  private readonly tail: TraceTail;

  constructor(
    private readonly cluster: RealCluster,
    count: number,
    readonly title: string,
  ) {
    this.nodes = Array.from({ length: count }, (_, i) => cluster.id(i));
    this.tail = new TraceTail(() => clusterTraceFiles(cluster.dir));
  }

  get control(): RealCluster['control'] {
    return this.cluster.control;
  }

  events(): TraceEvent[] {
    return this.tail.poll();
  }
}
