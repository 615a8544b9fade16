// Lab 4's checkpoints (issue 8 §1): the ring wraps past checkpoints with crashes and restarts on a
// small ring (64 slots), with the state checker after every step and the journal checks; the
// checkpoint's two copies on disk (a torn newest copy falls back to the older one, two corrupt
// copies refuse to start), the superblock's (a copy is its first 256 bytes), and a journal newer
// than its checkpoint is refused, never cut back. A real node (`rsmlab node --lab par`) whose
// checkpoint copies are both corrupt, whose journal is emptied or whose superblock copies are both
// emptied exits 70 at once with the reason on stderr, every byte of its disk as it was.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { bytesUnder } from '../src/files-under.js';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { runScenario } from '../tester/run.js';
import { scenario } from '../tester/vsr/scenarios.js';
import { checkpointsWrapTheRing } from '../tester/par/sync-scenarios.js';
import { makeVsrLab } from '../labs/vsr/lab.js';
import type { Disk } from '../src/env/types.js';
import { SimDisk } from '../src/env/sim/disk.js';
import { CheckpointStore, CHECKPOINT_FILES } from '../src/engine/checkpoint.js';
import { Superblock, SUPERBLOCK_FILES } from '../src/engine/superblock.js';
import { StorageCorrupt } from '../src/storage/storage-corrupt.js';
import { rootEntry, headerChecksum, parseCheckpoint, type Entry, type HeaderFields } from '../labs/vsr/protocol.js';
import type { Checkpoint } from '../labs/vsr/state.js';
import { JOURNAL_FILE } from '../labs/vsr/journal/format.js';
import { RealCluster } from '../tester/real-cluster.js';
import { runLoad } from '../tester/rsm/run-load.js';
import { defaultTiming } from '../tester/run.js';
import { bodyChecksum } from './vsr-helpers.js';

/** A simulated disk without faults behind the async Disk interface. */
function memoryDisk(): Disk {
  const d = new SimDisk();
  return {
    read: async (f, o, l) => d.read(f, o, l),
    write: async (f, o, b) => d.write(f, o, b),
    append: async (f, b) => d.append(f, b),
    truncate: async (f, n) => d.truncate(f, n),
    size: async (f) => d.size(f),
    fsync: async () => undefined,
    list: async () => d.list(),
    remove: async (f) => d.remove(f),
  };
}

/** A checkpoint of op `op` of cluster 5: a one-op chain from the root, an app of `keys` keys. */
function checkpointAt(op: number, keys: number): Checkpoint {
  const fields: HeaderFields = { checksum_body: bodyChecksum(null), parent: rootEntry(5).header.checksum, cluster: 5, view: 0, op, commit: op - 1, timestamp: 0, client: 'c', request: 0, operation: 'register', replica: 0 };
  const entry: Entry = { header: { ...fields, checksum: headerChecksum(fields) }, body: null };
  const app = Object.fromEntries(Array.from({ length: keys }, (_, i) => [`k${i}`, 'v'.repeat(i)]));
  return { op, entry, app, clients: [{ client: 'c', session: 1, request: 0, op: 1, reply: { ok: true, value: 1 } }] };
}

/** A small ring: the cluster wraps it several times in a short run. */
export const SMALL_RING = { slot_count: 64, sector_bytes: 4096, prepare_cell_bytes: 4096 };
const SEEDS = [1, 2];

