// What graders read from tester/report.ts, built from hand-made suite results: JUnit XML that an
// XML parser accepts whatever a student's error holds, and what a failed test's output says.
import { spawnSync } from 'node:child_process';
import { expect } from 'chai';
import { formatGradescope, formatJson, formatJunit, formatTable, LINE_MAX } from '../tester/report.js';
import type { ScenarioOutcome, SuiteResult } from '../tester/suite.js';

/** A handler's error with every kind of character XML 1.0 cannot hold, and markup. */
const NASTY = 'bad \u0000\u0001\u001b[31m ]]> <tag> & done \uFFFE\uD800';
/** The same text as junit.xml spells it out. */
const SPELLED = 'bad \\x00\\x01\\x1b[31m ]]> <tag> & done \\ufffe\\ud800';

function outcome(fields: Partial<ScenarioOutcome>): ScenarioOutcome {
  return { id: '7', title: 'a title', points: 10, status: 'failed', passedSeeds: 0, failedSeeds: 1, skippedSeeds: 0, totalSeeds: 1, elapsedMs: 5, ...fields };
}

function suite(...outcomes: ScenarioOutcome[]): SuiteResult {
  return { lab: 'paxos', world: 'sim', seeds: [1], outcomes };
}

/** Python's XML parser over `xml`: the text of each <failure>, or its complaint. */
function parseFailures(xml: string): { texts?: string[]; error?: string; noParser?: boolean } {
  const script = 'import json, sys\nfrom xml.dom.minidom import parse\ndoc = parse(sys.stdin.buffer)\nprint(json.dumps([f.getAttribute("message") + ": " + "".join(n.data for n in f.childNodes) for f in doc.getElementsByTagName("failure")]))';
  const run = spawnSync('python3', ['-c', script], { input: xml, encoding: 'utf8' });
  if (run.error) return { noParser: true };
  return run.status === 0 ? { texts: JSON.parse(run.stdout) as string[] } : { error: run.stderr };
}

describe('report: junit.xml', () => {
  it('is well-formed XML when a student\'s error holds control characters, and keeps their text spelled out', function () {
    const failed = outcome({ failure: { lab: 'paxos', scenario: '7', title: 'a title', world: 'sim', seed: 1, ok: false, error: `Error: ${NASTY}`, labErrors: [NASTY], replay: 'npx rsmlab sim paxos 7 --seed 1', notes: [] } });
    const crashed = outcome({ id: '8', status: 'crashed', message: NASTY });
    const junit = formatJunit([suite(failed, crashed)]);
    // XML 1.0's Char production: nothing else may appear in a document, escaped or not.
    expect(junit.match(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u), 'a character XML cannot hold').to.equal(null);
    const parsed = parseFailures(junit);
    if (parsed.noParser) this.skip(); // no python3 here: the character check above still ran
    expect(parsed.error).to.equal(undefined);
    expect(parsed.texts).to.have.length(2);
    expect(parsed.texts![0]).to.include(`seed 1: Error: ${SPELLED}`).and.include(`lab code threw: ${SPELLED}`);
    expect(parsed.texts![1]).to.include(SPELLED);
  });
});

describe('report: a student error of megabytes', () => {
  it('shows each line of a failure up to LINE_MAX characters in every format, and keeps the lines after it (the replay command)', () => {
    const huge = `Error: ${'x'.repeat(1_000_000)}`;
    const crashed = outcome({ status: 'crashed', lowestFailingSeed: 1, message: `${huge}\nsecond line`, replay: 'npx rsmlab sim paxos 7 --seed 1' });
    const failed = outcome({ id: '8', failure: { lab: 'paxos', scenario: '8', title: 'a title', world: 'sim', seed: 1, ok: false, error: huge, labErrors: [huge], replay: 'npx rsmlab sim paxos 8 --seed 1', notes: [] } });
    const clipped = `${huge.slice(0, LINE_MAX)} … (${huge.length - LINE_MAX} more characters)`;
    const outputs = (JSON.parse(formatGradescope([suite(crashed, failed)])) as { tests: { output: string }[] }).tests.map((t) => t.output);
    for (const text of [...outputs, formatTable(suite(crashed, failed)), formatJunit([suite(crashed, failed)])]) {
      expect(text.length, 'the output is bounded').to.be.below(4 * LINE_MAX + 2000);
      expect(text).to.include('more characters)').and.include('--seed 1');
    }
    expect(outputs[0]).to.include(`${clipped}\nsecond line`).and.include('npx rsmlab sim paxos 7 --seed 1');
    expect(outputs[1]).to.match(/^seed 1: Error: x+ … \(\d+ more characters\)$/m).and.match(/^lab code threw: Error: x+ … \(\d+ more characters\)$/m).and.include('npx rsmlab sim paxos 8 --seed 1');
  });
});

