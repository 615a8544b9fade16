// The test-control plane of one node: a JSON-RPC/WebSocket server on port p+1 (loopback unless
// told otherwise) that partitions, heals, arms breakpoints and fault points, sets link faults,
// injects disk faults and reports status. It is never partitioned or faulted itself, and never runs
// protocol logic. It drives the node through the narrow ControlledNode interface, not a concrete Env.
import type { BreakpointNumber, Json, NodeId } from '../env/types.js';
import type { TraceKind } from '../trace/event.js';
import { RpcServer, type Inbound } from '../env/real/server.js';
import { decodeFrame, encodeError } from '../wire/frame.js';
import { controlPlaneToken, tokenMatches } from './access.js';
import { Dispatcher } from '../wire/dispatch.js';
import { partitionState, type DiskFault, type DiskFaultResult, type DiskFile, type NetFaults } from './fault-control.js';
import { armedDetail, clearedDetail, corruptDetail } from '../env/disk-fault-detail.js';
import { checkDiskFaultTarget } from './disk-fault-target.js';
import { checkServedMethods, uncheckedMethodsWarning } from './method-filter.js';
import { checkArmedSite, sitesReport } from './fault-sites.js';
import type { FaultSites } from '../lab.js';
import * as control from './protocol.js';

/** The fault state of one running node, as the control plane changes it (src/env/real/env.ts implements it). */
export interface ControlledNode {
  readonly me: NodeId;
  readonly links: { readonly partitioned: boolean; readonly partitionArmed: boolean; readonly peersOnly: boolean; readonly faults: NetFaults };
  readonly breakpoints: BreakpointNumber[];
  readonly faultPoints: string[];
  /** Cut now or at the next partitionPoint(); peersOnly: from the other nodes only, clients still reach it. */
  partition(now: boolean, peersOnly: boolean): void;
  heal(): void;
  armBreakpoint(n: BreakpointNumber): void;
  armFaultPoint(name: string): void;
  setFaults(change: Partial<NetFaults>): NetFaults;
  /** The methods and notices its lab serves so far (complete once the lab's start() has returned). */
  served(): string[];
  /** Record what the control plane did in the node's trace. */
  note(kind: TraceKind, detail: Record<string, Json>): void;
}

/** The node's files, as the control plane lists and faults them (src/env/real/faulty-disk.ts implements it). */
export interface ControlledDisk {
  /** Apply (`corrupt`) or arm (every other kind) a disk fault. */
  diskFault(fault: DiskFault): Promise<DiskFaultResult>;
  /** Drop the armed faults and latent errors of one file (every file when absent): how many went. */
  clearFaults(file?: string): Promise<number>;
  files(): Promise<DiskFile[]>;
}

export interface ControlTarget {
  node: ControlledNode;
  disk: ControlledDisk;
  lab: string;
  /** The fault sites the lab declares (Lab.sites): status reports them, and arming one it never reaches is refused. */
  sites: FaultSites;
  /** Whether the lab's start() has returned. */
  started(): boolean;
  /** The lab's LabNode.status(), or null while it is starting. */
  state(): Json;
}

/** CPU microseconds this process has used (user + system). */
function cpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

function controlMethods(target: ControlTarget): Dispatcher {
  const { node, disk } = target;
  const d = new Dispatcher();
  d.addMethod(control.netRepair, ({ heal, now, peersOnly }) => {
    if (!heal && now !== true) checkArmedSite({ partitionPoint: true }, target.sites, target.lab);
    if (heal) node.heal();
    else node.partition(now ?? false, peersOnly ?? false);
    return partitionState(node.links);
  });
  d.addMethod(control.breakpoint, ({ n }) => {
    checkArmedSite({ breakpoint: n }, target.sites, target.lab);
    node.armBreakpoint(n);
    return { breakpoints: node.breakpoints };
  });
  d.addMethod(control.faultPoint, ({ name }) => {
    checkArmedSite({ faultPoint: name }, target.sites, target.lab);
    node.armFaultPoint(name);
    return { faultPoints: node.faultPoints };
  });
  d.addMethod(control.status, () => ({
    node: node.me,
    lab: target.lab,
    pid: process.pid,
    cpu_us: cpuMicros(),
    ...partitionState(node.links),
    breakpoints: node.breakpoints,
    faultPoints: node.faultPoints,
    sites: sitesReport(target.sites),
    faults: node.links.faults,
    started: target.started(),
    state: target.state(),
  }));
  d.addMethod(control.faults, (change) => {
    const filter = change.methods ?? [];
    if (filter.length > 0 && target.started()) checkServedMethods(filter, node.served(), target.lab);
    const settings = node.setFaults(change);
    return filter.length > 0 && !target.started() ? { ...settings, warning: uncheckedMethodsWarning(target.lab) } : settings;
  });
  d.addMethod(control.diskFault, async (fault) => {
    checkDiskFaultTarget(fault, await disk.files());
    const result = await disk.diskFault(fault);
    node.note('disk', fault.kind === 'corrupt' ? corruptDetail(fault, result.corrupted) : armedDetail(fault));
    return result;
  });
  d.addMethod(control.diskClear, async ({ file }) => {
    const cleared = await disk.clearFaults(file);
    // A misspelt name clears nothing: say so (exit 2), as disk-fault does, instead of `cleared: 0`.
    if (file !== undefined && cleared === 0 && !(await disk.files()).some((f) => f.name === file)) throw new Error(`no file '${file}' on this node's disk (disk-files lists them)`);
    node.note('disk', clearedDetail(file, cleared));
    return { cleared };
  });
  d.addMethod(control.diskFiles, async () => ({ files: await disk.files() }));
  return d;
}

/** JSON-RPC error code of a control call without the control plane's token. */
export const UNAUTHORIZED = -32001;

/**
 * Serve the control plane of `target` on host:port (resolves once listening). A non-loopback host
 * needs `token`; with a token, every call must carry it (`?token=` on its connection) or it is
 * answered with UNAUTHORIZED and changes nothing.
 */
export function startControlPlane(target: ControlTarget, host: string, port: number, token?: string): Promise<RpcServer> {
  const required = controlPlaneToken(host, token);
  const dispatcher = controlMethods(target);
  return RpcServer.listen(host, port, (text, inbound) => {
    if (required !== undefined && !tokenMatches(required, inbound.token)) return refuse(text, inbound);
    dispatcher.answer(text, inbound.from, (reply) => inbound.reply(reply));
  });
}

function refuse(text: string, inbound: Inbound): void {
  const frame = decodeFrame(text);
  if (frame.type === 'request') inbound.reply(encodeError(frame.id, UNAUTHORIZED, 'unauthorized: this control plane needs its token (rsmlab ctl --token T)'));
}
