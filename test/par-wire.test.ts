// Lab 4's storage wiring: the VSR engine on the two-ring journal (lab `par`). The journal storage
// writes prepares then header sectors and reports an entry durable only when its slot is clean; a
// replica starts from its recovered journal (faulty ops stay in its log as placeholders, never cut
// off), refuses a foreign, wrong-size or (n=1) faulty journal, and the primary answers busy when
// the ring cannot take the next op.
import { expect } from 'chai';
import { SimCluster } from '../tester/sim-cluster.js';
import { SimWorld } from '../src/env/sim/world.js';
import type { Env } from '../src/env/types.js';
import { runWorkload } from '../src/workload/workload.js';
import { seededRandom } from '../src/random.js';
import { vsrInvoker } from '../labs/vsr/client.js';
import { makeVsrLab, replicaState } from '../labs/vsr/lab.js';
import { step } from '../labs/vsr/engine.js';
import { createState, faultyEntry, majority, type ReplicaState, type VsrConfig } from '../labs/vsr/state.js';
import { formatImage, journalBytes, JOURNAL_FILE, prepareOffset, type JournalLayout } from '../labs/vsr/journal/format.js';
import { hasPrepare } from '../labs/vsr/journal/journal.js';
import { openJournal } from '../labs/vsr/journal/recovery.js';
import { JournalStorage, type JournalShape } from '../src/engine/journal-storage.js';
import { LOG_FILE } from '../src/engine/storage.js';
import type { HistoryEvent } from '../src/check/history.js';
import { chain, decisions, entryAfter } from './journal-image.js';
import { kvVerdict } from './vsr-helpers.js';

/** 64 slots of 4 KiB: small enough to make and read quickly, big enough for these loads. */
const SHAPE: JournalShape = { slot_count: 64, sector_bytes: 4096, prepare_cell_bytes: 4096 };
const parLab = makeVsrLab({ storage: 'journal', journal: SHAPE });

interface TraceLine {
  node?: string;
  kind: string;
  detail: Record<string, unknown> & { event?: string };
}

async function traceLines(cluster: SimCluster): Promise<TraceLine[]> {
  return (await cluster.traceJsonl())
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as TraceLine);
}

/** The events a node logged with env.log under `event`. */
function logged(lines: TraceLine[], event: string): TraceLine[] {
  return lines.filter((l) => JSON.stringify(l).includes(`"${event}"`));
}

function load(cluster: SimCluster, seed: number, clients: number, ops: number) {
  const replicas = [0, 1, 2].map((i) => cluster.id(i));
  const state: { history?: HistoryEvent[]; error?: unknown } = {};
  void runWorkload({
    app: 'kv',
    clients,
    opsPerClient: ops,
    invoker: vsrInvoker((c) => cluster.clientEnv(c), { replicas, timing: cluster.timing, giveUpMs: 30_000 }),
    clock: cluster.clientEnv('clock'),
    random: seededRandom(seed),
    thinkMs: 200,
  }).then((r) => (state.history = r.history), (e: unknown) => (state.error = e));
  return state;
}

function stateOf(cluster: SimCluster, i: number): ReplicaState {
  const node = cluster.sim.labNode(cluster.id(i));
  const s = node === null ? null : replicaState(node);
  if (s === null) throw new Error(`replica ${i} is not running`);
  return s;
}

async function untilConverged(cluster: SimCluster, boundMs: number): Promise<ReplicaState[]> {
  for (let waited = 0; waited <= boundMs; waited += 500) {
    const all = [0, 1, 2].map((i) => stateOf(cluster, i));
    if (all.every((s) => s.status === 'normal' && s.view === all[0]!.view && s.commit_min === all[0]!.op && s.op === all[0]!.op)) return all;
    await cluster.sleep(500);
  }
  throw new Error(`no convergence within ${boundMs} ms: ${JSON.stringify([0, 1, 2].map((i) => stateOf(cluster, i)).map((s) => [s.status, s.view, s.op, s.commit_min, s.faulty]))}`);
}

