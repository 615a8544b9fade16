// The lab registry: lab name -> loader. The CLI, the real node process and the simulator find
// labs here and only here; loading is lazy so `rsmlab check` never loads protocol code.
import type { Lab } from '../src/lab.js';

export const labNames = ['paxos'] as const;
export type LabName = (typeof labNames)[number];

export async function loadLab(name: string): Promise<Lab> {
  switch (name) {
    case 'paxos':
      return (await import('./paxos/lab.js')).paxosLab;
    default:
      throw new Error(`unknown lab '${name}' (known: ${labNames.join(', ')})`);
  }
}
