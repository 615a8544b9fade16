// `rsmlab autograder --lab L --out FILE.zip`: write the Gradescope autograder bundle for a lab
// (src/grade/autograder.ts), so a large course grades on Gradescope's machines.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { loadScenarios } from '../../tester/index.js';
import { buildAutograder } from '../grade/autograder.js';
import { repoRoot } from './repo.js';

export interface AutograderCommandOptions {
  lab: string;
  out: string;
  seeds: number;
  hangMs: number;
  memoryMb: number;
  timeoutMs: number;
}

export async function autograderCommand(o: AutograderCommandOptions): Promise<number> {
  await loadScenarios(o.lab);
  if (!o.out.endsWith('.zip')) throw new Error(`--out must name a .zip file, not ${o.out}`);
  const zip = buildAutograder(repoRoot(), o);
  mkdirSync(dirname(o.out), { recursive: true });
  writeFileSync(o.out, zip);
  process.stdout.write(`wrote ${o.out} (${Math.round(zip.length / 1024)} KiB): upload it as the autograder of the ${o.lab} assignment; students submit their labs/ folder\n`);
  return 0;
}
