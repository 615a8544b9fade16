// The simulated disk: file semantics (as the real disk's), writes volatile until fsync, and the
// faults: unsynced writes lost or kept at a crash, the last one torn, bytes corrupted on the medium.
import { expect } from 'chai';
import { NodeDisk, SimDisk } from '../src/env/sim/disk.js';
import { Prng } from '../src/random.js';
import { SimWorld } from '../src/env/sim/world.js';
import { z } from 'zod';
import type { Env } from '../src/env/types.js';
import type { LabNode } from '../src/lab.js';
import { RecordLog } from '../src/storage/record-log.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const none = { unsyncedKept: 0, torn: 0 };

describe('sim disk', () => {
  it('reads, writes, appends, truncates and removes like a file system', () => {
    const disk = new SimDisk();
    expect(disk.read('f')).to.deep.equal(new Uint8Array(0));
    expect(disk.size('f')).to.equal(0);
    disk.write('f', 3, bytes('abc'));
    expect([...disk.read('f')]).to.deep.equal([0, 0, 0, 97, 98, 99]);
    disk.append('f', bytes('de'));
    expect(text(disk.read('f', 3))).to.equal('abcde');
    expect(text(disk.read('f', 4, 2))).to.equal('bc');
    expect(disk.read('f', 100)).to.have.length(0);
    disk.truncate('f', 4);
    disk.truncate('f', 6);
    expect([...disk.read('f')]).to.deep.equal([0, 0, 0, 97, 0, 0]);
    disk.append('g', bytes('x'));
    expect(disk.list()).to.deep.equal(['f', 'g']);
    disk.remove('f');
    expect(disk.list()).to.deep.equal(['g']);
    expect(() => disk.write('../etc', 0, bytes('x'))).to.throw(/bad file name/);
  });

  it('copies what it is given and what it returns', () => {
    const disk = new SimDisk();
    const data = bytes('abc');
    disk.write('f', 0, data);
    data[0] = 120;
    const read = disk.read('f');
    read[1] = 120;
    expect(text(disk.read('f'))).to.equal('abc');
  });

  it('keeps only fsynced data at a crash by default', () => {
    const disk = new SimDisk();
    disk.write('f', 0, bytes('hello'));
    disk.fsync('f');
    disk.write('f', 0, bytes('J'));
    disk.append('f', bytes(' world'));
    disk.append('new', bytes('x'));
    expect(text(disk.read('f'))).to.equal('Jello world');
    const effects = disk.crash(none, new Prng(1));
    expect(text(disk.read('f'))).to.equal('hello');
    expect(disk.list()).to.deep.equal(['f']);
    expect(effects).to.deep.equal([
      { file: 'f', unsynced: 2, kept: 0 },
      { file: 'new', unsynced: 1, kept: 0 },
    ]);
    expect(disk.dirty('f')).to.equal(false);
  });

  it('keeps each unsynced write with probability unsyncedKept, in order, the same for the same seed', () => {
    const outcome = (seed: number): string => {
      const disk = new SimDisk();
      for (let i = 0; i < 20; i++) disk.write('f', i, bytes(String.fromCharCode(97 + i)));
      disk.crash({ unsyncedKept: 0.5, torn: 0 }, new Prng(seed));
      return [...disk.read('f')].map((b) => (b === 0 ? '.' : String.fromCharCode(b))).join('');
    };
    const a = outcome(1);
    expect(a).to.match(/^[a-t.]*$/);
    expect(a.replace(/\./g, '').length).to.be.within(3, 17);
    expect(outcome(1)).to.equal(a);
    expect(outcome(2)).to.not.equal(a);
  });

  it('tears the last unsynced write: a prefix survives, sometimes followed by garbage', () => {
    const kinds = new Set<string>();
    for (let seed = 1; seed <= 20; seed++) {
      const disk = new SimDisk();
      disk.write('f', 0, bytes('0123456789'));
      disk.fsync('f');
      disk.write('f', 2, bytes('ABCDEFGH'));
      const [effect] = disk.crash({ unsyncedKept: 0, torn: 1 }, new Prng(seed));
      const after = text(disk.read('f'));
      const kept = effect!.tornAt!;
      expect(after.slice(0, 2 + kept)).to.equal(`01${'ABCDEFGH'.slice(0, kept)}`);
      if (effect!.garbage) kinds.add('garbage');
      else expect(after).to.equal(`01${'ABCDEFGH'.slice(0, kept)}${'23456789'.slice(kept)}`);
      if (!effect!.garbage) kinds.add('clean');
    }
    expect([...kinds].sort()).to.deep.equal(['clean', 'garbage']);
  });

  it('corrupts bytes on the medium: they stay corrupt across a crash', () => {
    const disk = new SimDisk();
    disk.write('f', 0, bytes('abcdefgh'));
    disk.fsync('f');
    expect(disk.corrupt('f', 2, 3, new Prng(4))).to.equal(3);
    const changed = (b: Uint8Array): number[] => [...b].flatMap((x, i) => (x === bytes('abcdefgh')[i] ? [] : [i]));
    expect(changed(disk.read('f'))).to.deep.equal([2, 3, 4]);
    disk.crash(none, new Prng(1));
    expect(changed(disk.read('f'))).to.deep.equal([2, 3, 4]);
    expect(disk.corrupt('f', 6, 100, new Prng(4))).to.equal(2);
    expect(disk.corrupt('missing', 0, 1, new Prng(4))).to.equal(0);
  });

  it('never settles an operation of a dead incarnation', async () => {
    let alive = true;
    const disk = new NodeDisk(new SimDisk(), () => alive);
    await disk.write('f', 0, bytes('x'));
    alive = false;
    let settled = false;
    void disk.read('f').then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 5));
    expect(settled).to.equal(false);
  });

  it('traces disk faults and crash effects in the world', async () => {
    const world = new SimWorld({ seed: 3, disk: { torn: 1 } });
    await world.start('n0', async (env) => {
      await env.disk.append('log', bytes('record'));
      return { status: () => null };
    });
    world.corrupt('n0', 'log', 0, 2);
    world.setDiskFaults({ unsyncedKept: 1 }, 'n0');
    world.crash('n0');
    const disk = world.trace.jsonl().trim().split('\n').map((l) => JSON.parse(l) as { kind: string; detail: Record<string, unknown> }).filter((e) => e.kind === 'disk');
    expect(disk.map((e) => e.detail.fault)).to.deep.equal(['corrupt', 'config', 'crash']);
    expect(disk[0]!.detail).to.deep.equal({ fault: 'corrupt', file: 'log', offset: 0, length: 2, corrupted: 2 });
    expect(disk[2]!.detail).to.include({ file: 'log', unsynced: 1, kept: 1 });
    expect(disk[2]!.detail).to.have.property('tornAt');
  });

  it('a node whose record log is corrupt refuses to start: it dies, traced, and the run goes on', async () => {
    const world = new SimWorld({ seed: 5 });
    const schema = z.object({ i: z.number() });
    const boot = async (env: Env): Promise<LabNode> => {
      const log = new RecordLog(env.disk, 'r.log', schema);
      const records = await log.replay();
      if (records.length === 0) for (let i = 0; i < 3; i++) await log.append({ i });
      return { status: () => records.length };
    };
    await world.start('n0', boot);
    world.crash('n0');
    world.corrupt('n0', 'r.log', 14, 1); // the first record's payload: more records follow
    await world.start('n0', boot);
    expect(world.alive('n0')).to.equal(false);
    expect(world.failure).to.equal(undefined);
    const crash = world.trace.jsonl().trim().split('\n').map((l) => JSON.parse(l) as { kind: string; detail: Record<string, unknown> }).filter((e) => e.kind === 'crash').pop();
    expect(crash!.detail.reason).to.equal('corrupt disk');
    expect(String(crash!.detail.error)).to.match(/r\.log: corrupt record at byte 0/);
    await world.sleep(10);
    world.close();
  });
});

