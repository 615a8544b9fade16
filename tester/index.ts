// The scenario registry: lab name -> its graded scenarios. The suite runner, the CLI and the
// mocha tests find scenarios here and only here.
import type { Scenario } from './scenario.js';

export const testedLabs = ['paxos', 'rsm', 'vsr', 'par'] as const;

export async function loadScenarios(lab: string): Promise<Scenario[]> {
  switch (lab) {
    case 'paxos':
      return (await import('./paxos/scenarios.js')).paxosScenarios;
    case 'rsm':
      return (await import('./rsm/scenarios.js')).rsmScenarios;
    case 'vsr':
      return (await import('./vsr/scenarios.js')).vsrScenarios;
    case 'par':
      // Lab 4: Lab 3's scenarios on the two-ring journal, the VOPR with storage faults, the corruption sweep, scenarios 13-26.
      return (await import('./par/scenarios.js')).parScenarios;
    default:
      throw new Error(`no scenarios for lab '${lab}' (known: ${testedLabs.join(', ')})`);
  }
}

/** The lab's scenarios named in `only` (all of them when it is absent or empty), in the lab's order; an id it has none of is refused, never left out. */
export async function scenariosNamed(lab: string, only: readonly string[] = []): Promise<Scenario[]> {
  const all = await loadScenarios(lab);
  const unknown = only.filter((id) => !all.some((s) => s.id === id));
  if (unknown.length > 0) throw new Error(`lab '${lab}' has no scenario ${unknown.join(', ')} (known: ${all.map((s) => s.id).join(', ')})`);
  return only.length > 0 ? all.filter((s) => only.includes(s.id)) : all;
}

export async function findScenario(lab: string, id: string): Promise<Scenario> {
  const all = await loadScenarios(lab);
  const found = all.find((s) => s.id === id);
  if (!found) throw new Error(`lab '${lab}' has no scenario '${id}' (known: ${all.map((s) => s.id).join(', ')})`);
  return found;
}
