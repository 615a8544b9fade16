// What graders read from tester/report.ts, built from hand-made suite results: JUnit XML that an
// XML parser accepts whatever a student's error holds, and what a failed test's output says.
import { spawnSync } from 'node:child_process';
import { expect } from 'chai';
import { formatGradescope, formatJunit, formatTable } from '../tester/report.js';
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
