// Lab 4's storage wiring: the VSR engine on the two-ring journal (lab `par`). The journal storage
// writes prepares then header sectors and reports an entry durable only when its slot is clean; a
// replica starts from its recovered journal (faulty ops stay in its log as placeholders, never cut
// off), refuses a foreign, wrong-size or (n=1) faulty journal or one that outlived its superblock
// (the format ends with the superblock's first copy; a restart finishes a format a crash cut
// short), and the primary answers busy when the ring cannot take the next op.
import { expect } from 'chai';
import { SimCluster } from '../tester/sim-cluster.js';
import { SimWorld } from '../src/env/sim/world.js';
import type { Env } from '../src/env/types.js';
import { runWorkload } from '../src/workload/workload.js';
import { seededRandom } from '../src/random.js';
import { vsrInvoker } from '../labs/vsr/client.js';
import { makeVsrLab, replicaState } from '../labs/vsr/lab.js';
import { assertInvariants, step, type EngineCommand } from '../labs/vsr/engine.js';
import type { Entry, Message, MessageOf } from '../labs/vsr/protocol.js';
import { createState, faultyEntry, majority, type ReplicaState, type VsrConfig } from '../labs/vsr/state.js';
import { encodePrepare, formatImage, journalBytes, JOURNAL_FILE, prepareOffset, slotFor, type JournalLayout } from '../labs/vsr/journal/format.js';
import { hasPrepare } from '../labs/vsr/journal/journal.js';
import { openJournal, recoverJournal } from '../labs/vsr/journal/recovery.js';
import { JournalStorage, type JournalShape } from '../src/engine/journal-storage.js';
import { LOG_FILE } from '../src/engine/storage.js';
import { SUPERBLOCK_FILES } from '../src/engine/superblock.js';
import type { SimDisk } from '../src/env/sim/disk.js';
import { messageProblem } from '../src/engine/driver.js';
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
  const node = cluster.labNode(i);
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

/** Flush until nothing waits (the journal writes a batch's header sectors with the next flush). */
async function flushAll(storage: JournalStorage): Promise<Entry[]> {
  const durable: Entry[] = [];
  while (storage.pending) durable.push(...(await storage.flush()));
  return durable;
}

describe('par: the journal storage', () => {
  const layout: JournalLayout = { cluster: 7, ...SHAPE };
  /** The superblock once the journal's format finished (the driver writes it): a journal with ops and no superblock is refused. */
  const FORMATTED = { view: 0, log_view: 0 };

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
      const { storage, durable } = await JournalStorage.open(env, layout, 3, null, null);
      expect(durable.entries).to.deep.equal([]);
      for (const e of entries.slice(1)) storage.write(e);
      const first = await storage.flush();
      expect(first, 'prepares durable, header sectors not yet: nothing is clean').to.deep.equal([]);
      for (const e of entries.slice(1)) expect(hasPrepare(storage.journal, e.header)).to.equal(false);
      const written = await flushAll(storage);
      expect(written.map((e) => e.header.op)).to.deep.equal([1, 2, 3, 4]);
      for (const e of written) expect(hasPrepare(storage.journal, e.header), `slot of op ${e.header.op} clean`).to.equal(true);
      // The view changes: ops 3..4 are replaced by another view's op 3.
      expect(storage.truncate(2)).to.equal(true);
      expect(storage.write(entryAfter(entries[2]!, 1))).to.equal(false);
      const second = await flushAll(storage);
      expect(second.map((e) => [e.header.op, e.header.view])).to.deep.equal([[3, 1]]);
    });
    const image = world.disk('r0').read(JOURNAL_FILE);
    expect(image.length).to.equal(journalBytes(layout));
    const recovered = await recoverFrom(image);
    const d = decisions(recovered);
    expect(d.slice(0, 5)).to.deep.equal(['@N eql', '@N eql', '@N eql', '@N eql', '@J nil']);
    expect(recovered.journal.headers[3]).to.deep.include({ op: 3, view: 1 });
  });

  it('writes each op\'s own prepare cell from a batch encoded side by side, an op queued twice in one batch included, and after the ring wraps', async () => {
    const entries = chain(layout.slot_count + 3, 0, layout.cluster);
    const world = await inNode(async (env) => {
      const { storage } = await JournalStorage.open(env, layout, 3, null, null);
      for (const e of [entries[1]!, entries[2]!, entries[2]!, entries[3]!]) storage.write(e);
      expect((await flushAll(storage)).map((e) => e.header.op)).to.deep.equal([1, 2, 2, 3]);
      for (const e of entries.slice(1, 4)) {
        expect(await env.disk.read(JOURNAL_FILE, prepareOffset(layout, e.header.op), layout.prepare_cell_bytes), `op ${e.header.op}'s cell`).to.deep.equal(encodePrepare(layout, e));
      }
      storage.checkpointed(4);
      for (const e of entries.slice(4)) storage.write(e);
      await flushAll(storage);
    });
    const image = world.disk('r0').read(JOURNAL_FILE);
    for (const e of entries.slice(4)) {
      const at = prepareOffset(layout, slotFor(layout, e.header.op));
      expect(image.subarray(at, at + layout.prepare_cell_bytes), `op ${e.header.op}'s cell`).to.deep.equal(encodePrepare(layout, e));
    }
    expect(decisions(recoverJournal({ layout, replica_count: 3, op_checkpoint: 4 }, image)).every((d) => d === '@N eql'), 'every slot holds its op, clean').to.equal(true);
  });

  it('starts the engine from the recovered journal: a faulty op stays in the log as a placeholder, the log still ends at its head', async () => {
    const entries = chain(6, 0, layout.cluster);
    const image = formatImage(layout);
    const world = await inNode(async (env) => {
      await env.disk.write(JOURNAL_FILE, 0, image);
      const { storage } = await JournalStorage.open(env, layout, 3, null, null);
      for (const e of entries.slice(1)) storage.write(e);
      await flushAll(storage);
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
      const { durable } = await JournalStorage.open(env, layout, 3, FORMATTED, null);
      out = { durable, recovered };
    });
    return out!;
  }
});


