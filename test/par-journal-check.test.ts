// The VOPR's journal checks (tester/par/journal-check.ts) on journals written in the simulator by
// the journal's own write path: three replicas' journals pass; a sector the disk silently lost is
// skipped, not blamed (and blamed when the check is told nothing of it: it reads the medium); and
// each broken journal is caught with its message: a slot marked clean without its header sector
// written, or without its prepare written, executed ops that differ between replicas or from the
// canonical chain, and a chain that breaks inside one replica's executed ops.
import { expect } from 'chai';
import { SimWorld } from '../src/env/sim/world.js';
import type { Env } from '../src/env/types.js';
import type { Entry } from '../labs/vsr/protocol.js';
import { headerOffset, HEADER_CELL_BYTES, headerSector, JOURNAL_FILE, prepareOffset } from '../labs/vsr/journal/format.js';
import { onHeaderWritten, onPrepareWritten, writePrepare, type JournalState } from '../labs/vsr/journal/journal.js';
import { openJournal } from '../labs/vsr/journal/recovery.js';
import { checkJournals, checkMemory, VerifiedCells, type JournalOnDisk } from '../tester/par/journal-check.js';
import { ScenarioFailure } from '../tester/scenario.js';
import { carryOut, chain, entryAfter, LAYOUT, writeThrough } from './journal-image.js';

const OPS = 8;
const A = chain(OPS);
/** Another history from op 5 on: op 5 of view 1 after A's op 4, and its successors. */
const B = [...A.slice(0, 5)];
for (let op = 5; op <= OPS; op++) B[op] = entryAfter(B[op - 1]!, 1);

/** How one replica writes its journal (default: ops 1..OPS of A, each through the journal). */
type Writer = (env: Env, journal: JournalState, world: SimWorld, node: string) => Promise<void>;

const writeAll =
  (entries: Entry[]): Writer =>
  async (env, journal) => {
    for (const entry of entries.slice(1)) await writeThrough(env, journal, entry);
  };

/** Each replica's journal in memory and on its simulated disk, after its writer ran. */
async function journals(writers: Writer[], commit_min = OPS): Promise<JournalOnDisk[]> {
  const world = new SimWorld({ seed: 1 });
  const out: JournalOnDisk[] = [];
  for (const [i, write] of writers.entries()) {
    const node = `r${i}`;
    let journal: JournalState | undefined;
    await world.start(node, async (env) => {
      journal = (await openJournal(env.disk, { layout: LAYOUT, replica_count: 3, op_checkpoint: 0 })).journal;
      await write(env, journal, world, node);
      return { status: () => null };
    });
    const disk = world.disk(node);
    out.push({ replica: node, journal: journal!, medium: disk.medium(JOURNAL_FILE).slice(), damaged: new Set(disk.damaged(JOURNAL_FILE)), diskSectorBytes: 4096, commit_min });
  }
  world.close();
  return out;
}

function failure(run: () => unknown): string {
  try {
    run();
  } catch (e) {
    expect(e).to.be.instanceOf(ScenarioFailure);
    return (e as Error).message;
  }
  throw new Error('the check passed a broken journal');
}

const canonical = (op: number): string | undefined => A[op]?.header.checksum;

