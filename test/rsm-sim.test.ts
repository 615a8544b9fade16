// The RSM lab's scenarios (rsm_tester.pl tests 8-16 and our own) in the simulator, over many seeds
// each, on the reference lab; then the same scenarios failing on deliberately broken variants (the
// checks bite). A failure names its seed, the replay command and the artifacts (trace, history).
import { expect } from 'chai';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Lab } from '../src/lab.js';
import { rsmScenarios } from '../tester/rsm/scenarios.js';
import { findScenario } from '../tester/index.js';
import { runScenario } from '../tester/run.js';
import { formatTable } from '../tester/report.js';
import { runSuite, seedsThrough, type SuiteResult } from '../tester/suite.js';
import { rsmLab } from '../labs/rsm/lab.js';
import { carelessPrimaryLab, forgetfulTransferLab, oneStrikeHeartbeatLab } from './fixtures/rsm-broken.js';
import { failingRuns } from './fixtures/mutant-rate.js';
import { events } from './fixtures/sim-probe.js';
import { SimCluster } from '../tester/sim-cluster.js';

/** Seeds per scenario: 16 scenarios x 200 seeds take about a minute. */
const SEEDS = 200;
const seeds = seedsThrough(SEEDS);

describe('rsm scenarios in the simulator', function () {
  this.timeout(600_000);
  let suite: SuiteResult;
  // Every seed of every scenario, dealt to one worker process per core (rsmlab test's way); each scenario's
  // verdict below, with the runner's table on a failure (lowest failing seed, replay command, artifacts).
  before(async () => {
    suite = await runSuite({ lab: 'rsm', world: 'sim', seeds, jobs: availableParallelism(), seedTimeoutMs: 60_000, artifactsDir: join(tmpdir(), 'rsmlab-rsm-failures') });
  });

  for (const s of rsmScenarios) {
    it(`${s.id} passes on ${SEEDS} seeds: ${s.title}`, () => {
      const outcome = suite.outcomes.find((o) => o.id === s.id);
      expect(outcome, `rsm ${s.id} was not run`).to.not.equal(undefined);
      expect(`${outcome!.passedSeeds}/${outcome!.totalSeeds}`, formatTable({ ...suite, outcomes: [outcome!] })).to.equal(`${SEEDS}/${SEEDS}`);
    });
  }

  // 12, and loss-views: its victims, loss and kill times all come from the seed.
  for (const id of ['12', 'loss-views']) {
    it(`replays a seed exactly: same seed, same trace hash (${id})`, async () => {
      const s = await findScenario('rsm', id);
      const [a, b, c] = await Promise.all([5, 5, 6].map((seed) => runScenario(s, { world: 'sim', seed })));
      expect(a!.ok && b!.ok && c!.ok).to.equal(true);
      expect(a!.traceHash).to.be.a('string').and.equal(b!.traceHash);
      expect(c!.traceHash).to.not.equal(a!.traceHash);
    });
  }
});