describe('par: the engine on the journal', () => {
  function config(n: number, slot_count: number): VsrConfig {
    const replicas = Array.from({ length: n }, (_, i) => `r${i}`);
    return { cluster: 9, replica: 0, replicas, quorum_replication: majority(n), quorum_view_change: majority(n), pipeline_max: 8, app: 'kv', journal: { slot_count } };
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
    for (const r of requests) carryOut(step(s, { kind: 'requests', requests: [{ client: 'c', ...r }], time: 1 }));
    // Ops 1..3 fit a ring of 4 (slot 0 holds the root); write 3 would be op 4, again on its retry.
    expect(s.op).to.equal(3);
    expect(replies).to.deep.equal(['ok', 'ok', 'ok', 'busy', 'busy']);
  });

  it('a replica with a faulty op rejoins by a view change when no quorum answers, its do_view_change naming the faulty op', () => {
    const entries = chain(3, 0, 9);
    const durable = { superblock: { view: 0, log_view: 0 }, entries: [entries[1]!, faultyEntry(9, 2), entries[3]!], faulty: [2], log_durable: 1 };
    const s = createState({ ...config(3, 16), replica: 2 }, durable);
    expect([s.status, s.op, s.faulty]).to.deep.equal(['recovering', 3, [2]]);
    step(s, { kind: 'nonce', nonce: 'n1' });
    const sent: Message[] = [];
    for (let t = 0; t < 2000 && s.status === 'recovering'; t++) for (const c of step(s, { kind: 'tick' })) if (c.kind === 'send') sent.push(c.message);
    expect(s.status).to.equal('view_change');
    step(s, { kind: 'message', message: { command: 'start_view_change', cluster: 9, replica: 0, view: s.view } });
    const dvc = [...sent, ...step(s, { kind: 'tick' }).flatMap((c) => (c.kind === 'send' ? [c.message] : []))];
    for (let t = 0; t < 50 && !dvc.some((m) => m.command === 'do_view_change'); t++) for (const c of step(s, { kind: 'tick' })) if (c.kind === 'send') dvc.push(c.message);
    const m = dvc.find((x) => x.command === 'do_view_change');
    expect(m, 'a do_view_change went out').to.not.equal(undefined);
    expect(m).to.deep.include({ op: 3, faulty: [2] });
    expect((m as MessageOf<'do_view_change'>).entries.map((e) => e.header.op)).to.deep.equal([1, 3]);
  });
});

/**
 * A new primary (replica 1 of 3, view 1) with do_view_change logs built by hand: its own and
 * replica 2's; replica 0 (the old primary) answers later, or never.
 */
