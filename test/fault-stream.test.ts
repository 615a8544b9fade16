// Issue 6's separate streams, in the tester: the VOPR's nemesis draws its crashes, restarts and
// partitions (and the liveness core) from the seed's fault stream, the client load from the workload
// stream, so a load that draws once more per choice leaves the seed's fault schedule where it was.
import { expect } from 'chai';
import { findScenario } from '../tester/index.js';
import { runScenario, type ScenarioResult } from '../tester/run.js';
import type { Scenario } from '../tester/scenario.js';

/** The nemesis' notes: its crashes, restarts, cuts, heals and power cuts, and the liveness core it drew. */
const NEMESIS = /^(crash p\d|restart p\d|partition: |heal the network|power cut|liveness: core )/;

/** The scenario, with its workload stream drawing one extra number before each it hands out. */
function greedyWorkload(scenario: Scenario): Scenario {
  return {
    ...scenario,
    run: (ctx) => {
      const random = (): number => {
        ctx.random();
        return ctx.random();
      };
      return scenario.run({ ...ctx, random });
    },
  };
}

/** The nemesis' notes of a run, split where its safety phase ends and the liveness phase begins. */
function faultSchedule(r: ScenarioResult): { safety: string[]; liveness: string[] } {
  const notes = r.notes.filter((n) => NEMESIS.test(n));
  const end = notes.findIndex((n) => n.startsWith('liveness: core '));
  expect(end, r.notes.join('\n')).to.be.at.least(0);
  return { safety: notes.slice(0, end), liveness: notes.slice(end) };
}

describe('the fault stream: a workload draw more moves no fault', function () {
  this.timeout(120_000);

  // The one thing the load may still move is where the safety phase ends: it ends early once the
  // load is done (seed 5: one step apart), and then the liveness phase starts from other replicas down.
  for (const seed of [1, 2, 3, 4, 5]) {
    it(`vsr vopr seed ${seed}: the load draws twice as much, the nemesis crashes, restarts and cuts the same replicas in the same order`, async () => {
      const vopr = await findScenario('vsr', 'vopr');
      const plain = await runScenario(vopr, { world: 'sim', seed });
      const greedy = await runScenario(greedyWorkload(vopr), { world: 'sim', seed });
      expect(plain.ok && greedy.ok, `${plain.error ?? ''} ${greedy.error ?? ''}`).to.equal(true);
      const [a, b] = [faultSchedule(plain), faultSchedule(greedy)];
      expect(a.safety.length, `seed ${seed}: the nemesis made faults`).to.be.greaterThan(0);
      const shorter = Math.min(a.safety.length, b.safety.length);
      expect(b.safety.slice(0, shorter)).to.deep.equal(a.safety.slice(0, shorter));
      if (a.safety.length === b.safety.length) expect(b.liveness).to.deep.equal(a.liveness);
    });
  }
});
