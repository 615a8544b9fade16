// Lab 2's mutant corpus: plausible student bugs in the RSM (replication, state transfer, view
// changes, exactly-once, the fault points), each a subclass of the reference Rsm that overrides one
// method (never a copy of it). `rsmlab mutants rsm` must catch every one.
// Instructor-only: the hand-out generator leaves this file out (src/handout/generate.ts).
import type { NodeId } from '../../src/env/types.js';
import type { AppResult } from '../../src/apps/app.js';
import { makeRsmLab } from '../../labs/rsm/lab.js';
import { Rsm } from '../../labs/rsm/rsm.js';
import { Mutex } from '../../labs/rsm/mutex.js';
import { type ClientInvokeRes, type ClientRequestArgs, type InvokeArgs, type ReplicatedRequest, type TransferRes, type Viewstamp } from '../../labs/rsm/protocol.js';
import type { Mutant } from '../mutants/mutant.js';
// The broken variants the framework's own tests use are corpus members too (one copy of each).
import { carelessPrimaryLab, forgetfulTransferLab } from '../../test/fixtures/rsm-broken.js';

/** A primary that forgets to await the replication: it executes and replies before any backup has the request. */
export class UnawaitedReplicate extends Rsm {
  protected override replicate(vs: Viewstamp, req: ReplicatedRequest): Promise<boolean> {
    void super.replicate(vs, req);
    return Promise.resolve(true);
  }
}

/**
 * A backup that executes an invoke but forgets to advance myvs: the next one never matches. After
 * a view's first request the backup answers ERR to every later one, so the primary retries until
 * the view changes: a liveness failure. Failed 50 of seeds 1..50 on every scenario with a client
 * load (8-16, loss-backups, late-ping, kill9-transfer, client-dup, lost-join, five-lose-two, and
 * loss-views since its waits allow 300 seed seconds, not 900: on 34 of 50 before, a request per
 * view as lost heartbeats changed views was enough in 900); never in busy and ack-kill, which send
 * a single request each. Pinned on test 8 in test/mutants.test.ts.
 */
export class StuckBackup extends Rsm {
  protected override invoke(args: InvokeArgs): { status: 'OK' | 'ERR' } {
    const myvs = this.myvs;
    const answer = super.invoke(args);
    this.myvs = myvs;
    return answer;
  }
}

/** A backup that compares an invoke's seqno alone with myvs: an invoke of another view with the seqno it expects runs as its own next one. */
export class SeqnoOnlyBackup extends Rsm {
  protected override invoke(args: InvokeArgs): { status: 'OK' | 'ERR' } {
    return super.invoke(args.vs.seqno === this.myvs.seqno ? { ...args, vs: this.myvs } : args);
  }
}

/** A backup that reports its sync done once per view and takes it as heard, whatever came back (no retry of a lost report). */
export class DoneOnceBackup extends Rsm {
  private reported = -1;
  protected override async statetransferdone(primary: NodeId): Promise<boolean> {
    if (this.reported !== this.vid_insync) {
      this.reported = this.vid_insync;
      await super.statetransferdone(primary);
    }
    return true;
  }
}

/** A backup that answers ERR to a retry of the request it executed last (its first OK was lost). */
export class NoRetryOkBackup extends Rsm {
  protected override invoke(args: InvokeArgs): { status: 'OK' | 'ERR' } {
    const retry = args.vs.vid === this.last_myvs.vid && args.vs.seqno === this.last_myvs.seqno;
    return retry ? { status: 'ERR' } : super.invoke(args);
  }
}

/** A backup that restores the primary's state but keeps its own last viewstamp (a forgotten field). */
export class StaleLastTransfer extends Rsm {
  protected override async statetransfer(primary: NodeId): Promise<boolean> {
    const last = this.last_myvs;
    const ok = await super.statetransfer(primary);
    this.last_myvs = last;
    return ok;
  }
}

/** A primary that skips the state transfer whenever the backup's last viewstamp is of the same view (it compares vids only). */
export class VidOnlyTransfer extends Rsm {
  protected override transferreq(src: NodeId, last: Viewstamp, vid: number): TransferRes {
    const answer = super.transferreq(src, last, vid);
    return answer.status === 'OK' && last.vid === this.last_myvs.vid ? { status: 'OK', last: this.last_myvs } : answer;
  }
}

/** Every node takes the smallest id of the new view as its primary (the seed's comment, not its code). */
export class SmallestPrimary extends Rsm {
  protected override commitChange(vid: number): void {
    super.commitChange(vid);
    const members = this.cfg.viewOf(vid);
    if (members !== undefined && vid === this.vid_commit) this.primary = [...members].sort()[0]!;
  }
}

