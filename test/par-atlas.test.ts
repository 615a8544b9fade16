// The journal fault atlas (tester/par/atlas.ts): a chunk is a header sector plus its slots'
// prepares, each faulty on at most qr−1 replicas. Checked as arithmetic (every sector, several
// layouts and cluster sizes, a too-generous atlas caught), then in the simulator: three replicas
// write the same ops through the journal under every fault kind of the simulated disk (garbled,
// lost and misdirected writes, corrupt and latent reads, torn writes at a crash) at high rates, and
// recover; inside the atlas every op keeps an intact copy on at least n−(qr−1) replicas, and
// without it (any sector may fail) some op loses every copy but one or all.
import { expect } from 'chai';
import { chunkAtlas, faultyCopies } from '../src/env/disk-faults.js';
import { SimWorld } from '../src/env/sim/world.js';
import { noDiskFaults, type DiskFaults } from '../src/env/sim/disk.js';
import type { FaultAtlas } from '../src/env/disk-faults.js';
import { JOURNAL_FILE, slotFor, type JournalLayout } from '../labs/vsr/journal/format.js';
import { openJournal, type RecoveryOptions } from '../labs/vsr/journal/recovery.js';
import { atlasProblems, chunkSectors, journalAtlas, journalChunks, type JournalAtlasOptions } from '../tester/par/atlas.js';
import { chain, CLUSTER, LAYOUT, writeThrough } from './journal-image.js';
import { seedsThrough } from '../tester/suite.js';

const NODES = ['r0', 'r1', 'r2'];

function options(layout: JournalLayout, n: number, diskSectorBytes = 4096): JournalAtlasOptions {
  return { layout, nodes: NODES.concat(['r3', 'r4']).slice(0, n), quorum_replication: Math.floor(n / 2) + 1, diskSectorBytes };
}