describe('report: a test that never ran', () => {
  const problem = 'the submission does not compile:\nlabs/paxos/acceptor.ts(3,1): error TS1005: \';\' expected.';
  // As src/grade/batch.ts's withEveryScenario makes it for a test the grading never reached.
  const notRun = outcome({ status: 'crashed', passedSeeds: 0, failedSeeds: 0, skippedSeeds: 2, totalSeeds: 2, message: problem });
  const crashedAtOne = outcome({ id: '8', status: 'crashed', passedSeeds: 0, failedSeeds: 1, lowestFailingSeed: 1, skippedSeeds: 1, totalSeeds: 2, message: 'lab code ended the process', replay: 'npx rsmlab sim paxos 8 --seed 1' });

  it('says "not run" and why, in Gradescope\'s output and the table, never "no seed failed"', () => {
    const tests = (JSON.parse(formatGradescope([suite(notRun)])) as { tests: { output: string }[] }).tests;
    expect(tests.map((t) => t.output)).to.deep.equal([`not run: ${problem}`]);
    const table = formatTable(suite(notRun));
    expect(table).to.include(`not run: ${problem.replace('\n', '\n  ')}`).and.not.include('no seed failed');
    expect(formatJunit([suite(notRun)])).to.include('not run: the submission does not compile').and.not.include('no seed failed');
  });

  it('a test stopped after a seed that ran still counts its seeds', () => {
    const tests = (JSON.parse(formatGradescope([suite(crashedAtOne)])) as { tests: { output: string }[] }).tests;
    expect(tests[0]!.output).to.equal('1 of 2 seeds failed (lowest: 1); 1 not run (stopped after the crashed seed)\nlab code ended the process\nreplay: npx rsmlab sim paxos 8 --seed 1');
  });
});

describe('report: a shrunk failure', () => {
  const failure = { lab: 'paxos', scenario: '4', title: 'a title', world: 'sim' as const, seed: 1, ok: false, error: 'ScenarioFailure: p0: knows view 6', replay: 'npx rsmlab sim paxos 4 --seed 1', artifacts: 'failures/paxos-4-sim-seed1', notes: [] };
  const shrink = {
    seed: 1,
    check: 'ScenarioFailure: p#: knows view #',
    decisionsBefore: 64,
    decisionsAfter: 3,
    eventsBefore: 190,
    eventsAfter: 194,
    kindsBefore: { delay: 61, crash: 2, restart: 1 },
    kept: ['crash p2#1', 'crash p1#1', 'restart p2#1'],
    runs: 9,
    complete: true,
    error: 'ScenarioFailure: p0: knows view 6',
    replay: 'npx rsmlab sim paxos 4 --seed 1 --veto failures/paxos-4-sim-seed1/shrunk/veto.json',
    artifacts: 'failures/paxos-4-sim-seed1/shrunk',
  };
  const output = (): string => (JSON.parse(formatGradescope([suite(outcome({ id: '4', lowestFailingSeed: 1, failure, shrink }))])) as { tests: { output: string }[] }).tests[0]!.output;

  it('gives one block: the smallest failing run first, with its replay and viewer commands, then the original run, each labelled', () => {
    expect(output()).to.equal([
      '1 of 1 seed failed (lowest: 1)',
      'seed 1: ScenarioFailure: p0: knows view 6',
      'the smallest failing run: seed 1 with 3 of its 64 fault decisions, still failing the same check (shrunk in 9 reruns):',
      '  replay: npx rsmlab sim paxos 4 --seed 1 --veto failures/paxos-4-sim-seed1/shrunk/veto.json',
      '  trace and notes: failures/paxos-4-sim-seed1/shrunk',
      '  see it: npx rsmlab view failures/paxos-4-sim-seed1/shrunk',
      '  fault decisions 64 (delay 61, crash 2, restart 1) → 3 (crash 2, restart 1)',
      '  left: crash p2#1, crash p1#1, restart p2#1',
      '  trace events: 194 (the original run: 190; fewer faults let more happen before the check failed)',
      'the original run, with every fault decision of seed 1:',
      '  replay: npx rsmlab sim paxos 4 --seed 1',
      '  trace and notes: failures/paxos-4-sim-seed1',
      '  see it: npx rsmlab view failures/paxos-4-sim-seed1',
    ].join('\n'));
  });

  it('never reads as fewer trace events when the shrunk run has more: both counts are named, with why', () => {
    expect(output()).to.not.match(/trace events \d+ → \d+/);
    expect(output()).to.include('trace events: 194 (the original run: 190; fewer faults let more happen');
  });
});

