// Lab 3's scenarios once each with real replica processes over WebSocket JSON-RPC, real files with
// fsync and real signals, at the tests' scaled-down timing, two at a time (they mostly wait). A
// failure shows the runner's table: the seed, the replay command and the artifacts folder.
import { expect } from 'chai';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatTable } from '../tester/report.js';
import { runSuite } from '../tester/suite.js';
import { vsrScenarios } from '../tester/vsr/scenarios.js';
import { runsIn } from '../tester/scenario.js';

describe('vsr scenarios with real processes', function () {
  this.timeout(600_000);
  // The VOPR runs in the real world too (rsmlab test vsr --world real); here the named scenarios and
  // the batched VOPR (replica processes started with --pipeline-max 1 --batch-max 4).
  const ids = vsrScenarios.filter((s) => runsIn(s, 'real') && s.id !== 'vopr').map((s) => s.id);

  it(`scenarios ${ids.join(', ')} pass once each`, async () => {
    const result = await runSuite({ lab: 'vsr', world: 'real', seeds: [1], only: ids, jobs: 2, seedTimeoutMs: 180_000, artifactsDir: join(tmpdir(), 'rsmlab-vsr-real-failures') });
    expect(result.outcomes.map((o) => `${o.id}: ${o.status}`), formatTable(result)).to.deep.equal(ids.map((id) => `${id}: passed`));
  });
});