describe('the journal fault atlas', () => {
  const layouts: JournalLayout[] = [LAYOUT, { cluster: CLUSTER, slot_count: 64, sector_bytes: 4096, prepare_cell_bytes: 8192 }, { cluster: CLUSTER, slot_count: 32, sector_bytes: 2048, prepare_cell_bytes: 4096 }];

  for (const layout of layouts) {
    for (const n of [3, 4, 5]) {
      it(`${layout.slot_count} slots, ${layout.sector_bytes}-byte header sectors, ${layout.prepare_cell_bytes}-byte prepares, n=${n}: every sector of every chunk faulty on exactly qr−1 replicas`, () => {
        const o = options(layout, n, Math.min(4096, layout.sector_bytes));
        const atlas = journalAtlas(o);
        expect(atlasProblems(atlas, o)).to.deep.equal([]);
        // Exactly qr−1, never fewer: the faults reach every chunk, and every replica has some.
        for (let c = 0; c < journalChunks(layout); c++) {
          for (const run of chunkSectors(layout, o.diskSectorBytes, c)) expect(faultyCopies(atlas, JOURNAL_FILE, run.first + run.count - 1).length, `chunk ${c}`).to.equal(o.quorum_replication - 1);
        }
        for (const node of o.nodes) expect(atlas.nodes[node]!.length, node).to.be.greaterThan(0);
        const runs = chunkSectors(layout, o.diskSectorBytes, 0);
        expect(runs[0]).to.deep.equal({ first: 0, count: 1 }); // the first header sector...
        expect(runs[1]!.first * o.diskSectorBytes).to.equal(layout.slot_count * 1024); // ...and its prepares, past the header ring
        expect(journalChunks(layout) * runs[1]!.count * o.diskSectorBytes).to.equal(layout.slot_count * layout.prepare_cell_bytes);
      });
    }
  }

  it('catches an atlas that lets a chunk be faulty on qr replicas, and one that leaves a chunk out', () => {
    const o = options(LAYOUT, 3);
    const generous = chunkAtlas({ nodes: o.nodes, files: [JOURNAL_FILE], chunkSectors: 1, chunks: journalChunks(LAYOUT), f: 2, areas: (c) => chunkSectors(LAYOUT, 4096, c) });
    expect(atlasProblems(generous, o)[0]).to.match(/^chunk 0: sector 0 may be faulty on r0, r1 \(more than qr−1 = 1\)$/);
    // The naive atlas of contiguous sectors from sector 0 never lets the prepare ring fail.
    const contiguous = chunkAtlas({ nodes: o.nodes, files: [JOURNAL_FILE], chunkSectors: 1, chunks: journalChunks(LAYOUT), f: 1 });
    expect(atlasProblems(contiguous, o)).to.include(`chunk 0: sector 4 may be faulty on no replica`);
  });

  it('refuses a disk sector larger than the journal sector (one fault would span two chunks)', () => {
    expect(() => journalAtlas({ ...options({ ...LAYOUT, sector_bytes: 1024 }, 3), diskSectorBytes: 4096 })).to.throw(/must be a multiple of the disk's/);
  });
});

/** High rates of every kind of sector fault the simulated disk has. */
const HARSH: DiskFaults = { ...noDiskFaults, readCorrupt: 0.3, latent: 0.5, writeCorrupt: 0.2, misdirect: 0.1, lostWrite: 0.1, unsyncedKept: 0.5, torn: 0.5 };
const OPS = 12;

/**
 * Three replicas write ops 1..OPS through the journal on disks with HARSH faults (within `atlas`),
 * crash mid-way through one more op, restart and recover. Returns, per op, how many replicas
 * recovered it intact (its slot clean with its header: @N eql).
 */
async function intactCopies(seed: number, atlas: FaultAtlas | undefined): Promise<number[]> {
  const world = new SimWorld({ seed, disk: HARSH, atlas });
  const entries = chain(OPS + 1);
  const recovery: RecoveryOptions = { layout: LAYOUT, replica_count: 3, op_checkpoint: 0 };
  const intact = new Array<number>(OPS + 1).fill(0);
  for (const node of NODES) {
    await world.start(node, async (env) => {
      const { journal } = await openJournal(env.disk, recovery);
      for (const entry of entries.slice(1, OPS + 1)) await writeThrough(env, journal, entry);
      void writeThrough(env, journal, entries[OPS + 1]!); // in flight at the crash
      return { status: () => null };
    });
    world.crash(node);
    await world.start(node, async (env) => {
      const { journal } = await openJournal(env.disk, recovery);
      for (let op = 1; op <= OPS; op++) {
        const slot = slotFor(LAYOUT, op);
        if (!journal.dirty[slot] && journal.headers[slot]!.checksum === entries[op]!.header.checksum) intact[op]!++;
      }
      return { status: () => null };
    });
  }
  world.close();
  return intact.slice(1);
}

describe('the journal fault atlas in the simulator: every committed op keeps an intact copy', function () {
  this.timeout(120_000);
  const SEEDS = seedsThrough(20);

  it(`within the atlas, on seeds 1..${SEEDS.length}: every op intact on >= 2 of 3 replicas, and the faults did land`, async () => {
    const atlas = journalAtlas({ layout: LAYOUT, nodes: NODES, quorum_replication: 2, diskSectorBytes: 4096 });
    let damaged = 0;
    for (const seed of SEEDS) {
      const copies = await intactCopies(seed, atlas);
      expect(Math.min(...copies), `seed ${seed}: intact copies per op ${copies.join(' ')}`).to.be.at.least(2);
      damaged += copies.filter((c) => c < 3).length;
    }
    expect(damaged, 'ops that lost a copy to a fault (the faults must reach the journal)').to.be.at.least(SEEDS.length);
  });

  it(`without an atlas the same faults leave some op with fewer than 2 intact copies on at least 10 of seeds 1..${SEEDS.length}`, async () => {
    let lost = 0;
    for (const seed of SEEDS) if (Math.min(...(await intactCopies(seed, undefined))) < 2) lost++;
    expect(lost).to.be.at.least(10);
  });
});
