// The seed of every fast-check property in npm test that names none of its own, set once in each
// mocha worker (.mocharc.cjs requires this file): a property runs the same cases on every machine
// and every run, so CI never turns on a lucky draw. RSMLAB_PROPERTY_SEED=<integer> explores others.
// A failing property's error ends with the one command that replays it (replayCommand).
import { relative } from 'node:path';
import fc from 'fast-check';
import type { Context, Test } from 'mocha';

const chosen = process.env.RSMLAB_PROPERTY_SEED;
const seed = chosen === undefined ? 0x0005_eed0 : Number(chosen);
if (!Number.isSafeInteger(seed)) throw new Error(`RSMLAB_PROPERTY_SEED must be an integer, not ${JSON.stringify(chosen)}`);
fc.configureGlobal({ seed });

/** The test running now (mocha runs one at a time in a worker): the one a failing property belongs to. */
let current: Test | undefined;

/** mocha's root hooks (a required file's mochaHooks export): they note each test as it starts. */
export const mochaHooks = {
  beforeEach(this: Context): void {
    current = this.currentTest;
  },
};

function shellQuoted(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/**
 * The command, run at the project's root, that runs `test` alone under this worker's seed: the same
 * cases, so the same failure (a property with a seed of its own ignores the variable, and replays too).
 */
export function replayCommand(test: Test | undefined): string {
  const file = test?.file === undefined ? 'dist/test' : relative(process.cwd(), test.file);
  const only = test === undefined ? '' : ` --fgrep ${shellQuoted(test.fullTitle())}`;
  return `npm run build && RSMLAB_PROPERTY_SEED=${seed} npx mocha --no-config --require dist/test/property-seed.js --timeout 120000 ${file}${only}`;
}

// fast-check's own report (seed, path, counterexample, the error), and after it the replay.
fc.installGlobalPlugin(() => ({
  onAllRunsComplete: (details) => {
    if (!details.failed) return;
    throw new Error(`${fc.defaultReportMessage(details) ?? 'Property failed'}\nReplay this test: ${replayCommand(current)}`, { cause: details.errorInstance });
  },
}));
