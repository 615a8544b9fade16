// Lab 4's two-ring journal (labs/vsr/journal): the 14-case recovery table (every case, and every
// combination of its inputs matching exactly one case), each case and vsr-par.md §7's scenarios 13,
// 14, 17-20 on journal images recovered on a simulated disk, the write order, the checkpoint bound,
// the refusals (n=1 with a faulty slot, wrong size, another cluster), and broken variants that fail.
import { expect } from 'chai';
import { SimWorld } from '../src/env/sim/world.js';
import { encodeHeaderCell, encodePrepare, formatImage, headerSector, HEADER_CELL_BYTES, JOURNAL_FILE, prepareOffset, reservedHeader, slotFor, type JournalLayout } from '../labs/vsr/journal/format.js';
import { canonicalJson } from '../src/json.js';
import type { Json } from '../src/env/types.js';
import { assertJournalInvariants, assertSlotInvariants, hasPrepare, headerSectorBytes, journalAccepts, onHeaderWritten, onPrepareWritten, writePrepare, type JournalState } from '../labs/vsr/journal/journal.js';
import { recoverJournal, type RecoveryOptions } from '../labs/vsr/journal/recovery.js';
import {
  caseDecision,
  caseNames,
  recoveryCase,
  recoveryCases,
  type CaseName,
  type Decision,
  type RecoveryCase,
  type SlotFacts,
} from '../labs/vsr/journal/recovery-table.js';
import { coverageProblems, inputSpace, TABLE_SPEC as spec, tableMismatches } from '../tester/par/table-check.js';
import { buildImage, carryOut, chain, CLUSTER, decisions, entryAfter, LAYOUT, recoverImage, restart, writeThrough, type SlotContents } from './journal-image.js';

const three = (layout: JournalLayout = LAYOUT, op_checkpoint = 0): RecoveryOptions => ({ layout, replica_count: 3, op_checkpoint });
const one = (layout: JournalLayout = LAYOUT): RecoveryOptions => ({ layout, replica_count: 1, op_checkpoint: 0 });

// ---- the table --------------------------------------------------------------------------------

/** Broken tables a student might write. */
const broken: Record<string, RecoveryCase[]> = {
  /** PAR's Truncate: a corrupt prepare under a valid header is cut locally instead of repaired remotely. */
  'truncate on corruption': recoveryCases.map((c) => (c.name === '@C' ? { ...c, decision_many: 'cut', decision_one: 'cut' } : c)),
  /** A reserved prepare under an unreadable header taken as "nothing here" (@D as @J). */
  '@D is nil': recoveryCases.map((c) => (c.name === '@D' ? { ...c, decision_many: 'nil', decision_one: 'nil' } : c)),
  /** fix for a prepare that is not the max with several replicas (@E trusts a prepare that may be stale). */
  '@E fixes with n>1': recoveryCases.map((c) => (c.name === '@E' ? { ...c, decision_many: 'fix' } : c)),
  /** @N without the comparison: it overlaps @K, @L and @M. */
  '@N ignores the comparison': recoveryCases.map((c) => (c.name === '@N' ? { ...c, when: { ...c.when, compare: undefined } } : c)).map(dropUndefined),
  /** @L (a header of a newer op over a prepare) fixed from the prepare: a case the scenarios' disks rarely reach, caught by scenario `table`. */
  '@L fixes': recoveryCases.map((c) => (c.name === '@L' ? { ...c, decision_many: 'fix', decision_one: 'fix' } : c)),
  /** @D forgotten: a gap. */
  '@D missing': recoveryCases.filter((c) => c.name !== '@D'),
};

function dropUndefined(c: RecoveryCase): RecoveryCase {
  return { ...c, when: Object.fromEntries(Object.entries(c.when).filter(([, v]) => v !== undefined)) as Partial<SlotFacts> };
}

