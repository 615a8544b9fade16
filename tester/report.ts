// Turns a suite result into what graders consume: a human table with points, Gradescope's
// results.json, and JUnit XML. Pure formatting: it never runs anything or touches files.
import type { ScenarioOutcome, SuiteResult } from './suite.js';

function pad(text: string, width: number): string {
  return text.length >= width ? text.slice(0, width) : text + ' '.repeat(width - text.length);
}

function earned(o: ScenarioOutcome): number {
  return o.status === 'passed' ? o.points : 0;
}

function failureText(o: ScenarioOutcome): string {
  if (o.failure) {
    const lines = [`seed ${o.failure.seed}: ${(o.failure.error ?? '').split('\n').slice(0, 6).join('\n  ')}`];
    if (o.failure.labErrors?.length) lines.push('lab code threw:', ...o.failure.labErrors.map((e) => `  ${e}`));
    lines.push(`replay: ${o.failure.replay}`);
    if (o.failure.artifacts) lines.push(`trace and notes: ${o.failure.artifacts}`);
    return lines.join('\n');
  }
  return [o.message ?? '', o.replay ? `replay: ${o.replay}` : ''].filter(Boolean).join('\n');
}

export function formatTable(result: SuiteResult): string {
  const seeds = result.world === 'sim' ? `${result.seeds.length} seed${result.seeds.length === 1 ? '' : 's'} (${result.seeds[0]}..${result.seeds.at(-1)})` : `seed ${result.seeds[0]}`;
  const lines = [`rsmlab test ${result.lab} — world ${result.world}, ${seeds}`, ''];
  const idWidth = Math.max(6, ...result.outcomes.map((o) => o.id.length + 2));
  const titleWidth = Math.max(7, ...result.outcomes.map((o) => o.title.length + 2));
  lines.push(`${pad('test', idWidth)}${pad('title', titleWidth)}${pad('result', 9)}${pad('seeds', 11)}${pad('time', 9)}points`);
  for (const o of result.outcomes) {
    const time = `${(o.elapsedMs / 1000).toFixed(1)}s`;
    lines.push(`${pad(o.id, idWidth)}${pad(o.title, titleWidth)}${pad(o.status.toUpperCase(), 9)}${pad(`${o.passedSeeds}/${o.totalSeeds}`, 11)}${pad(time, 9)}${earned(o)}/${o.points}`);
  }
  const passed = result.outcomes.filter((o) => o.status === 'passed').length;
  const points = result.outcomes.reduce((sum, o) => sum + earned(o), 0);
  const max = result.outcomes.reduce((sum, o) => sum + o.points, 0);
  lines.push('', `${passed}/${result.outcomes.length} tests passed. Points: ${points}/${max}`);
  for (const o of result.outcomes.filter((x) => x.status !== 'passed')) lines.push('', `FAILED ${result.lab} ${o.id} (${o.title}) — ${o.status}`, `  ${failureText(o).split('\n').join('\n  ')}`);
  return `${lines.join('\n')}\n`;
}

/** Gradescope's autograder results.json (https://gradescope-autograders.readthedocs.io, "Output format"). */
export function formatGradescope(result: SuiteResult): string {
  const tests = result.outcomes.map((o) => ({
    name: `${result.lab} ${o.id}: ${o.title} [${result.world}]`,
    score: earned(o),
    max_score: o.points,
    status: o.status === 'passed' ? 'passed' : 'failed',
    output: o.status === 'passed' ? `passed ${o.passedSeeds}/${o.totalSeeds} seeds` : failureText(o),
  }));
  const score = tests.reduce((sum, t) => sum + t.score, 0);
  return `${JSON.stringify({ score, tests }, null, 2)}\n`;
}

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function formatJunit(result: SuiteResult): string {
  const failures = result.outcomes.filter((o) => o.status !== 'passed').length;
  const seconds = (ms: number): string => (ms / 1000).toFixed(3);
  const total = result.outcomes.reduce((sum, o) => sum + o.elapsedMs, 0);
  const cases = result.outcomes.map((o) => {
    const open = `    <testcase classname="rsmlab.${xml(result.lab)}.${result.world}" name="${xml(`${o.id}: ${o.title}`)}" time="${seconds(o.elapsedMs)}"`;
    if (o.status === 'passed') return `${open}/>`;
    return `${open}>\n      <failure message="${xml(o.status)}">${xml(failureText(o))}</failure>\n    </testcase>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites tests="${result.outcomes.length}" failures="${failures}" time="${seconds(total)}">`,
    `  <testsuite name="rsmlab ${xml(result.lab)} (${result.world})" tests="${result.outcomes.length}" failures="${failures}" time="${seconds(total)}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
