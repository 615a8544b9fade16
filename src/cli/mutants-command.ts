// `rsmlab mutants <lab>`: the mutant gate. Runs the lab's scenarios in the simulator against every
// mutant of its corpus and prints which were caught, by which scenario, on how many seeds.
// Exit 0 when all were caught, 1 when any survived, 2 when it could not run.
import { formatGate } from '../../tester/mutants/report.js';
import { gateExitCode, runGate } from '../../tester/mutants/gate.js';
import { seedsFrom } from '../../tester/suite.js';

export interface MutantsCommandOptions {
  seeds: number;
  seed: number;
  jobs: number;
  rates?: boolean;
  only?: string[];
  json?: boolean;
  hangMs: number;
}

export async function mutantsCommand(lab: string, options: MutantsCommandOptions): Promise<number> {
  for (const [name, n] of [['--seeds', options.seeds], ['--jobs', options.jobs], ['--hang-ms', options.hangMs]] as const) {
    if (n < 1) throw new Error(`${name} must be at least 1, not ${n}`);
  }
  const seeds = seedsFrom(options.seed, options.seeds);
  const result = await runGate({ lab, seeds, jobs: options.jobs, rates: options.rates, only: options.only, hangMs: options.hangMs });
  process.stdout.write(options.json ? `${JSON.stringify(result, null, 2)}\n` : formatGate(result));
  return gateExitCode(result);
}
