// A failing fast-check property names the one command that replays it (test/property-seed.ts), and
// that command, run as printed, fails the same way: the same seed, path and counterexample, and
// only that test. The properties that fail are test/fixtures/failing-property.ts's, in a mocha of their own.
// handout: framework test (passes without the lab solutions)
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const BUILD = 'npm run build && ';

interface Run {
  code: number;
  output: string;
}

/** Run `command` in bash at the repo's root, with RSMLAB_PROPERTY_SEED set to `seed` or unset. */
async function bash(command: string, seed?: number): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.RSMLAB_PROPERTY_SEED;
  if (seed !== undefined) env.RSMLAB_PROPERTY_SEED = String(seed);
  try {
    const { stdout, stderr } = await promisify(execFile)('bash', ['-c', command], { cwd: repo, env, timeout: 60_000 });
    return { code: 0, output: stdout + stderr };
  } catch (e) {
    const failed = e as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, output: (failed.stdout ?? '') + (failed.stderr ?? '') };
  }
}

const FIXTURE = 'npx mocha --no-config --require dist/test/property-seed.js dist/test/fixtures/failing-property.js';

/** What one failing property printed: fast-check's seed-and-path line, its counterexample, and its replay command. */
function failures(output: string): { report: string; counterexample: string; replay: string }[] {
  const reports = [...output.matchAll(/^\{ seed: -?\d+, path: "[\d:]*".*\}$/gm)].map((m) => m[0]);
  const counterexamples = [...output.matchAll(/^Counterexample: .*$/gm)].map((m) => m[0]);
  const replays = [...output.matchAll(/^Replay this test: (.*)$/gm)].map((m) => m[1]!);
  expect(counterexamples, output).to.have.length(reports.length);
  expect(replays, output).to.have.length(reports.length);
  return reports.map((report, i) => ({ report, counterexample: counterexamples[i]!, replay: replays[i]! }));
}

describe('property replay', () => {
  it('a failing property prints its seed and the command that replays just that test, and the command does', async () => {
    const run = await bash(FIXTURE, 1234);
    expect(run.code, run.output).to.equal(2);
    expect(run.output).to.include('2 failing');
    const found = failures(run.output);
    expect(found).to.have.length(2);
    for (const failure of found) {
      expect(failure.report).to.match(/^\{ seed: 1234, /);
      expect(failure.replay.startsWith(BUILD), failure.replay).to.equal(true);
      expect(failure.replay).to.include('RSMLAB_PROPERTY_SEED=1234 ');
      // npm test built dist/ already (and a build here would rewrite files the other worker is reading).
      const replayed = await bash(failure.replay.slice(BUILD.length));
      expect(replayed.code, replayed.output).to.equal(1);
      expect(replayed.output).to.include('0 passing').and.include('1 failing');
      expect(failures(replayed.output)).to.deep.equal([failure]);
    }
  });

  it('with no RSMLAB_PROPERTY_SEED, the properties run on the pinned seed and the replay names it', async () => {
    const run = await bash(FIXTURE);
    const found = failures(run.output);
    expect(found, run.output).to.have.length(2);
    for (const failure of found) {
      expect(failure.report).to.match(/^\{ seed: 388816, /);
      expect(failure.replay).to.include('RSMLAB_PROPERTY_SEED=388816 ');
    }
  });

  it('a seed that is not an integer stops the run with a message naming the variable', async () => {
    const run = await bash(FIXTURE, Number.NaN);
    expect(run.code).to.not.equal(0);
    expect(run.output).to.include('RSMLAB_PROPERTY_SEED must be an integer, not "NaN"');
  });
});
