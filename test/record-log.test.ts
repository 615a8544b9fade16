// Unit tests of the durable record log (src/storage/record-log.ts) on an in-memory Disk: round
// trips, fsync before resolve, torn and garbled last appends dropped and truncated, and every
// other corruption refused without touching the file (property: a flipped byte anywhere), the same
// with zeros written ahead (preallocation), and a log that lost every record refused while its
// witness says it once held some.
// handout: framework test (passes without the lab solutions)
import { expect } from 'chai';
import fc from 'fast-check';
import { z } from 'zod';
import { InvariantViolation } from '../src/assert.js';
import type { Disk } from '../src/env/types.js';
import { encodeRecords, RecordLog, RecordLogCorrupt, RecordLogLost } from '../src/storage/record-log.js';
import { MemoryDisk } from './fixtures/paxos-memory.js';

const recordSchema = z.object({ k: z.string(), v: z.number() });
type Rec = z.infer<typeof recordSchema>;
const FILE = 'test.log';

function open(disk: Disk): RecordLog<Rec> {
  return new RecordLog(disk, FILE, recordSchema);
}

async function written(records: Rec[]): Promise<MemoryDisk> {
  const disk = new MemoryDisk();
  const log = open(disk);
  await log.replay();
  for (const r of records) await log.append(r);
  return disk;
}

const three: Rec[] = [
  { k: 'a', v: 1 },
  { k: 'bb', v: 22 },
  { k: 'ccc', v: 333 },
];