describe('par: repair and the nack rule in a view change (engine)', () => {
  const cluster = 9;
  const log = chain(4, 0, cluster);
  function config(n = 3): VsrConfig {
    const replicas = Array.from({ length: n }, (_, i) => `r${i}`);
    return { cluster, replica: 1, replicas, quorum_replication: majority(n), quorum_view_change: majority(n), pipeline_max: 8, app: 'kv', journal: { slot_count: 16 } };
  }
  /** Ops 1..op of `log`, the `faulty` ones as placeholders. */
  function ops(op: number, faulty: number[] = []): Entry[] {
    return log.slice(1, op + 1).map((e) => (faulty.includes(e.header.op) ? faultyEntry(cluster, e.header.op) : e));
  }
  function dvc(replica: number, op: number, faulty: number[], commit_max: number, log_view = 0, view = 1): MessageOf<'do_view_change'> {
    const m: MessageOf<'do_view_change'> = { command: 'do_view_change', cluster, replica, view, log_view, op, commit_max, entries: ops(op, faulty).filter((e) => !faulty.includes(e.header.op)) };
    return faulty.length === 0 ? m : { ...m, faulty };
  }
  /** The new primary, restarted with `faulty` ops of its log of `op`, in view 1's view change, its own do_view_change sent. */
  function newPrimary(op: number, faulty: number[], view = 1, log_view = 0): { s: ReplicaState; out: EngineCommand[] } {
    const s = createState(config(), { superblock: { view: log_view, log_view }, entries: ops(op, faulty), faulty, log_durable: faulty.length > 0 ? faulty[0]! - 1 : op });
    step(s, { kind: 'nonce', nonce: 'n' });
    s.status = 'view_change'; // as onRecoveryTimeout leaves it
    const out = [...transition(s, view), ...step(s, { kind: 'message', message: { command: 'start_view_change', cluster, replica: 2, view } })];
    return { s, out };
  }
  function transition(s: ReplicaState, view = 1): EngineCommand[] {
    return step(s, { kind: 'message', message: { command: 'start_view_change', cluster, replica: 0, view } });
  }
  const sends = (out: EngineCommand[], command: string): Message[] => out.flatMap((c) => (c.kind === 'send' && c.message.command === command ? [c.message] : []));

  it('scenario 22/23: an uncommitted faulty op is discarded, with what follows, only at n − qr nacks, one more when its own copy is faulty', () => {
    // Own copy of op 4 faulty (it may have acked it): n − qr + 1 = 2 nacks needed. Replica 2's log ends at 3: one.
    const { s } = newPrimary(4, [4]);
    const out = step(s, { kind: 'message', message: dvc(2, 3, [], 2) });
    expect(s.status).to.equal('view_change');
    expect(sends(out, 'request_prepare')).to.deep.equal([0, 2].map(() => ({ command: 'request_prepare', cluster, replica: 1, view: 1, op: 4, checksum: null })));
    expect(sends(out, 'start_view')).to.deep.equal([]);
    // A second nack (replica 0, its log never reached op 4): now 2 ≥ 2, op 4 is discarded and the view starts at op 3.
    const after = step(s, { kind: 'message', message: { command: 'nack_prepare', cluster, replica: 0, view: 1, op: 4, checksum: null } });
    expect([s.status, s.op, s.faulty]).to.deep.equal(['normal', 3, []]);
    expect(sends(after, 'start_view').map((m) => (m as MessageOf<'start_view'>).op)).to.deep.equal([3, 3]);
    expect(after.filter((c) => c.kind === 'truncate')).to.deep.equal([{ kind: 'truncate', op: 3 }]);
  });

  it('a nack that does not name the asked checksum, or comes twice, counts once or not at all', () => {
    const { s } = newPrimary(4, [4]);
    step(s, { kind: 'message', message: dvc(2, 3, [], 2) });
    step(s, { kind: 'message', message: { command: 'nack_prepare', cluster, replica: 0, view: 1, op: 4, checksum: log[4]!.header.checksum } });
    step(s, { kind: 'message', message: { command: 'nack_prepare', cluster, replica: 2, view: 1, op: 4, checksum: null } });
    expect(s.status, 'replica 2 counted once (its log and its nack), replica 0 nacked another question').to.equal('view_change');
    expect(s.view_repair).to.deep.include({ op: 4, nack_from: [2] });
  });

  it('scenario 24: a committed op is never discarded, whatever the nacks: the view does not start (unavailable, nothing lost)', () => {
    const { s } = newPrimary(4, [4]);
    step(s, { kind: 'message', message: dvc(2, 3, [], 4) });
    const out = step(s, { kind: 'message', message: { command: 'nack_prepare', cluster, replica: 0, view: 1, op: 4, checksum: null } });
    expect([s.status, s.op, s.faulty]).to.deep.equal(['view_change', 4, [4]]);
    expect(sends(out, 'start_view')).to.deep.equal([]);
  });

  it('repairs a faulty op from the prepare that answers its request (checksum pinned by the chain), then starts the view once its journal holds the log', () => {
    const { s } = newPrimary(4, [2]);
    const asked = step(s, { kind: 'message', message: dvc(2, 1, [], 1) });
    expect(sends(asked, 'request_prepare')[0]).to.deep.include({ op: 2, checksum: log[3]!.header.parent });
    // A prepare that is not the pinned one is no repair.
    const wrong = chain(2, 5, cluster)[2]!;
    step(s, { kind: 'message', message: { command: 'prepare', cluster, replica: 0, view: 1, entry: wrong } });
    expect(s.faulty).to.deep.equal([2]);
    const out = step(s, { kind: 'message', message: { command: 'prepare', cluster, replica: 0, view: 1, entry: log[2]! } });
    expect([s.status, s.faulty, s.start_view_pending]).to.deep.equal(['view_change', [], true]);
    expect(out.filter((c) => c.kind === 'write').map((c) => c.kind === 'write' && c.entry.header.op)).to.deep.equal([2, 3, 4]);
    expect(sends(out, 'start_view'), 'not before the journal is clean').to.deep.equal([]);
    let started: EngineCommand[] = [];
    for (const op of [2, 3, 4]) started = step(s, { kind: 'written', op, checksum: log[op]!.header.checksum });
    expect(s.status).to.equal('normal');
    expect(sends(started, 'start_view').map((m) => (m as MessageOf<'start_view'>).entries.map((e) => e.header.checksum))).to.deep.equal([0, 2].map(() => log.slice(1).map((e) => e.header.checksum)));
  });

  it('forgets the intact prepare in a faulty slot (inhabited) once the op is repaired; the invariant catches one kept past that', () => {
    const { s } = newPrimary(4, [2]);
    const older = chain(2, 5, cluster)[2]!; // an older wrap's prepare still physically in op 2's slot
    s.inhabited = [older];
    step(s, { kind: 'message', message: dvc(2, 1, [], 1) });
    step(s, { kind: 'message', message: { command: 'prepare', cluster, replica: 0, view: 1, entry: log[2]! } });
    expect([s.faulty, s.inhabited]).to.deep.equal([[], []]);
    s.inhabited = [older];
    expect(() => assertInvariants(s)).to.throw('vsr: inhabited op 2 is not faulty');
  });

  it('fills an unpinned faulty tail only from a log of the same view (never from an older view\'s op that also chains)', () => {
    // View 4 (primary 1): its own log (log_view 2) has op 4 faulty; replica 2's (log_view 1) holds an op 4 that chains to op 3.
    const { s } = newPrimary(4, [4], 4, 2);
    const out = step(s, { kind: 'message', message: dvc(2, 4, [], 2, 1, 4) });
    expect([s.status, s.faulty, s.start_view_pending], 'replica 2\'s op 4 may be another view\'s: not taken, not a nack either').to.deep.equal(['view_change', [4], false]);
    expect(sends(out, 'request_prepare')[0]).to.deep.include({ op: 4, checksum: null });
    expect(s.view_repair!.nack_from).to.deep.equal([]);
    // Replica 0 was normal in view 2 too: its op 4 is the chosen log's.
    step(s, { kind: 'message', message: dvc(0, 4, [], 2, 2, 4) });
    expect([s.status, s.faulty, s.start_view_pending]).to.deep.equal(['view_change', [], true]);
    step(s, { kind: 'written', op: 4, checksum: log[4]!.header.checksum });
    expect([s.status, s.view, s.op]).to.deep.equal(['normal', 4, 4]);
  });

  it('scenario 21 (the guaranteed rule): asked by the new primary, a replica sends the prepare, stays silent if its copy is faulty, and nacks only what it never held', () => {
    const s = createState({ ...config(), replica: 2 }, { superblock: { view: 0, log_view: 0 }, entries: ops(3, [2]), faulty: [2], log_durable: 1 });
    step(s, { kind: 'nonce', nonce: 'n' });
    s.status = 'view_change';
    transition(s);
    const ask = (op: number, checksum: string | null, replica = 1): EngineCommand[] => step(s, { kind: 'message', message: { command: 'request_prepare', cluster, replica, view: 1, op, checksum } });
    expect(ask(2, log[2]!.header.checksum), 'faulty: silent, never a nack').to.deep.equal([]);
    expect(sends(ask(3, log[3]!.header.checksum), 'prepare')).to.deep.equal([{ command: 'prepare', cluster, replica: 2, view: 1, entry: log[3]! }]);
    expect(sends(ask(3, chain(3, 4, cluster)[3]!.header.checksum), 'nack_prepare'), 'another prepare for op 3: never acked').to.have.length(1);
    expect(sends(ask(4, null), 'nack_prepare'), 'past its log').to.deep.equal([{ command: 'nack_prepare', cluster, replica: 2, view: 1, op: 4, checksum: null }]);
    expect(ask(4, null, 0), 'only the new primary is answered').to.deep.equal([]);
  });
});

