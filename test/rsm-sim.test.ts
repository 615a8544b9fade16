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
import { runSuite, type SuiteResult } from '../tester/suite.js';
import { rsmLab } from '../labs/rsm/lab.js';
import { carelessPrimaryLab, forgetfulTransferLab } from './fixtures/rsm-broken.js';

/** Seeds per scenario: 12 scenarios x 200 seeds take about a minute. */
const SEEDS = 200;
const seeds = Array.from({ length: SEEDS }, (_, i) => i + 1);

/** A registered scenario run on another Lab object (a broken variant); its error, or null if it passed. */
async function runOn(lab: Lab, id: string, seed: number): Promise<string | null> {
  return (await runScenario(await findScenario('rsm', id), { world: 'sim', seed, lab, quiet: true })).error ?? null;
}

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

  it('replays a seed exactly: same seed, same trace hash', async () => {
    const s = await findScenario('rsm', '12');
    const [a, b, c] = await Promise.all([5, 5, 6].map((seed) => runScenario(s, { world: 'sim', seed })));
    expect(a!.ok && b!.ok && c!.ok).to.equal(true);
    expect(a!.traceHash).to.be.a('string').and.equal(b!.traceHash);
    expect(c!.traceHash).to.not.equal(a!.traceHash);
  });
});

describe('rsm scenarios catch broken RSMs (the checks bite)', () => {
  async function failures(lab: Lab, id: string, count: number): Promise<string[]> {
    const errors: string[] = [];
    for (const seed of seeds.slice(0, count)) {
      const error = await runOn(lab, id, seed);
      if (error !== null) errors.push(error);
    }
    return errors;
  }

  it('a state transfer that drops the duplicate table: replicas disagree after the sync (test 10)', async () => {
    const errors = await failures(forgetfulTransferLab, '10', 10);
    expect(errors.length, 'seeds on which test 10 failed').to.be.greaterThan(5);
    expect(errors[0]).to.match(/replicas disagree after the sync of view \d+/);
  });

  it('a primary that replies whatever its backups answer: acknowledged writes are lost under message loss (on at least 8 of 40 seeds)', async () => {
    const errors = await failures(carelessPrimaryLab, 'loss-backups', 40);
    expect(errors.length, 'seeds on which loss-backups failed, of 40').to.be.at.least(8);
    // Caught directly: an acknowledged (client, seq) missing from a replica's exactly-once table.
    expect(errors.some((e) => /acknowledged request \d+ of client \S+ is lost/.test(e)), errors.join('\n---\n')).to.equal(true);
  });

  it('the reference passes the same seeds of those scenarios (the failures are the bugs)', async () => {
    for (const id of ['10', 'loss-backups']) expect(await failures(rsmLab, id, 10)).to.deep.equal([]);
  });
});