describe('storage: record log', () => {
  it('replays what was appended, in order, from a fresh instance', async () => {
    const disk = await written(three);
    expect(await open(disk).replay()).to.deep.equal(three);
  });

  it('replays an empty or missing file as no records', async () => {
    expect(await open(new MemoryDisk()).replay()).to.deep.equal([]);
  });

  it('makes each record durable (fsynced) before append resolves', async () => {
    const disk = new MemoryDisk();
    const log = open(disk);
    await log.replay();
    await log.append(three[0]!);
    expect(disk.durable.get(FILE)).to.deep.equal(disk.files.get(FILE));
    await log.append(three[1]!);
    expect(await open(disk).replay()).to.deep.equal(three.slice(0, 2));
  });

  it('keeps call order for concurrent appends', async () => {
    const disk = new MemoryDisk();
    const log = open(disk);
    await log.replay();
    await Promise.all(three.map((r) => log.append(r)));
    expect(await open(disk).replay()).to.deep.equal(three);
  });

  it('refuses append before replay (a torn tail must be cut first)', async () => {
    expect(() => open(new MemoryDisk()).append(three[0]!)).to.throw(InvariantViolation, 'before replay');
  });

  it('drops and truncates a torn tail at every cut point, then appends after the good prefix', async () => {
    const full = (await written(three)).files.get(FILE)!;
    const ends = [0, ...three.map((_, i) => encodeRecords(three.slice(0, i + 1)).length)];
    for (let cut = 0; cut <= full.length; cut++) {
      const disk = new MemoryDisk();
      disk.set(FILE, full.slice(0, cut));
      const log = open(disk);
      const whole = ends.filter((end) => end <= cut).length - 1;
      const report = await log.replayReport();
      expect(report.records, `cut at ${cut}`).to.deep.equal(three.slice(0, whole));
      expect(report.droppedBytes, `cut at ${cut}`).to.equal(cut - ends[whole]!);
      expect(disk.files.get(FILE)!.length).to.equal(ends[whole]);
      await log.append({ k: 'after', v: cut });
      expect(await open(disk).replay()).to.deep.equal([...three.slice(0, whole), { k: 'after', v: cut }]);
    }
  });

  it('drops a garbled last record (bad checksum ending at end of file)', async () => {
    const disk = await written(three);
    const bytes = disk.files.get(FILE)!.slice();
    bytes[bytes.length - 2] ^= 0x40;
    disk.set(FILE, bytes);
    const report = await open(disk).replayReport();
    expect(report.records).to.deep.equal(three.slice(0, 2));
    expect(report.droppedBytes).to.equal(encodeRecords(three.slice(2)).length);
  });

  it('refuses a last record whose length field was garbled past the end of the file: a header is never torn', async () => {
    const disk = await written(three);
    const bytes = disk.files.get(FILE)!.slice();
    const third = encodeRecords(three.slice(0, 2)).length;
    bytes[third + 2] = 0x7f;
    disk.set(FILE, bytes);
    const error = await open(disk).replay().then(() => null, (e: unknown) => e);
    expect(error).to.be.instanceOf(RecordLogCorrupt);
    expect((error as Error).message).to.include(`byte ${third}`).and.include('header checksum');
    expect(disk.files.get(FILE)).to.deep.equal(bytes);
  });

  it("refuses a middle record whose length was garbled to run past the end of the file (PAR's Truncate failure)", async () => {
    const disk = await written(three);
    const bytes = disk.files.get(FILE)!.slice();
    const second = encodeRecords(three.slice(0, 1)).length;
    bytes[second + 1] = 0xff; // length ~64 KiB: past the end of the file
    disk.set(FILE, bytes);
    const error = await open(disk).replay().then(() => null, (e: unknown) => e);
    expect(error).to.be.instanceOf(RecordLogCorrupt);
    expect(disk.files.get(FILE)).to.deep.equal(bytes);
  });

  it('reads again before it judges: a transient read error is neither a torn tail nor corruption', async () => {
    const disk = await written(three);
    const medium = disk.files.get(FILE)!;
    let reads = 0;
    const flaky = Object.assign(Object.create(disk) as MemoryDisk, {
      read: async (file: string): Promise<Uint8Array> => {
        const bytes = (await disk.read(file)).slice();
        if (reads++ === 0) bytes[bytes.length - 3] ^= 0x10;
        return bytes;
      },
    });
    expect(await open(flaky).replay()).to.deep.equal(three);
    expect(reads).to.equal(2);
    expect(disk.files.get(FILE)).to.deep.equal(medium);
  });

  it('keeps headers off 512-byte boundaries, so a sector-aligned tear cuts payloads and never garbles a header', async () => {
    const records = Array.from({ length: 40 }, (_, i) => ({ k: 'x'.repeat(i * 7), v: i }));
    const bytes = (await written(records)).files.get(FILE)!;
    const buf = Buffer.from(bytes);
    let offset = 0;
    for (let i = 0; i < records.length; i++) {
      if (512 - (offset % 512) < 12) offset += 512 - (offset % 512);
      expect(Math.floor(offset / 512), `record ${i}'s header`).to.equal(Math.floor((offset + 11) / 512));
      offset += 12 + buf.readUInt32LE(offset);
    }
    expect(offset).to.equal(bytes.length);
    for (let cut = 512; cut < bytes.length; cut += 512) {
      const disk = new MemoryDisk();
      disk.set(FILE, bytes.slice(0, cut));
      const replayed = await open(disk).replay();
      expect(replayed, `torn at ${cut}`).to.deep.equal(records.slice(0, replayed.length));
    }
  });

  it('refuses a corrupt record in the middle, naming its offset, and leaves the file alone', async () => {
    const disk = await written(three);
    const bytes = disk.files.get(FILE)!.slice();
    const second = encodeRecords(three.slice(0, 1)).length;
    bytes[second + 10] ^= 0x01;
    disk.set(FILE, bytes);
    let error: unknown;
    await open(disk).replay().catch((e: unknown) => (error = e));
    expect(error).to.be.instanceOf(RecordLogCorrupt);
    expect((error as Error).message).to.include(`byte ${second}`);
    expect(disk.files.get(FILE)).to.deep.equal(bytes);
  });

  it('refuses a garbled record followed by zeros when the log does not preallocate: a lost write after it does not make it a torn tail', async () => {
    const disk = await written(three);
    const bytes = disk.files.get(FILE)!.slice();
    const second = encodeRecords(three.slice(0, 1)).length;
    const third = encodeRecords(three.slice(0, 2)).length;
    bytes[third - 2] ^= 0x01; // the second record's payload
    bytes.fill(0, third); // the third record's write lost, the file's size kept
    disk.set(FILE, bytes);
    const error = await open(disk).replay().then(() => null, (e: unknown) => e);
    expect(error).to.be.instanceOf(RecordLogCorrupt);
    expect((error as Error).message).to.include(`byte ${second}`).and.include('more records follow');
    expect(disk.files.get(FILE)).to.deep.equal(bytes);
  });

  it("property: large records of any text replay: zlib's crc32 writes them, the JS loop checks them on reading", async () => {
    // From 256 payload bytes encodeRecord checksums with node:zlib; replay always with its own loop.
    const rec = fc.record({ k: fc.string({ unit: 'binary', minLength: 100, maxLength: 3000 }), v: fc.integer() });
    await fc.assert(
      fc.asyncProperty(fc.array(rec, { minLength: 1, maxLength: 4 }), async (records) => {
        const disk = new MemoryDisk();
        disk.set(FILE, encodeRecords(records));
        expect(await open(disk).replay()).to.deep.equal(records);
      }),
      { seed: 0x0c2c_3210, numRuns: 200 },
    );
  });

  it('property: any cut of any log replays to exactly the records wholly before the cut', async () => {
    const rec = fc.record({ k: fc.string({ maxLength: 20 }), v: fc.integer() });
    await fc.assert(
      fc.asyncProperty(fc.array(rec, { maxLength: 8 }), fc.nat(), async (records, cutSeed) => {
        const full = encodeRecords(records);
        const cut = cutSeed % (full.length + 1);
        const disk = new MemoryDisk();
        disk.set(FILE, full.slice(0, cut));
        let whole = 0;
        while (whole < records.length && encodeRecords(records.slice(0, whole + 1)).length <= cut) whole++;
        expect(await open(disk).replay()).to.deep.equal(records.slice(0, whole));
      }),
      { numRuns: 200 },
    );
  });

  it('property: a flip of any byte of any record drops at most the last record, never an earlier one, and otherwise refuses loudly', async () => {
    const rec = fc.record({ k: fc.string({ maxLength: 90 }), v: fc.integer() });
    const seen = { dropped: 0, refused: 0, refusedInZeros: 0 };
    await fc.assert(
      fc.asyncProperty(fc.array(rec, { minLength: 2, maxLength: 12 }), fc.integer({ min: 1, max: 255 }), (records, mask) => flipEach(records, mask, 0, open, seen)),
      { numRuns: 40 },
    );
    expect(seen.dropped, 'flips in the last record that dropped it').to.be.greaterThan(0);
    expect(seen.refused, 'flips that were refused as corruption').to.be.greaterThan(0);
  });
});

