// Grades one submission inside its grading tree (src/grade/workspace.ts): runs the lab's scenarios
// in the simulator on a fixed seed list with the tree's own suite runner (worker processes, each
// under a no-progress watchdog; each scenario stops at its lowest failing seed), one scenario at a
// time, and sends each outcome to the batch as it finishes, over the IPC channel only this process
// holds (never a file: the submission's user can write the run's folder). A hung seed says where it
// was stuck only when the batch says no other submission runs meanwhile (job.stackOnHang): reading
// it opens the worker's inspector on a loopback port any process can reach. It is started by
// src/grade/batch.ts as a child process in a process group of its own; it never prints results.
import { runSuite, type ScenarioOutcome } from '../../tester/suite.js';
import { loadScenarios } from '../../tester/index.js';
import { runsIn } from '../../tester/scenario.js';

export interface GradeOneJob {
  lab: string;
  seeds: number[];
  /** Scenario ids (default: all). */
  only?: string[];
  hangMs: number;
  /** Say where a hung seed's code was stuck (Lane's stackOnHang): only when this submission is the only one running. */
  stackOnHang: boolean;
  /** Where failures/ go. */
  out: string;
}

/** What grade-one sends the batch: an outcome per scenario, as it finishes (a run stopped midway keeps those sent), then `done`. */
export type GradeOneMessage = { outcome: ScenarioOutcome } | { done: true };

function send(message: GradeOneMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    if (process.send === undefined) return reject(new Error('grade-one runs only under rsmlab grade (no IPC channel)'));
    process.send(message, undefined, {}, (error) => (error ? reject(error) : resolve()));
  });
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? '') as GradeOneJob;
  const scenarios = (await loadScenarios(job.lab)).filter((s) => runsIn(s, 'sim') && (!job.only?.length || job.only.includes(s.id)));
  for (const scenario of scenarios) {
    const result = await runSuite({ lab: job.lab, world: 'sim', seeds: job.seeds, only: [scenario.id], jobs: 1, failFast: true, seedTimeoutMs: job.hangMs, stackOnHang: job.stackOnHang, artifactsDir: `${job.out}/failures` });
    for (const outcome of result.outcomes) await send({ outcome });
  }
  await send({ done: true });
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(3);
  },
);
