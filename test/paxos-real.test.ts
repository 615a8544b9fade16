// The Paxos lab's scenarios (rsm_tester.pl tests 0-7) once each with real node processes over
// WebSocket JSON-RPC, at the runner's scaled-down real-world timing (tester/run.ts); the simulator-only
// ones (the ghost duels) are left out. A failure names the replay command and the merged trace written under failures/.
import { expect } from 'chai';
import { paxosScenarios } from '../tester/paxos/scenarios.js';
import { REAL_TIMING_SCALE, runScenario } from '../tester/run.js';
import { runsIn } from '../tester/scenario.js';

describe(`paxos scenarios with real processes (timing x${REAL_TIMING_SCALE})`, function () {
  this.timeout(120_000);
  for (const s of paxosScenarios.filter((x) => runsIn(x, 'real'))) {
    it(`test ${s.id}: ${s.title}`, async () => {
      const result = await runScenario(s, { world: 'real', seed: 1 });
      if (!result.ok) expect.fail(`test ${s.id} failed\nreplay: ${result.replay}\ntrace: ${result.artifacts}/trace.jsonl\n${result.notes.join('\n')}\n${result.error}`);
    });
  }
});
