// The journal fault atlas (TigerBeetle's ClusterFaultAtlas over the WAL): a chunk is one header
// sector of the journal plus the prepare cells of the slots whose headers it holds, and each chunk
// may be faulty on at most qr−1 replicas (qr: the replication quorum). An op is committed on at least
// qr replicas, so every committed op keeps an intact copy of both its header and its prepare. It
// builds the atlas and checks that bound; it never draws a fault (the simulated disk does).
import { chunkAtlas, faultyCopies, sectorsOf, type FaultAtlas } from '../../src/env/disk-faults.js';
import type { NodeId } from '../../src/env/types.js';
import { headerOffset, headersPerSector, HEADER_CELL_BYTES, JOURNAL_FILE, prepareOffset, type JournalLayout } from '../../labs/vsr/journal/format.js';

export interface JournalAtlasOptions {
  layout: JournalLayout;
  /** The replicas, in order. */
  nodes: readonly NodeId[];
  /** The replication quorum: each chunk is faulty on at most quorum_replication − 1 replicas. */
  quorum_replication: number;
  /** The disk's sector size (the atlas is in disk sectors; the layout's sector may differ). */
  diskSectorBytes: number;
}

/** How many chunks a layout has: one per header sector. */
export function journalChunks(layout: JournalLayout): number {
  return layout.slot_count / headersPerSector(layout);
}

/** The disk sectors of chunk `chunk`: its header sector, and the prepare cells of its slots. */
export function chunkSectors(layout: JournalLayout, diskSectorBytes: number, chunk: number): { first: number; count: number }[] {
  const perSector = headersPerSector(layout);
  const first = chunk * perSector;
  return [sectorsOf(headerOffset(first), perSector * HEADER_CELL_BYTES, diskSectorBytes), sectorsOf(prepareOffset(layout, first), perSector * layout.prepare_cell_bytes, diskSectorBytes)];
}

/** The atlas: chunk c may be faulty on replicas c, c+1, ..., c+qr−2 (mod n), on the journal file only. */
export function journalAtlas(o: JournalAtlasOptions): FaultAtlas {
  if (o.layout.sector_bytes % o.diskSectorBytes !== 0) {
    // A disk sector spanning two chunks would let one fault hit both: the bound would not hold.
    throw new Error(`journalAtlas: the journal's sector (${o.layout.sector_bytes} bytes) must be a multiple of the disk's (${o.diskSectorBytes})`);
  }
  return chunkAtlas({
    nodes: o.nodes,
    files: [JOURNAL_FILE],
    chunkSectors: 1,
    chunks: journalChunks(o.layout),
    f: o.quorum_replication - 1,
    areas: (c) => chunkSectors(o.layout, o.diskSectorBytes, c),
  });
}

/**
 * The bound, checked sector by sector: no disk sector of the journal may be faulty on more than
 * quorum_replication − 1 replicas, and every sector of every chunk is in the atlas for some replica.
 * Returns the problems (empty: the atlas keeps an intact copy of every committed op).
 */
export function atlasProblems(atlas: FaultAtlas, o: JournalAtlasOptions): string[] {
  const problems: string[] = [];
  for (let c = 0; c < journalChunks(o.layout); c++) {
    for (const run of chunkSectors(o.layout, o.diskSectorBytes, c)) {
      for (let s = run.first; s < run.first + run.count; s++) {
        const copies = faultyCopies(atlas, JOURNAL_FILE, s);
        if (copies.length > o.quorum_replication - 1) problems.push(`chunk ${c}: sector ${s} may be faulty on ${copies.join(', ')} (more than qr−1 = ${o.quorum_replication - 1})`);
        if (o.quorum_replication > 1 && copies.length === 0) problems.push(`chunk ${c}: sector ${s} may be faulty on no replica`);
      }
    }
  }
  return problems;
}
