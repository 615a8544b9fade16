// How Paxos scenarios look at a cluster: node names, the seed's seconds in world time, parsed
// statuses fed to the view ledger, and bounded polling waits. Waits poll `cluster.status` and
// `cluster.sleep` between polls, so they run in virtual time in the simulator and wall time in the
// real world. It never decides pass/fail beyond "not within the bound" (tester/paxos/checks.ts does).
import type { NodeId } from '../../src/env/types.js';
import { describeIssues } from '../../src/env/method.js';
import type { z } from 'zod';
import { paxosStatusSchema, type PaxosStatus } from '../../labs/paxos/status.js';
import { noStatus, type Cluster } from '../cluster.js';
import { ScenarioFailure, type ScenarioContext } from '../scenario.js';
import { checkViewsStartWith, sameMembers, type Observed, ViewLedger } from './checks.js';

export class PaxosObserver {
  protected readonly ledger = new ViewLedger();

  constructor(private readonly ctx: ScenarioContext) {}

  get cluster(): Cluster {
    return this.ctx.cluster;
  }

  id(index: number): NodeId {
    return this.cluster.id(index);
  }

  ids(indices: readonly number[]): NodeId[] {
    return indices.map((i) => this.id(i));
  }

  name(index: number): string {
    const id = this.id(index);
    return id === `p${index}` ? id : `p${index} (${id})`;
  }

  /** The seed's "sleep s": s seconds of a 3 s heartbeat, i.e. s/3 heartbeats of this world's timing. */
  ms(seedSeconds: number): number {
    return Math.round((seedSeconds * this.cluster.timing.heartbeatMs) / 3);
  }

  /**
   * The seed's "sleep s", plus up to a third of a heartbeat of seeded jitter so seeds kill and restart
   * at different heartbeat phases: a fault's timing, so drawn from the fault stream.
   */
  sleep(seedSeconds: number): Promise<void> {
    return this.cluster.sleep(this.ms(seedSeconds) + Math.floor(this.ctx.faults() * this.ms(1)));
  }

  /** The scenario's seeded randomness, for its own choices other than faults (a ghost's proposal number). */
  random(): number {
    return this.ctx.random();
  }

  /** The seed's fault stream, for the crashes, restarts and partitions the scenario draws (which node, when). */
  faults(): number {
    return this.ctx.faults();
  }

  note(message: string): void {
    this.ctx.note(message);
  }

  /** One node's state in a failure's "last seen" (a lab's observer adds its own fields). */
  protected describe(observed: Observed): string {
    return describe(observed);
  }

  /** Where each of `indices` stands now, for a failure's "last seen". */
  async lastSeen(indices: readonly number[]): Promise<string> {
    return this.seen(indices, await Promise.all(indices.map((i) => this.observe(i))));
  }

  /** What `all` (the statuses of `indices`, as just read) say. */
  private seen(indices: readonly number[], all: readonly (Observed | null)[]): string {
    return all.map((o, k) => (o ? `${o.name}: ${this.describe(o)}` : `${this.name(indices[k]!)}: ${noStatus(this.cluster.alive(indices[k]!))}`)).join('; ');
  }

  /** Node `index`'s status, checked against the ledger; null if it is dead or does not answer. */
  async observe(index: number): Promise<Observed | null> {
    return this.observeAs(index, paxosStatusSchema);
  }

  /** Node `index`'s status parsed with `schema` (a lab's extension of the Paxos status) and checked against the view ledger. */
  protected async observeAs<S extends PaxosStatus>(index: number, schema: z.ZodType<S>): Promise<{ name: string; status: S } | null> {
    const raw = await this.cluster.status(index);
    if (raw === null) return null;
    const parsed = schema.safeParse(raw);
    if (!parsed.success) throw new ScenarioFailure(`${this.name(index)}: malformed status: ${describeIssues(parsed.error)}`);
    const observed = { name: this.name(index), status: parsed.data };
    this.ledger.observe(observed);
    return observed;
  }

