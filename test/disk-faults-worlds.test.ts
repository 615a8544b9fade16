// Every disk-fault kind, written once against the Cluster interface (cluster.diskFault) and run in
// both worlds: the simulator's disk and a real node's faulty-disk layer over its files, driven
// through the control plane. The echo lab writes and reads the bytes on request. Armed faults belong
// to the disk and outlive a node's restart in both worlds. And a node whose record log is corrupt
// refuses to start in both worlds: it dies, it does not half-start.
import { expect } from 'chai';
import type { Cluster } from '../tester/cluster.js';
import { SimCluster } from '../tester/sim-cluster.js';
import type { SimDisk } from '../src/env/sim/disk.js';
import { RealCluster } from '../tester/real-cluster.js';
import { diskRead, diskWrite } from '../labs/echo/lab.js';
import { paxosStatusSchema } from '../labs/paxos/status.js';
import { classicTiming, scaleTiming } from '../src/timing.js';
import { DEFAULT_SECTOR_BYTES as S, diskFaultKinds } from '../src/env/disk-faults.js';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RealDisk } from '../src/env/real/disk.js';
import { FAULTS_FILE, FaultyDisk } from '../src/env/real/faulty-disk.js';
import { encodeRecords, RecordLog } from '../src/storage/record-log.js';
import { StorageCorrupt } from '../src/storage/storage-corrupt.js';
import { z } from 'zod';

const FILE = 'f';

/** The bytes of runs [value, count]. */
function expand(runs: [number, number][]): number[] {
  return runs.flatMap(([value, count]) => new Array<number>(count).fill(value));
}

/** The sectors (relative to the bytes' start) holding any byte other than `fill`. */
function sectorsNot(bytes: number[], fill: number): number[] {
  const sectors = new Set<number>();
  bytes.forEach((b, i) => b !== fill && sectors.add(Math.floor(i / S)));
  return [...sectors];
}

/** Start node 0 (the echo lab) and write 4 sectors of 1s to FILE; its write and read of FILE's bytes through a client. */
async function echoDisk(cluster: Cluster) {
  await cluster.start(0);
  const client = cluster.clientEnv('disk');
  const p0 = cluster.id(0);
  const write = (offset: number, length: number, fill: number, file = FILE) => client.call(p0, diskWrite, { file, offset, length, fill }, { timeoutMs: 5000 });
  const read = async (offset = 0, length = 4 * S, file = FILE) => expand((await client.call(p0, diskRead, { file, offset, length }, { timeoutMs: 5000 })).runs);
  await write(0, 4 * S, 1);
  return { write, read };
}