describe('report: a test the runner did not run in this world', () => {
  // As tester/suite.ts makes it in the real world for a scenario the simulator already failed whole (notRunAfter).
  const skipped = outcome({ status: 'not run', passedSeeds: 0, failedSeeds: 0, skippedSeeds: 1, totalSeeds: 1, elapsedMs: 0, message: 'the simulator already failed (seed 3)', replay: 'npx rsmlab sim paxos 7 --seed 3' });
  const real = (...outcomes: ScenarioOutcome[]): SuiteResult => ({ lab: 'paxos', world: 'real', seeds: [1], outcomes });

  it('says NOT RUN and why, with the replay of the simulator\'s failure, never FAILED', () => {
    const table = formatTable(real(skipped));
    expect(table).to.match(/^7 +NOT RUN +0\/1 +0\/10 +a title$/m);
    expect(table).to.include('\nNOT RUN paxos 7 (a title)\n  not run: the simulator already failed (seed 3)\n  replay: npx rsmlab sim paxos 7 --seed 3\n');
    expect(table).to.not.include('FAILED');
    const tests = (JSON.parse(formatGradescope([real(skipped)])) as { tests: { status: string; score: number; output: string }[] }).tests;
    expect(tests).to.deep.equal([{ name: 'paxos 7: a title [real]', score: 0, max_score: 10, status: 'failed', execution_time: 0, output: 'not run: the simulator already failed (seed 3)\nreplay: npx rsmlab sim paxos 7 --seed 3' }]);
  });

  it("gives Gradescope each test's seconds and their sum as the run's", () => {
    const results = JSON.parse(formatGradescope([real(outcome({ id: '6', elapsedMs: 1234.4 }), outcome({ id: '8', elapsedMs: 20 }), skipped)])) as { execution_time: number; tests: { execution_time: number }[] };
    expect(results.tests.map((t) => t.execution_time)).to.deep.equal([1.234, 0.02, 0]);
    expect(results.execution_time).to.equal(1.254);
  });

  it('is <skipped> in junit.xml, counted apart from failures, and `not_run` in --json', () => {
    const junit = formatJunit([real(skipped, outcome({ id: '8' }))]);
    expect(junit).to.include('<testsuite name="rsmlab paxos (real)" tests="2" failures="1" skipped="1"');
    expect(junit).to.include('<skipped message="not run">not run: the simulator already failed (seed 3)\nreplay: npx rsmlab sim paxos 7 --seed 3</skipped>');
    const json = JSON.parse(formatJson([real(skipped)])) as { tests: Record<string, unknown>[] };
    expect(json.tests[0]).to.deep.include({ status: 'not run', not_run: { why: 'the simulator already failed (seed 3)', replay: 'npx rsmlab sim paxos 7 --seed 3' } });
    expect(json.tests[0]).to.not.have.property('failure');
  });
});

describe('report: failed tests whose lab code threw the same error (a hand-out\'s stubs)', () => {
  const todo = 'TODO: proposer.prepare: send prepare to the nodes, count the promises';
  const failedWith = (id: string, node: string, error = todo): ScenarioOutcome =>
    outcome({ id, lowestFailingSeed: 1, failure: { lab: 'paxos', scenario: id, title: 'a title', world: 'sim', seed: 1, ok: false, error: `SimulationFailure: ${node}: Error: ${error}\n    at ${error.split(':')[1]!.trim()} (labs/paxos/file.ts:94:11)`, labErrors: [`${error} (in ${node}, notice paxos.join)`], replay: `npx rsmlab sim paxos ${id} --seed 1`, artifacts: `failures/paxos-${id}-sim-seed1`, notes: [] } });
  const result = suite(failedWith('0', 'p0'), failedWith('1', 'p1'), failedWith('2', 'p0', 'TODO: acceptor.prepare'));

  it('tells the error whole once in the table, and points each later test at it with its own replay', () => {
    const table = formatTable(result);
    expect(table.match(/at proposer\.prepare /g), 'the stack, once').to.have.length(1);
    expect(table).to.include(`\nFAILED paxos 1 (a title) — failed\n  1 of 1 seed failed (lowest: 1)\n  seed 1: lab code threw what it threw in test 0: ${todo}\n  replay: npx rsmlab sim paxos 1 --seed 1\n`);
    expect(table, 'another error is told whole').to.include('lab code threw: TODO: acceptor.prepare (in p0, notice paxos.join)');
  });

  it('keeps each test\'s whole text in Gradescope\'s results.json, which shows each test alone', () => {
    const tests = (JSON.parse(formatGradescope([result])) as { tests: { output: string }[] }).tests;
    for (const t of tests) expect(t.output).to.match(/lab code threw: TODO: \w+\.prepare.* \(in p\d, notice paxos\.join\)/).and.include('see it: npx rsmlab view');
  });
});

describe('report: a simulated seed that hung', () => {
  it('says its replay writes the trace up to the hang, and the command that then opens it', () => {
    const hung = outcome({ id: '6', status: 'hung', lowestFailingSeed: 4, message: 'no progress for 1000 ms at seed 4: the run was killed', replay: 'npx rsmlab sim paxos 6 --seed 4 --hang-ms 1000' });
    expect(formatTable(suite(hung))).to.include('\n  replay: npx rsmlab sim paxos 6 --seed 4 --hang-ms 1000\n  the replay stops it the same way and writes its trace up to there; then: npx rsmlab view failures/paxos-6-sim-seed4\n');
    const realHang = outcome({ id: '6', status: 'hung', lowestFailingSeed: 4, message: 'no progress', replay: 'npx rsmlab test paxos --world real --only 6 --seed 4' });
    expect(formatTable({ ...suite(realHang), world: 'real' }), 'a real rerun writes its folder itself').to.not.include('the replay stops it');
    expect(formatGradescope([suite(hung)]), 'Gradescope\'s results name no folder (the grader says why instead)').to.not.include('failures/');
  });
});