describe('vsr journal: the recovery table', () => {
  it('has the 14 cases @A-@N in order, each deciding as vsr-par.md §2 says', () => {
    expect(recoveryCases.map((c) => c.name)).to.deep.equal([...caseNames]);
    expect(tableMismatches(recoveryCases)).to.deep.equal([]);
    for (const [name, facts, many, single] of spec) {
      const c = recoveryCase({ compare: 'same_checksum', ...facts });
      expect([c.name, caseDecision(c, 3), caseDecision(c, 5), caseDecision(c, 1)]).to.deep.equal([name, many, many, single]);
    }
  });

  it('matches every one of the 128 combinations of its inputs with exactly one case, and uses every case', () => {
    const space = inputSpace();
    expect(space).to.have.length(128);
    expect(new Set(space.map((f) => JSON.stringify(f))).size).to.equal(128);
    expect(coverageProblems(recoveryCases)).to.deep.equal([]);
    const used = new Set(space.map((f) => recoveryCase(f).name));
    expect([...used].sort()).to.deep.equal([...caseNames]);
    // cut is the torn-tail rule's alone.
    expect(recoveryCases.flatMap((c) => [c.decision_many, c.decision_one])).to.not.include('cut');
  });

  it('catches broken tables: each fails the table test or the exhaustiveness proof', () => {
    expect(tableMismatches(broken['truncate on corruption']!)).to.include.members(['@C/same_checksum: want @C vsr/vsr, got @C cut/cut']);
    expect(tableMismatches(broken['@D is nil']!)).to.have.length(4);
    expect(tableMismatches(broken['@E fixes with n>1']!)[0]).to.equal('@E/same_checksum: want @E vsr/fix, got @E fix/fix');
    expect(tableMismatches(broken['@L fixes']!)).to.deep.equal(['@L/header_op_higher: want @L vsr/vsr, got @L fix/fix']);
    expect(coverageProblems(broken['@N ignores the comparison']!)).to.have.length(3 * 2); // K, L, M inputs, with prepare_op_max either way
    expect(coverageProblems(broken['@D missing']!)).to.have.length(4 * 2 * 2); // every comparison, header_reserved and prepare_op_max free
    for (const [name, cases] of Object.entries(broken)) expect([...tableMismatches(cases), ...coverageProblems(cases)], name).to.not.deep.equal([]);
  });
});

// ---- images on a simulated disk ---------------------------------------------------------------

/**
 * 8 slots, 4 header cells per sector, ops 0..10 written: slots 0-7 hold ops 8, 9, 10, 3, 4, 5, 6, 7.
 * Op 10 (slot 2) is the max; op 5 (slot 5) is not; op 2 is slot 2's older wrap.
 */
const SMALL: JournalLayout = { ...LAYOUT, slot_count: 8 };
const ops = chain(10);
const op5v1 = entryAfter(ops[4]!, 1); // op 5 of view 1: another prepare for the same op

/** One image per case: the slot and what it holds; every other slot is as written. */
const caseImages: [CaseName, number, SlotContents][] = [
  ['@A', 5, { header: 'garbage', prepare: 'garbage' }],
  ['@B', 5, { header: {}, prepare: 'garbage' }],
  ['@C', 5, { prepare: 'garbage' }],
  ['@D', 5, { header: 'garbage', prepare: {} }],
  ['@E', 5, { header: 'garbage' }],
  ['@F', 2, { header: 'garbage' }],
  ['@G', 5, { header: {} }],
  ['@H', 2, { header: {} }],
  ['@I', 5, { prepare: {} }],
  ['@J', 5, { header: {}, prepare: {} }],
  ['@K', 2, { header: { entry: ops[2]! } }],
  ['@L', 2, { prepare: { entry: ops[2]! } }],
  ['@M', 5, { prepare: { entry: op5v1 } }],
  ['@N', 5, {}],
];

