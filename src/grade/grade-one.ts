// Grades one submission inside its grading tree (src/grade/workspace.ts): runs the lab's scenarios
// in the simulator on a fixed seed list with the tree's own suite runner (worker processes, each
// under a no-progress watchdog; each scenario stops at its lowest failing seed), and writes result.json for the batch. It is started
// by src/grade/batch.ts as a child process in a process group of its own; it never prints results.
import { writeFileSync } from 'node:fs';
import { runSuite } from '../../tester/suite.js';

export interface GradeOneJob {
  lab: string;
  seeds: number[];
  /** Scenario ids (default: all). */
  only?: string[];
  hangMs: number;
  /** Where result.json and failures/ go. */
  out: string;
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? '') as GradeOneJob;
  const result = await runSuite({ lab: job.lab, world: 'sim', seeds: job.seeds, ...(job.only ? { only: job.only } : {}), jobs: 1, failFast: true, seedTimeoutMs: job.hangMs, artifactsDir: `${job.out}/failures` });
  writeFileSync(`${job.out}/result.json`, JSON.stringify(result));
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(3);
  },
);
