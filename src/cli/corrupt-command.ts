// `rsmlab ctl HOST:PORT corrupt --slot K --ring header|prepare`: the flags of the ctl command that
// damages one slot of a live Lab 4 replica's journal, refused with a message that says what they
// must be. The damage itself is src/control/journal-corrupt.ts; nothing here reaches a node.
import { whole } from './args.js';
import { journalRings, type JournalCorruption, type JournalRing } from '../control/journal-corruption.js';

export const corruptUsage = [
  'corrupt --slot K --ring header|prepare',
  '                        damage slot K of a live par replica\'s journal (vsr.journal): its header',
  '                        cell, or its prepare cell; the replica\'s next start classifies and repairs it',
].join('\n');

function isRing(ring: string): ring is JournalRing {
  return (journalRings as readonly string[]).includes(ring);
}

/** The slot and ring of `corrupt --slot K --ring R`, or an error naming the bad flag. */
export function journalCorruption(values: { slot?: string; ring?: string }, positionals: readonly string[]): JournalCorruption {
  const usage = `(usage: ${corruptUsage.split('\n')[0]})`;
  if (positionals.length > 0) throw new Error(`corrupt takes no arguments besides its flags, not '${positionals.join(' ')}' ${usage}`);
  if (values.slot === undefined) throw new Error(`corrupt needs --slot K ${usage}`);
  if (values.ring === undefined) throw new Error(`corrupt needs --ring header or --ring prepare ${usage}`);
  if (!isRing(values.ring)) throw new Error(`--ring must be header or prepare, not '${values.ring}' ${usage}`);
  return { slot: whole('--slot', 0)(values.slot), ring: values.ring };
}
