// The test-control plane of one node: a JSON-RPC/WebSocket server on port p+1 (loopback unless
// told otherwise) that partitions, heals, arms breakpoints, sets link faults, corrupts disk bytes
// and reports status. It is never partitioned or faulted itself, and never runs protocol logic.
import type { Json } from '../env/types.js';
import type { RealEnv } from '../env/real/env.js';
import type { RealDisk } from '../env/real/disk.js';
import { RpcServer } from '../env/real/server.js';
import { Dispatcher } from '../wire/dispatch.js';
import * as control from './protocol.js';

export interface ControlTarget {
  env: RealEnv;
  disk: RealDisk;
  lab: string;
  /** The lab's LabNode.status(), or null while it is starting. */
  state(): Json;
}

function controlMethods(target: ControlTarget): Dispatcher {
  const { env, disk } = target;
  const d = new Dispatcher();
  const partitionState = () => ({ partitioned: env.links.partitioned, partitionArmed: env.links.partitionArmed });
  d.addMethod(control.netRepair, ({ heal, now }) => {
    if (heal) env.heal();
    else env.partition(now ?? false);
    return partitionState();
  });
  d.addMethod(control.breakpoint, ({ n }) => {
    env.armBreakpoint(n);
    return { breakpoints: env.breakpoints };
  });
  d.addMethod(control.status, () => ({
    node: env.me,
    lab: target.lab,
    pid: process.pid,
    ...partitionState(),
    breakpoints: env.breakpoints,
    faults: env.links.faults,
    state: target.state(),
  }));
  d.addMethod(control.faults, (change) => env.setFaults(change));
  d.addMethod(control.diskFault, async ({ file, offset, length }) => {
    const corrupted = await disk.corrupt(file, offset, length);
    env.note('disk', { fault: 'corrupt', file, offset, length, corrupted });
    return { file, offset, corrupted };
  });
  d.addMethod(control.diskFiles, async () => ({ files: await disk.files() }));
  return d;
}

/** Serve the control plane of `target` on host:port (resolves once listening). */
export function startControlPlane(target: ControlTarget, host: string, port: number): Promise<RpcServer> {
  const dispatcher = controlMethods(target);
  return RpcServer.listen(host, port, (text, inbound) => dispatcher.answer(text, inbound.from, (reply) => inbound.reply(reply)));
}
