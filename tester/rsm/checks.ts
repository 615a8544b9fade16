// The RSM lab's checks: client histories are linearizable (and, for locks, mutually exclusive);
// replica state agrees after every completed sync and at the end; the primary is who the view
// history says. Pure functions of what was observed: they never talk to a cluster (observer.ts does).
import type { NodeId } from '../../src/env/types.js';
import type { AppName } from '../../src/apps/app.js';
import type { RsmStatus, SyncRecord } from '../../labs/rsm/status.js';
import { primaryOf } from '../../labs/config/primary.js';
import type { HistoryEvent } from '../../src/check/history.js';
import { judgeEvents } from '../../src/check/judge.js';
import { ScenarioFailure } from '../scenario.js';
import type { Ack } from './load.js';

/** One node's RSM status, with the name failure messages use (e.g. "p1", or "p1 (127.0.0.1:40002)" in the real world). */
export interface RsmObserved {
  name: string;
  status: RsmStatus;
}

/**
 * Search budget of one linearizability check: scenario histories are small, so running out is a
 * failure, never a pass. Steps only, no wall-clock limit: the same history gets the same verdict
 * on a laptop and on a loaded grader.
 */
const CHECK_BUDGET = { timeoutMs: Infinity, maxSteps: 5_000_000 };

/** The history is linearizable for the app's model; for locks, no two clients ever held a lock at once. */
export function checkHistory(app: AppName, history: readonly HistoryEvent[]): void {
  const { verdict, mutex, text } = judgeEvents(app, history, CHECK_BUDGET);
  if (verdict === 'linearizable') return;
  const what = mutex?.ok === false ? 'violates lock mutual exclusion' : verdict === 'unknown' ? 'is not provably linearizable (checker budget ran out)' : 'is NOT linearizable';
  throw new ScenarioFailure(`client history ${what}:\n${text}`);
}

/**
 * Every completed sync of a view, as first observed on any node: whoever else completes a sync
 * of the same view must hold the same state (same last viewstamp, same snapshot hash, duplicate
 * table included). Kept across polls, so records of nodes that died meanwhile still count.
 */
export class SyncLedger {
  private readonly first = new Map<number, SyncRecord & { seenOn: string }>();

  observe({ name, status }: RsmObserved): void {
    for (const sync of status.syncs) {
      const known = this.first.get(sync.vid);
      if (known === undefined) this.first.set(sync.vid, { ...sync, seenOn: name });
      else if (known.hash !== sync.hash || known.last.vid !== sync.last.vid || known.last.seqno !== sync.last.seqno) {
        throw new ScenarioFailure(
          `replicas disagree after the sync of view ${sync.vid}: ${name} entered it with state ${sync.hash} at ${vs(sync.last)}, ${known.seenOn} with ${known.hash} at ${vs(known.last)}`,
        );
      }
    }
  }

  /** How many views had a completed sync observed. */
  get views(): number {
    return this.first.size;
  }
}

/** Quiescent replicas (same view, none in a view change, same last viewstamp) hold the same snapshot, duplicate table included. */
export function checkReplicasEqual(observed: readonly RsmObserved[]): void {
  const [a, ...rest] = observed;
  if (a === undefined) return;
  for (const b of rest) {
    if (b.status.snapshotHash !== a.status.snapshotHash || b.status.snapshotBytes !== a.status.snapshotBytes) {
      throw new ScenarioFailure(`replica state differs at ${vs(a.status.last_myvs)}: ${a.name} ${shown(a.status)}, ${b.name} ${shown(b.status)}`);
    }
  }
}

/** A status's snapshot for a failure message: its digest, and its text, or its size where the status leaves the text out. */
function shown(status: RsmStatus): string {
  return `${status.snapshotHash} = ${status.snapshot ?? `(${status.snapshotBytes} bytes)`}`;
}

/**
 * No acknowledged request is lost: each acked (client, seq) is in every replica's exactly-once
 * table at the end (its last seq for that client is at least seq), checked directly, not only as
 * implied by a linearizable history.
 */
export function checkAckedKept(observed: readonly RsmObserved[], acked: readonly Ack[]): void {
  for (const { name, status } of observed) {
    const table = new Map(status.lastSeqs);
    for (const { client, seq } of acked) {
      const kept = table.get(client) ?? 0;
      if (kept < seq) throw new ScenarioFailure(`${name}: acknowledged request ${seq} of client ${client} is lost: its exactly-once table holds ${kept === 0 ? 'nothing' : `seq ${kept}`} for that client`);
    }
  }
}

/** Members of the same view agree on it and on who its primary is, and that primary is the one the view history names. */
export function checkPrimary(observed: readonly RsmObserved[]): void {
  for (const { name, status } of observed) {
    if (status.vid_commit === 0 || !status.joined) continue;
    const expected = primaryOf((v) => status.views[v - 1]?.members, status.vid_commit);
    if (status.primary !== expected) throw new ScenarioFailure(`${name}: primary of view ${status.vid_commit} is ${status.primary}, but the view history names ${expected}`);
  }
}

/** Settled: every node is a joined member of view `vid`, out of its view change, at the same last viewstamp. */
export function settled(statuses: readonly RsmStatus[], vid: number): boolean {
  const [a] = statuses;
  return statuses.every(
    (s) => s.joined && s.vid_commit === vid && !s.inviewchange && a !== undefined && s.last_myvs.vid === a.last_myvs.vid && s.last_myvs.seqno === a.last_myvs.seqno,
  );
}

export function showMembers(members: readonly NodeId[]): string {
  return `{${members.join(',')}}`;
}

function vs(v: { vid: number; seqno: number }): string {
  return `${v.vid}.${v.seqno}`;
}