describe('rsm scenarios catch broken RSMs (the checks bite)', () => {
  /** The errors of `lab` on scenario `id`, seeds 1..count (those that failed). */
  async function failures(lab: Lab, id: string, count: number): Promise<string[]> {
    return (await failingRuns('rsm', id, lab, seedsThrough(count))).map((r) => r.error ?? '');
  }

  it('a state transfer that drops the duplicate table: replicas disagree after the sync (test 10)', async () => {
    const errors = await failures(forgetfulTransferLab, '10', 10);
    expect(errors.length, 'seeds on which test 10 failed').to.be.greaterThan(5);
    expect(errors[0]).to.match(/replicas disagree after the sync of view \d+/);
  });

  // Most seeds: a backup that missed a request stays behind for good and the view's members never
  // settle (one lost heartbeat no longer forces a view change and a state transfer that would hide
  // it); when they do not, the scenario names the member of the view that lacks an acknowledged
  // request. Caught directly on 33 of seeds 1..40 when written (every failure; 79 of 81 failures of
  // seeds 1..100, the other two by the history check).
  it('a primary that replies whatever its backups answer: a backup misses acknowledged writes under message loss (loss-backups: caught directly on at least 28 of seeds 1..40)', async () => {
    const errors = await failures(carelessPrimaryLab, 'loss-backups', 40);
    const direct = errors.filter((e) => /^ScenarioFailure: p\d: acknowledged request \d+ of client c\d+ is lost/.test(e));
    expect(direct.length, `seeds on which loss-backups failed directly, of 40:\n${errors.join('\n---\n')}`).to.be.at.least(28);
  });

  // loss-views kills the primary twice under loss while clients run: the backup that takes over
  // silently missed a request of a careless primary's (its first miss stalls it for the rest of the
  // view), so the requests acknowledged after that miss are gone from the new view. Caught by the
  // direct check on 33 of seeds 1..40 and 36 of seeds 41..80 since the rejoin runs under loss on
  // every link (33 and 32 before).
  it('a primary that replies whatever its backups answer loses acknowledged requests when its backup takes over (loss-views: caught directly on at least 25 of seeds 1..40)', async () => {
    const errors = await failures(carelessPrimaryLab, 'loss-views', 40);
    const direct = errors.filter((e) => /^ScenarioFailure: p\d: acknowledged request \d+ of client c\d+ is lost/.test(e));
    expect(direct.length, `seeds on which loss-views failed directly, of 40:\n${errors.join('\n---\n')}`).to.be.at.least(25);
  });

  // The wedge of a one-strike failure detector (the seed's, and this lab's until late-ping): one late
  // heartbeat drops a live node, the primary of the two left dies, and the survivor is stuck. The
  // fixture's traces equal the pre-fix heartbeater's (same trace hashes on rsm 9-16 and others).
  it('a heartbeater that removes a peer after one late answer wedges late-ping (on at least 45 of 50 seeds)', async () => {
    const errors = await failures(oneStrikeHeartbeatLab, 'late-ping', 50);
    expect(errors.length, 'seeds on which late-ping failed, of 50 (50 when this was written)').to.be.at.least(45);
    // Mostly the view change wedges; on a few seeds (13 of 1..50 since paxos.log's witness file moved
    // the simulated disk's schedule) a peer is dropped and taken back, and view 5's exact membership is wrong.
    const wedged = /waiting for p\d,p2 to know 5 views; last seen: p\d: view 4 \{p\d,p\d\}[^;]*; p2: view 4/;
    const wrongView = /p\d: view 5 is \{p\d,p\d,p\d\}, expected \{p\d,p\d\}/;
    for (const e of errors) expect(wedged.test(e) || wrongView.test(e), e).to.equal(true);
    expect(errors.filter((e) => wedged.test(e)).length, 'seeds on which it wedged').to.be.at.least(40);
  });

  it('the reference passes the same seeds of those scenarios (the failures are the bugs)', async () => {
    for (const id of ['10', 'loss-backups', 'late-ping', 'loss-views']) expect(await failures(rsmLab, id, 10)).to.deep.equal([]);
  });
});

describe('rsm join under message loss', () => {
  // A lost joinreq (or reply) is asked again after a join's worst case, 8 RPC timeouts, not after
  // the seed's 120 s; each timeout in a row doubles the next, up to the join timeout. Env time.
  it('a joiner whose every joinreq is lost asks again after 8, 16, 32, 64 RPC timeouts, then the join timeout, each plus the join retry pause', async () => {
    const cluster = new SimCluster({ lab: 'rsm', seed: 1, nodes: 2, app: 'kv' });
    await cluster.start(0, { first: 0 });
    await cluster.sleep(1000);
    await cluster.faults(1, { loss: 1 });
    await cluster.start(1, { first: 0 });
    await cluster.sleep(400_000);
    const sent = (await events(cluster, 'send')).filter((e) => isJoinreqOf('p1', e.msg)).map((e) => e.t as number);
    await cluster.close();
    const { rpcTimeoutMs, joinRetryMs, joinTimeoutMs } = cluster.timing;
    const timeouts = [8, 16, 32, 64].map((k) => k * rpcTimeoutMs).concat([joinTimeoutMs, joinTimeoutMs]);
    expect(sent.slice(1, timeouts.length + 1).map((t, i) => t - sent[i]!)).to.deep.equal(timeouts.map((ms) => ms + joinRetryMs));
  });
});

function isJoinreqOf(node: string, msg: unknown): boolean {
  const m = msg as { method?: string; type?: string; from?: string } | undefined;
  return m?.method === 'rsm.joinreq' && m.type === 'req' && m.from === node;
}