/** A log's bytes followed by `zeros` zero bytes, as preallocation leaves them. */
function withZeros(bytes: Uint8Array, zeros: number): Uint8Array {
  const out = new Uint8Array(bytes.length + zeros);
  out.set(bytes);
  return out;
}

/**
 * Flip each byte of the log of `records` followed by `zeros` zero bytes by `mask`, replay each
 * with `opened`, and check: a refusal changes nothing; else only a flip in the last record drops
 * a record (that one, truncated away), and a flip in the zeros drops none. Counts what happened.
 */
async function flipEach(records: Rec[], mask: number, zeros: number, opened: (disk: Disk) => RecordLog<Rec>, seen: { dropped: number; refused: number; refusedInZeros: number }): Promise<void> {
  const full = withZeros(encodeRecords(records), zeros);
  const logEnd = full.length - zeros;
  const lastStart = encodeRecords(records.slice(0, -1)).length;
  for (let at = 0; at < full.length; at++) {
    const bytes = full.slice();
    bytes[at]! ^= mask;
    const disk = new MemoryDisk();
    disk.set(FILE, bytes.slice());
    const outcome = await opened(disk).replayReport().then((r) => r, (e: unknown) => e);
    if (outcome instanceof RecordLogCorrupt) {
      seen.refused++;
      if (at >= logEnd) seen.refusedInZeros++;
      expect(disk.files.get(FILE), `flip at ${at}: a refusal changes nothing`).to.deep.equal(bytes);
      continue;
    }
    if (!('records' in (outcome as object))) throw outcome;
    const { records: got } = outcome as { records: Rec[] };
    // In zeros shorter than a header, a flip reads as a torn header: cut, and no record lost.
    if (at >= logEnd) expect(got, `flip at ${at}, in the zeros after the last record, lost a record`).to.deep.equal(records);
    if (got.length === records.length) {
      expect(got, `flip at ${at}`).to.deep.equal(records); // a flip in padding: nothing is lost
    } else {
      seen.dropped++;
      expect(at, `flip at ${at} dropped a record: only a flip in the last record may`).to.be.at.least(lastStart);
      expect(got, `flip at ${at}`).to.deep.equal(records.slice(0, -1));
      expect(disk.files.get(FILE)!.length).to.equal(lastStart);
    }
  }
}

