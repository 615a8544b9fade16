// The mutant registry: lab name -> its corpus. The corpora are instructor-only files that the
// hand-out leaves out, so they are loaded by a computed path that the hand-out's build never
// resolves; a tree without them says so clearly instead of failing to compile.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Mutant } from './mutant.js';

export const mutantLabs = ['paxos', 'rsm', 'vsr', 'par'] as const;

/** Each lab's corpus module and its export; the order of `gateOrder` is the order scenarios are tried in. */
const corpora: Record<(typeof mutantLabs)[number], { module: string; mutants: string; gateOrder: string }> = {
  paxos: { module: '../paxos/mutants.js', mutants: 'paxosMutants', gateOrder: 'paxosGateOrder' },
  rsm: { module: '../rsm/mutants.js', mutants: 'rsmMutants', gateOrder: 'rsmGateOrder' },
  vsr: { module: '../vsr/mutants.js', mutants: 'vsrMutants', gateOrder: 'vsrGateOrder' },
  par: { module: '../par/mutants.js', mutants: 'parMutants', gateOrder: 'parGateOrder' },
};

export interface Corpus {
  mutants: Mutant[];
  /** Scenario ids, the likeliest to catch a bug first (the gate stops at the first catch). */
  gateOrder: string[];
}

function isLab(lab: string): lab is (typeof mutantLabs)[number] {
  return (mutantLabs as readonly string[]).includes(lab);
}

/**
 * The lab's corpus; with `file` (a compiled module, resolved from the working directory), the corpus
 * that module exports under the same names instead (e.g. a test's own mutants).
 */
export async function loadCorpus(lab: string, file?: string): Promise<Corpus> {
  if (!isLab(lab)) throw new Error(`no mutant corpus for lab '${lab}' (known: ${mutantLabs.join(', ')})`);
  const { module, mutants, gateOrder } = corpora[lab];
  let loaded: Record<string, unknown>;
  try {
    loaded = (await import((file === undefined ? new URL(module, import.meta.url) : pathToFileURL(resolve(file))).href)) as Record<string, unknown>;
  } catch (e) {
    if (file === undefined && (e as { code?: string }).code === 'ERR_MODULE_NOT_FOUND') throw new Error(`the ${lab} mutant corpus is not in this tree (the student hand-out leaves it out)`);
    throw e;
  }
  const list = loaded[mutants];
  const order = loaded[gateOrder];
  if (!Array.isArray(list) || !Array.isArray(order)) throw new Error(`${file ?? module} must export ${mutants} and ${gateOrder} arrays`);
  return { mutants: list as Mutant[], gateOrder: order as string[] };
}

export async function findMutant(lab: string, id: string, file?: string): Promise<Mutant> {
  const { mutants } = await loadCorpus(lab, file);
  const found = mutants.find((m) => m.id === id);
  if (!found) throw new Error(`lab '${lab}' has no mutant '${id}' (known: ${mutants.map((m) => m.id).join(', ')})`);
  return found;
}
