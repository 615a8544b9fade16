// `rsmlab grade --lab L --submissions DIR`: grade a class. Every submission folder (the student's
// labs/) is graded in isolation over a pool of processes; writes grades.csv and, per student,
// report.txt, results.json and junit.xml. Exit 0 when every submission was graded (whatever the
// scores), 2 when the batch could not run.
import { resolve } from 'node:path';
import { gradeAll } from '../grade/batch.js';
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
}

export async function gradeCommand(o: GradeCommandOptions): Promise<number> {
  const seeds = seedsThrough(o.seeds);
  const grades = await gradeAll({ repo: repoRoot(), lab: o.lab, submissions: resolve(o.submissions), out: resolve(o.out), jobs: o.jobs, seeds, ...(o.only ? { only: o.only } : {}), hangMs: o.hangMs, timeoutMs: o.timeoutMs, memoryMb: o.memoryMb, warn: (text) => process.stderr.write(`${text}\n`) });
  for (const g of grades) process.stdout.write(`${g.student.padEnd(24)} ${String(g.score).padStart(4)}/${g.max}${g.problem ? `  (${g.problem.split('\n')[0]})` : ''}\n`);
  process.stdout.write(`graded ${grades.length} submissions: ${resolve(o.out, 'grades.csv')}, reports in ${resolve(o.out)}/<student>/report.txt\n`);
  return 0;
}