/** One storage scenario for both worlds: each kind of fault, and what a read sees after it. */
async function everyKind(cluster: Cluster): Promise<void> {
  const { write, read } = await echoDisk(cluster);

  const corrupt = await cluster.diskFault(0, { kind: 'corrupt', file: FILE, offset: S + 10, length: 3 });
  expect(corrupt).to.deep.equal({ kind: 'corrupt', file: FILE, offset: S + 10, corrupted: 3, sectors: { first: 1, count: 1 } });
  expect((await read()).flatMap((b, i) => (b === 1 ? [] : [i])), 'corrupt: the bytes changed on the medium').to.deep.equal([S + 10, S + 11, S + 12]);
  await write(S, S, 1);

  expect((await cluster.diskFault(0, { kind: 'corrupt-read', file: FILE, offset: S, length: 1 })).sectors).to.deep.equal({ first: 1, count: 1 });
  expect(sectorsNot(await read(), 1), 'corrupt-read (transient): the next read').to.deep.equal([1]);
  expect(sectorsNot(await read(), 1), 'corrupt-read (transient): the medium is intact').to.deep.equal([]);

  await cluster.diskFault(0, { kind: 'corrupt-read', file: FILE, offset: 2 * S, length: S, latent: true });
  expect(sectorsNot(await read(), 1), 'corrupt-read (latent)').to.deep.equal([2]);
  expect(sectorsNot(await read(), 1), 'corrupt-read (latent): sticky').to.deep.equal([2]);
  await write(2 * S, S, 1);
  expect(sectorsNot(await read(), 1), 'corrupt-read (latent): healed by a write').to.deep.equal([]);

  await cluster.diskFault(0, { kind: 'corrupt-write', file: FILE, offset: 3 * S, length: 1 });
  await write(2 * S, 2 * S, 5);
  expect(sectorsNot(await read(2 * S, 2 * S), 5), 'corrupt-write: one sector of the write garbled').to.deep.equal([1]);

  await cluster.diskFault(0, { kind: 'misdirect', file: FILE, offset: 2 * S, length: 1 });
  await write(2 * S, S, 7);
  const misdirected = await read();
  expect(misdirected.slice(S, 2 * S).every((b) => b === 7), 'misdirect: it landed one sector before').to.equal(true);
  expect(misdirected.slice(2 * S, 3 * S).every((b) => b === 5), 'misdirect: the intended sector kept its bytes').to.equal(true);

  await cluster.diskFault(0, { kind: 'lost-write', file: FILE, offset: 0, length: 5 * S, count: 2 });
  await write(0, S, 9);
  await write(4 * S, 10, 9);
  const lost = await read(0, 5 * S);
  expect(lost.length, 'lost-write: an append past the end still grows the file').to.equal(4 * S + 10);
  expect(sectorsNot(lost.slice(0, S), 1), 'lost-write: acknowledged, never on the medium').to.deep.equal([]);
  expect(lost.slice(4 * S), 'lost-write: zeros where the append went').to.deep.equal(new Array(10).fill(0));
  await write(0, 1, 9);
  expect((await read(0, 1))[0], 'lost-write: spent after its count').to.equal(9);

  expect(await cluster.control.clearDiskFaults(cluster.id(0), FILE), 'every fault spent or healed').to.deep.equal({ cleared: 0 });
  await cluster.kill(0, 'SIGTERM'); // a real node flushes its trace as it stops
  const applied = (await cluster.traceJsonl()).trim().split('\n').map((l) => JSON.parse(l) as { kind: string; detail?: { fault?: string } });
  expect(applied.filter((e) => e.kind === 'disk' && ['corrupt', 'armed', 'cleared'].includes(e.detail?.fault ?? '')).map((e) => e.detail), 'the trace records each fault as the other world does').to.deep.equal([
    { fault: 'corrupt', file: FILE, offset: S + 10, length: 3, corrupted: 3 },
    { kind: 'corrupt-read', file: FILE, offset: S, length: 1, fault: 'armed' },
    { kind: 'corrupt-read', file: FILE, offset: 2 * S, length: S, latent: true, fault: 'armed' },
    { kind: 'corrupt-write', file: FILE, offset: 3 * S, length: 1, fault: 'armed' },
    { kind: 'misdirect', file: FILE, offset: 2 * S, length: 1, fault: 'armed' },
    { kind: 'lost-write', file: FILE, offset: 0, length: 5 * S, count: 2, fault: 'armed' },
    { fault: 'cleared', file: FILE, cleared: 0 },
  ]);
}

/**
 * Faults armed on a node's disk are the disk's, not the process's: they survive a restart (SIGTERM
 * and SIGKILL alike) as they were, spent uses and healed sectors included, until spent, healed or
 * cleared (clearDiskFaults, `rsmlab ctl … disk-clear`).
 */