describe('the journal checks (clean slot: redundant header = prepare header; hash chains agree)', () => {
  it('pass three journals written through the journal, comparing every clean slot and every executed op', async () => {
    const disks = await journals([writeAll(A), writeAll(A), writeAll(A)]);
    expect(checkJournals(disks, canonical)).to.deep.equal({ slots: 3 * (OPS + 1), damaged: 0, chained: 3 * OPS }); // slot 0: the root prepare
  });

  it('skip a slot whose header sector the disk silently lost (the replica cannot know yet), and see it on the medium when told nothing', async () => {
    const lostSector =
      (op: number): Writer =>
      async (env, journal, world, node) => {
        for (const entry of A.slice(1, op)) await writeThrough(env, journal, entry);
        world.diskFault(node, { kind: 'lost-write', file: JOURNAL_FILE, offset: headerSector(LAYOUT, op).offset, length: LAYOUT.sector_bytes });
        for (const entry of A.slice(op)) await writeThrough(env, journal, entry);
      };
    // Op 8's header sector (slots 8-11) is lost and never rewritten: r1 believes slot 8 clean.
    const disks = await journals([writeAll(A), lostSector(OPS), writeAll(A)]);
    expect(disks[1]!.journal.dirty[OPS]).to.equal(false);
    expect([...disks[1]!.damaged]).to.deep.equal([2]);
    expect(checkJournals(disks, canonical)).to.deep.equal({ slots: 3 * (OPS + 1) - 1, damaged: 1, chained: 3 * OPS });
    const blind = disks.map((d) => ({ ...d, damaged: new Set<number>() }));
    expect(failure(() => checkJournals(blind, canonical))).to.equal(`r1: slot ${OPS} is clean with op ${OPS} (checksum ${A[OPS]!.header.checksum.slice(0, 12)}), but its header ring holds a reserved header for slot ${OPS}`);
    // Op 5's header sector (slots 4-7) is lost, then rewritten whole by op 6's write: healed, checked again.
    const healed = await journals([writeAll(A), lostSector(5), writeAll(A)]);
    expect(healed[1]!.damaged.size).to.equal(0);
    expect(checkJournals(healed, canonical)).to.deep.equal({ slots: 3 * (OPS + 1), damaged: 0, chained: 3 * OPS });
  });

  it('catch a slot marked clean whose header sector was never written', async () => {
    const noHeader: Writer = async (env, journal) => {
      // Op 7: the last slot of its header sector (slots 4-7), which no later write rewrites.
      for (const entry of A.slice(1, 7)) await writeThrough(env, journal, entry);
      const prepare = writePrepare(journal, A[7]!);
      await carryOut(env, prepare);
      const header = onPrepareWritten(journal, prepare.slot, prepare.checksum)!;
      onHeaderWritten(journal, header.slot, header.checksum); // the write itself forgotten
      for (const entry of A.slice(8)) await writeThrough(env, journal, entry);
    };
    const disks = await journals([writeAll(A), writeAll(A), noHeader]);
    expect(failure(() => checkJournals(disks, canonical))).to.match(/^r2: slot 7 is clean with op 7 \(checksum [0-9a-f]{12}\), but its header ring holds a reserved header for slot 7$/);
  });

  it('catch a slot marked clean whose prepare was never written (the header went alone)', async () => {
    const noPrepare: Writer = async (env, journal) => {
      for (const entry of A.slice(1, 3)) await writeThrough(env, journal, entry);
      const prepare = writePrepare(journal, A[3]!); // never carried out
      const header = onPrepareWritten(journal, prepare.slot, prepare.checksum)!;
      await carryOut(env, header);
      onHeaderWritten(journal, header.slot, header.checksum);
      for (const entry of A.slice(4)) await writeThrough(env, journal, entry);
    };
    const disks = await journals([noPrepare, writeAll(A), writeAll(A)]);
    expect(failure(() => checkJournals(disks, canonical))).to.equal('r0: slot 3 is clean with op 3, its header ring agrees, but its prepare ring holds a reserved header for slot 3: the redundant header does not match its prepare');
  });

  it('catch executed ops that differ between replicas, and from the canonical chain', async () => {
    const disks = await journals([writeAll(A), writeAll(A), writeAll(B)]);
    expect(failure(() => checkJournals(disks))).to.match(/^hash chains disagree at executed op 5: r2 holds op 5 view 1 checksum [0-9a-f]{12}, r1 holds checksum [0-9a-f]{12}$/);
    expect(failure(() => checkJournals(disks, canonical))).to.match(/^r2: executed op 5, but its journal holds it clean as op 5 view 1 checksum [0-9a-f]{12}, not the canonical op/);
    // Not yet executed, the same journals are fine: uncommitted ops may differ until a view change settles them.
    expect(checkJournals(await journals([writeAll(A), writeAll(A), writeAll(B)], 4), canonical).chained).to.equal(3 * 4);
  });

  it('catch a break in one replica\'s chain of executed ops', async () => {
    const broken = [...B.slice(0, 6), ...A.slice(6)]; // op 5 of view 1, then A's op 6 whose parent is A's op 5
    const disks = await journals([writeAll(broken)]);
    expect(failure(() => checkJournals(disks))).to.match(/^r0: its journal's hash chain breaks between executed ops 5 and 6 \(parent [0-9a-f]{12}, checksum [0-9a-f]{12}\)$/);
  });

  it('the full pass over memory catches a slot broken where no write went (faulty but clean), which the disk checks cannot see', async () => {
    const disks = await journals([writeAll(A)]);
    disks[0]!.journal.faulty[12] = true;
    expect(checkJournals(disks, canonical).slots).to.equal(OPS + 1);
    expect(failure(() => checkMemory(disks[0]!))).to.equal('r0: journal: slot 12 is faulty but not dirty');
    disks[0]!.journal.faulty[12] = false;
    checkMemory(disks[0]!);
  });

  it('remember verified cells (a cell whose bytes are unchanged is not decoded again) without hiding a later change', async () => {
    const disks = await journals([writeAll(A), writeAll(A), writeAll(A)]);
    const verified = new VerifiedCells();
    expect(checkJournals(disks, canonical, verified).slots).to.equal(3 * (OPS + 1));
    expect(checkJournals(disks, canonical, verified).slots).to.equal(3 * (OPS + 1));
    // Op 6's header cell rewritten on r1's medium with op 5's: same length, other bytes.
    const medium = disks[1]!.medium.slice();
    medium.set(medium.subarray(headerOffset(5), headerOffset(5) + HEADER_CELL_BYTES), headerOffset(6));
    const changed = disks.map((d, i) => (i === 1 ? { ...d, medium } : d));
    expect(failure(() => checkJournals(changed, canonical, verified))).to.match(/^r1: slot 6 is clean with op 6 \(checksum [0-9a-f]{12}\), but its header ring holds op 5 view 0/);
    // Op 6's prepare cell rewritten on r2's medium with op 5's, its header cell left as it was.
    const prepares = disks[2]!.medium.slice();
    prepares.set(prepares.subarray(prepareOffset(LAYOUT, 5), prepareOffset(LAYOUT, 5) + LAYOUT.prepare_cell_bytes), prepareOffset(LAYOUT, 6));
    const changedPrepare = disks.map((d, i) => (i === 2 ? { ...d, medium: prepares } : d));
    expect(failure(() => checkJournals(changedPrepare, canonical, verified))).to.match(/^r2: slot 6 is clean with op 6, its header ring agrees, but its prepare ring holds .*op 5 view 0/);
  });
});
