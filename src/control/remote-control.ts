// The fault-and-control interface over the real world: a client of each node's control plane
// (port p+1), one short-lived connection per call. Killing and restarting a process belongs to its
// owner (the cluster driver or the dashboard's launcher), given here as a NodeOwner. It never
// reaches a node's protocol port and never keeps connections open.
import { isRpcError, type BreakpointNumber, type NodeId } from '../env/types.js';
import { ErrorCode } from '../wire/frame.js';
import type { Method } from '../env/method.js';
import { controlCall, defaultControlTimeoutMs } from './client.js';
import type { CutScope, DiskFault, DiskFaultResult, DiskFile, FaultControl, FaultStatus, NetFaults, NodeOwner, PartitionState } from './fault-control.js';
import * as control from './protocol.js';

export interface RemoteControlOptions {
  /** Who owns the node processes; without one, crash and restart are refused. */
  owner?: NodeOwner;
  timeoutMs?: number;
  /** For status (polled often; a slow answer counts as down). Default: timeoutMs. */
  statusTimeoutMs?: number;
  /** The control planes' token, when they bind a non-loopback address. */
  token?: string;
  /**
   * Without an owner, a control plane that does not answer status is `alive: false` instead of an
   * error (a dashboard watching a cluster started by hand, whose nodes come and go). `rsmlab ctl`
   * leaves it unset: there dead and unreachable look alike and the caller must hear why.
   */
  silentIsDown?: boolean;
}

export class RemoteFaultControl implements FaultControl {
  readonly world = 'real' as const;
  private readonly owner: NodeOwner | undefined;
  private readonly timeoutMs: number;
  private readonly statusTimeoutMs: number;
  private readonly token: string | undefined;
  private readonly silentIsDown: boolean;

  constructor(options: RemoteControlOptions = {}) {
    this.owner = options.owner;
    this.timeoutMs = options.timeoutMs ?? defaultControlTimeoutMs;
    this.statusTimeoutMs = options.statusTimeoutMs ?? this.timeoutMs;
    this.token = options.token;
    this.silentIsDown = options.silentIsDown === true;
  }

  /** A control plane's refusal (its handler threw: a server error) rejects with the refusal's own words, as the simulator's control does. */
  private call<P, R>(node: NodeId, method: Method<P, R>, params: P): Promise<R> {
    return controlCall(node, method, params, this.timeoutMs, this.token).catch((e: unknown) => {
      throw isRpcError(e, 'remote') && e.code === ErrorCode.server && e.answer !== undefined ? new Error(e.answer) : e;
    });
  }

  private processOwner(what: string): NodeOwner {
    if (this.owner === undefined) throw new Error(`${what} needs the process's owner (the cluster that started it); the control plane cannot ${what} its own process`);
    return this.owner;
  }

  async crash(node: NodeId, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    await this.processOwner('crash').kill(node, signal);
  }

  async restart(node: NodeId): Promise<void> {
    await this.processOwner('restart').restart(node);
  }

  partition(node: NodeId, now = false, scope: CutScope = 'all'): Promise<PartitionState> {
    return this.call(node, control.netRepair, { heal: false, now, ...(scope === 'peers' && { peersOnly: true }) });
  }

  heal(node: NodeId): Promise<PartitionState> {
    return this.call(node, control.netRepair, { heal: true });
  }

  breakpoint(node: NodeId, n: BreakpointNumber): Promise<{ breakpoints: number[] }> {
    return this.call(node, control.breakpoint, { n });
  }

  faultPoint(node: NodeId, name: string): Promise<{ faultPoints: string[] }> {
    return this.call(node, control.faultPoint, { name });
  }

  netFaults(node: NodeId, change: Partial<NetFaults>): Promise<NetFaults> {
    return this.call(node, control.faults, change);
  }

  async diskFault(node: NodeId, fault: DiskFault): Promise<DiskFaultResult> {
    return this.call(node, control.diskFault, fault);
  }

  clearDiskFaults(node: NodeId, file?: string): Promise<{ cleared: number }> {
    return this.call(node, control.diskClear, file === undefined ? {} : { file });
  }

  async diskFiles(node: NodeId): Promise<DiskFile[]> {
    return (await this.call(node, control.diskFiles, {})).files;
  }

  /**
   * With an owner, a node it knows to be dead, or one that does not answer, is `alive: false`; with
   * silentIsDown, one that does not answer is too. Otherwise (`rsmlab ctl`), a silent control plane
   * is an error: dead and unreachable look alike.
   */
  async status(node: NodeId): Promise<FaultStatus> {
    const status = () => controlCall(node, control.status, {}, this.statusTimeoutMs, this.token);
    if (this.owner === undefined && !this.silentIsDown) return { ...(await status()), alive: true };
    if (this.owner !== undefined && !this.owner.alive(node)) return downStatus(node);
    return status().then(
      (s) => ({ ...s, alive: true }),
      (e: unknown) => {
        // Without an owner, a node that answered with an error (unauthorized, say) is up: the caller must hear why.
        if (this.owner === undefined && isRpcError(e, 'remote')) throw e;
        return downStatus(node);
      },
    );
  }
}

function downStatus(node: NodeId): FaultStatus {
  return { node, alive: false, lab: '', pid: null, partitioned: false, partitionArmed: false, breakpoints: [], faultPoints: [], faults: { loss: 0, dup: 0, delayMs: 0 }, state: null };
}
