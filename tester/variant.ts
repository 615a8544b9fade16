// A lab variant: a Lab run on a registered lab's scenarios in the simulator in place of that lab —
// one a module exports (a deliberately broken lab: `--lab-module FILE#EXPORT`) or a mutant of the
// lab's corpus (`--mutant ID`). Every replay command of such a run carries its flag. It never
// registers the variant as a lab: real nodes load labs by name only.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Lab } from '../src/lab.js';
import { findMutant } from './mutants/index.js';
import { faultSitesSchema } from '../src/control/protocol.js';
import { describeIssues } from '../src/env/method.js';

/**
 * How the command line names a variant. A mutant is its id in the lab's corpus, or FILE#ID: its id
 * in the corpus a compiled module exports (a test's own corpus, tester/mutants/index.ts).
 */
export type Variant = { labModule: string } | { mutant: string };

/** FILE#NAME split at its last '#'; `what` says what the flag takes, for the error. */
function split(spec: string, flag: string, what: string): { file: string; name: string } {
  const at = spec.lastIndexOf('#');
  if (at <= 0 || at === spec.length - 1) throw new Error(`${flag} takes ${what}, not '${spec}'`);
  return { file: spec.slice(0, at), name: spec.slice(at + 1) };
}

/** The Lab exported as `EXPORT` by `FILE` (resolved from the working directory). */
async function loadModuleLab(spec: string): Promise<Lab> {
  const { file, name } = split(spec, '--lab-module', 'FILE#EXPORT (a compiled module and the name of the Lab it exports)');
  const loaded = (await import(pathToFileURL(resolve(file)).href)) as Record<string, unknown>;
  const lab = loaded[name];
  if (typeof lab !== 'object' || lab === null || typeof (lab as Lab).start !== 'function' || typeof (lab as Lab).name !== 'string') {
    throw new Error(`${file} exports no Lab named '${name}'`);
  }
  // A Lab from outside the type checker: without its sites, control would arm what it never reaches.
  const declared = (lab as Partial<Lab>).sites;
  const sites = faultSitesSchema.safeParse(declared);
  if (!sites.success) {
    const what = declared === undefined ? 'no fault sites' : `fault sites that are not valid (${describeIssues(sites.error)})`;
    throw new Error(`${file}'s Lab '${name}' declares ${what}: a Lab declares the breakpoints, partitionPoint and faultPoints its code reaches as Lab.sites (a wrapper takes the lab's own with wrapping())`);
  }
  return lab as Lab;
}

/** The Lab of mutant `spec` (ID, or FILE#ID) of lab `lab`'s corpus. */
async function loadMutantLab(lab: string, spec: string): Promise<Lab> {
  const { file, name } = spec.includes('#') ? split(spec, '--mutant', 'ID or FILE#ID (a mutant of the lab\'s corpus, or of the corpus a compiled module exports)') : { file: undefined, name: spec };
  return (await findMutant(lab, name, file)).lab;
}

/** The Lab `variant` names, to run on lab `lab`'s scenarios. */
export function loadVariant(lab: string, variant: Variant): Promise<Lab> {
  return 'labModule' in variant ? loadModuleLab(variant.labModule) : loadMutantLab(lab, variant.mutant);
}

/** The flag a replay command needs to run the same variant ('' for the lab itself). */
export function variantFlag(variant: Variant | undefined): string {
  if (variant === undefined) return '';
  return 'labModule' in variant ? ` --lab-module ${variant.labModule}` : ` --mutant ${variant.mutant}`;
}

/** The variant a command's `--lab-module` or `--mutant` names (at most one of them), if any. */
export function chosenVariant(options: { labModule?: string; mutant?: string }): Variant | undefined {
  if (options.labModule !== undefined && options.mutant !== undefined) throw new Error('--mutant and --lab-module each name the Lab to run: give one of them, not both');
  if (options.labModule !== undefined) return { labModule: options.labModule };
  return options.mutant === undefined ? undefined : { mutant: options.mutant };
}
