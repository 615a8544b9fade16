// The Paxos lab's scenarios (rsm_tester.pl tests 0-7) once each with real node processes over
// WebSocket JSON-RPC, at the runner's scaled-down real-world timing (tester/run.ts), two at a time
// (each mostly waits on its nodes' timers: about half a core); the simulator-only ones (the ghost
// duels) are left out. A failure shows the runner's table: the replay command and the artifacts
// folder with the merged trace.
import { expect } from 'chai';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { paxosScenarios } from '../tester/paxos/scenarios.js';
import { formatTable } from '../tester/report.js';
import { REAL_TIMING_SCALE } from '../tester/run.js';
import { runsIn } from '../tester/scenario.js';
import { runSuite } from '../tester/suite.js';

describe(`paxos scenarios with real processes (timing x${REAL_TIMING_SCALE})`, function () {
  this.timeout(600_000);
  const ids = paxosScenarios.filter((s) => runsIn(s, 'real')).map((s) => s.id);

  it(`tests ${ids.join(', ')} pass once each`, async () => {
    const result = await runSuite({ lab: 'paxos', world: 'real', seeds: [1], only: ids, jobs: 2, seedTimeoutMs: 120_000, artifactsDir: join(tmpdir(), 'rsmlab-paxos-real-failures') });
    expect(result.outcomes.map((o) => `${o.id}: ${o.status}`), formatTable(result)).to.deep.equal(ids.map((id) => `${id}: passed`));
  });
});
