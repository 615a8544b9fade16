// Turns a suite result into what graders consume: a human table with points, Gradescope's
// results.json, and JUnit XML. Pure formatting: it never runs anything or touches files. The
// table holds no wall times, so the same run gives the same table whatever the number of workers.
import { artifactsName, failureLines, replayLine } from './failure-text.js';
import type { ScenarioOutcome, SuiteResult } from './suite.js';
import { viewCommand } from '../src/dashboard/view-command.js';

function pad(text: string, width: number): string {
  return text.length >= width ? text.slice(0, width) : text + ' '.repeat(width - text.length);
}

function earned(o: ScenarioOutcome): number {
  return o.status === 'passed' ? o.points : 0;
}

/** "3 of 1000 seeds failed (lowest: 17)", and what was not run. */
function seedsLine(o: ScenarioOutcome): string {
  const lowest = o.lowestFailingSeed === undefined ? '' : ` (lowest: ${o.lowestFailingSeed})`;
  const failed = o.failedSeeds === 0 ? 'no seed failed' : `${o.failedSeeds} of ${o.totalSeeds} seed${o.totalSeeds === 1 ? '' : 's'} failed${lowest}`;
  return o.skippedSeeds === 0 ? failed : `${failed}; ${o.skippedSeeds} not run (stopped ${o.status === 'failed' ? 'at the first failure' : `after the ${o.status} seed`})`;
}

/**
 * Not one seed of it ran: the submission was empty or did not compile, its grading timed out or
 * crashed before any result. Its seed counts would read "no seed failed", which it never earned.
 */
function neverRan(o: ScenarioOutcome): boolean {
  return o.passedSeeds + o.failedSeeds === 0;
}

/**
 * The characters of a failure's line shown at most: a student's error can be megabytes on one line
 * (a thrown string built in a loop), which every test's output and the table would repeat. Its
 * other lines (the replay command among them) are kept.
 */
export const LINE_MAX = 2000;

function clipLine(line: string): string {
  return line.length <= LINE_MAX ? line : `${line.slice(0, LINE_MAX)} … (${line.length - LINE_MAX} more characters)`;
}

function failureText(o: ScenarioOutcome): string {
  const text = neverRan(o) ? `not run: ${seedText(o) || 'no reason was given'}` : [seedsLine(o), seedText(o)].join('\n');
  return text.split('\n').map(clipLine).join('\n');
}

function seedText(o: ScenarioOutcome): string {
  if (o.failure) return [...failureLines(o.failure, o.shrink), ...(o.shrinkProblem ? [o.shrinkProblem] : [])].join('\n');
  return [o.message ?? '', o.replay ? replayLine(o.replay) : ''].filter(Boolean).join('\n');
}

/**
 * A simulated seed that hung was killed in a quiet worker, which keeps no trace: its replay (with
 * the same --hang-ms) stops it the same way and writes the trace up to where it stuck, in the
 * default failures/ folder of wherever it is run. The table says so; Gradescope's results leave
 * out every folder (src/grade/batch.ts says why instead).
 */
function hungReplayLines(lab: string, o: ScenarioOutcome): string[] {
  if (o.status !== 'hung' || o.lowestFailingSeed === undefined || !o.replay?.startsWith('npx rsmlab sim ')) return [];
  const folder = `failures/${artifactsName({ lab, scenario: o.id, world: 'sim', seed: o.lowestFailingSeed })}`;
  return [`the replay stops it the same way and writes its trace up to there; then: ${viewCommand(folder)}`];
}

/** A test that did not pass, as the table names it: failed (and how), or not run. */
function heading(result: SuiteResult, o: ScenarioOutcome): string {
  const test = `${result.lab} ${o.id} (${o.title})`;
  return o.status === 'not run' ? `NOT RUN ${test}` : `FAILED ${test} — ${o.status}`;
}