/** A backup that applies the primary's requests to the app directly, past the duplicate table. */
export class BackupSkipsDedup extends Rsm {
  protected override execute(vs: Viewstamp, req: ReplicatedRequest): AppResult {
    if (this.primary === this.me) return super.execute(vs, req);
    this.last_myvs = vs;
    this.executed++;
    return this.state.app.execute(req.op, { client: req.client, time: req.time });
  }
}

/** A primary whose replicate invokes every backup and waits for all their answers (the variants below differ in what they make of them). */
abstract class AllAnswers extends Rsm {
  protected async answers(vs: Viewstamp, req: ReplicatedRequest): Promise<boolean[]> {
    const backups = this.viewMembers(vs.vid).filter((m) => m !== this.me);
    return Promise.all(backups.map((b) => this.invokeBackup(b, { vs, req })));
  }
}

/** A primary that replicates without calling the fault points (partitionPoint, breakpoint 1) the tester relies on. */
export class NoFaultPoints extends AllAnswers {
  protected override async replicate(vs: Viewstamp, req: ReplicatedRequest): Promise<boolean> {
    return (await this.answers(vs, req)).every(Boolean);
  }
}

/**
 * Two slips at once: a request counts as replicated once any backup executed it (`some` for
 * `every`), and the fault points come once every backup answered, not after the first. Test 16's
 * partition then lands only once the request is everywhere, so it never sees the first slip;
 * invoke-cut cuts the primary off without a fault point, and its late OK loses the request.
 */
export class AnyBackupLateFaultPoints extends AllAnswers {
  protected override async replicate(vs: Viewstamp, req: ReplicatedRequest): Promise<boolean> {
    const replicated = (await this.answers(vs, req)).some(Boolean);
    if (replicated) {
      this.env.partitionPoint();
      this.env.breakpoint(1);
    }
    return replicated;
  }
}

/** A backup that declares itself in the new view before it fetched the primary's state. */
export class EarlyEnterBackup extends Rsm {
  protected override syncWithPrimary(): Promise<boolean> {
    this.enterView();
    return super.syncWithPrimary();
  }
}

/** A primary that enters the new view without waiting for its backups' transferdonereq. */
export class ImpatientPrimary extends Rsm {
  protected override async syncWithBackups(): Promise<boolean> {
    await this.invokeMutex.run(async () => undefined);
    if (this.vid_insync !== this.vid_commit) return false;
    this.enterView();
    return true;
  }
}

/**
 * The reference with its invoke mutex swapped for another during the synchronous part of one call:
 * every use of this.invokeMutex that call makes before its first await takes the other.
 */
abstract class SwappedMutex extends Rsm {
  protected withInvokeMutex<T>(mutex: Mutex, call: () => T): T {
    const held = this.invokeMutex;
    Object.assign(this, { invokeMutex: mutex });
    try {
      return call();
    } finally {
      Object.assign(this, { invokeMutex: held });
    }
  }
}

/**
 * A primary that starts handing out its state without letting a request in flight finish (the
 * drain forgotten): super's first step, the drain, is handed a mutex nobody holds.
 */
export class UndrainedSync extends SwappedMutex {
  private readonly unheld = new Mutex();

  protected override syncWithBackups(): Promise<boolean> {
    return this.withInvokeMutex(this.unheld, () => super.syncWithBackups());
  }
}

/** A primary that takes a backup's transferdonereq of any view as one for the view it syncs (the vid check forgotten). */
export class AnyViewTransferDone extends Rsm {
  protected override transferdonereq(src: NodeId): { status: 'OK' | 'BUSY' } {
    return super.transferdonereq(src, this.vid_insync);
  }
}

/**
 * A primary that handles concurrent client requests at once, not one at a time (the invoke mutex
 * forgotten): two requests replicate side by side, and the later viewstamp can finish first. Seeds
 * 1..30 fail on request-across-sync 27 times, loss-views 17, loss-backups 8, and 0-6 elsewhere.
 */
export class UnserializedPrimary extends SwappedMutex {
  protected override clientInvoke(args: ClientRequestArgs): Promise<ClientInvokeRes> {
    // A lock of its own for each request: nothing waits for another (nor does the sync's drain).
    return this.withInvokeMutex(new Mutex(), () => super.clientInvoke(args));
  }
}