async function survivesRestart(cluster: Cluster): Promise<void> {
  const { write, read } = await echoDisk(cluster);
  const p0 = cluster.id(0);
  const restart = async (signal: 'SIGTERM' | 'SIGKILL'): Promise<void> => {
    await cluster.kill(0, signal);
    await cluster.start(0);
  };
  await cluster.diskFault(0, { kind: 'corrupt-read', file: FILE, offset: S, length: 1, count: 2 });
  await cluster.diskFault(0, { kind: 'corrupt-read', file: FILE, offset: 2 * S, length: S, latent: true });
  await cluster.diskFault(0, { kind: 'corrupt-read', file: FILE, offset: 3 * S, length: S, latent: true });
  await cluster.diskFault(0, { kind: 'lost-write', file: FILE, offset: 0, length: 1, count: 2 });
  expect(sectorsNot(await read(), 1), 'before the restart: a transient read error (1 of 2) and two latent ones').to.deep.equal([1, 2, 3]);
  await write(0, 1, 9); // lost (1 of 2)
  await write(3 * S, S, 1); // heals sector 3's latent error
  await restart('SIGTERM');
  expect(sectorsNot(await read(), 1), 'after a restart: the transient error has its last use, the unhealed latent error stays').to.deep.equal([1, 2]);
  expect(sectorsNot(await read(), 1), 'the transient error is spent; the latent one is sticky').to.deep.equal([2]);
  await restart('SIGKILL');
  await write(0, 1, 9); // lost (2 of 2)
  expect((await read(0, 1))[0], 'the lost write kept its last use across two restarts').to.equal(1);
  await write(0, 1, 9);
  expect((await read(0, 1))[0], 'the lost write is spent').to.equal(9);
  await write(2 * S, S, 1);
  await restart('SIGKILL');
  expect(sectorsNot(await read(S, 3 * S), 1), 'healed by a write before the restart: still healed').to.deep.equal([]);

  // Cleared through the control interface (one file, then every file): gone, restart or not.
  await cluster.diskFault(0, { kind: 'corrupt-read', file: FILE, offset: S, length: 2 * S, latent: true });
  await write(0, 1, 0, 'other'); // a fault names a file the node has
  await cluster.diskFault(0, { kind: 'lost-write', file: 'other', offset: 0, length: 1 });
  await cluster.diskFault(0, { kind: 'corrupt-write', file: 'other', offset: 0, length: 1 });
  expect(await cluster.control.clearDiskFaults(p0, FILE), 'two latent sectors of FILE').to.deep.equal({ cleared: 2 });
  expect(sectorsNot(await read(S, 3 * S), 1), 'cleared: FILE reads clean').to.deep.equal([]);
  await restart('SIGKILL');
  expect(sectorsNot(await read(S, 3 * S), 1), 'cleared before the restart: still clean').to.deep.equal([]);
  expect(await cluster.control.clearDiskFaults(p0), "the other file's two armed faults").to.deep.equal({ cleared: 2 });
  await restart('SIGTERM');
  await write(0, 1, 3, 'other');
  expect(await read(0, 1, 'other'), 'cleared: the write lands whole').to.deep.equal([3]);
}