describe('par: checkpoints bound the ring', function () {
  this.timeout(300_000);

  it('keeps two checksummed copies: the newest intact one is read; a torn newest copy falls back to the older; both corrupt refuse to start', async () => {
    const disk = memoryDisk();
    expect((await CheckpointStore.open(disk, 5)).checkpoint).to.equal(null);
    const { store } = await CheckpointStore.open(disk, 5);
    await store.write(checkpointAt(32, 40));
    await store.write(checkpointAt(64, 3)); // shorter text over nothing: the other file
    await store.write(checkpointAt(96, 2)); // shorter text over the first copy's longer one
    expect((await CheckpointStore.open(disk, 5)).checkpoint).to.deep.equal(checkpointAt(96, 2));
    const newest = CHECKPOINT_FILES[1];
    await disk.write(newest, 10, new TextEncoder().encode('#')); // a torn write: its checksum fails
    expect((await CheckpointStore.open(disk, 5)).checkpoint!.op).to.equal(64);
    await disk.write(CHECKPOINT_FILES[0], 10, new TextEncoder().encode('#'));
    await CheckpointStore.open(disk, 5).then(
      () => expect.fail('both copies corrupt, yet it opened'),
      (e: unknown) => expect(e).to.be.instanceOf(StorageCorrupt).and.to.have.property('message', 'vsr checkpoint: every copy fails its checksum; refusing to start rather than forget the checkpointed ops'),
    );
    const other = memoryDisk();
    await (await CheckpointStore.open(other, 6)).store.write(checkpointAt(32, 1));
    await CheckpointStore.open(other, 5).then(
      () => expect.fail("another cluster's checkpoint opened"),
      (e: unknown) => expect(String(e)).to.include('vsr checkpoint: it belongs to cluster 6, not 5'),
    );
  });

  it('superblock: a copy is its first 256 bytes (bytes past them never hide a later write)', async () => {
    const disk = memoryDisk();
    const { superblock } = await Superblock.open(disk, 5);
    await superblock.write({ view: 1, log_view: 1 }); // the first copy: superblock.1
    await disk.append(SUPERBLOCK_FILES[1], new TextEncoder().encode('#'.repeat(300)));
    expect((await Superblock.open(disk, 5)).value).to.deep.equal({ view: 1, log_view: 1 });
    const reopened = (await Superblock.open(disk, 5)).superblock;
    await reopened.write({ view: 2, log_view: 1 }); // superblock.0
    await reopened.write({ view: 3, log_view: 3 }); // superblock.1 again: over its first 256 bytes, the 300 after them stay
    expect(await disk.size(SUPERBLOCK_FILES[1])).to.equal(556);
    expect((await Superblock.open(disk, 5)).value).to.deep.equal({ view: 3, log_view: 3 });
  });

  it(`a par cluster on a ${SMALL_RING.slot_count}-slot ring commits 4 rings of writes with crashes and restarts; every replica restarts from its checkpoint; the state checker and journal checks hold (seeds ${SEEDS.join(', ')})`, async () => {
    const s = scenario('checkpoints', 3, 'checkpoints wrap the ring', (run) => checkpointsWrapTheRing(run), 1, { name: 'par', worlds: ['sim'] });
    const lab = makeVsrLab({ storage: 'journal', journal: SMALL_RING });
    for (const seed of SEEDS) {
      const r = await runScenario(s, { world: 'sim', seed, lab });
      expect(r.ok, `seed ${seed}: ${r.error}\n${r.notes.join('\n')}`).to.equal(true);
    }
  });
});

const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

describe("par: a peer's checkpoint is checked where it comes in", function () {
  it('a rebuild whose client table is out of order (or repeats a client) is refused, not asserted on', () => {
    const row = (client: string) => ({ client, session: 1, request: 0, op: 1, reply: { ok: true, value: 1 } as const });
    const withClients = (clients: ReturnType<typeof row>[]): string => JSON.stringify({ ...checkpointAt(32, 1), clients });
    expect(parseCheckpoint(withClients([row('a'), row('b')]), 5)).to.not.equal(null);
    expect(parseCheckpoint(withClients([row('b'), row('a')]), 5)).to.equal(null);
    expect(parseCheckpoint(withClients([row('a'), row('a')]), 5)).to.equal(null);
    expect(parseCheckpoint(withClients([row('a'), row('b')]), 6)).to.equal(null);
  });
});

/** A way to break a stopped replica's disk (in place, in `dir`), and the refusal it must meet. */
interface Breakage {
  what: string;
  breakDisk(dir: string): void;
  refusal: string;
}

function flipByte(path: string, at: number): void {
  const bytes = readFileSync(path);
  bytes[at] = bytes[at]! ^ 0x5a;
  writeFileSync(path, bytes);
}

