// A failure folder says what the latest run of its seed did: `rsmlab test` removes the folders an
// earlier run left for the seeds it runs (a seed that passes now keeps no old failure), leaves other
// seeds' alone, and a failure written again replaces its folder whole (an old shrunk/ goes with it).
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { runSuite } from '../tester/suite.js';
import { runScenario } from '../tester/run.js';
import { findScenario } from '../tester/index.js';
import { wrapping } from '../src/lab.js';
import { paxosLab } from '../labs/paxos/lab.js';

/** A folder as an earlier failing run of that seed left it, with a shrunk run inside. */
function staleFailure(dir: string, name: string): void {
  mkdirSync(join(dir, name, 'shrunk'), { recursive: true });
  writeFileSync(join(dir, name, 'failure.txt'), 'an old failure\n');
  writeFileSync(join(dir, name, 'shrunk', 'failure.txt'), 'an old shrunk failure\n');
}

describe('failure folders of earlier runs', function () {
  this.timeout(120_000);
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'rsmlab-stale-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('rsmlab test removes those of the seeds it runs and keeps the others', async () => {
    for (const seed of [1, 2, 9]) staleFailure(dir, `paxos-0-sim-seed${seed}`);
    staleFailure(dir, 'paxos-1-sim-seed1');
    const result = await runSuite({ lab: 'paxos', world: 'sim', seeds: [1, 2], only: ['0'], jobs: 1, seedTimeoutMs: 60_000, artifactsDir: dir });
    expect(result.outcomes.map((o) => o.status)).to.deep.equal(['passed']);
    expect(readdirSync(dir).sort()).to.deep.equal(['paxos-0-sim-seed9', 'paxos-1-sim-seed1']);
  });

  it('a failure written again replaces its folder whole', async () => {
    staleFailure(dir, 'paxos-0-sim-seed1');
    const broken = wrapping(paxosLab, async () => {
      throw new Error('a start that always fails');
    });
    const run = await runScenario(await findScenario('paxos', '0'), { world: 'sim', seed: 1, lab: broken, artifactsDir: dir });
    expect(run.ok).to.equal(false);
    expect(existsSync(join(dir, 'paxos-0-sim-seed1', 'shrunk')), 'the old shrunk run').to.equal(false);
    expect(readdirSync(join(dir, 'paxos-0-sim-seed1'))).to.include.members(['failure.txt', 'notes.txt', 'trace.jsonl']);
  });
});