export function formatTable(result: SuiteResult): string {
  const seeds = result.world === 'sim' ? `${result.seeds.length} seed${result.seeds.length === 1 ? '' : 's'} (${result.seeds[0]}..${result.seeds.at(-1)})` : `seed ${result.seeds[0]}`;
  const lines = [`rsmlab test ${result.lab} — world ${result.world}, ${seeds}`, ''];
  // The title goes last: the columns stay narrow and aligned, and a long title runs on to the right
  // instead of widening every row (some titles are over 150 characters).
  const idWidth = Math.max(6, ...result.outcomes.map((o) => o.id.length + 2));
  const seedsWidth = Math.max(7, ...result.outcomes.map((o) => `${o.passedSeeds}/${o.totalSeeds}`.length + 2));
  const pointsWidth = Math.max(8, ...result.outcomes.map((o) => `${earned(o)}/${o.points}`.length + 2));
  lines.push(`${pad('test', idWidth)}${pad('result', 9)}${pad('seeds', seedsWidth)}${pad('points', pointsWidth)}title`);
  for (const o of result.outcomes) {
    lines.push(`${pad(o.id, idWidth)}${pad(o.status.toUpperCase(), 9)}${pad(`${o.passedSeeds}/${o.totalSeeds}`, seedsWidth)}${pad(`${earned(o)}/${o.points}`, pointsWidth)}${o.title}`);
  }
  const passed = result.outcomes.filter((o) => o.status === 'passed').length;
  const points = result.outcomes.reduce((sum, o) => sum + earned(o), 0);
  const max = result.outcomes.reduce((sum, o) => sum + o.points, 0);
  lines.push('', `${passed}/${result.outcomes.length} tests passed. Points: ${points}/${max}`);
  const firstWith = new Map<string, string>();
  for (const o of result.outcomes.filter((x) => x.status !== 'passed')) {
    const error = labError(o);
    const earlier = error === undefined ? undefined : firstWith.get(error);
    if (error !== undefined && earlier === undefined) firstWith.set(error, o.id);
    const text = earlier === undefined || error === undefined ? [failureText(o), ...hungReplayLines(result.lab, o)].join('\n') : sameFailureText(o, earlier, error);
    lines.push('', heading(result, o), `  ${text.split('\n').join('\n  ')}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The first error a test's lab code threw, without where (`(in p0, …)`): the key by which the table tells one failure told already. */
function labError(o: ScenarioOutcome): string | undefined {
  return o.failure?.labErrors?.[0]?.replace(/ \(in [^()]*\)$/, '');
}

/**
 * A failed test whose lab code threw what an earlier failed test's did (a hand-out's stubs fail every
 * test on one TODO): its seeds, that it is the same error, and its own replay; the earlier test's
 * block has the rest. Gradescope and JUnit, which show each test alone, keep every test's whole text.
 */
function sameFailureText(o: ScenarioOutcome, earlier: string, error: string): string {
  const replay = o.failure?.replay ?? o.replay;
  return [seedsLine(o), `seed ${o.lowestFailingSeed}: lab code threw what it threw in test ${earlier}: ${error}`, ...(replay ? [replayLine(replay)] : [])].map(clipLine).join('\n');
}

/** The one name a test has in every grader format: lab, id, title and the world it ran in. */
export function testName(result: SuiteResult, o: ScenarioOutcome): string {
  return `${result.lab} ${o.id}: ${o.title} [${result.world}]`;
}

/**
 * Gradescope's autograder results.json (https://gradescope-autograders.readthedocs.io, "Output
 * format"): every world's tests, each with the seconds its seeds took (`execution_time`, which
 * Gradescope shows beside it; the run's is their sum); `output`, when not empty, is shown above
 * them (what stopped grading, a compiler's errors).
 */
export function formatGradescope(results: SuiteResult[], output = ''): string {
  const tests = results.flatMap((result) =>
    result.outcomes.map((o) => ({
      name: testName(result, o),
      score: earned(o),
      max_score: o.points,
      status: o.status === 'passed' ? 'passed' : 'failed',
      execution_time: seconds(o.elapsedMs),
      output: o.status === 'passed' ? `passed ${o.passedSeeds}/${o.totalSeeds} seeds` : failureText(o),
    })),
  );
  const score = tests.reduce((sum, t) => sum + t.score, 0);
  const execution_time = seconds(results.reduce((sum, r) => sum + r.outcomes.reduce((ms, o) => ms + o.elapsedMs, 0), 0));
  return `${JSON.stringify({ score, execution_time, ...(output ? { output } : {}), tests }, null, 2)}\n`;
}


/** `rsmlab test --json`: one object for the whole run, every test labelled with its world, failures with their replay. */
export function formatJson(results: SuiteResult[]): string {
  const tests = results.flatMap((result) =>
    result.outcomes.map((o) => ({
      name: testName(result, o),
      lab: result.lab,
      world: result.world,
      id: o.id,
      title: o.title,
      status: o.status,
      score: earned(o),
      max_score: o.points,
      passed_seeds: o.passedSeeds,
      failed_seeds: o.failedSeeds,
      skipped_seeds: o.skippedSeeds,
      total_seeds: o.totalSeeds,
      elapsed_ms: o.elapsedMs,
      ...(o.status === 'not run' && { not_run: { why: o.message, replay: o.replay } }),
      ...(o.status !== 'passed' && o.status !== 'not run' && {
        failure: {
          seed: o.lowestFailingSeed,
          error: o.failure?.error ?? o.message,
          lab_errors: o.failure?.labErrors ?? [],
          replay: o.failure?.replay ?? o.replay,
          artifacts: o.failure?.artifacts,
          ...(o.shrink && { shrink: o.shrink }),
        },
      }),
    })),
  );
  const summary = {
    lab: results[0]?.lab,
    worlds: results.map((r) => ({ world: r.world, seeds: r.seeds.length, first_seed: r.seeds[0] })),
    passed: tests.filter((t) => t.status === 'passed').length,
    total: tests.length,
    score: tests.reduce((sum, t) => sum + t.score, 0),
    max_score: tests.reduce((sum, t) => sum + t.max_score, 0),
    tests,
  };
  return `${JSON.stringify(summary, null, 2)}\n`;
}

/**
 * What XML 1.0 cannot hold at all, not even as a character reference: C0 controls other than tab,
 * newline and carriage return, U+FFFE, U+FFFF and lone surrogates (a paired one is one code point).
 */
const NOT_XML = /[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]|\p{Cs}/gu;

/**
 * Each such character spelled out as a JavaScript escape (`\x1b`, `\x00`, `\ud800`): a student's
 * error keeps its text and shows exactly which character it held (`\x1b[31m` is an ANSI colour
 * code, as the student would write it in a string), where U+FFFD for every one of them would say
 * only that something was there.
 */
function spellOut(c: string): string {
  const code = c.charCodeAt(0);
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

function xml(text: string): string {
  return text.replace(NOT_XML, spellOut).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Milliseconds as the seconds Gradescope and JUnit take, to the millisecond. */
function seconds(ms: number): number {
  return Math.round(ms) / 1000;
}

/** JUnit's counts of `outcomes`: tests, failures (failed, hung or crashed) and, when any, skipped (not run). */
function junitCounts(outcomes: readonly ScenarioOutcome[]): string {
  const failures = outcomes.filter((o) => o.status !== 'passed' && o.status !== 'not run').length;
  const skipped = outcomes.filter((o) => o.status === 'not run').length;
  const total = outcomes.reduce((sum, o) => sum + o.elapsedMs, 0);
  return `tests="${outcomes.length}" failures="${failures}"${skipped > 0 ? ` skipped="${skipped}"` : ''} time="${seconds(total).toFixed(3)}"`;
}

function junitCase(result: SuiteResult, o: ScenarioOutcome): string {
  const open = `    <testcase classname="rsmlab.${xml(result.lab)}.${result.world}" name="${xml(`${o.id}: ${o.title}`)}" time="${seconds(o.elapsedMs).toFixed(3)}"`;
  if (o.status === 'passed') return `${open}/>`;
  const element = o.status === 'not run' ? 'skipped' : 'failure';
  return `${open}>\n      <${element} message="${xml(o.status)}">${xml(failureText(o))}</${element}>\n    </testcase>`;
}

function junitSuite(result: SuiteResult): string[] {
  return [`  <testsuite name="rsmlab ${xml(result.lab)} (${result.world})" ${junitCounts(result.outcomes)}>`, ...result.outcomes.map((o) => junitCase(result, o)), '  </testsuite>'];
}

/** JUnit XML: one <testsuite> per world, so a CI shows the simulator's and the real world's results apart; a test not run is <skipped>. */
export function formatJunit(results: SuiteResult[]): string {
  return ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites ${junitCounts(results.flatMap((r) => r.outcomes))}>`, ...results.flatMap(junitSuite), '</testsuites>', ''].join('\n');
}
