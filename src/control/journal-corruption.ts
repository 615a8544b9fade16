// What a journal corruption names: one slot of one ring. Only the request's shape lives here (no
// journal layout, no lab code), so the `rsmlab` command can parse it without loading Lab 4.
// journal-corrupt.ts finds and damages the bytes.

export const journalRings = ['header', 'prepare'] as const;
export type JournalRing = (typeof journalRings)[number];

export interface JournalCorruption {
  slot: number;
  ring: JournalRing;
}
