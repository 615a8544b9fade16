// `rsmlab sim` and `rsmlab shrink`, as the CLI runs them: the command runs in a worker process
// (src/cli/watched-worker.ts) on a lane's no-progress watchdog, so that lab code stuck in a loop is
// killed after --hang-ms and reported with where it was stuck, as `rsmlab test` reports a hung
// seed, instead of spinning for ever. This side checks the scenario and output paths first and
// prints what the worker sends; it never runs lab code itself.
import { fileURLToPath } from 'node:url';
import { artifactLines, replayLine } from '../../tester/failure-text.js';
import { findScenario } from '../../tester/index.js';
import { hangFlag, Lane } from '../../tester/lane.js';
import { replayCommand } from '../../tester/run.js';
import type { Scenario } from '../../tester/scenario.js';
import { chosenVariant } from '../../tester/variant.js';
import { checkOutputFile, checkOutputFolder } from './output-paths.js';
import type { SimCommandOptions } from './sim-command.js';
import type { ShrinkCommandOptions } from './shrink-command.js';

/** What a command prints (stdout, one final newline added) and exits with. */
export interface CommandOutput {
  text: string;
  code: number;
}

export type WatchedJob = { lab: string; scenario: string } & ({ command: 'sim'; options: SimCommandOptions } | { command: 'shrink'; options: ShrinkCommandOptions });

/** The command's output, or why it refused to run (a bad --veto or --lab-module: the CLI's error, exit 2). */
export type WatchedMessage = ({ type: 'output' } & CommandOutput) | { type: 'refused'; message: string };

const workerPath = fileURLToPath(new URL('./watched-worker.js', import.meta.url));

/** The command that replays the job's seed as it ran (its variant, its vetoes, its hang limit): `rsmlab sim`, for a shrink too. */
function replayOf(job: WatchedJob, scenario: Scenario, hangMs: number): string {
  const veto = job.command === 'sim' && job.options.veto !== undefined ? ` --veto ${job.options.veto}` : '';
  return `${replayCommand(scenario, 'sim', job.options.seed, chosenVariant(job.options))}${veto}${hangFlag(hangMs, 'sim')}`;
}

/** Run `job` in a watched worker, print its output and resolve with its exit code; a hang or a crash is reported as the run's failure (exit 1), with its replay command. */
export async function runWatched(job: WatchedJob, hangMs: number): Promise<number> {
  const scenario = await findScenario(job.lab, job.scenario);
  checkOutputFolder('--artifacts', job.options.artifacts);
  if (job.command === 'sim' && job.options.trace !== undefined) checkOutputFile('--trace', job.options.trace);
  const { seed, json } = job.options;
  const lane = new Lane<WatchedJob, WatchedMessage>(workerPath, hangMs);
  let answer: WatchedMessage | undefined;
  try {
    const end = await lane.run(job, (m) => (answer = m), () => `seed ${seed}`);
    if (end.kind !== 'done') {
      const verdict = end.kind === 'hung' ? 'HUNG' : 'CRASHED';
      const artifacts = end.kind === 'hung' ? end.artifacts : undefined;
      const replay = replayOf(job, scenario, hangMs);
      const text = json
        ? JSON.stringify({ lab: job.lab, scenario: scenario.id, title: scenario.title, world: 'sim', seed, ok: false, [end.kind]: true, error: end.message, replay, ...(artifacts !== undefined && { artifacts }) })
        : [`${job.lab} ${scenario.id} (${scenario.title}) seed ${seed}: ${verdict}`, end.message, replayLine(replay), ...artifactLines(artifacts)].join('\n');
      process.stdout.write(`${text}\n`);
      return 1;
    }
  } finally {
    lane.close();
  }
  if (answer === undefined) throw new Error(`the ${job.command} worker said nothing`);
  if (answer.type === 'refused') throw new Error(answer.message);
  process.stdout.write(`${answer.text}\n`);
  return answer.code;
}
