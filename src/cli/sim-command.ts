// `rsmlab sim <lab> <scenario> --seed N`: replay one scenario in the simulator, exactly as the
// failing run did, and print the verdict and trace hash (optionally writing the trace). The replay
// runs in a worker (src/cli/sim-replay.ts) on a lane's watchdog: a seed whose lab code never yields
// is killed after --hang-ms and reported with where it was stuck, as `rsmlab test` reports it, not
// left running forever. It checks the paths and the scenario first; it never runs lab code itself.
import { fileURLToPath } from 'node:url';
import { findScenario } from '../../tester/index.js';
import { HANG_MS, Lane } from '../../tester/lane.js';
import type { SimCommandOptions, SimJob, SimMessage } from './sim-replay.js';
import { checkOutputFile, checkOutputFolder } from './output-paths.js';

export type { SimCommandOptions } from './sim-replay.js';

const workerPath = fileURLToPath(new URL('./sim-replay.js', import.meta.url));

export async function simCommand(lab: string, scenarioId: string, options: SimCommandOptions): Promise<number> {
  const scenario = await findScenario(lab, scenarioId);
  checkOutputFolder('--artifacts', options.artifacts);
  if (options.trace !== undefined) checkOutputFile('--trace', options.trace);
  const hangMs = options.hangMs ?? HANG_MS.sim;
  const lane = new Lane<SimJob, SimMessage>(workerPath, hangMs);
  let answer: SimMessage | undefined;
  try {
    const end = await lane.run({ lab, scenario: scenario.id, options }, (m) => (answer = m), () => `seed ${options.seed}`);
    if (end.kind !== 'done') {
      const verdict = end.kind === 'hung' ? 'HUNG' : 'CRASHED';
      const text = options.json
        ? JSON.stringify({ lab, scenario: scenario.id, title: scenario.title, world: 'sim', seed: options.seed, ok: false, [end.kind]: true, error: end.message })
        : `${lab} ${scenario.id} (${scenario.title}) seed ${options.seed}: ${verdict}\n${end.message}`;
      process.stdout.write(`${text}\n`);
      return 1;
    }
  } finally {
    lane.close();
  }
  if (answer === undefined) throw new Error('the replay worker said nothing');
  if (answer.type === 'refused') throw new Error(answer.message);
  process.stdout.write(`${answer.text}\n`);
  return answer.code;
}