/** Every kind refuses a file the node does not have, as `corrupt` does, and arms nothing: a misspelt file never passes in silence. */
async function refusesMissingFile(cluster: Cluster): Promise<void> {
  await echoDisk(cluster);
  for (const kind of diskFaultKinds) {
    const refused = await cluster.diskFault(0, { kind, file: 'nothere', offset: 0, length: 10 }).then(() => 'armed', (e: unknown) => String(e));
    expect(refused, kind).to.match(/no file 'nothere' on this node's disk/);
  }
  expect(await cluster.control.clearDiskFaults(cluster.id(0)), 'nothing was armed').to.deep.equal({ cleared: 0 });
}

/** Start p0, then p1 through it, and wait until p0 is in view 2 (p1 joined: several records in p0's log). */
async function twoInView2(cluster: Cluster): Promise<void> {
  await cluster.start(0);
  await cluster.start(1, { first: 0 });
  for (let tries = 0; (paxosStatusSchema.safeParse(await cluster.status(0)).data?.vid ?? 0) < 2; tries++) {
    if (tries === 200) throw new Error('p1 never joined p0 in view 2');
    await cluster.sleep(cluster.timing.heartbeatMs / 10);
  }
}

/** Restart node 0, which must refuse to start: it is not running a bounded while later. Returns start()'s error, or null. */
async function refusesToRestart(cluster: Cluster): Promise<unknown> {
  const error = await cluster.start(0).then(() => null, (e: unknown) => e);
  // A real node may answer its control plane before its lab has read its disk: give it a bounded while to die.
  for (let tries = 0; tries < 200 && cluster.alive(0); tries++) await cluster.sleep(cluster.timing.heartbeatMs / 10);
  expect(cluster.alive(0), 'the node is not running').to.equal(false);
  return error;
}

/**
 * A Paxos node whose log is emptied while it is down (an instructor's `: > paxos.log`, or a lost
 * file) refuses to start rather than come back as a new acceptor, and leaves the file as it was.
 */
async function refusesEmptiedLog(cluster: Cluster, empty: () => Promise<void>, size: () => Promise<number>): Promise<void> {
  await twoInView2(cluster);
  await cluster.kill(0);
  await empty();
  await refusesToRestart(cluster);
  expect(await size(), 'the refusal leaves paxos.log as it was').to.equal(0);
}

/** A Paxos node whose log (views 1 and 2: several records) gets a flipped byte in its first record refuses to start again. */
async function refusesCorruptLog(cluster: Cluster): Promise<void> {
  // p0's log must hold p1's join (view 2) after the first record: a corrupt last record is a torn tail.
  await twoInView2(cluster);
  await cluster.diskFault(0, { kind: 'corrupt', file: 'paxos.log', offset: 14, length: 1 }); // the first record's payload: more records follow
  await cluster.kill(0);
  const error = await refusesToRestart(cluster);
  if (error !== null) expect(String(error)).to.match(/paxos\.log: corrupt record at byte 0/);
}

/**
 * A Paxos node whose last record is garbled (a torn last append, as a single copy sees it) drops
 * it, says so in its log, and starts on the records before it. Returns node 0's log as text.
 */
async function saysTornTail(cluster: Cluster, logOf: () => Promise<string>): Promise<string> {
  await twoInView2(cluster);
  const size = (await cluster.control.diskFiles(cluster.id(0))).find((f) => f.name === 'paxos.log')!.size;
  await cluster.diskFault(0, { kind: 'corrupt', file: 'paxos.log', offset: size - 1, length: 1 }); // the last record's payload
  await cluster.kill(0);
  await cluster.start(0);
  for (let tries = 0; !(await logOf()).includes('paxos.log.torn_tail'); tries++) {
    if (tries === 200) throw new Error(`p0 never said it dropped its torn last record:\n${await logOf()}`);
    await cluster.sleep(cluster.timing.heartbeatMs / 10);
  }
  expect(paxosStatusSchema.safeParse(await cluster.status(0)).data?.vid, 'p0 runs on the records before the torn one').to.be.at.least(1);
  return logOf();
}

/** Run `body` on `cluster`, then close it. */
async function on<C extends Cluster>(cluster: C, body: (cluster: C) => Promise<void>): Promise<void> {
  try {
    await body(cluster);
  } finally {
    await cluster.close();
  }
}

/** Run `body` on a real faulty disk over a fresh folder (`dir`), then remove the folder. */
async function onFaultyDisk(body: (disk: FaultyDisk, dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'rsmlab-faulty-'));
  try {
    await body(new FaultyDisk(new RealDisk(dir), 'n0'), dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const realTiming = scaleTiming(classicTiming, 0.1);

describe('disk faults of every kind, one scenario for both worlds', () => {
  it('in the simulator', () => on(new SimCluster({ lab: 'echo', seed: 4, nodes: 1 }), everyKind));

  it('with a real node process (the faulty-disk layer, driven through its control plane)', () => on(new RealCluster({ lab: 'echo', nodes: 1, timing: realTiming }), everyKind));

  it('every kind refuses a file the node does not have, in the simulator', () => on(new SimCluster({ lab: 'echo', seed: 4, nodes: 1 }), refusesMissingFile));

  it('every kind refuses a file the node does not have, with a real node process', () => on(new RealCluster({ lab: 'echo', nodes: 1, timing: realTiming }), refusesMissingFile));

  it('armed faults survive a restart as they were, in the simulator', () => on(new SimCluster({ lab: 'echo', seed: 4, nodes: 1 }), survivesRestart));

  it('armed faults survive a restart as they were, with a real node process', () => on(new RealCluster({ lab: 'echo', nodes: 1, timing: realTiming }), survivesRestart));

  it('a Paxos node with a corrupt log refuses to start, in the simulator', () =>
    on(new SimCluster({ lab: 'paxos', seed: 4, nodes: 2 }), async (cluster) => {
      await refusesCorruptLog(cluster);
      const crash = (await cluster.traceJsonl()).trim().split('\n').map((l) => JSON.parse(l) as { kind: string; detail: { reason?: string } }).filter((e) => e.kind === 'crash').pop();
      expect(crash?.detail.reason).to.equal('corrupt disk');
    }));

  it('a Paxos node with a corrupt log refuses to start, with real processes: exit 70 and the reason on stderr', () =>
    on(new RealCluster({ lab: 'paxos', nodes: 2, timing: realTiming }), async (cluster) => {
      await refusesCorruptLog(cluster);
      expect(cluster.exitStatus(0)).to.deep.equal({ code: 70, signal: null });
      expect(cluster.logTail(0)).to.match(/paxos\.log: corrupt record at byte 0 \(payload checksum mismatch, and more records follow\)/);
      // A refusal on purpose, with its reason: no stack trace of the framework's code after it.
      expect(cluster.logTail(0)).to.not.match(/^\s+at /m);
    }));

  it('a Paxos node whose log was emptied refuses to start, in the simulator', () =>
    on(new SimCluster({ lab: 'paxos', seed: 4, nodes: 2 }), async (cluster) => {
      const disk = (): SimDisk => cluster.sim.disk(cluster.id(0));
      const emptied = async (): Promise<void> => {
        disk().truncate('paxos.log', 0);
        disk().fsync('paxos.log');
      };
      await refusesEmptiedLog(cluster, emptied, () => Promise.resolve(disk().size('paxos.log')));
      const crash = (await cluster.traceJsonl()).trim().split('\n').map((l) => JSON.parse(l) as { kind: string; detail: { reason?: string; error?: string } }).filter((e) => e.kind === 'crash').pop();
      expect(crash?.detail.reason).to.equal('corrupt disk');
      expect(crash?.detail.error).to.match(/^record log paxos\.log: it holds no record, but paxos\.log\.written exists/);
    }));

  it('a Paxos node whose log was emptied refuses to start, with real processes: exit 70 and the reason on stderr', () =>
    on(new RealCluster({ lab: 'paxos', nodes: 2, timing: realTiming }), async (cluster) => {
      const log = join(cluster.nodeDir(0), 'disk', 'paxos.log');
      await refusesEmptiedLog(cluster, async () => truncateSync(log, 0), async () => statSync(log).size);
      expect(cluster.exitStatus(0)).to.deep.equal({ code: 70, signal: null });
      expect(cluster.logTail(0)).to.match(/record log paxos\.log: it holds no record, but paxos\.log\.written exists/);
    }));

  it('a Paxos node whose last record is garbled drops it and says so, in the simulator', () =>
    on(new SimCluster({ lab: 'paxos', seed: 4, nodes: 2 }), async (cluster) => {
      const log = await saysTornTail(cluster, () => cluster.traceJsonl());
      expect(log).to.match(/"detail":\{"file":"paxos\.log","bytes":\d+,"what":"paxos\.log\.torn_tail"\}/);
    }));

  it('a Paxos node whose last record is garbled drops it and says so, with real processes', () =>
    on(new RealCluster({ lab: 'paxos', nodes: 2, timing: realTiming }), async (cluster) => {
      const log = await saysTornTail(cluster, () => Promise.resolve(cluster.logTail(0, 200)));
      expect(log).to.match(/paxos\.log\.torn_tail.*bytes=\d+/);
    }));

  it('the real disk refuses a directory where a file should be: a StorageCorrupt naming the path, not an EISDIR stack', () =>
    onFaultyDisk(async (disk, dir) => {
      mkdirSync(join(dir, 'vsr.log'));
      const error = await disk.read('vsr.log').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).to.be.instanceOf(StorageCorrupt);
      expect((error as Error).message).to.match(/disk file .*vsr\.log is not a regular file \(a directory\)/);
    }));

  it('the real faulty disk keeps concurrent appends whole, with and without a write fault armed', () =>
    onFaultyDisk(async (disk) => {
      const appendAll = (file: string) => Promise.all([1, 2, 3, 4].map((b) => disk.append(file, new Uint8Array(100).fill(b))));
      await appendAll('plain');
      await disk.diskFault({ kind: 'lost-write', file: 'elsewhere', offset: 0, length: 1 });
      await appendAll('armed');
      for (const file of ['plain', 'armed']) expect([...new Set(await disk.read(file))].sort(), file).to.deep.equal([1, 2, 3, 4]);
      expect(await disk.size('armed')).to.equal(400);
    }));

  it('the real disk preallocates with zeros written as data past the end (through the faulty layer), a record log replays through them, and a smaller size changes nothing', () =>
    onFaultyDisk(async (disk) => {
      const log = new RecordLog(disk, 'pre.log', z.number(), { preallocate: true });
      await log.replay();
      await log.append(7);
      const size = await disk.size('pre.log');
      expect(size, 'zeros written ahead of the record').to.be.at.least(64 * 1024);
      expect(statSync(join(disk.disk.dir, 'pre.log')).blocks * 512, 'as data: blocks on the medium, no hole').to.be.at.least(size);
      const bytes = await disk.read('pre.log');
      const record = encodeRecords([7]);
      expect(bytes.slice(0, record.length)).to.deep.equal(record);
      expect(bytes.slice(record.length).every((b) => b === 0), 'all zeros after the record').to.equal(true);
      await disk.preallocate('pre.log', 10);
      expect(await disk.size('pre.log')).to.equal(size);
      await log.append(8);
      expect(await disk.size('pre.log'), 'the next record lands in the zeros').to.equal(size);
      expect(await new RecordLog(disk, 'pre.log', z.number(), { preallocate: true }).replay()).to.deep.equal([7, 8]);
    }));

  it('the real faulty disk rewrites its faults file only when an IO changed the faults, and serialises them only then', () =>
    onFaultyDisk(async (disk, dir) => {
      let serialised = 0;
      const held = disk.faults.held.bind(disk.faults);
      disk.faults.held = () => (serialised++, held());
      const kept = (): unknown => JSON.parse(readFileSync(join(dir, FAULTS_FILE), 'utf8'));
      await disk.diskFault({ kind: 'lost-write', file: 'f', offset: 0, length: 1, count: 2 });
      await disk.diskFault({ kind: 'corrupt-read', file: 'f', offset: S, length: 1, latent: true });
      expect(serialised, 'each arming').to.equal(2);
      for (let i = 0; i < 20; i++) {
        await disk.write('other', i, new Uint8Array([i]));
        await disk.read('other');
        await disk.write('f', 2 * S, new Uint8Array([i])); // a sector no fault holds
      }
      expect(serialised, 'IO that meets no fault').to.equal(2);
      await disk.write('f', 0, new Uint8Array([1])); // spends one use of the lost write
      expect(kept()).to.deep.equal({ armed: [{ kind: 'lost-write', file: 'f', first: 0, count: 1, left: 1 }], latent: { f: [1] } });
      await disk.write('f', S, new Uint8Array([1])); // heals the latent sector
      expect(kept()).to.deep.equal({ armed: [{ kind: 'lost-write', file: 'f', first: 0, count: 1, left: 1 }], latent: {} });
      expect(serialised, 'the two IOs that changed them').to.equal(4);
    }));

  it('the real faulty disk keeps its faults in a file the lab never sees, gone once spent, and refuses one that is not theirs', () =>
    onFaultyDisk(async (disk, dir) => {
      await disk.diskFault({ kind: 'lost-write', file: 'f', offset: 0, length: 1 });
      expect(JSON.parse(readFileSync(join(dir, FAULTS_FILE), 'utf8'))).to.deep.equal({ armed: [{ kind: 'lost-write', file: 'f', first: 0, count: 1, left: 1 }], latent: {} });
      expect(await disk.list(), 'the lab does not see it').to.deep.equal([]);
      await disk.write('f', 0, new Uint8Array([1]));
      expect(existsSync(join(dir, FAULTS_FILE)), 'spent: nothing left to keep').to.equal(false);
      writeFileSync(join(dir, FAULTS_FILE), '{"armed": 1}');
      expect(() => new FaultyDisk(new RealDisk(dir), 'n0')).to.throw(/\.faults\.json does not hold a disk's faults \(remove it to clear them\)/);
    }));
});
