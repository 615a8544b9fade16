// The live feed's view of a real cluster of node processes: its nodes, its fault-and-control
// interface (the cluster owns the processes, so kill and restart work), and the trace lines its
// nodes and clients append to their files. It reads files only; it never starts or stops anything.
import type { NodeId } from '../env/types.js';
import type { TraceEvent } from '../trace/event.js';
import type { RealCluster } from '../../tester/real-cluster.js';
import type { LiveSource } from './live.js';
import { join } from 'node:path';
import { TraceTail } from './trace-tail.js';

export class RealLiveSource implements LiveSource {
  readonly world = 'real' as const;
  readonly nodes: NodeId[];
  private readonly tail: TraceTail;
  /** Client trace files whose env is closed, followed until read to their end (their position is kept: a few bytes each). */
  private readonly draining = new Set<string>();
  /** The client trace files of open envs, as of the last look. */
  private open = new Set<string>();
  /** How many files the last look listed. */
  private listed = 0;

  constructor(
    private readonly cluster: RealCluster,
    count: number,
    readonly title: string,
    /** LiveSource.clientless: why this cluster has no client load, when it has none. */
    readonly clientless?: string,
  ) {
    this.nodes = Array.from({ length: count }, (_, i) => cluster.id(i));
    // Only the files still written to: every node's, and the open client envs' (rsmlab start's load
    // makes ~40 a minute and closes them round by round). Listing every file the clients/ folder ever
    // got would stat thousands of finished files on each tick of an hour-long run.
    const nodeFiles = this.nodes.map((_, i) => join(cluster.nodeDir(i), 'trace.jsonl'));
    this.tail = new TraceTail(() => {
      const { open, closed } = cluster.clientTraceFiles();
      for (const file of closed) this.draining.add(file);
      this.open = new Set(open);
      const files = [...nodeFiles, ...new Set([...open, ...this.draining])];
      this.listed = files.length;
      return files;
    });
  }

  get control(): RealCluster['control'] {
    return this.cluster.control;
  }

  events(): TraceEvent[] {
    const events = this.tail.poll();
    for (const file of this.draining) {
      if (this.open.has(file) || this.tail.readToEnd(file)) this.draining.delete(file); // (open: a new env of the same name writes it)
    }
    return events;
  }

  /** How many trace files the last look read (for tests): the nodes', the open client envs' and those still draining. */
  get following(): number {
    return this.listed;
  }
}
