// The Paxos lab's scenarios (rsm_tester.pl tests 0-7) in the simulator on the reference lab, and the
// same scenarios failing on deliberately broken variants (the checks bite). The reference passing
// every scenario on 1000 seeds is test/suite.test.ts's `rsmlab test paxos --seeds 1000 --jobs 2`
// (which names any failing seed, its replay command and its trace folder); that the report is the
// same for --jobs 1 is compared there on 120 seeds.
import { expect } from 'chai';
import type { Lab } from '../src/lab.js';
import { findScenario } from '../tester/index.js';
import { runScenario } from '../tester/run.js';
import { amnesiacPaxosLab, eagerPaxosLab, halfQuorumPaxosLab, stubbornPaxosLab } from './fixtures/paxos-broken.js';
import { seedsThrough } from '../tester/suite.js';
import { failingRuns } from './fixtures/mutant-rate.js';

const seeds = seedsThrough(30);

describe('paxos scenarios in the simulator', () => {
  it('replays a seed exactly: same seed, same trace hash', async () => {
    const s = await findScenario('paxos', '7');
    const [a, b, c] = await Promise.all([7, 7, 8].map((seed) => runScenario(s, { world: 'sim', seed })));
    expect(a!.traceHash).to.be.a('string').and.equal(b!.traceHash);
    expect(c!.traceHash).to.not.equal(a!.traceHash);
  });
});

describe('paxos scenarios catch broken Paxos (the checks bite)', () => {
  const brokenSeeds = seeds;

  /** The errors of `lab` on scenario `id`, on brokenSeeds (those that failed). */
  async function failures(lab: Lab, id: string, on: readonly number[] = brokenSeeds): Promise<string[]> {
    return (await failingRuns('paxos', id, lab, on)).map((r) => r.error ?? '');
  }

  it('an acceptor that does not persist n_a/v_a fails test 7: view 5 is lost across the restarts', async () => {
    const errors = await failures(amnesiacPaxosLab, '7');
    expect(errors.length, 'seeds on which test 7 failed').to.be.greaterThan(0);
    expect(errors[0]).to.match(/view 5 is \{p1,p2,p3\}, expected \{p0,p1,p2\}/);
  });

  it('an acceptor that replies before its log write completes fails power-accept on at least 20 of seeds 1-50 (IO takes time)', async () => {
    const errors = await failures(eagerPaxosLab, 'power-accept', seedsThrough(50));
    expect(errors.length, 'seeds of 1-50 on which power-accept failed (37 when last measured, 39 before the heartbeater confirmed silent pings)').to.be.at.least(20);
    expect(errors[0]).to.match(/p1: view 4 is \{p1,p2\}, expected \{p0,p1\}/);
  });

  it('the same acceptor still passes test 6 (nobody restarts there): the failure is the persistence', async () => {
    expect(await failures(amnesiacPaxosLab, '6')).to.deep.equal([]);
  });

  it('a proposer that ignores the highest-n_a v_a fails tests 6 and 7', async () => {
    for (const id of ['6', '7']) {
      const errors = await failures(stubbornPaxosLab, id);
      expect(errors.length, `seeds on which test ${id} failed`).to.be.greaterThan(0);
      expect(errors[0]).to.match(/view 5 is \{p1,p2,p3\}, expected \{p0,p1,p2\}/);
    }
  });

  it('a proposer that counts half the view as a majority forms views without one (tests 4, 6, 7)', async () => {
    for (const id of ['4', '6', '7']) {
      const errors = await failures(halfQuorumPaxosLab, id);
      expect(errors.length, `seeds on which test ${id} failed`).to.be.greaterThan(0);
      expect(errors[0]).to.match(/knows view \d+ .*, but no view past 4 can form without a majority/);
    }
  });
});
