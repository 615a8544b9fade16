// Unit tests of the durable record log (src/storage/record-log.ts) on an in-memory Disk: round
// trips, fsync before resolve, torn and garbled tails dropped and truncated, middle corruption refused.
import { expect } from 'chai';
import fc from 'fast-check';
import { z } from 'zod';
import { InvariantViolation } from '../src/assert.js';
import type { Disk } from '../src/env/types.js';
import { encodeRecord, RecordLog, RecordLogCorrupt } from '../src/storage/record-log.js';
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

  it('drops a last record whose length field was garbled past the end of the file', async () => {
    const disk = await written(three);
    const bytes = disk.files.get(FILE)!.slice();
    bytes[encodeRecords(three.slice(0, 2)).length + 2] = 0x7f;
    disk.set(FILE, bytes);
    expect(await open(disk).replay()).to.deep.equal(three.slice(0, 2));
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
});

function encodeRecords(records: Rec[]): Uint8Array {
  return Buffer.concat(records.map((r) => encodeRecord(r)));
}