const BREAKAGES: Breakage[] = [
  {
    what: 'its two checkpoint copies both corrupt',
    breakDisk: (dir) => CHECKPOINT_FILES.forEach((f) => flipByte(join(dir, f), 20)), // inside the record: its checksum fails
    refusal: 'vsr checkpoint: every copy fails its checksum; refusing to start rather than forget the checkpointed ops',
  },
  {
    what: 'its journal emptied',
    breakDisk: (dir) => writeFileSync(join(dir, JOURNAL_FILE), ''),
    refusal: `journal ${JOURNAL_FILE}: missing or empty, but its checkpoint of op`,
  },
  {
    what: 'its two superblock copies emptied',
    breakDisk: (dir) => SUPERBLOCK_FILES.forEach((f) => writeFileSync(join(dir, f), '')),
    refusal: `vsr superblock: no copy in ${SUPERBLOCK_FILES.join(' or ')}, but its checkpoint of op`,
  },
];

describe('par: a real node whose disk lost what it holds refuses to start', function () {
  this.timeout(300_000);
  const timing = defaultTiming('real');
  let cluster: RealCluster;
  let members: string[];
  let disk: string;
  let intact: Map<string, Buffer>;

  before(async () => {
    cluster = new RealCluster({ lab: 'par', nodes: 3, timing, app: 'kv' });
    for (let i = 0; i < 3; i++) await cluster.start(i);
    members = [0, 1, 2].map((i) => cluster.id(i));
    disk = join(cluster.nodeDir(2), 'disk');
    // Checkpoints every 512 ops: load until replica 2 wrote both copies (ops 512 and 1,024 or later).
    for (let round = 0; !CHECKPOINT_FILES.every((f) => existsSync(join(disk, f))); round++) {
      if (round === 20) throw new Error(`replica 2 wrote no two checkpoint copies after ${round} loads: ${readdirSync(disk).join(', ')}`);
      const load = await runLoad({ lab: 'par', members, clients: 8, ops: 100, app: 'kv', timing, seed: round + 1 });
      expect(load.counts.ok).to.be.greaterThan(0);
    }
    // The primary of view 0 dies: replica 2's view change writes its superblock's second copy (the format wrote the first).
    await cluster.kill(0, 'SIGKILL');
    for (let waited = 0; !SUPERBLOCK_FILES.every((f) => existsSync(join(disk, f))); waited += 100) {
      if (waited > 60_000) throw new Error(`replica 2 wrote no two superblock copies in a view change: ${readdirSync(disk).join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await cluster.kill(2, 'SIGKILL');
    intact = bytesUnder(disk);
    expect([...intact.keys()]).to.include.members([...CHECKPOINT_FILES, ...SUPERBLOCK_FILES, JOURNAL_FILE]);
  });

  after(() => cluster.close());

  for (const breakage of BREAKAGES) {
    it(`with ${breakage.what}: exits 70 at once with the reason on stderr, and leaves every byte of its disk as it was`, () => {
      for (const [name, bytes] of intact) writeFileSync(join(disk, name), bytes);
      breakage.breakDisk(disk);
      const before = bytesUnder(disk);
      const port = Number(cluster.id(2).split(':').at(-1));
      const r = spawnSync(
        process.execPath,
        [cli, 'node', '--lab', 'par', '--port', String(port), '--first', cluster.id(0), '--dir', cluster.nodeDir(2), '--timing', JSON.stringify(timing), '--app', 'kv', '--replicas', members.join(','), '--index', '2'],
        { encoding: 'utf8', timeout: 60_000 },
      );
      expect(r.signal, 'it exited by itself, not killed at the bound').to.equal(null);
      expect(r.status, r.stderr).to.equal(70);
      expect(r.stderr).to.include(breakage.refusal);
      const after = bytesUnder(disk);
      expect([...after.keys()].sort()).to.deep.equal([...before.keys()].sort());
      for (const [name, bytes] of before) expect(after.get(name)!.equals(bytes), `${name} unchanged`).to.equal(true);
      const refused = readFileSync(join(cluster.nodeDir(2), 'trace.jsonl'), 'utf8').split('\n').filter((l) => l.includes('"vsr.storage.refused"') && l.includes(breakage.refusal.slice(0, 40)));
      expect(refused.length, 'the refusal is traced').to.equal(1);
    });
  }
});
