// The VSR state checker (TigerBeetle's StateChecker, with a model): it sees every replica after
// every step and keeps the canonical chain of committed ops, the first copy of each op any replica
// committed. Each commit a replica makes must match that chain or extend it by one op whose parent
// is the chain's head; the replica's app state must equal the sequential model's after as many
// ops (a batch op's requests run in order); an op a client was told is done must be in the chain,
// carrying that very request (once), and can never be replaced. It throws ScenarioFailure at the
// first violation and never changes a replica.
import { ScenarioFailure } from '../scenario.js';
import { SequentialModel, type ModelOp } from './model.js';

/** What a student reads under "committed prefixes disagree": the two rules whose break it most often is. */
const PREFIX_RULES = 'one of them committed an op no quorum held, or a view change dropped a committed op: a primary commits an op only once quorum_replication replicas, itself included, hold it durably (countPrepareOk); a new primary takes the log of the highest log_view, then the highest op (startViewAsPrimary)';

/** A committed op's header as the checker compares it, with the client requests it carries (one; a batch's several, in order). */
export interface CommittedHeader {
  op: number;
  view: number;
  checksum: string;
  parent: string;
  requests: ModelOp[];
}

/** One replica at one instant, as the checker reads it (tester/vsr/replicas.ts builds it from the engine's state). */
export interface ReplicaSnapshot {
  status: 'normal' | 'view_change' | 'recovering';
  view: number;
  /** The head of its log. */
  op: number;
  /** Ops executed here (TigerBeetle's commit_min). */
  commit: number;
  /** The op of the checkpoint its log starts after (Lab 4; 0 in Lab 3). */
  opCheckpoint: number;
  /** The header of committed op `op` (1 <= op <= commit) in this replica's log. */
  header(op: number): CommittedHeader | undefined;
  /** The app's state after `commit` ops, as the JSON of KvStore.snapshot(). */
  appState(): string;
}

/** A reply a client received: its request was committed as `op`. */
export interface Ack {
  client: string;
  request: number;
  op: number;
}

function show(h: CommittedHeader): string {
  const requests = h.requests.map((r) => `${r.client}#${r.request}`).join(',');
  return `op ${h.op} view ${h.view} ${h.requests.length > 1 ? `batch ${requests}` : requests} checksum ${h.checksum.slice(0, 12)} parent ${h.parent.slice(0, 12)}`;
}

export class StateChecker {
  /** chain[op - 1]: the canonical committed op, with the replica that committed it first. */
  private readonly chain: { header: CommittedHeader; by: string }[] = [];
  private readonly model = new SequentialModel();
  /** What each replica had executed when last checked (reset at each restart). */
  private readonly seen = new Map<string, number>();
  /**
   * Replicas restarted and not yet normal again: what the cluster had reached when each restarted,
   * and the replica's checkpoint op at its first recovering step (null until it is seen recovering).
   */
  private readonly recovering = new Map<string, { view: number; committed: number; recoveredFrom: number | null }>();
  /** The highest view any replica was normal in. */
  private viewNormal = 0;
  private readonly acks: Ack[] = [];
  /** Checks made, for the test's evidence that the checker ran. */
  steps = 0;
  /** Canonical committed ops that carry more than one request (batches), for the batched VOPR's evidence that it batched. */
  batches = 0;

  /** The canonical chain's length: ops committed by some replica. */
  get committed(): number {
    return this.chain.length;
  }

  /**
   * A replica (re)started: its commit may start again from what its disk holds, and if it goes
   * through recovery, once it is normal again it must be at least as current as the cluster is now
   * (a recovery adopts only answers to this incarnation's recovery, never older ones).
   */
  restarted(replica: string): void {
    this.seen.delete(replica);
    this.recovering.set(replica, { view: this.viewNormal, committed: this.chain.length, recoveredFrom: null });
  }

  /** Check `replica` after a step. Cheap when nothing was committed since its last check. */
  check(replica: string, now: ReplicaSnapshot): void {
    this.steps++;
    if (now.status === 'recovering') {
      const since = this.recovering.get(replica);
      if (since !== undefined) since.recoveredFrom ??= now.opCheckpoint;
    }
    if (now.status === 'normal') this.checkRecovered(replica, now);
    const before = this.seen.get(replica);
    if (before === now.commit) return;
    if (before !== undefined && now.commit < before) {
      throw new ScenarioFailure(`${replica}: commit went back from ${before} to ${now.commit} without a restart`);
    }
    for (let op = (before ?? 0) + 1; op <= now.commit; op++) {
      const header = now.header(op);
      if (header === undefined) continue; // not in this replica's log any more (e.g. adopted with a state transfer)
      this.commitOp(replica, header);
    }
    const want = this.model.op >= now.commit ? this.model.stateAt(now.commit) : undefined;
    const got = now.appState();
    if (want !== undefined && got !== want) {
      throw new ScenarioFailure(`${replica}: app state after ${now.commit} committed ops differs from the sequential model's\n  replica: ${got}\n  model:   ${want}`);
    }
    this.seen.set(replica, now.commit);
  }

