// `rsmlab sim <lab> <scenario> --seed N`: replay one scenario in the simulator, exactly as the
// failing run did, and print the verdict and trace hash (optionally writing the trace).
import { viewCommand } from '../dashboard/view-command.js';
import { writeFileSync } from 'node:fs';
import { findScenario } from '../../tester/index.js';
import { runScenario } from '../../tester/run.js';

export interface SimCommandOptions {
  seed: number;
  trace?: string;
  json?: boolean;
  artifacts: string;
}

export async function simCommand(lab: string, scenarioId: string, options: SimCommandOptions): Promise<number> {
  const scenario = await findScenario(lab, scenarioId);
  const result = await runScenario(scenario, { world: 'sim', seed: options.seed, artifactsDir: options.artifacts, keepTrace: Boolean(options.trace) });
  if (options.trace && result.trace !== undefined) writeFileSync(options.trace, result.trace);
  if (options.json) {
    const { trace: _omitted, ...rest } = result;
    process.stdout.write(`${JSON.stringify(rest)}\n`);
  } else {
    const lines = [`${lab} ${scenario.id} (${scenario.title}) seed ${options.seed}: ${result.ok ? 'PASS' : 'FAIL'}`, `trace sha256 ${result.traceHash ?? '-'}`];
    if (!result.ok) lines.push(result.error ?? '', `artifacts: ${result.artifacts ?? '-'}`, ...(result.artifacts ? [`see it: ${viewCommand(result.artifacts)}`] : []));
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  return result.ok ? 0 : 1;
}
