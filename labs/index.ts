// The lab registry: lab name -> loader. The CLI, the real node process and the simulator find
// labs here and only here; loading is lazy so `rsmlab check` never loads protocol code.
import type { Lab } from '../src/lab.js';

export const labNames = ['paxos', 'echo', 'rsm', 'vsr', 'par'] as const;
export type LabName = (typeof labNames)[number];

export async function loadLab(name: string): Promise<Lab> {
  switch (name) {
    case 'paxos':
      return (await import('./paxos/lab.js')).paxosLab;
    case 'echo':
      return (await import('./echo/lab.js')).echoLab;
    case 'rsm':
      return (await import('./rsm/lab.js')).rsmLab;
    case 'vsr':
      return (await import('./vsr/lab.js')).vsrLab;
    case 'par':
      return (await import('./vsr/lab.js')).parLab;
    default:
      throw new Error(`unknown lab '${name}' (known: ${labNames.join(', ')})`);
  }
}