describe('par: a lagging backup repairs by headers, then prepares by checksum (engine)', () => {
  const cluster = 9;
  const log = chain(6, 0, cluster);
  const config: VsrConfig = { cluster, replica: 2, replicas: ['r0', 'r1', 'r2'], quorum_replication: 2, quorum_view_change: 2, pipeline_max: 8, app: 'kv', journal: { slot_count: 16 } };
  const base = { cluster, replica: 0, view: 0 };
  const sends = (out: EngineCommand[]): Message[] => out.flatMap((c) => (c.kind === 'send' ? [c.message] : []));

  it('asks for the headers after its head, takes only those that extend its chain (repair_header), fetches their prepares and appends them in order', () => {
    const s = createState(config, { superblock: null, entries: log.slice(1, 3) });
    s.status = 'normal'; // a backup of view 0 at op 2 (as after its recovery)
    step(s, { kind: 'nonce', nonce: 'n' });
    const asked = sends(step(s, { kind: 'message', message: { command: 'commit', ...base, commit: 6, beat: 0 } }));
    expect(asked).to.deep.equal([{ command: 'request_headers', cluster, replica: 2, view: 0, op_min: 3, op_max: 6 }]);
    // Headers that skip op 3, or come from another chain, are not taken.
    const other = chain(6, 1, cluster);
    step(s, { kind: 'message', message: { command: 'headers', ...base, headers: [log[4]!.header, log[5]!.header] } });
    step(s, { kind: 'message', message: { command: 'headers', ...base, headers: [other[3]!.header] } });
    expect(s.repair_headers).to.deep.equal([]);
    const fetch = sends(step(s, { kind: 'message', message: { command: 'headers', ...base, headers: [3, 4, 5, 6].map((op) => log[op]!.header) } }));
    expect(s.repair_headers.map((r) => r.header.op)).to.deep.equal([3, 4, 5, 6]);
    expect(fetch.filter((m) => m.command === 'request_prepare')).to.deep.equal([3, 4, 5, 6].map((op) => ({ command: 'request_prepare', cluster, replica: 2, view: 0, op, checksum: log[op]!.header.checksum })));
    // The prepares come back out of order, one of them a prepare for op 4 of another chain: only the repaired chain is appended.
    step(s, { kind: 'message', message: { command: 'prepare', ...base, entry: log[5]! } });
    step(s, { kind: 'message', message: { command: 'prepare', ...base, entry: other[4]! } });
    expect([s.op, s.commit_min], 'commits only over the complete chain: not op 5 before 3 and 4').to.deep.equal([2, 2]);
    const writes: number[] = [];
    for (const op of [3, 6, 4]) for (const c of step(s, { kind: 'message', message: { command: 'prepare', ...base, entry: log[op]! } })) if (c.kind === 'write') writes.push(c.entry.header.op);
    expect(writes).to.deep.equal([3, 4, 5, 6]);
    expect([s.op, s.repair_headers]).to.deep.equal([6, []]);
    expect(s.log.map((e) => e.header.checksum)).to.deep.equal(log.map((e) => e.header.checksum));
    expect(s.commit_min).to.equal(6);
  });
});