describe('vsr journal: recovery of disk images on a simulated disk', () => {
  it('formats an absent journal: the root in slot 0 (@N), reserved elsewhere (@J), all clean', async () => {
    const world = new SimWorld({ seed: 1 });
    const run = await restart(world, three());
    expect(decisions(run.recovered!)).to.deep.equal(['@N eql', ...new Array<string>(15).fill('@J nil')]);
    expect(run.recovered!.journal.dirty.every((d) => !d)).to.equal(true);
    expect(run.file).to.deep.equal(formatImage(LAYOUT));
    world.close();
  });

  for (const [name, slot, contents] of caseImages) {
    it(`classifies ${name} in slot ${slot} and decides as the table says, with 3 replicas and with 1`, async () => {
      const image = buildImage(SMALL, ops.slice(1), { [slot]: contents });
      const many = await recoverImage(image, three(SMALL));
      const row = spec.find(([n]) => n === name)!;
      expect(many.recovered!.slots[slot]).to.deep.equal({ slot, case: name, decision: row[2] });
      // Every other slot is clean as written (@N), and nothing was cut.
      expect(decisions(many.recovered!).filter((_, s) => s !== slot)).to.deep.equal(new Array<string>(7).fill('@N eql'));
      expectMemory(many.recovered!.journal, slot, row[2]);
      const single = await recoverImage(image, one(SMALL));
      if (row[3] === 'vsr') {
        expect(single.recovered).to.equal(null);
        expect(single.refusal).to.match(new RegExp(`WAL is corrupt: slot\\(s\\) ${slot} faulty .*refusing to start rather than truncate`));
        expect(single.file).to.deep.equal(image); // refused, not repaired or truncated
      } else {
        expect(single.recovered!.slots[slot]!.decision).to.equal(row[3]);
        expect(single.recovered!.journal.dirty[slot]).to.equal(false); // n=1: fix is clean
      }
      many.world.close();
      single.world.close();
    });
  }

  it('scenario 13: a crash mid-write of the tail prepare N is cut (op N-1 is the head, no remote repair); any other explanation is not', async () => {
    const ops9 = chain(9);
    // Op 9's prepare torn in slot 9; its header never written (slot 9's header is still reserved).
    const torn = buildImage(LAYOUT, ops9.slice(1, 9), { 9: { prepare: { torn: ops9[9]! } } });
    const run = await recoverImage(torn, three());
    expect(run.recovered!.slots[9]).to.deep.equal({ slot: 9, case: '@B', decision: 'cut' });
    expect(decisions(run.recovered!).filter((d) => d.endsWith('vsr'))).to.deep.equal([]);
    expect(run.recovered!.journal.faulty.some((f) => f)).to.equal(false);
    // n=1 starts too: a torn tail is a crash, not corruption.
    expect((await recoverImage(torn, one())).recovered!.slots[9]!.decision).to.equal('cut');
    // The header of op 9 was written: the prepare was durable before it, so this is corruption.
    const written = buildImage(LAYOUT, ops9.slice(1), { 9: { prepare: { torn: ops9[9]! } } });
    expect((await recoverImage(written, three())).recovered!.slots[9]).to.deep.equal({ slot: 9, case: '@C', decision: 'vsr' });
    // Another faulty slot outside the span from the checkpoint to the torn slot: not a torn tail.
    const elsewhere = buildImage(LAYOUT, ops9.slice(1, 9), { 9: { prepare: { torn: ops9[9]! } }, 12: { prepare: 'garbage' } });
    expect(decisions((await recoverImage(elsewhere, three())).recovered!).filter((d) => d.endsWith('vsr') || d.endsWith('cut'))).to.deep.equal(['@B vsr', '@B vsr']);
    // A corrupt prepare inside the span does not stop the cut.
    const inside = buildImage(LAYOUT, ops9.slice(1, 9), { 9: { prepare: { torn: ops9[9]! } }, 4: { prepare: 'garbage' } });
    const insideRun = (await recoverImage(inside, three())).recovered!;
    expect([insideRun.slots[4]!.decision, insideRun.slots[9]!.decision]).to.deep.equal(['vsr', 'cut']);
    // The rings disagree on op_max (op 8's header is corrupt too): not a torn tail.
    const disagree = buildImage(LAYOUT, ops9.slice(1, 9), { 9: { prepare: { torn: ops9[9]! } }, 8: { header: 'garbage' } });
    expect((await recoverImage(disagree, three())).recovered!.slots[9]!.decision).to.equal('vsr');
    // op_max (8) below the checkpoint (9): not a torn tail.
    expect((await recoverImage(torn, three(LAYOUT, 9))).recovered!.slots[9]!.decision).to.equal('vsr');
  });

  it('scenario 13 on a real crash: the tail prepare torn by the simulated disk at a crash before its fsync is cut, on each of 6 pinned seeds', async () => {
    const layout: JournalLayout = { cluster: CLUSTER, slot_count: 16, sector_bytes: 1024, prepare_cell_bytes: 4096 };
    const entries = chain(6, 0, CLUSTER, 'x'.repeat(3400)); // each prepare's text reaches its cell's 4th sector
    for (let seed = 1; seed <= 6; seed++) {
      const world = new SimWorld({ seed, disk: { sectorBytes: 1024, torn: 1 } });
      await restart(world, three(layout), async (env, { journal }) => {
        for (const entry of entries.slice(1, 6)) await writeThrough(env, journal, entry);
        const write = writePrepare(journal, entries[6]!);
        void env.disk.write(JOURNAL_FILE, write.offset, write.bytes); // the crash comes before its fsync
      });
      world.crash('r0');
      const torn = world.trace.jsonl().trim().split('\n').map((l) => JSON.parse(l) as { kind: string; detail: { fault?: string; torn?: number } });
      expect(torn.filter((e) => e.kind === 'disk' && e.detail.fault === 'crash').map((e) => e.detail.torn), `seed ${seed}`).to.deep.equal([1]);
      const run = await restart(world, three(layout));
      expect(run.recovered!.slots[6], `seed ${seed}`).to.deep.equal({ slot: 6, case: '@B', decision: 'cut' });
      expect(run.recovered!.journal.faulty.some((f) => f)).to.equal(false);
      expect(run.recovered!.op_max).to.equal(5);
      world.close();
    }
  });

  it('scenario 14: a crash after the prepare is durable and before its header sector is written gives fix (@H, @K), written by the journal itself', async () => {
    const entries = chain(17);
    const world = new SimWorld({ seed: 2 });
    const checkpointed = three(LAYOUT, 2); // the ring may take ops up to 17
    // Ops 1..15 through the journal (prepare, then header), then op 16 (wraps onto op 0's slot) and op 17's prepare only.
    await restart(world, checkpointed, async (env, { journal }) => {
      for (const entry of entries.slice(1, 16)) await writeThrough(env, journal, entry);
      for (const entry of entries.slice(16)) await carryOut(env, writePrepare(journal, entry));
    });
    world.crash('r0');
    // Op 17 is the max; its slot's header is op 1's (an older wrap): @K. Op 16's slot: header op 0 < 16, not max: @K too.
    const run = await restart(world, checkpointed);
    expect(run.recovered!.slots[1]).to.deep.equal({ slot: 1, case: '@K', decision: 'fix' });
    expect(run.recovered!.slots[0]).to.deep.equal({ slot: 0, case: '@K', decision: 'fix' });
    expect(run.recovered!.journal.headers[1]!.checksum).to.equal(entries[17]!.header.checksum);
    expect([run.recovered!.journal.dirty[1], run.recovered!.journal.faulty[1]]).to.deep.equal([true, false]); // n>1: refetched
    world.close();
    // On a fresh journal the slot's header is reserved: @H.
    const fresh = new SimWorld({ seed: 3 });
    await restart(fresh, three(), async (env, { journal }) => {
      for (const entry of entries.slice(1, 4)) await writeThrough(env, journal, entry);
      await carryOut(env, writePrepare(journal, entries[4]!));
    });
    fresh.crash('r0');
    const h = await restart(fresh, one());
    expect(h.recovered!.slots[4]).to.deep.equal({ slot: 4, case: '@H', decision: 'fix' });
    expect(h.recovered!.journal.dirty[4]).to.equal(false);
    fresh.close();
  });

  it('scenario 17: one corrupt header sector with intact prepares: the max op fix (@F), the others vsr (@E), reserved prepares vsr (@D); nothing lost', async () => {
    const world = new SimWorld({ seed: 4 });
    const image = buildImage(LAYOUT, chain(9).slice(1));
    await recoverImage(image, three(), undefined, world);
    world.crash('r0');
    world.corrupt('r0', JOURNAL_FILE, headerSector(LAYOUT, 8).offset, LAYOUT.sector_bytes); // slots 8-11
    const run = await restart(world, three());
    expect(decisions(run.recovered!).slice(8, 12)).to.deep.equal(['@E vsr', '@F fix', '@D vsr', '@D vsr']);
    expect(decisions(run.recovered!).filter((_, s) => s < 8 || s > 11)).to.deep.equal(['@N eql', ...new Array<string>(7).fill('@N eql'), '@J nil', '@J nil', '@J nil', '@J nil']);
    const { journal } = run.recovered!;
    // The faulty slot still knows the prepare physically in it (request_prepare stays answerable).
    expect(journal.prepare_checksums[8]).to.equal(chain(9)[8]!.header.checksum);
    expect([journal.dirty[8], journal.faulty[8], journal.faulty[9], journal.dirty[9]]).to.deep.equal([true, true, false, true]);
    expect(run.recovered!.op_max).to.equal(9);
    world.close();
  });

  it('scenario 18: a misdirected prepare (op X into Y\'s slot) fails the slot check: vsr at both, X never taken for Y', async () => {
    const entries = chain(5);
    const world = new SimWorld({ seed: 5 });
    await restart(world, three(), async (env, { journal }) => {
      for (const entry of entries.slice(1, 5)) await writeThrough(env, journal, entry);
    });
    world.crash('r0');
    // Op 5's prepare lands in slot 3's cell; slot 5 keeps its reserved prepare.
    world.diskFault('r0', { kind: 'misdirect', file: JOURNAL_FILE, offset: prepareOffset(LAYOUT, 5), length: LAYOUT.prepare_cell_bytes, to: prepareOffset(LAYOUT, 3) });
    await restart(world, three(), async (env, { journal }) => writeThrough(env, journal, entries[5]!));
    world.crash('r0');
    const run = await restart(world, three());
    expect(run.recovered!.slots[3]).to.deep.equal({ slot: 3, case: '@C', decision: 'vsr' });
    expect(run.recovered!.slots[5]).to.deep.equal({ slot: 5, case: '@I', decision: 'vsr' });
    const { journal } = run.recovered!;
    expect(journal.headers[3]).to.deep.include({ command: 'reserved', op: 3 });
    expect([journal.prepare_checksums[3], journal.prepare_inhabited[3]]).to.deep.equal([null, false]);
    // A reserved header misdirected into another slot names the wrong slot: not ok there either.
    const reserved = buildImage(LAYOUT, entries.slice(1, 5), { 12: { header: { reserved_for: 13 } } });
    expect((await recoverImage(reserved, three())).recovered!.slots[12]).to.deep.equal({ slot: 12, case: '@D', decision: 'vsr' });
    world.close();
  });

  it('scenario 19: n=1 with a faulty slot refuses to start ("WAL is corrupt") and leaves the file as it was; every slot faulty is refused for any n', async () => {
    const image = buildImage(LAYOUT, chain(6).slice(1), { 3: { prepare: 'garbage' } });
    const run = await recoverImage(image, one());
    expect(run.recovered).to.equal(null);
    expect(run.refusal).to.equal('journal vsr.journal: WAL is corrupt: slot(s) 3 faulty and this cluster has one replica to repair them from; refusing to start rather than truncate');
    expect(run.file).to.deep.equal(image);
    expect(run.world.failure).to.equal(undefined); // a refusal, not a lab error
    const all = new Uint8Array(image.length).fill(0x41);
    expect((await recoverImage(all, three())).refusal).to.match(/WAL is completely corrupt/);
  });

  it('scenario 20: a faulty slot (@D) in the sector of a repaired slot is written invalid and is still faulty after a crash, not @J', async () => {
    const entries = chain(9);
    const image = buildImage(LAYOUT, entries.slice(1, 8), { 8: { header: 'garbage', prepare: {} }, 9: { header: 'garbage', prepare: 'garbage' } });
    const world = new SimWorld({ seed: 6 });
    const first = await recoverImage(image, three(), async (env, { journal }) => writeThrough(env, journal, entries[9]!), world);
    expect(decisions(first.recovered!).slice(8, 10)).to.deep.equal(['@D vsr', '@A vsr']);
    world.crash('r0'); // right after slot 9's header sector (slots 8-11) is durable
    const run = await restart(world, three());
    expect(decisions(run.recovered!).slice(8, 10)).to.deep.equal(['@D vsr', '@N eql']);
    world.close();
    // Bite: a header sector written from memory without the rule (the student's stub) turns slot 8 into @J: clean, its op lost.
    // (memory holds a reserved header for slot 8, so the naive sector carries a valid reserved cell there).
    const naive = buildImage(LAYOUT, [...entries.slice(1, 8), entries[9]!], { 8: { header: {}, prepare: {} } });
    expect((await recoverImage(naive, three())).recovered!.slots[8]).to.deep.equal({ slot: 8, case: '@J', decision: 'nil' });
  });

  it('refuses a journal of the wrong size, and one of another cluster, with a clear message and the file untouched', async () => {
    const image = buildImage(LAYOUT, chain(3).slice(1));
    const short = image.slice(0, image.length - LAYOUT.sector_bytes);
    const run = await recoverImage(short, three());
    expect(run.refusal).to.equal(
      `journal vsr.journal: ${short.length} bytes, but 16 slots of this layout take ${image.length}; refusing to start on a journal that is not this replica's`,
    );
    expect(run.file).to.deep.equal(short);
    const foreign = buildImage({ ...LAYOUT, cluster: 8 }, chain(3, 0, 8).slice(1));
    const other = await recoverImage(foreign, three());
    expect(other.refusal).to.equal(`journal vsr.journal: it belongs to cluster 8, not ${CLUSTER}; refusing to start rather than join another cluster's history`);
    expect(other.file).to.deep.equal(foreign);
  });

  it('a truncate-on-corruption table loses the ops after a corrupt prepare (scenario 16\'s image); the reference repairs it remotely', async () => {
    const image = buildImage(LAYOUT, chain(9).slice(1), { 4: { prepare: 'garbage' } });
    const good = (await recoverImage(image, three())).recovered!;
    expect(good.slots[4]).to.deep.equal({ slot: 4, case: '@C', decision: 'vsr' });
    const bad = (await recoverImage(image, { ...three(), cases: broken['truncate on corruption']! })).recovered!;
    expect(bad.slots[4]!.decision).to.equal('cut');
    expect(bad.journal.faulty[4]).to.equal(false); // op 4 forgotten, no repair asked: the check above fails on it
  });
});

