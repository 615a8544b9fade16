// The simulated disk: file semantics (as the real disk's), writes volatile until fsync, and the
// faults: unsynced writes lost or kept at a crash, the last one torn, bytes corrupted on the medium.
// handout: framework test (passes without the lab solutions)
import { expect } from 'chai';
import { noDiskFaults, SimDisk, type CrashEffect, type DiskFaults } from '../src/env/sim/disk.js';
import { Prng } from '../src/random.js';
import { SimWorld } from '../src/env/sim/world.js';
import { z } from 'zod';
import type { Env } from '../src/env/types.js';
import type { LabNode } from '../src/lab.js';
import { RecordLog } from '../src/storage/record-log.js';
import { chunkAtlas, faultyCopies } from '../src/env/disk-faults.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const none = noDiskFaults;

/** Crash `disk` with the settings `config` (a disk's crash follows its configuration). */
function crash(disk: SimDisk, config: DiskFaults, prng: Prng): CrashEffect[] {
  disk.configure(config, undefined);
  return disk.crash(prng);
}

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
    const effects = disk.crash(new Prng(1));
    expect(text(disk.read('f'))).to.equal('hello');
    expect(disk.list()).to.deep.equal(['f']);
    expect(effects).to.deep.equal([
      { file: 'f', unsynced: 2, kept: 0, torn: 0 },
      { file: 'new', unsynced: 1, kept: 0, torn: 0 },
    ]);
    expect(disk.dirty('f')).to.equal(false);
  });

  it('keeps each unsynced write with probability unsyncedKept, in order, the same for the same seed', () => {
    const outcome = (seed: number): string => {
      const disk = new SimDisk();
      for (let i = 0; i < 20; i++) disk.write('f', i, bytes(String.fromCharCode(97 + i)));
      crash(disk, { ...none, unsyncedKept: 0.5 }, new Prng(seed));
      return [...disk.read('f')].map((b) => (b === 0 ? '.' : String.fromCharCode(b))).join('');
    };
    const a = outcome(1);
    expect(a).to.match(/^[a-t.]*$/);
    expect(a.replace(/\./g, '').length).to.be.within(3, 17);
    expect(outcome(1)).to.equal(a);
    expect(outcome(2)).to.not.equal(a);
  });

  it('tears an unsynced write at a sector boundary: a prefix of its sectors survives, the rest keeps what was there', () => {
    const cuts = new Set<number>();
    for (let seed = 1; seed <= 20; seed++) {
      const disk = new SimDisk();
      disk.write('f', 0, new Uint8Array(3000).fill(1));
      disk.fsync('f');
      disk.write('f', 100, new Uint8Array(2000).fill(2)); // bytes 100..2099: sector boundaries 512, 1024, 1536, 2048 inside
      const [effect] = crash(disk, { ...none, sectorBytes: 512, torn: 1 }, new Prng(seed));
      expect(effect).to.deep.equal({ file: 'f', unsynced: 1, kept: 0, torn: 1 });
      const after = disk.read('f');
      expect(after.length).to.equal(3000);
      const cut = after.indexOf(1, 100);
      expect(cut % 512, `seed ${seed}: cut at ${cut}`).to.equal(0);
      expect([...after.subarray(100, cut)].every((b) => b === 2)).to.equal(true);
      expect([...after.subarray(cut)].every((b) => b === 1)).to.equal(true);
      cuts.add(cut);
    }
    expect([...cuts].sort()).to.deep.equal([1024, 1536, 2048, 512]);
  });

  it('tears an append to a new end: the file ends at the cut; a write inside one sector is kept or lost whole', () => {
    const disk = new SimDisk();
    disk.write('f', 0, new Uint8Array(600).fill(7));
    crash(disk, { ...none, sectorBytes: 512, torn: 1 }, new Prng(3));
    expect(disk.size('f')).to.equal(512);
    disk.fsync('f');
    disk.write('f', 520, new Uint8Array(10).fill(9));
    const [effect] = crash(disk, { ...none, sectorBytes: 512, torn: 1 }, new Prng(3));
    expect(effect).to.include({ torn: 0, kept: 0 });
    expect(disk.size('f')).to.equal(512);
  });

  it('takes back exactly the unsynced changes at a crash: overwrites, truncates, and the changes past a completed fsync', () => {
    const disk = new SimDisk();
    disk.write('f', 0, bytes('abcdef'));
    disk.fsync('f');
    disk.write('f', 1, bytes('XY'));
    const mark = disk.fsyncMark('f');
    disk.truncate('f', 2);
    disk.write('f', 4, bytes('Z'));
    disk.fsyncTo('f', mark); // the overwrite is durable, the truncate and the write after it are not
    expect([...disk.read('f')]).to.deep.equal([...bytes('aX'), 0, 0, ...bytes('Z')]);
    disk.crash(new Prng(1));
    expect(text(disk.read('f'))).to.equal('aXYdef');
  });

  it('corrupts the durable bytes under an unsynced overwrite too: a crash that loses the overwrite leaves them corrupt', () => {
    const disk = new SimDisk();
    disk.write('f', 0, bytes('abcd'));
    disk.fsync('f');
    disk.write('f', 0, bytes('WXYZ'));
    expect(disk.corrupt('f', 1, 2, new Prng(4))).to.equal(2);
    const read = disk.read('f');
    const mask = [...read].map((x, i) => x ^ bytes('WXYZ')[i]!);
    disk.crash(new Prng(1));
    expect([...disk.read('f')]).to.deep.equal([...bytes('abcd')].map((x, i) => x ^ mask[i]!));
  });

  it('corrupts bytes on the medium: they stay corrupt across a crash', () => {
    const disk = new SimDisk();
    disk.write('f', 0, bytes('abcdefgh'));
    disk.fsync('f');
    expect(disk.corrupt('f', 2, 3, new Prng(4))).to.equal(3);
    const changed = (b: Uint8Array): number[] => [...b].flatMap((x, i) => (x === bytes('abcdefgh')[i] ? [] : [i]));
    expect(changed(disk.read('f'))).to.deep.equal([2, 3, 4]);
    disk.crash(new Prng(1));
    expect(changed(disk.read('f'))).to.deep.equal([2, 3, 4]);
    expect(disk.corrupt('f', 6, 100, new Prng(4))).to.equal(2);
    expect(disk.corrupt('missing', 0, 1, new Prng(4))).to.equal(0);
  });

  it('traces disk faults and crash effects in the world', async () => {
    const world = new SimWorld({ seed: 3, disk: { torn: 1, sectorBytes: 512 } });
    await world.start('n0', async (env) => {
      await env.disk.append('log', new Uint8Array(1000).fill(1));
      return { status: () => null };
    });
    world.corrupt('n0', 'log', 0, 2);
    world.setDiskFaults({ unsyncedKept: 1 }, 'n0');
    world.crash('n0');
    const disk = world.trace.jsonl().trim().split('\n').map((l) => JSON.parse(l) as { kind: string; detail: Record<string, unknown> }).filter((e) => e.kind === 'disk');
    expect(disk.map((e) => e.detail.fault)).to.deep.equal(['corrupt', 'config', 'crash']);
    expect(disk[0]!.detail).to.deep.equal({ fault: 'corrupt', file: 'log', offset: 0, length: 2, corrupted: 2 });
    expect(disk[2]!.detail).to.deep.equal({ fault: 'crash', file: 'log', unsynced: 1, kept: 0, torn: 1 });
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

  describe('IO takes time', () => {
    it('completes each operation after a seeded latency, in issue order, and makes a write durable only when its fsync completes', async () => {
      const world = new SimWorld({ seed: 8, disk: { latencyMs: { read: [1, 1], write: [2, 2], fsync: [30, 30] } } });
      const times: [string, number][] = [];
      let env: Env | undefined;
      await world.start('n0', async (e) => {
        env = e;
        return { status: () => null };
      });
      const t0 = world.now;
      void env!.disk.write('f', 0, bytes('abc')).then(() => times.push(['write', world.now - t0]));
      void env!.disk.fsync('f').then(() => times.push(['fsync', world.now - t0]));
      void env!.disk.read('f').then((b) => times.push([`read ${text(b)}`, world.now - t0]));
      await world.sleep(20);
      expect(times).to.deep.equal([['write', 2]]);
      expect(world.disk('n0').dirty('f')).to.equal(true);
      world.crash('n0'); // the fsync is still in flight: the write is lost
      expect(world.disk('n0').list()).to.deep.equal([]);
      await world.sleep(50);
      expect(times).to.deep.equal([['write', 2]]);
      world.close();
    });

    it('keeps a write whose fsync completed before the crash', async () => {
      const world = new SimWorld({ seed: 8 });
      await world.start('n0', async (env) => {
        await env.disk.write('f', 0, bytes('abc'));
        await env.disk.fsync('f');
        return { status: () => null };
      });
      world.crash('n0');
      expect(text(world.disk('n0').read('f'))).to.equal('abc');
      world.close();
    });
  });

  describe('sector faults (every kind) in the simulator', () => {
    const S = 512;
    async function booted(seed = 1): Promise<{ world: SimWorld; env: Env }> {
      const world = new SimWorld({ seed, disk: { sectorBytes: S } });
      let env: Env | undefined;
      await world.start('n0', async (e) => {
        env = e;
        await e.disk.write('f', 0, new Uint8Array(4 * S).fill(1));
        await e.disk.fsync('f');
        return { status: () => null };
      });
      return { world, env: env! };
    }
    const changed = (b: Uint8Array, fill: number): number[] => {
      const sectors = new Set<number>();
      b.forEach((x, i) => x !== fill && sectors.add(Math.floor(i / S)));
      return [...sectors];
    };

    it('corrupt-read, transient: the next read of the sector is garbled, the medium is not', async () => {
      const { world, env } = await booted();
      expect(world.diskFault('n0', { kind: 'corrupt-read', file: 'f', offset: S + 10, length: 1 }).sectors).to.deep.equal({ first: 1, count: 1 });
      expect(changed(await world.wait(env.disk.read('f')), 1)).to.deep.equal([1]);
      expect(changed(await world.wait(env.disk.read('f')), 1)).to.deep.equal([]);
      world.close();
    });

    it('corrupt-read, latent: every read of the sector is garbled until a write heals it', async () => {
      const { world, env } = await booted();
      world.diskFault('n0', { kind: 'corrupt-read', file: 'f', offset: 2 * S, length: S, latent: true });
      expect(changed(await world.wait(env.disk.read('f')), 1)).to.deep.equal([2]);
      expect(changed(await world.wait(env.disk.read('f', 2 * S, 10)), 1)).to.deep.equal([0]);
      await world.wait(env.disk.write('f', 2 * S, new Uint8Array(S).fill(1)));
      expect(changed(await world.wait(env.disk.read('f')), 1)).to.deep.equal([]);
      world.close();
    });

    it('corrupt-write: the write lands with one sector garbled', async () => {
      const { world, env } = await booted();
      world.diskFault('n0', { kind: 'corrupt-write', file: 'f', offset: 3 * S, length: S });
      await world.wait(env.disk.write('f', 2 * S, new Uint8Array(2 * S).fill(5)));
      const b = await world.wait(env.disk.read('f'));
      expect(changed(b.subarray(0, 2 * S), 1)).to.deep.equal([]);
      expect(changed(b.subarray(2 * S), 5)).to.deep.equal([1]); // sector 3 of the file
      world.close();
    });

    it('misdirect: the write lands at another offset and the intended bytes stay as they were', async () => {
      const { world, env } = await booted();
      world.diskFault('n0', { kind: 'misdirect', file: 'f', offset: 2 * S, length: 1 });
      await world.wait(env.disk.write('f', 2 * S, new Uint8Array(S).fill(5)));
      const b = await world.wait(env.disk.read('f'));
      expect(changed(b, 1)).to.deep.equal([1]); // one sector before
      expect(b[S]).to.equal(5);
      expect(b[2 * S]).to.equal(1);
      world.diskFault('n0', { kind: 'misdirect', file: 'f', offset: 0, length: 1, to: 3 * S });
      await world.wait(env.disk.write('f', 0, new Uint8Array(S).fill(6)));
      expect((await world.wait(env.disk.read('f')))[3 * S]).to.equal(6);
      world.close();
    });

    it('lost-write: acknowledged and never on the medium; an append past the end leaves zeros', async () => {
      const { world, env } = await booted();
      world.diskFault('n0', { kind: 'lost-write', file: 'f', offset: 0, length: 8 * S, count: 2 });
      await world.wait(env.disk.write('f', 0, new Uint8Array(S).fill(5)));
      await world.wait(env.disk.append('f', new Uint8Array(10).fill(5)));
      await world.wait(env.disk.fsync('f'));
      const b = await world.wait(env.disk.read('f'));
      expect(b.length).to.equal(4 * S + 10);
      expect(changed(b.subarray(0, 4 * S), 1)).to.deep.equal([]);
      expect([...b.subarray(4 * S)]).to.deep.equal(new Array(10).fill(0));
      await world.wait(env.disk.write('f', 0, new Uint8Array(1).fill(5))); // the fault is spent
      expect((await world.wait(env.disk.read('f', 0, 1)))[0]).to.equal(5);
      const faults = world.trace.jsonl().trim().split('\n').map((l) => JSON.parse(l) as { kind: string; detail: { fault?: string } }).filter((e) => e.kind === 'disk').map((e) => e.detail.fault);
      expect(faults).to.deep.equal(['armed', 'lost-write', 'lost-write']);
      world.close();
    });

    it('draws faults only where the fault atlas allows: every chunk faulty on at most f replicas', async () => {
      const nodes = ['n0', 'n1', 'n2'];
      const atlas = chunkAtlas({ nodes, files: ['f'], chunkSectors: 1, chunks: 4, f: 1 });
      const world = new SimWorld({ seed: 2, disk: { sectorBytes: S, readCorrupt: 1, latent: 0.5 }, atlas });
      const faulty = new Map<string, Set<number>>();
      for (const id of nodes) {
        await world.start(id, async (env) => {
          await env.disk.write('f', 0, new Uint8Array(4 * S).fill(1));
          await env.disk.fsync('f');
          const seen = new Set<number>();
          for (let i = 0; i < 40; i++) for (const s of changed(await env.disk.read('f', 0, 4 * S), 1)) seen.add(s);
          faulty.set(id, seen);
          return { status: () => null };
        });
      }
      for (let sector = 0; sector < 4; sector++) {
        const on = nodes.filter((n) => faulty.get(n)!.has(sector));
        expect(on, `sector ${sector}`).to.deep.equal(faultyCopies(atlas, 'f', sector));
      }
      world.close();
    });

    it('draws write faults (garbled, misdirected, lost) at their rates, only where the atlas allows, and traces each', async () => {
      const atlas = { nodes: { n0: [{ file: 'f', first: 2, count: 2 }] } };
      for (const rate of ['writeCorrupt', 'misdirect', 'lostWrite'] as const) {
        const world = new SimWorld({ seed: 6, disk: { sectorBytes: S, [rate]: 1 }, atlas });
        let outside: number[] = [];
        let inside: number[] = [];
        await world.start('n0', async (env) => {
          await env.disk.write('f', 0, new Uint8Array(S).fill(1)); // sector 0: outside the atlas
          await env.disk.write('f', 3 * S, new Uint8Array(S).fill(1)); // sector 3: inside
          outside = [...(await env.disk.read('f', 0, S))];
          inside = [...(await env.disk.read('f', 3 * S, S))];
          return { status: () => null };
        });
        expect(outside.every((b) => b === 1), `${rate}: sector 0 is never faulty`).to.equal(true);
        expect(inside.every((b) => b === 1), `${rate}: sector 3 took the fault`).to.equal(false);
        const kinds = world.trace.jsonl().trim().split('\n').map((l) => JSON.parse(l) as { kind: string; detail: { fault?: string } }).filter((e) => e.kind === 'disk').map((e) => e.detail.fault);
        expect(kinds, rate).to.deep.equal([{ writeCorrupt: 'corrupt-write', misdirect: 'misdirect', lostWrite: 'lost-write' }[rate]]);
        world.close();
      }
    });
  });
});