  /** The checksum of canonical committed op `op`, or undefined past the chain's end. */
  checksumAt(op: number): string | undefined {
    return this.chain[op - 1]?.header.checksum;
  }

  /** A client got a reply: its op must be in the chain (an ack is only sent for a committed op) and carry exactly that request, once. */
  acked(ack: Ack): void {
    const entry = this.chain[ack.op - 1];
    if (entry === undefined) throw new ScenarioFailure(`${ack.client}#${ack.request} was acked as op ${ack.op}, but no replica has committed op ${ack.op} (chain ends at ${this.chain.length})`);
    if (entry.header.requests.filter((r) => r.client === ack.client && r.request === ack.request).length !== 1) {
      throw new ScenarioFailure(`${ack.client}#${ack.request} was acked as op ${ack.op}, but op ${ack.op} is ${show(entry.header)} (committed first by ${entry.by})`);
    }
    this.acks.push(ack);
  }

  /** At the end: every acked op is within what `replica` has committed (nothing acked was lost). */
  checkNoAckLost(replica: string, commit: number): void {
    const lost = this.acks.filter((a) => a.op > commit);
    if (lost.length > 0) throw new ScenarioFailure(`${replica} converged at commit ${commit}, but op ${lost[0]!.op} (${lost[0]!.client}#${lost[0]!.request}) was acked to its client: an acked op was lost`);
  }

  private checkRecovered(replica: string, now: ReplicaSnapshot): void {
    this.viewNormal = Math.max(this.viewNormal, now.view);
    const since = this.recovering.get(replica);
    if (since === undefined) return;
    this.recovering.delete(replica);
    // A replica with nothing on its disk comes back as a fresh backup (it never acked or promised anything).
    if (since.recoveredFrom === null) return;
    // Lab 4: a replica that installed a newer checkpoint from a peer (a state sync) starts its log
    // there, which may be before ops committed while it was down; it repairs those as a backup.
    const synced = now.opCheckpoint > since.recoveredFrom;
    if (now.view < since.view || (!synced && now.op < since.committed)) {
      // A newer view that holds fewer ops than were committed: the view change that started it (or the
      // log it chose) dropped committed ops; the same view: the replica took stale state.
      const why =
        now.view > since.view && now.op < since.committed
          ? `view ${now.view} holds no op past ${now.op}: the view change that started it dropped committed ops ${now.op + 1}..${since.committed} (check the log the new primary chose), or it adopted stale state`
          : 'it adopted stale state (an answer to an older recovery?)';
      throw new ScenarioFailure(`${replica} came back normal in view ${now.view} at op ${now.op}, but when it restarted view ${since.view} was normal and ${since.committed} ops were committed: ${why}`);
    }
  }

  private commitOp(replica: string, header: CommittedHeader): void {
    const known = this.chain[header.op - 1];
    if (known !== undefined) {
      if (known.header.checksum !== header.checksum) {
        throw new ScenarioFailure(`committed prefixes disagree at op ${header.op}:\n  ${replica}: ${show(header)}\n  ${known.by} (first to commit it): ${show(known.header)}\n  ${PREFIX_RULES}`);
      }
      return;
    }
    if (header.op !== this.chain.length + 1) {
      throw new ScenarioFailure(`${replica} committed op ${header.op}, but the canonical chain ends at op ${this.chain.length}: a gap in what was committed`);
    }
    const head = this.chain.at(-1);
    if (head !== undefined && header.parent !== head.header.checksum) {
      throw new ScenarioFailure(`hash chain broken at op ${header.op} on ${replica}: parent ${header.parent.slice(0, 12)} is not the checksum of op ${head.header.op} (${head.header.checksum.slice(0, 12)})`);
    }
    this.chain.push({ header, by: replica });
    if (header.requests.length > 1) this.batches++;
    this.model.apply(header.requests);
  }
}