// ---- writes ---------------------------------------------------------------------------------

function expectMemory(journal: JournalState, slot: number, decision: Decision): void {
  assertJournalInvariants(journal);
  const state = [journal.dirty[slot], journal.faulty[slot]];
  if (decision === 'vsr') expect(state).to.deep.equal([true, true]);
  else if (decision === 'fix') expect(state).to.deep.equal([true, false]);
  else expect(state).to.deep.equal([false, false]);
}

describe('vsr journal: writes', () => {
  const fresh = (): JournalState => recoverJournal(three(), formatImage(LAYOUT)).journal;

  it('writes the prepare first, then the header sector from memory; the slot is clean only after both', () => {
    const j = fresh();
    const entry = chain(5)[5]!;
    const prepare = writePrepare(j, entry);
    expect([prepare.offset, prepare.bytes.length]).to.deep.equal([prepareOffset(LAYOUT, 5), LAYOUT.prepare_cell_bytes]);
    expect([j.dirty[5], hasPrepare(j, entry.header)]).to.deep.equal([true, false]);
    const header = onPrepareWritten(j, 5, entry.header.checksum)!;
    expect([header.offset, header.bytes.length]).to.deep.equal([headerSector(LAYOUT, 5).offset, LAYOUT.sector_bytes]);
    // Its neighbours in the sector (never written: reserved headers) are written reserved.
    const image = formatImage(LAYOUT);
    image.set(header.bytes, header.offset);
    image.set(prepare.bytes, prepare.offset);
    expect(decisions(recoverJournal(three(), image)).slice(4, 8)).to.deep.equal(['@J nil', '@N eql', '@J nil', '@J nil']);
    expect([j.dirty[5], hasPrepare(j, entry.header)]).to.deep.equal([true, false]);
    expect(onHeaderWritten(j, 5, entry.header.checksum)).to.equal(true);
    expect([j.dirty[5], j.faulty[5], hasPrepare(j, entry.header), j.prepare_checksums[5]]).to.deep.equal([false, false, true, entry.header.checksum]);
  });

  it('a completion for a slot that now holds another header does not clean it', () => {
    const j = fresh();
    const a = chain(5)[5]!;
    const b = entryAfter(chain(4)[4]!, 1);
    writePrepare(j, a);
    writePrepare(j, b); // a view change replaced op 5 before a's write completed
    expect(onPrepareWritten(j, 5, a.header.checksum)).to.equal(null);
    expect(j.prepare_checksums[5]).to.equal(a.header.checksum); // a is what is physically there
    expect(onHeaderWritten(j, 5, a.header.checksum)).to.equal(false);
    expect(j.dirty[5]).to.equal(true);
  });

  it('encodes cells as the canonical text of the header and of {body, header}, zero-padded (built from each header\'s text made once)', () => {
    const cell = (value: unknown, bytes: number): Uint8Array => {
      const out = new Uint8Array(bytes);
      out.set(new TextEncoder().encode(canonicalJson(value as Json)));
      return out;
    };
    const bodies: Json[] = [null, 0, -1.5, 'é\u0000"\\', [], {}, { z: 1, a: [true, { y: null, b: 'ü' }] }, { f: 'put', key: 'k1', value: 'v'.repeat(2000) }];
    const entries = bodies.map((body, i) => ({ ...entryAfter(chain(i)[i]!, i), body }));
    for (const e of [...entries, ...chain(3), { header: reservedHeader(CLUSTER, 3), body: null }]) {
      for (let twice = 0; twice < 2; twice++) {
        expect(encodePrepare(LAYOUT, e)).to.deep.equal(cell(e, LAYOUT.prepare_cell_bytes));
        expect(encodeHeaderCell(e.header)).to.deep.equal(cell(e.header, HEADER_CELL_BYTES));
      }
    }
    expect(() => encodePrepare(LAYOUT, { ...entries[0]!, body: 'é'.repeat(LAYOUT.prepare_cell_bytes / 2) })).to.throw(/a cell of \d+ bytes does not fit in 4096/);
  });

  it('builds a header sector into a reused buffer as into a new one: every cell overwritten whole, a faulty slot\'s cell all zeros', () => {
    const j = fresh();
    const entries = chain(7);
    for (const e of entries.slice(4)) writePrepare(j, e);
    j.faulty[6] = true; // dirty already: faulty ⊆ dirty
    const cell = (bytes: Uint8Array, slot: number): Uint8Array => bytes.subarray((slot - 4) * HEADER_CELL_BYTES, (slot - 3) * HEADER_CELL_BYTES);
    // A buffer left over from an earlier batch (the storage reuses one): bytes no cell text or zero padding holds.
    const into = new Uint8Array(LAYOUT.sector_bytes).fill(0xff);
    const built = headerSectorBytes(j, 5, [4, 5, 7], into);
    expect(built).to.equal(into);
    expect(built).to.deep.equal(headerSectorBytes(j, 5, [4, 5, 7]));
    expect(cell(built, 6)).to.deep.equal(new Uint8Array(HEADER_CELL_BYTES));
    for (const slot of [4, 5, 7]) expect(cell(built, slot), `slot ${slot}`).to.deep.equal(encodeHeaderCell(entries[slot]!.header));
  });

  it('a write of a header changed without its checksum fails the slot invariants at once; a made header cannot be changed', () => {
    const j = fresh();
    const entry = chain(5)[5]!;
    writePrepare(j, entry);
    assertSlotInvariants(j, 5);
    // An engine that moves a prepare to its view by `{ ...header, view }` and keeps the stale checksum.
    writePrepare(j, { ...entry, header: { ...entry.header, view: 1 } });
    expect(() => assertSlotInvariants(j, 5)).to.throw(/slot 5 holds a header that fails its checksum/);
    const made = chain(1)[0]!;
    expect(() => ((made.header as { view: number }).view = 1)).to.throw(TypeError);
  });

  it('refuses any op at or past op_checkpoint + slot_count', () => {
    const j = fresh();
    const entries = chain(LAYOUT.slot_count);
    expect(journalAccepts(j, LAYOUT.slot_count - 1)).to.equal(true);
    expect(journalAccepts(j, LAYOUT.slot_count)).to.equal(false);
    expect(() => writePrepare(j, entries[LAYOUT.slot_count]!)).to.throw(/op 16 ≥ op_checkpoint 0 \+ slot_count 16/);
    j.op_checkpoint = 1;
    expect(writePrepare(j, entries[LAYOUT.slot_count]!).slot).to.equal(slotFor(LAYOUT, LAYOUT.slot_count));
  });
});