  /** The statuses of live nodes `indices`; a node that does not answer fails the scenario. */
  async observeAll(indices: readonly number[]): Promise<Observed[]> {
    const all: Observed[] = [];
    for (const i of indices) {
      const observed = await this.observe(i);
      if (!observed) throw new ScenarioFailure(`${this.name(i)}: expected alive, but it gives no status`);
      all.push(observed);
    }
    return all;
  }

  /**
   * Poll every `stepSeedSeconds` (default one seed second) until `done` holds for the statuses of `indices`, for at most `boundSeedSeconds`.
   * With `orDeath`, a node of `indices` that has died also ends the wait (its armed breakpoint may end it before a poll sees the state).
   */
  async waitFor(what: string, indices: readonly number[], done: (all: Observed[]) => boolean, boundSeedSeconds: number, { stepSeedSeconds = 1, orDeath = false } = {}): Promise<Observed[]> {
    const step = Math.max(1, this.ms(stepSeedSeconds));
    const deadline = this.ms(boundSeedSeconds);
    let waited = 0;
    let last = '';
    for (;;) {
      const all = await Promise.all(indices.map((i) => this.observe(i)));
      const live = all.filter((o): o is Observed => o !== null);
      if (live.length === indices.length && done(live)) return live;
      if (orDeath && indices.some((i) => !this.cluster.alive(i))) return live;
      last = this.seen(indices, all);
      if (waited >= deadline) throw new ScenarioFailure(`timed out after ${boundSeedSeconds} seed-seconds (${deadline} ms) waiting for ${what}; last seen: ${last}`);
      await this.cluster.sleep(step);
      waited += step;
    }
  }

  /** Wait until every node of `indices` knows views 1..expected.length, then check they are exactly `expected`. */
  async expectViews(indices: readonly number[], expected: readonly (readonly NodeId[])[], boundSeedSeconds = 20): Promise<Observed[]> {
    const all = await this.waitFor(
      `${indices.map((i) => `p${i}`).join(',')} to know ${expected.length} views`,
      indices,
      (obs) => obs.every((o) => o.status.vid >= expected.length),
      boundSeedSeconds,
    );
    for (const o of all) checkViewsStartWith(o, expected);
    return all;
  }

  /** Wait until every node of `indices` has a latest view with exactly `members`. */
  waitForLastView(indices: readonly number[], members: readonly NodeId[], boundSeedSeconds: number): Promise<Observed[]> {
    return this.waitFor(
      `${indices.map((i) => `p${i}`).join(',')} to reach a view {${members.join(',')}}`,
      indices,
      (obs) => obs.every((o) => sameMembers(o.status.members, members)),
      boundSeedSeconds,
    );
  }

  /** Wait until node `index` has died (at an armed breakpoint). */
  /** Poll every `pollMs` of world time (default: a seed second) until node `index` is dead. */
  async waitForDeath(index: number, why: string, boundSeedSeconds: number, pollMs = this.ms(1)): Promise<void> {
    const deadline = this.ms(boundSeedSeconds);
    for (let waited = 0; this.cluster.alive(index); waited += pollMs) {
      if (waited >= deadline) throw new ScenarioFailure(`${this.name(index)} is still alive after ${boundSeedSeconds} seed-seconds; expected it to die at ${why}`);
      await this.cluster.sleep(pollMs);
    }
  }
}

function describe({ status }: Observed): string {
  return `view ${status.vid} {${status.members.join(',')}}${status.proposer.running ? ' (proposing)' : ''}${status.joining ? ' (joining)' : ''}${refusal(status)}`;
}

/** The value a node behind refused for its next view, if it did: the decision it would not take is why it is stuck. */
function refusal({ dropped, vid }: PaxosStatus): string {
  if (dropped === null || dropped.instance <= vid) return '';
  return ` (refused to ${dropped.phase} view ${dropped.instance} = {${dropped.v.split(' ').join(',')}}: ${dropped.reason})`;
}