describe('storage: a preallocating record log (zeros written ahead of the last record)', () => {
  const preallocating = (disk: Disk): RecordLog<Rec> => new RecordLog(disk, FILE, recordSchema, { preallocate: true });
  const ends = [0, ...three.map((_, i) => encodeRecords(three.slice(0, i + 1)).length)];

  it('writes zeros ahead in steps, not at every append; replay reads them as the clean end and keeps them; the next append lands on them', async () => {
    const disk = new MemoryDisk();
    const log = preallocating(disk);
    await log.replay();
    const sizes: number[] = [];
    for (const r of three) {
      await log.append(r);
      sizes.push(disk.files.get(FILE)!.length);
      expect(disk.durable.get(FILE), 'the zeros are durable with the record').to.deep.equal(disk.files.get(FILE));
    }
    expect(sizes[0]).to.equal(ends[1]! + 64 * 1024);
    expect(sizes, 'the later appends landed inside the zeros').to.deep.equal([sizes[0], sizes[0], sizes[0]]);
    const bytes = disk.files.get(FILE)!;
    expect(bytes.slice(0, ends[3]!)).to.deep.equal(encodeRecords(three));
    expect(bytes.slice(ends[3]!).every((b) => b === 0)).to.equal(true);
    const reopened = preallocating(disk);
    const report = await reopened.replayReport();
    expect(report).to.deep.equal({ records: three, droppedBytes: 0 });
    expect(disk.files.get(FILE)!.length, 'the zeros stay').to.equal(sizes[0]);
    await reopened.append({ k: 'd', v: 4 });
    expect(await preallocating(disk).replay()).to.deep.equal([...three, { k: 'd', v: 4 }]);
    expect(disk.files.get(FILE)!.length).to.equal(sizes[0]);
  });

  it('drops a torn last append inside the zeros (every sector-aligned tear), truncating it and the zeros after it, then appends after the good prefix', async () => {
    // A tear keeps whole sectors: headers never straddle one, so a torn record keeps its header whole or loses it.
    const records = Array.from({ length: 40 }, (_, i) => ({ k: 'x'.repeat(i * 7), v: i }));
    const full = encodeRecords(records);
    const recordEnds = [0, ...records.map((_, i) => encodeRecords(records.slice(0, i + 1)).length)];
    const cuts = [...new Set([...recordEnds, ...Array.from({ length: Math.ceil(full.length / 512) }, (_, i) => i * 512)])].sort((a, b) => a - b);
    for (const cut of cuts) {
      const disk = new MemoryDisk();
      disk.set(FILE, withZeros(full.slice(0, cut), 4096));
      const whole = recordEnds.filter((end) => end <= cut).length - 1;
      const log = preallocating(disk);
      expect(await log.replay(), `torn at ${cut}`).to.deep.equal(records.slice(0, whole));
      const clean = cut === recordEnds[whole];
      expect(disk.files.get(FILE)!.length, `torn at ${cut}: a torn record goes with the zeros after it; a clean end keeps them`).to.equal(clean ? cut + 4096 : recordEnds[whole]);
      await log.append({ k: 'after', v: cut });
      expect(await preallocating(disk).replay()).to.deep.equal([...records.slice(0, whole), { k: 'after', v: cut }]);
    }
  });

  it('a log that does not preallocate still refuses zeros after its last record (a lost write past the end reads as corruption there)', async () => {
    const disk = new MemoryDisk();
    const bytes = withZeros(encodeRecords(three), 100);
    disk.set(FILE, bytes);
    const error = await open(disk).replay().then(() => null, (e: unknown) => e);
    expect(error).to.be.instanceOf(RecordLogCorrupt);
    expect(disk.files.get(FILE)).to.deep.equal(bytes);
  });

  it('the price, stated: a lost write of the last append leaves zeros, which a preallocating log reads as its clean end', async () => {
    const disk = new MemoryDisk();
    disk.set(FILE, withZeros(encodeRecords(three.slice(0, 2)), ends[3]! - ends[2]! + 4096));
    expect(await preallocating(disk).replay()).to.deep.equal(three.slice(0, 2));
  });

  it('property: a flip of any byte of any record or of the zeros after them drops at most the last record, and otherwise refuses loudly (a flip in the zeros never loses one)', async () => {
    const rec = fc.record({ k: fc.string({ maxLength: 90 }), v: fc.integer() });
    const seen = { dropped: 0, refused: 0, refusedInZeros: 0 };
    await fc.assert(
      fc.asyncProperty(fc.array(rec, { minLength: 2, maxLength: 10 }), fc.integer({ min: 1, max: 255 }), fc.integer({ min: 1, max: 1200 }), (records, mask, zeros) => flipEach(records, mask, zeros, preallocating, seen)),
      { numRuns: 30 },
    );
    expect(seen.dropped, 'flips in the last record that dropped it').to.be.greaterThan(0);
    expect(seen.refusedInZeros, 'flips in the zeros, refused').to.be.greaterThan(0);
  });
});

