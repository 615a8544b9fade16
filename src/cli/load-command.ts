// `rsmlab load`: client load against a live rsm cluster. It first checks that some member answers
// (a dead cluster, a node of another lab for --lab rsm, or an rsm node for --lab vsr or par, is exit 2 at once, not a minute of silent
// retries), then runs the load, saying on stderr while no operation completes (load-stall.ts), and
// exits 1 when no operation succeeded. The load itself is tester/rsm/run-load.ts.
import { closeSync, openSync } from 'node:fs';
import type { NodeId } from '../env/types.js';
import type { HistoryEvent } from '../check/history.js';
import { isRpcError } from '../env/types.js';
import { RealEnv } from '../env/real/env.js';
import { rsmClientMembers } from '../../labs/rsm/protocol.js';
import { runLoad, type RunLoadOptions } from '../../tester/rsm/run-load.js';
import { ErrorCode } from '../wire/frame.js';
import { saysStillStarting } from '../wire/dispatch.js';
import { classicTiming, realTiming, type Timing } from '../timing.js';
import { StallWatch } from './load-stall.js';

/** runLoad's options, with the cluster's timing given as the scale the nodes were started with. */
export type LoadCommandOptions = Omit<RunLoadOptions, 'timing'> & { timingScale: number };

type LoadLab = NonNullable<RunLoadOptions['lab']>;

/**
 * The members that answer a client's call within the RPC timeout. An error answer counts (a vsr node
 * knows no client_members, but it is up), except that for --lab rsm, Method not found says the member
 * runs another lab (unless it adds that the member is still starting): that is thrown at once, naming it.
 */
async function answering(members: readonly NodeId[], timing: Timing, lab: LoadLab): Promise<NodeId[]> {
  const env = RealEnv.client(`load-probe-${process.pid}`);
  try {
    const answers = await Promise.all(
      members.map((m) =>
        env.call(m, rsmClientMembers, {}, { timeoutMs: Math.max(timing.rpcTimeoutMs, 1000) }).then(
          () => runsRsm(m, lab),
          (e: unknown) => probeFailed(e, lab),
        ),
      ),
    );
    return answers.filter((m): m is NodeId => m !== undefined);
  } finally {
    await env.close();
  }
}

/** A member that serves rsm.client_members runs Lab 2: for --lab vsr or par, every op would time out against it, so that is thrown at once. */
function runsRsm(member: NodeId, lab: LoadLab): NodeId {
  if (lab !== 'rsm') throw new Error(`${member} runs --lab rsm (it serves rsm.client_members), not ${lab}: give load --lab rsm`);
  return member;
}

/** The member a failed probe `e` heard from (undefined: none answered); throws if it is no rsm node though `lab` is rsm. */
function probeFailed(e: unknown, lab: LoadLab): NodeId | undefined {
  if (!isRpcError(e)) throw e;
  if (lab === 'rsm' && e.code === ErrorCode.methodNotFound && !saysStillStarting(e.answer ?? '')) throw new Error(`${e.peer} does not serve ${e.method}: is it running --lab rsm? (it answered: Method not found)`);
  return e.kind === 'remote' ? e.peer : undefined;
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
  if ((await answering(o.members, timing, lab)).length === 0) throw new Error(`no member of the cluster answers (${o.members.join(', ')}): is it running? (rsmlab node … --lab ${lab}, or rsmlab start --lab ${lab})`);
  const stall = new StallWatch({ members: o.members, answering: () => answering(o.members, timing, lab), write: (line) => void process.stderr.write(line) });
  // Each run's own keys: its --history alone is checkable, whatever ran on the cluster before or beside it.
  const r = await runLoad({ ...o, timing, ownNames: true, observe: (e) => (e.type === 'ok' || e.type === 'fail' ? stall.progress() : undefined) }).finally(() => stall.stop());
  const { invoke, ok, fail, info } = r.counts;
  process.stdout.write(`${invoke} operations by ${o.clients} clients in ${(r.elapsedMs / 1000).toFixed(1)} s (${r.opsPerSecond.toFixed(0)} ops/s): ${ok} ok, ${fail} failed, ${info} unknown outcome${o.history ? `; history in ${o.history}` : ''}\n`);
  if (ok > 0) return 0;
  process.stderr.write(`rsmlab: no operation succeeded: ${whyNoneSucceeded(r.history, o.app)}\n`);
  return 1;
}

/** Why a load had no ok: the cluster's first refusal (a cluster of another app refuses every op) or its silence. */
function whyNoneSucceeded(history: readonly HistoryEvent[], app: string): string {
  const refused = history.find((e) => e.type === 'fail');
  if (refused === undefined) return 'the cluster never served a request';
  return `the cluster refused every one, the first with ${JSON.stringify(refused.value)} (does it run --app ${app}?)`;
}