describe('par: the journal storage', () => {
  const layout: JournalLayout = { cluster: 7, ...SHAPE };

  /** Run `body` inside a simulated node whose disk holds a fresh journal of `layout`. */
  async function inNode(body: (env: Env) => Promise<void>): Promise<SimWorld> {
    const world = new SimWorld({ seed: 3 });
    let failure: unknown = null;
    await world.start('r0', async (env) => {
      await body(env).catch((e: unknown) => (failure = e));
      return { status: () => null };
    });
    if (failure !== null) throw failure;
    return world;
  }

  it('reports entries durable only once their slots are clean; a truncation is durable before the writes after it', async () => {
    const entries = chain(4, 0, layout.cluster);
    const world = await inNode(async (env) => {
      const { storage, durable } = await JournalStorage.open(env, layout, 3, null);
      expect(durable.entries).to.deep.equal([]);
      for (const e of entries.slice(1)) storage.write(e);
      const written = await storage.flush();
      expect(written.map((e) => e.header.op)).to.deep.equal([1, 2, 3, 4]);
      for (const e of written) expect(hasPrepare(storage.journal, e.header), `slot of op ${e.header.op} clean`).to.equal(true);
      // The view changes: ops 3..4 are replaced by another view's op 3.
      expect(storage.truncate(2)).to.equal(true);
      expect(storage.write(entryAfter(entries[2]!, 1))).to.equal(false);
      const second = await storage.flush();
      expect(second.map((e) => [e.header.op, e.header.view])).to.deep.equal([[3, 1]]);
    });
    const image = world.disk('r0').read(JOURNAL_FILE);
    expect(image.length).to.equal(journalBytes(layout));
    const recovered = await recoverFrom(image);
    const d = decisions(recovered);
    expect(d.slice(0, 5)).to.deep.equal(['@N eql', '@N eql', '@N eql', '@N eql', '@J nil']);
    expect(recovered.journal.headers[3]).to.deep.include({ op: 3, view: 1 });
  });

  it('starts the engine from the recovered journal: a faulty op stays in the log as a placeholder, the log still ends at its head', async () => {
    const entries = chain(6, 0, layout.cluster);
    const image = formatImage(layout);
    const world = await inNode(async (env) => {
      await env.disk.write(JOURNAL_FILE, 0, image);
      const { storage } = await JournalStorage.open(env, layout, 3, null);
      for (const e of entries.slice(1)) storage.write(e);
      await storage.flush();
    });
    // Corrupt op 3's prepare on the medium (its header is intact: @C, vsr).
    const disk = world.disk('r0');
    const file = disk.read(JOURNAL_FILE);
    file.fill(0x41, prepareOffset(layout, 3), prepareOffset(layout, 3) + 64);
    const { durable, recovered } = await openOn(file);
    expect(recovered.slots[3]).to.deep.include({ case: '@C', decision: 'vsr' });
    expect(durable.entries.length, 'the log runs to op 6, not 2').to.equal(6);
    expect(durable.faulty).to.deep.equal([3]);
    expect(durable.log_durable).to.equal(2);
    expect(durable.entries[2]).to.deep.equal(faultyEntry(layout.cluster, 3));
    expect(durable.entries.slice(3).map((e) => e.header.checksum)).to.deep.equal(entries.slice(4).map((e) => e.header.checksum));
  });

  async function recoverFrom(image: Uint8Array) {
    return (await openOn(image)).recovered;
  }

  async function openOn(image: Uint8Array) {
    let out: { durable: Awaited<ReturnType<typeof JournalStorage.open>>['durable']; recovered: Awaited<ReturnType<typeof openJournal>> } | null = null;
    await inNode(async (env) => {
      await env.disk.write(JOURNAL_FILE, 0, image);
      const recovered = await openJournal(env.disk, { layout, replica_count: 3, op_checkpoint: 0 });
      const { durable } = await JournalStorage.open(env, layout, 3, null);
      out = { durable, recovered };
    });
    return out!;
  }
});