const WITNESS = 'test.log.written';

function witnessed(disk: Disk): RecordLog<Rec> {
  return new RecordLog(disk, FILE, recordSchema, { witness: WITNESS });
}

/** A disk whose fsyncs are noted, in order, by file name. */
function noting(disk: MemoryDisk, fsyncs: string[]): MemoryDisk {
  return Object.assign(Object.create(disk) as MemoryDisk, {
    fsync: async (file: string): Promise<void> => {
      await disk.fsync(file);
      fsyncs.push(file);
    },
  });
}

describe('storage: record log with a witness (a log that lost every record is not a new one)', () => {
  const losses: [string, (disk: MemoryDisk) => void][] = [
    ['emptied', (disk) => disk.set(FILE, new Uint8Array())],
    ['removed', (disk) => disk.files.delete(FILE)],
    ['cut inside its first record', (disk) => disk.set(FILE, disk.files.get(FILE)!.slice(0, 5))],
  ];
  for (const [what, lose] of losses) {
    it(`refuses a log ${what} after its first durable record, naming both files, and changes nothing`, async () => {
      const disk = new MemoryDisk();
      const log = witnessed(disk);
      await log.replay();
      await log.append(three[0]!);
      const after = disk.afterCrash();
      lose(after);
      const files = new Map([...after.files].map(([name, bytes]) => [name, bytes.slice()]));
      const error = await witnessed(after).replay().then(() => null, (e: unknown) => e);
      expect(error).to.be.instanceOf(RecordLogLost);
      expect((error as Error).message).to.include(`record log ${FILE}: it holds no record, but ${WITNESS} exists`);
      expect(after.files, 'a refusal changes nothing').to.deep.equal(files);
    });
  }

  it('starts a new log (no witness) as empty, and resolves its first append only once the witness is durable after the record', async () => {
    const disk = new MemoryDisk();
    const fsyncs: string[] = [];
    const log = witnessed(noting(disk, fsyncs));
    expect(await log.replay()).to.deep.equal([]);
    expect(disk.files.has(WITNESS), 'no witness before a record').to.equal(false);
    await Promise.all([log.append(three[0]!), log.append(three[1]!)]);
    expect(fsyncs, 'the record, then its witness, then the next record').to.deep.equal([FILE, WITNESS, FILE]);
    expect(disk.durable.get(WITNESS)?.length).to.be.greaterThan(0);
    await log.append(three[2]!);
    expect(fsyncs.slice(3), 'the witness is made once').to.deep.equal([FILE]);
  });

  it('restarts safely from every crash of the first append: a torn record is a new log; a durable one without its witness gets it at replay', async () => {
    const first = encodeRecords(three.slice(0, 1));
    for (let cut = 0; cut < first.length; cut++) {
      const disk = new MemoryDisk();
      disk.set(FILE, first.slice(0, cut));
      expect(await witnessed(disk).replay(), `torn at ${cut}: nothing was acknowledged`).to.deep.equal([]);
    }
    const disk = new MemoryDisk();
    disk.set(FILE, first);
    expect(await witnessed(disk).replay()).to.deep.equal(three.slice(0, 1));
    expect(disk.durable.get(WITNESS)?.length, 'the witness, made at replay').to.be.greaterThan(0);
    const emptied = disk.afterCrash();
    emptied.set(FILE, new Uint8Array());
    expect(await witnessed(emptied).replay().then(() => null, (e: unknown) => e)).to.be.instanceOf(RecordLogLost);
  });

  it('replays a log without a witness option as before: no witness made, an emptied log is a new one', async () => {
    const disk = await written(three);
    expect([...disk.files.keys()]).to.deep.equal([FILE]);
    disk.set(FILE, new Uint8Array());
    expect(await open(disk).replay()).to.deep.equal([]);
  });
});
