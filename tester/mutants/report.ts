// Formats a mutant gate's result: one line per mutant (caught by which scenario, at which seed, on
// how many of the seeds run), the one command that replays each catch under it, and a total. Pure
// formatting: it never runs anything.
import type { GateResult, MutantVerdict } from './gate.js';

function caughtBy(v: MutantVerdict, seeds: number): string {
  if (!v.caught) return `SURVIVED ${v.runs} runs${v.problem ? ` (${v.problem})` : ''}`;
  const by = v.by!;
  const rate = by.ran === seeds ? `failed ${by.failed}/${by.ran} seeds` : `first catch at seed ${by.seed}, after ${by.ran} of ${seeds} seeds`;
  return `caught by ${by.scenario} (${rate}): ${by.error ?? ''}`;
}

export function formatGate(result: GateResult): string {
  const { lab, seeds, verdicts } = result;
  const width = Math.max(8, ...verdicts.map((v) => v.mutant.length + 2));
  const lines = [`rsmlab mutants ${lab} — ${verdicts.length} mutants, scenarios in order ${result.scenarios.join(',')}, seeds ${seeds[0]}..${seeds.at(-1)}`, ''];
  for (const v of verdicts) {
    lines.push(`${v.mutant.padEnd(width)}${v.area.padEnd(18)}${caughtBy(v, seeds.length)}`);
    if (v.scenarios.length > 1 && v.by?.ran === seeds.length) {
      lines.push(`${' '.repeat(width)}${''.padEnd(18)}rates: ${v.scenarios.map((s) => `${s.scenario} ${s.failed}/${s.ran}`).join(', ')}`);
    }
    if (v.replay !== undefined) lines.push(`${' '.repeat(width)}${''.padEnd(18)}replay: ${v.replay}`);
  }
  const caught = verdicts.filter((v) => v.caught).length;
  const pct = verdicts.length === 0 ? 0 : Math.round((100 * caught) / verdicts.length);
  lines.push('', `${caught}/${verdicts.length} mutants caught (${pct}%)`);
  for (const v of verdicts.filter((x) => !x.caught)) lines.push(`SURVIVED ${v.mutant}: ${v.bug}`);
  return `${lines.join('\n')}\n`;
}