/** A primary that never answers BUSY: it takes requests in the middle of a view change. */
export class NoBusyPrimary extends Rsm {
  protected override clientInvoke(args: ClientRequestArgs): Promise<ClientInvokeRes> {
    return this.invokeMutex.run(async () => {
      if (this.primary !== this.me) return { status: 'NOTPRIMARY' };
      const done = this.answeredAlready(args);
      if (done !== undefined) return { status: 'OK', result: done };
      const vs = this.myvs;
      this.myvs = { vid: vs.vid, seqno: vs.seqno + 1 };
      const req: ReplicatedRequest = { ...args, time: this.env.now() };
      if (!(await this.replicate(vs, req))) return { status: 'BUSY' };
      return { status: 'OK', result: this.execute(vs, req) };
    });
  }
}

export const rsmMutants: Mutant[] = [
  { id: 'careless-primary', area: 'quorum', bug: 'the primary counts a timeout or ERR from a backup as done', lab: carelessPrimaryLab },
  { id: 'unawaited-replicate', area: 'missed await', bug: 'clientInvoke does not await replicate: it replies before the backups have the request', lab: makeRsmLab(UnawaitedReplicate) },
  { id: 'forgetful-transfer', area: 'state transfer', bug: 'the transferred snapshot leaves out the duplicate table', lab: forgetfulTransferLab },
  { id: 'stale-last', area: 'state transfer', bug: 'the backup restores the state but not last_myvs', lab: makeRsmLab(StaleLastTransfer) },
  { id: 'vid-only-transfer', area: 'state transfer', bug: 'transferreq compares only the vid of the backup\'s last viewstamp', lab: makeRsmLab(VidOnlyTransfer) },
  { id: 'backup-myvs-stuck', area: 'ordering', bug: 'the backup executes an invoke but does not advance myvs', lab: makeRsmLab(StuckBackup) },
  { id: 'early-enter', area: 'ordering', bug: 'the backup enters the new view before it fetched the primary\'s state', lab: makeRsmLab(EarlyEnterBackup) },
  { id: 'no-retry-ok', area: 'exactly-once', bug: 'the backup answers ERR to a retry of the invoke it executed last', lab: makeRsmLab(NoRetryOkBackup) },
  { id: 'backup-skips-dedup', area: 'exactly-once', bug: 'the backup applies requests to the app directly, past the duplicate table', lab: makeRsmLab(BackupSkipsDedup) },
  { id: 'smallest-primary', area: 'view change', bug: 'the primary of a new view is its smallest id, not the seed\'s rule', lab: makeRsmLab(SmallestPrimary) },
  { id: 'impatient-primary', area: 'view change', bug: 'the primary enters the view without waiting for its backups\' transferdonereq', lab: makeRsmLab(ImpatientPrimary) },
  { id: 'undrained-sync', area: 'view change', bug: 'the primary hands out its state for a new view while a request is still in flight', lab: makeRsmLab(UndrainedSync) },
  { id: 'any-view-transfer-done', area: 'view change', bug: 'transferdonereq does not compare the view: a late one from the last sync counts in this one', lab: makeRsmLab(AnyViewTransferDone) },
  { id: 'unserialized-primary', area: 'ordering', bug: 'the primary handles concurrent client requests at once, not one at a time', lab: makeRsmLab(UnserializedPrimary), catchers: ['request-across-sync'] },
  { id: 'no-busy', area: 'view change', bug: 'clientInvoke never answers BUSY: it takes requests during a view change', lab: makeRsmLab(NoBusyPrimary) },
  { id: 'no-fault-points', area: 'framework point', bug: 'replicate never calls partitionPoint() and breakpoint(1) after the first backup', lab: makeRsmLab(NoFaultPoints) },
  { id: 'done-once', area: 'state transfer', bug: 'the backup sends transferdonereq once and never again, though the primary may not have heard it', lab: makeRsmLab(DoneOnceBackup), catchers: ['lost-transfer-done'] },
  { id: 'seqno-only-invoke', area: 'comparison', bug: 'the backup checks only the seqno of an invoke against myvs, not its view', lab: makeRsmLab(SeqnoOnlyBackup), catchers: ['stale-invoke'] },
  { id: 'any-backup-late-fault-points', area: 'quorum', bug: 'replicate counts a request done once any backup executed it, and calls the fault points only after every backup answered', lab: makeRsmLab(AnyBackupLateFaultPoints), catchers: ['invoke-cut'] },
];

/** The gate tries scenarios in this order (the likeliest to catch first; measured with `rsmlab mutants rsm --rates`). */
export const rsmGateOrder: string[] = ['12', 'busy', 'ack-kill', 'loss-backups', '16', 'kill9-transfer', 'client-dup', '10', '11', '8'];