describe('par: the engine on the journal', () => {
  function config(n: number, slot_count: number): VsrConfig {
    const replicas = Array.from({ length: n }, (_, i) => `r${i}`);
    return { cluster: 9, replica: 0, replicas, quorum_replication: majority(n), quorum_view_change: majority(n), pipeline_max: 8, app: 'kv', journal: { slot_count, op_checkpoint: 0 } };
  }

  it('the primary answers busy once the ring cannot take the next op (op ≥ op_checkpoint + slot_count)', () => {
    const s = createState(config(1, 4), { superblock: null, entries: [] });
    step(s, { kind: 'nonce', nonce: 'n' });
    const replies: string[] = [];
    const requests = [{ kind: 'register' as const, request: 0, op: null }, ...[1, 2, 3, 3].map((r) => ({ kind: 'write' as const, request: r, op: { put: 'k', value: `${r}` } }))];
    // Carry out each step's commands as a driver would: a write completes (durable and clean) at once.
    const carryOut = (commands: ReturnType<typeof step>): void => {
      for (const c of commands) {
        if (c.kind === 'write') carryOut(step(s, { kind: 'written', op: c.entry.header.op, checksum: c.entry.header.checksum }));
        if (c.kind === 'reply') replies.push(c.reply.status);
      }
    };
    for (const r of requests) carryOut(step(s, { kind: 'request', request: { client: 'c', ...r }, time: 1 }));
    // Ops 1..3 fit a ring of 4 (slot 0 holds the root); write 3 would be op 4, again on its retry.
    expect(s.op).to.equal(3);
    expect(replies).to.deep.equal(['ok', 'ok', 'ok', 'busy', 'busy']);
  });

  it('a replica with a faulty op stays recovering (never rejoins by a view change) until a normal quorum gives it the log', () => {
    const entries = chain(3, 0, 9);
    const durable = { superblock: { view: 0, log_view: 0 }, entries: [entries[1]!, faultyEntry(9, 2), entries[3]!], faulty: [2], log_durable: 1 };
    const s = createState({ ...config(3, 16), replica: 1 }, durable);
    expect([s.status, s.op, s.faulty]).to.deep.equal(['recovering', 3, [2]]);
    step(s, { kind: 'nonce', nonce: 'n1' });
    for (let t = 0; t < 500; t++) step(s, { kind: 'tick' });
    expect(s.status, 'no quorum answered: still recovering').to.equal('recovering');
    // The primary of view 0 and one other answer: the log is the primary's, the faulty op repaired.
    const base = { cluster: 9, view: 0, nonce: 'n1', log_view: 0, op: 3, commit_max: 3 };
    step(s, { kind: 'message', message: { command: 'recovery_response', replica: 2, ...base, entries: null } });
    const out = step(s, { kind: 'message', message: { command: 'recovery_response', replica: 0, ...base, entries: entries.slice(1) } });
    expect([s.status, s.op, s.faulty]).to.deep.equal(['normal', 3, []]);
    expect(out.filter((c) => c.kind === 'truncate').map((c) => c.kind === 'truncate' && c.op)).to.deep.equal([1]);
    expect(out.filter((c) => c.kind === 'write').map((c) => c.kind === 'write' && c.entry.header.op)).to.deep.equal([2, 3]);
  });
});