describe('par: the driver checks Lab 4\'s messages at the wire', () => {
  it('finds impossible nacks, header ranges, broken header chains and do_view_change faulty lists', () => {
    const log = chain(3, 0, 5);
    const base = { cluster: 5, replica: 1, view: 2 };
    expect(messageProblem({ command: 'nack_prepare', ...base, op: 0, checksum: null }, 5)).to.equal('impossible op 0');
    expect(messageProblem({ command: 'request_headers', ...base, op_min: 4, op_max: 3 }, 5)).to.equal('impossible ops 4..3');
    expect(messageProblem({ command: 'headers', ...base, headers: [log[1]!.header, log[3]!.header] }, 5)).to.equal('header of op 3 breaks the hash chain');
    expect(messageProblem({ command: 'headers', ...base, headers: [{ ...log[1]!.header, view: 1 }] }, 5)).to.match(/fails its checksum/);
    expect(messageProblem({ command: 'headers', ...base, headers: [log[2]!.header, log[3]!.header] }, 5)).to.equal(null);
    const dvc = { command: 'do_view_change' as const, ...base, log_view: 0, commit_max: 0 };
    expect(messageProblem({ ...dvc, op: 3, entries: [log[1]!, log[3]!], faulty: [2] }, 5)).to.equal(null);
    expect(messageProblem({ ...dvc, op: 3, entries: [log[1]!], faulty: [2] }, 5)).to.equal('1 entries and 1 faulty ops for op 3');
    expect(messageProblem({ ...dvc, op: 3, entries: [log[1]!], faulty: [3, 2] }, 5)).to.equal('faulty ops 3,2 for op 3');
    expect(messageProblem({ ...dvc, op: 3, entries: [log[2]!, log[3]!], faulty: [1] }, 5)).to.equal(null);
    expect(messageProblem({ ...dvc, op: 3, entries: [log[1]!, log[2]!], faulty: [3] }, 5)).to.equal(null);
    expect(messageProblem({ ...dvc, op: 3, entries: [log[1]!, log[1]!], faulty: [2] }, 5)).to.equal('entry 2 (op 1) breaks the hash chain');
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
      // Each replica checkpoints on its own (replica 0 at op 32, the others at 33 on this seed): the ops both logs hold.
      const from = Math.max(all[0]!.op_checkpoint, all[1]!.op_checkpoint);
      const checksums = (s: ReplicaState): string[] => s.log.slice(from - s.op_checkpoint).map((e) => e.header.checksum);
      expect(checksums(all[1]!)).to.deep.equal(checksums(all[0]!));
      const lines = await traceLines(cluster);
      const slot = logged(lines, 'vsr.journal.slot').map((l) => l.detail);
      expect(JSON.stringify(slot)).to.include('"slot":4').and.include('"decision":"vsr"');
      expect(logged(lines, 'vsr.journal.repaired').map(({ detail: { slot, op, from } }) => ({ slot, op, from })), 'repaired from the primary\'s log (its recovery answer)').to.deep.include({ slot: 4, op: 4, from: 0 });
      expect(kvVerdict(run.history!)).to.equal('ok');
    } finally {
      await cluster.close();
    }
  });

  /** Commit some ops, then power off every replica, damage `damage` (replica → ops whose prepare is corrupted), and power on. */
  async function powerLossWithCorruption(seed: number, damage: Record<number, number[]>): Promise<{ cluster: SimCluster; committed: ReplicaState; run: ReturnType<typeof load> }> {
    const cluster = new SimCluster({ lab: parLab, seed, nodes: 3, keepTrace: true });
    for (let i = 0; i < 3; i++) await cluster.start(i);
    const run = load(cluster, seed, 3, 8);
    for (let t = 0; t < 600 && run.history === undefined; t++) await cluster.sleep(200);
    const committed = await untilConverged(cluster, 30_000);
    const layout = { cluster: committed[0]!.config.cluster, ...SHAPE };
    for (let i = 0; i < 3; i++) await cluster.kill(i, 'SIGKILL');
    for (const [i, ops] of Object.entries(damage)) {
      for (const op of ops) await cluster.diskFault(Number(i), { kind: 'corrupt', file: JOURNAL_FILE, offset: prepareOffset(layout, op), length: 32 });
    }
    for (let i = 0; i < 3; i++) await cluster.start(i);
    return { cluster, committed: structuredClone(committed[0]!), run };
  }

  it('power loss with committed ops corrupt on two replicas (each keeps an intact copy): the view change repairs them, nothing is lost', async () => {
    const { cluster, committed, run } = await powerLossWithCorruption(12, { 0: [3, 9], 1: [5] });
    try {
      expect(committed.op, 'op 9 is committed').to.be.at.least(9);
      expect([0, 1].map((i) => stateOf(cluster, i).faulty)).to.deep.equal([[3, 9], [5]]);
      const all = await untilConverged(cluster, 60_000);
      expect(all[0]!.log.slice(0, committed.op + 1).map((e) => e.header.checksum)).to.deep.equal(committed.log.map((e) => e.header.checksum));
      expect(kvVerdict(run.history!)).to.equal('ok');
      // Each repair names the replica whose copy repaired it (never the damaged replica itself).
      const repaired = logged(await traceLines(cluster), 'vsr.journal.repaired').map((l) => [l.node, (l.detail as { slot: number }).slot, (l.detail as { from: number | null }).from]);
      const of = (i: number, slot: number) => repaired.filter(([node, s]) => node === cluster.id(i) && s === slot);
      for (const [i, slot] of [[0, 3], [0, 9], [1, 5]] as const) {
        expect(of(i, slot), `p${i} slot ${slot}`).to.have.length(1);
        expect(of(i, slot)[0]![2]).to.be.a('number').and.not.equal(i);
      }
    } finally {
      await cluster.close();
    }
  });

  it('power loss with a committed op corrupt on every replica: the cluster stays unavailable and never truncates it (PAR: no copy left)', async () => {
    const { cluster, committed } = await powerLossWithCorruption(13, { 0: [4], 1: [4], 2: [4] });
    try {
      await cluster.sleep(20_000);
      const all = [0, 1, 2].map((i) => stateOf(cluster, i));
      expect(all.map((s) => s.status)).to.not.include('normal');
      for (const s of all) {
        expect(s.op, 'the log still reaches the head').to.be.at.least(committed.op);
        expect(s.faulty).to.include(4);
        expect(s.log.slice(5, committed.op + 1).map((e) => e.header.checksum)).to.deep.equal(committed.log.slice(5).map((e) => e.header.checksum));
      }
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
      const refused = logged(await traceLines(one), 'vsr.storage.refused');
      expect(JSON.stringify(refused)).to.include('WAL is corrupt');
    } finally {
      await one.close();
    }
  });

  for (const [name, image] of [
    ['a journal of the wrong size', (cluster: number) => formatImage({ cluster, ...SHAPE }).subarray(0, 4096 * 3)],
    ['another cluster\'s journal', (cluster: number) => formatImage({ cluster: cluster + 1, ...SHAPE })],
  ] as const) {
    it(`refuses to start on ${name}: vsr.storage.refused, then the node's death, the file untouched`, async () => {
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
        const refused = logged(lines, 'vsr.storage.refused');
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

describe("vsr and par: a replica's storage format ends with the superblock's first copy", function () {
  this.timeout(120_000);
  const [second, first] = SUPERBLOCK_FILES;

  /** Every file of a simulated disk and its bytes on the medium (hex). */
  function filesOf(disk: SimDisk): Record<string, string> {
    return Object.fromEntries(disk.list().map((f) => [f, Buffer.from(disk.medium(f)).toString('hex')]));
  }

  /** Empty both superblock files of replica `i`'s disk (durably). */
  function emptySuperblocks(cluster: SimCluster, i: number): void {
    const disk = cluster.sim.disk(cluster.id(i));
    for (const f of SUPERBLOCK_FILES) {
      disk.truncate(f, 0);
      disk.fsync(f);
    }
  }

  /** Start replica `i`, which must refuse its disk: it dies of it, every byte as it was; its one traced refusal. */
  async function refusal(cluster: SimCluster, i: number): Promise<string> {
    const disk = cluster.sim.disk(cluster.id(i));
    const before = filesOf(disk);
    await cluster.start(i);
    expect(cluster.alive(i), 'it refused to start').to.equal(false);
    const lines = await traceLines(cluster);
    expect(lines.some((l) => l.node === cluster.id(i) && l.kind === 'crash' && l.detail['reason'] === 'corrupt disk')).to.equal(true);
    expect(filesOf(disk), 'every byte as it was').to.deep.equal(before);
    const refused = logged(lines, 'vsr.storage.refused');
    expect(refused.length).to.equal(1);
    return String(refused[0]!.detail['error']);
  }

  // Both storages' formats end with the superblock's first copy: Lab 3's log (a record) and Lab 4's journal (an op past its format).
  const storages = [
    { name: 'Lab 3 log', lab: makeVsrLab(), holds: /but log vsr\.log is not empty \(\d+ records\)/ },
    { name: 'Lab 4 journal', lab: parLab, holds: /but journal vsr\.journal holds op \d+/ },
  ];
  for (const { name, lab, holds } of storages) {
    it(`${name}: both superblock copies emptied, the storage holding ops: refused (vsr.storage.refused names both files), the node dies, every byte as it was`, async () => {
      const cluster = new SimCluster({ lab, seed: 9, nodes: 3, keepTrace: true });
      try {
        for (let i = 0; i < 3; i++) await cluster.start(i);
        const run = load(cluster, 9, 2, 4);
        for (let t = 0; t < 600 && run.history === undefined; t++) await cluster.sleep(200);
        expect(stateOf(cluster, 2).op).to.be.greaterThan(0);
        await cluster.kill(2, 'SIGKILL');
        emptySuperblocks(cluster, 2);
        const error = await refusal(cluster, 2);
        expect(error).to.match(/^vsr superblock: no copy in superblock\.0 or superblock\.1, but .* \(a replica's storage is formatted with the superblock's first copy before it first starts\); refusing to start rather than forget the view$/);
        expect(error).to.match(holds);
      } finally {
        await cluster.close();
      }
    });

    it(`${name}: both copies emptied after a view change, the storage as formatted: refused, as only a view change makes ${second}`, async () => {
      const cluster = new SimCluster({ lab, seed: 10, nodes: 3, keepTrace: true });
      try {
        // Alone, replica 1 hears from no primary: its view change persists view 1, the second copy.
        await cluster.start(1);
        const disk = cluster.sim.disk(cluster.id(1));
        for (let t = 0; t < 100 && !(disk.list().includes(second) && !disk.dirty(second)); t++) await cluster.sleep(100);
        expect(disk.list()).to.include(second);
        expect(stateOf(cluster, 1).op, 'its storage holds nothing past its format').to.equal(0);
        await cluster.kill(1, 'SIGKILL');
        emptySuperblocks(cluster, 1);
        expect(await refusal(cluster, 1)).to.equal(
          `vsr superblock: no copy in superblock.0 or superblock.1, but ${second} exists (only a view change makes it, after the format's copy was durable); refusing to start rather than forget the view`,
        );
      } finally {
        await cluster.close();
      }
    });
  }

  it(`a crash between the journal's format and the superblock's first copy (${first}): the restart finishes the format (traced) and starts fresh`, async () => {
    const cluster = new SimCluster({ lab: parLab, seed: 11, nodes: 3, keepTrace: true });
    try {
      const starting = cluster.start(0);
      await cluster.sleep(0);
      const disk = cluster.sim.disk(cluster.id(0));
      // The journal is durable and the copy's write issued, not yet durable: the crash loses it.
      for (let t = 0; t < 200 && !disk.list().includes(first); t++) await cluster.sleep(1);
      expect([disk.dirty(JOURNAL_FILE), disk.dirty(first)]).to.deep.equal([false, true]);
      await cluster.kill(0, 'SIGKILL');
      await starting;
      expect(disk.list()).to.deep.equal([JOURNAL_FILE]);
      await cluster.start(0);
      expect(cluster.alive(0)).to.equal(true);
      expect(logged(await traceLines(cluster), 'vsr.journal.format_finished').map((l) => l.detail)).to.deep.equal([{ file: JOURNAL_FILE, what: 'vsr.journal.format_finished' }]);
      expect(disk.size(first)).to.equal(256);
      expect(disk.dirty(first)).to.equal(false);
      expect(disk.list()).to.deep.equal([first, JOURNAL_FILE]);
      const s = stateOf(cluster, 0);
      expect([s.status, s.view, s.log_view, s.op]).to.deep.equal(['normal', 0, 0, 0]);
    } finally {
      await cluster.close();
    }
  });
});
