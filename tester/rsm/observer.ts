// How RSM scenarios look at a cluster: the Paxos observer's names, seed seconds, view ledger and
// bounded waits, with every status parsed as the RSM lab's and fed to the sync ledger as well.
// It never decides pass/fail beyond "not within the bound" and the ledgers' agreement checks.
import { rsmStatusSchema, type RsmStatus } from '../../labs/rsm/status.js';
import { PaxosObserver } from '../paxos/observer.js';
import type { Observed } from '../paxos/checks.js';
import { ScenarioFailure } from '../scenario.js';
import { SyncLedger, checkPrimary, type RsmObserved } from './checks.js';

export class RsmObserver extends PaxosObserver {
  readonly syncs = new SyncLedger();
  private readonly latest = new Map<number, RsmStatus>();

  /** Node `index`'s status, checked against the view and sync ledgers; null if it is dead or does not answer. */
  override async observe(index: number): Promise<Observed | null> {
    return this.observeRsm(index);
  }

  async observeRsm(index: number): Promise<RsmObserved | null> {
    const observed = await this.observeAs(index, rsmStatusSchema);
    if (observed === null) return null;
    this.syncs.observe(observed);
    checkPrimary([observed]);
    this.latest.set(index, observed.status);
    return observed;
  }

  /** The Paxos view, then where the RSM stands: a wait that never ends is most often a sync that never ends. */
  protected override describe(observed: Observed): string {
    // observe() reads every status with the RSM lab's schema.
    return `${super.describe(observed)}, ${rsmState(observed.status as RsmStatus)}`;
  }

  /** The statuses of those of `indices` that answer now. */
  async observeAnswering(indices: readonly number[]): Promise<RsmObserved[]> {
    const all = await Promise.all(indices.map((i) => this.observeRsm(i)));
    return all.filter((o): o is RsmObserved => o !== null);
  }

  /** Poll node `index` every `stepSeedSeconds` (finer than waitFor) until `done` holds, for at most `boundSeedSeconds`. */
  async pollRsm(what: string, index: number, done: (status: RsmStatus) => boolean, stepSeedSeconds: number, boundSeedSeconds: number): Promise<RsmObserved> {
    const step = Math.max(1, this.ms(stepSeedSeconds));
    for (let waited = 0; waited <= this.ms(boundSeedSeconds); waited += step) {
      const observed = await this.observeRsm(index);
      if (observed !== null && done(observed.status)) return observed;
      await this.cluster.sleep(step);
    }
    throw new ScenarioFailure(`timed out after ${boundSeedSeconds} seed-seconds waiting for ${what}`);
  }

  /** Poll every seed second until `done` holds for the RSM statuses of `indices`, for at most `boundSeedSeconds`. */
  async waitForRsm(what: string, indices: readonly number[], done: (all: RsmStatus[]) => boolean, boundSeedSeconds: number): Promise<RsmObserved[]> {
    await this.waitFor(what, indices, () => done(indices.map((i) => this.latest.get(i)!)), boundSeedSeconds);
    return indices.map((i) => ({ name: this.name(i), status: this.latest.get(i)! }));
  }
}

/** A node's RSM state in a few words: its committed view and primary, whether it is in a view change or (primary) waiting for backups' transferdonereq, its viewstamps. */
function rsmState(s: RsmStatus): string {
  const vs = (v: { vid: number; seqno: number }): string => `${v.vid}.${v.seqno}`;
  const change = s.inviewchange ? (s.insync ? ', in view change (insync: waiting for transferdonereq)' : ', in view change') : '';
  return `rsm view ${s.vid_commit} primary ${s.primary}${change}, myvs ${vs(s.myvs)}, last_myvs ${vs(s.last_myvs)}`;
}