describe('par: a cluster on the journal in the simulator', function () {
  this.timeout(120_000);

  it('runs under load with crashes: the journal is the only log, every start recovers it, history linearizable', async () => {
    const cluster = new SimCluster({ lab: parLab, seed: 5, nodes: 3, keepTrace: true, net: { loss: 0.05, dup: 0.05 } });
    try {
      for (let i = 0; i < 3; i++) await cluster.start(i);
      const run = load(cluster, 5, 3, 12);
      await cluster.sleep(4000);
      await cluster.kill(1, 'SIGKILL');
      await cluster.sleep(2000);
      await cluster.start(1);
      for (let t = 0; t < 600 && run.history === undefined && run.error === undefined; t++) await cluster.sleep(200);
      expect(run.error).to.equal(undefined);
      expect(run.history, 'the load finished').to.not.equal(undefined);
      const all = await untilConverged(cluster, 30_000);
      expect(all[0]!.op).to.be.greaterThan(10);
      for (let i = 0; i < 3; i++) {
        const disk = cluster.sim.disk(cluster.id(i));
        expect(disk.size(JOURNAL_FILE)).to.equal(journalBytes({ cluster: 0, ...SHAPE }));
        expect(disk.size(LOG_FILE)).to.equal(0);
      }
      const lines = await traceLines(cluster);
      expect(logged(lines, 'vsr.journal.recovered').length, 'one recovery per start').to.equal(4);
      expect(kvVerdict(run.history!)).to.equal('ok');
    } finally {
      await cluster.close();
    }
  });

  it('a backup restarted with a corrupt committed prepare keeps its log to the head, and is repaired from the cluster (scenario 16)', async () => {
    const cluster = new SimCluster({ lab: parLab, seed: 6, nodes: 3, keepTrace: true });
    try {
      for (let i = 0; i < 3; i++) await cluster.start(i);
      const run = load(cluster, 6, 3, 20);
      for (let t = 0; t < 600 && stateOf(cluster, 1).commit_min < 12; t++) await cluster.sleep(100);
      expect(stateOf(cluster, 1).commit_min).to.be.at.least(12);
      await cluster.kill(1, 'SIGKILL');
      const layout = { cluster: stateOf(cluster, 0).config.cluster, ...SHAPE };
      await cluster.diskFault(1, { kind: 'corrupt', file: JOURNAL_FILE, offset: prepareOffset(layout, 4), length: 32 });
      await cluster.start(1);
      const restarted = stateOf(cluster, 1);
      expect(restarted.faulty, 'op 4 is faulty, not cut off').to.deep.equal([4]);
      expect(restarted.op).to.be.at.least(12);
      for (let t = 0; t < 600 && run.history === undefined; t++) await cluster.sleep(200);
      const all = await untilConverged(cluster, 30_000);
      expect(all[1]!.log.map((e) => e.header.checksum)).to.deep.equal(all[0]!.log.map((e) => e.header.checksum));
      const lines = await traceLines(cluster);
      const slot = logged(lines, 'vsr.journal.slot').map((l) => l.detail);
      expect(JSON.stringify(slot)).to.include('"slot":4').and.include('"decision":"vsr"');
      expect(JSON.stringify(logged(lines, 'vsr.journal.repaired').map((l) => l.detail))).to.include('"slot":4');
      expect(kvVerdict(run.history!)).to.equal('ok');
    } finally {
      await cluster.close();
    }
  });

  it('a cluster of one refuses to start with a faulty slot ("WAL is corrupt") instead of truncating', async () => {
    const one = new SimCluster({ lab: parLab, seed: 8, nodes: 1, keepTrace: true });
    try {
      await one.start(0);
      const client = vsrInvoker((c) => one.clientEnv(c), { replicas: [one.id(0)], timing: one.timing, giveUpMs: 10_000 });
      const history = await runWorkload({ app: 'kv', clients: 1, opsPerClient: 5, invoker: client, clock: one.clientEnv('clock'), random: seededRandom(8), thinkMs: 50 });
      expect(kvVerdict(history.history)).to.equal('ok');
      const layout = { cluster: stateOf(one, 0).config.cluster, ...SHAPE };
      await one.kill(0, 'SIGKILL');
      await one.diskFault(0, { kind: 'corrupt', file: JOURNAL_FILE, offset: prepareOffset(layout, 2), length: 32 });
      await one.start(0);
      expect(one.alive(0)).to.equal(false);
      const refused = logged(await traceLines(one), 'vsr.journal.refused');
      expect(JSON.stringify(refused)).to.include('WAL is corrupt');
    } finally {
      await one.close();
    }
  });

  for (const [name, image] of [
    ['a journal of the wrong size', (cluster: number) => formatImage({ cluster, ...SHAPE }).subarray(0, 4096 * 3)],
    ['another cluster\'s journal', (cluster: number) => formatImage({ cluster: cluster + 1, ...SHAPE })],
  ] as const) {
    it(`refuses to start on ${name}: vsr.journal.refused, then the node's death, the file untouched`, async () => {
      const cluster = new SimCluster({ lab: parLab, seed: 7, nodes: 3, keepTrace: true });
      try {
        await cluster.start(0);
        const id = stateOf(cluster, 0).config.cluster;
        await cluster.kill(0, 'SIGKILL');
        const bytes = image(id);
        const disk = cluster.sim.disk(cluster.id(0));
        disk.truncate(JOURNAL_FILE, 0);
        disk.write(JOURNAL_FILE, 0, bytes);
        disk.fsync(JOURNAL_FILE);
        await cluster.start(0);
        expect(cluster.alive(0)).to.equal(false);
        const lines = await traceLines(cluster);
        const refused = logged(lines, 'vsr.journal.refused');
        expect(refused.length).to.equal(1);
        expect(JSON.stringify(refused[0])).to.match(/refusing to start/);
        expect(lines.some((l) => l.kind === 'crash' && l.detail['reason'] === 'corrupt disk')).to.equal(true);
        expect(Buffer.from(disk.read(JOURNAL_FILE)).equals(Buffer.from(bytes))).to.equal(true);
      } finally {
        await cluster.close();
      }
    });
  }
});
