// `rsmlab load`: client load against a live rsm cluster. It first checks that some member answers
// (a dead cluster is exit 2 at once, not a minute of silent retries), then runs the load and exits
// 1 when no operation succeeded. The load itself is tester/rsm/run-load.ts.
import { closeSync, openSync } from 'node:fs';
import type { NodeId } from '../env/types.js';
import { isRpcError } from '../env/types.js';
import { RealEnv } from '../env/real/env.js';
import { rsmClientMembers } from '../../labs/rsm/protocol.js';
import { runLoad, type RunLoadOptions } from '../../tester/rsm/run-load.js';
import { classicTiming, realTiming, type Timing } from '../timing.js';

/** runLoad's options, with the cluster's timing given as the scale the nodes were started with. */
export type LoadCommandOptions = Omit<RunLoadOptions, 'timing'> & { timingScale: number };

/** The members that answer a client's call within the RPC timeout (an error answer counts: a vsr node knows no client_members, but it is up). */
async function answering(members: readonly NodeId[], timing: Timing): Promise<NodeId[]> {
  const env = RealEnv.client(`load-probe-${process.pid}`);
  try {
    const answers = await Promise.all(
      members.map((m) =>
        env.call(m, rsmClientMembers, {}, { timeoutMs: Math.max(timing.rpcTimeoutMs, 1000) }).then(
          () => m,
          (e: unknown) => {
            if (!isRpcError(e)) throw e;
            return e.kind === 'remote' ? m : undefined;
          },
        ),
      ),
    );
    return answers.filter((m): m is NodeId => m !== undefined);
  } finally {
    await env.close();
  }
}

/** Create (or empty) the --history file now: a path it cannot be written at is exit 2 before any load, not a crash after. */
function openHistory(path: string): void {
  try {
    closeSync(openSync(path, 'w'));
  } catch (e) {
    throw new Error(`cannot write --history ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

export async function loadCommand(o: LoadCommandOptions): Promise<number> {
  if (o.history !== undefined) openHistory(o.history);
  const timing = realTiming(classicTiming, o.timingScale);
  const lab = o.lab ?? 'rsm';
  // Not `npm start` alone: its own clients write the same keys, and a --history without them is not checkable.
  if ((await answering(o.members, timing)).length === 0) throw new Error(`no member of the cluster answers (${o.members.join(', ')}): is it running? (rsmlab node … --lab ${lab}, or rsmlab start --lab ${lab} --clients 0, so that this load is its only client)`);
  const r = await runLoad({ ...o, timing });
  const { invoke, ok, fail, info } = r.counts;
  process.stdout.write(`${invoke} operations by ${o.clients} clients in ${(r.elapsedMs / 1000).toFixed(1)} s (${r.opsPerSecond.toFixed(0)} ops/s): ${ok} ok, ${fail} failed, ${info} unknown outcome${o.history ? `; history in ${o.history}` : ''}\n`);
  if (ok > 0) return 0;
  process.stderr.write('rsmlab: no operation succeeded: the cluster never served a request\n');
  return 1;
}
