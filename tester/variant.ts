// A lab variant: a Lab object that a module exports (a deliberately broken lab, a mutant), run on a
// registered lab's scenarios in the simulator in place of that lab. The command line names it
// FILE#EXPORT (`--lab-module`), and every replay command of such a run carries it. It never
// registers the variant as a lab: real nodes load labs by name only.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Lab } from '../src/lab.js';

function parse(spec: string): { file: string; name: string } {
  const at = spec.lastIndexOf('#');
  if (at <= 0 || at === spec.length - 1) throw new Error(`--lab-module takes FILE#EXPORT (a compiled module and the name of the Lab it exports), not '${spec}'`);
  return { file: spec.slice(0, at), name: spec.slice(at + 1) };
}

/** The Lab exported as `EXPORT` by `FILE` (resolved from the working directory). */
export async function loadVariant(spec: string): Promise<Lab> {
  const { file, name } = parse(spec);
  const loaded = (await import(pathToFileURL(resolve(file)).href)) as Record<string, unknown>;
  const lab = loaded[name];
  if (typeof lab !== 'object' || lab === null || typeof (lab as Lab).start !== 'function' || typeof (lab as Lab).name !== 'string') {
    throw new Error(`${file} exports no Lab named '${name}'`);
  }
  return lab as Lab;
}

/** The flag a replay command needs to run the same variant ('' for the lab itself). */
export function variantFlag(spec: string | undefined): string {
  return spec === undefined ? '' : ` --lab-module ${spec}`;
}
