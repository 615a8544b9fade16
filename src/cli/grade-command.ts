// `rsmlab grade --lab L --submissions DIR`: grade a class. Every submission folder (the student's
// labs/) is graded in isolation over a pool of processes; writes grades.csv and, per student,
// report.txt, results.json and junit.xml. Exit 0 when every submission was graded (whatever the
// scores), 2 when the batch could not run.
import { resolve } from 'node:path';
import { gradeAll, type StudentGrade } from '../grade/batch.js';
import { repoRoot } from './repo.js';
import { seedsThrough } from '../../tester/suite.js';

export interface GradeCommandOptions {
  lab: string;
  submissions: string;
  out: string;
  jobs: number;
  seeds: number;
  only?: string[];
  hangMs: number;
  timeoutMs: number;
  memoryMb: number;
  /** Say on stderr as each submission is graded (default true). */
  progress?: boolean;
}

/** What stopped a submission's grading, by its first line, if anything did. */
function problemText(g: StudentGrade): string {
  return g.problem ? `  (${g.problem.split('\n')[0]})` : '';
}

function elapsed(ms: number): string {
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

export async function gradeCommand(o: GradeCommandOptions): Promise<number> {
  const seeds = seedsThrough(o.seeds);
  const started = Date.now();
  // A class takes a while: each submission is told on stderr as it is graded; stdout gets the table, in order, at the end.
  const onGraded = (g: StudentGrade, done: number, total: number): void => void process.stderr.write(`rsmlab grade: ${done}/${total} graded, ${elapsed(Date.now() - started)}: ${g.student} ${g.score}/${g.max}${problemText(g)}\n`);
  const grades = await gradeAll({ repo: repoRoot(), lab: o.lab, submissions: resolve(o.submissions), out: resolve(o.out), jobs: o.jobs, seeds, ...(o.only ? { only: o.only } : {}), hangMs: o.hangMs, timeoutMs: o.timeoutMs, memoryMb: o.memoryMb, warn: (text) => process.stderr.write(`${text}\n`), ...((o.progress ?? true) && { onGraded }) });
  for (const g of grades) process.stdout.write(`${g.student.padEnd(24)} ${String(g.score).padStart(4)}/${g.max}${problemText(g)}\n`);
  process.stdout.write(`graded ${grades.length} submissions: ${resolve(o.out, 'grades.csv')}, reports in ${resolve(o.out)}/<student>/report.txt\n`);
  return 0;
}
