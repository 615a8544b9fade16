// Lab 4's storage scenarios (vsr-par.md §7: 13, 14, 16-25; and 26) on a live `par` cluster in the simulator:
// a replica crashes at a chosen instant of its journal's write order, or its journal is damaged
// on its disk while it is down, and it restarts; what it holds right after the restart (its log's
// head, its faulty ops, its journal's bits) says what recovery decided, and then every replica
// converges with nothing acked lost. They read replicas in place and never change one; the
// simulator's disk faults do the damage.
//
// Scenarios 20, 21, 23, 24 and 26 keep an op from some replicas by cutting p0's links to them one way,
// then crash p0. Those cuts stay until p0 comes back: a prepare p0 sent just before its crash is
// still on the wire, and a heal at the crash let it through (scenario 23, seed 920004: op 10 reached
// p3 after the heal, so it sat on a quorum, and the cluster rightly kept it).
import { ScenarioFailure } from '../scenario.js';
import { labNodeOf, simOf } from '../sim-cluster.js';
import type { VsrRun } from '../vsr/observer.js';
import { RawClient } from '../vsr/replicas.js';
import { replicaState } from '../../labs/vsr/lab.js';
import { checksumAt, entryAt, type ReplicaState } from '../../labs/vsr/state.js';
import { headerOffset, HEADER_CELL_BYTES, headerSector, headersPerSector, JOURNAL_FILE, prepareOffset, slotFor, type JournalLayout } from '../../labs/vsr/journal/format.js';
import type { JournalState } from '../../labs/vsr/journal/journal.js';
import { cleanThrough, holdsOp, journalOf } from './replicas.js';

/** Bounds, in engine ticks / simulated ms. */
const COMMIT_TICKS = 1500;
const CONVERGE_TICKS = 3000;
/** Bytes a scenario 13 write carries: its prepare's text spans more than 3 KiB of its 4 KiB cell (and the op fits a cell). */
const PAD = 2900;
/** How long (simulated ms) to watch for an instant of the write order before giving up. */
const WATCH_MS = 5000;

/** Replica `index`'s live state and journal (it must be up). */
function live(run: VsrRun, index: number): { state: ReplicaState; journal: JournalState } {
  const node = labNodeOf(run, index);
  const state = node === null ? null : replicaState(node);
  const journal = node === null ? null : journalOf(node);
  if (state === null || journal === null) throw new ScenarioFailure(`${run.name(index)}: expected up with a journal, but it is not`);
  return { state, journal };
}

/** The journal layout, from any replica that is up. */
function layoutOf(run: VsrRun): JournalLayout {
  const up = run.all.find((i) => labNodeOf(run, i) !== null);
  if (up === undefined) throw new Error('no replica is up to read the journal layout from');
  return live(run, up).journal.layout;
}


/** Start every replica, a client that registers and writes until op `ops` is committed and clean everywhere, and a background load. */
async function committed(run: VsrRun, ops: number, pad = 0): Promise<RawClient> {
  await run.startAll();
  const client = new RawClient(run, 'storage');
  await client.ok('register', 0, 0, 'register', null);
  for (let request = 1; request < ops; request++) await client.ok(`write ${request}`, 0, request, 'write', { f: 'append', key: 'k', value: `[${request}]${'x'.repeat(pad)}` });
  await run.waitUntil(`every replica to execute op ${ops} with ops 1..${ops} clean in its journal`, run.all, (all) => all.every((s, i) => s.commit >= ops && cleanThrough(run, i, ops)), COMMIT_TICKS);
  return client;
}

/** Crash `index`, damage its journal with `damage` while it is down, restart it; its state right after the restart. */
async function restartDamaged(run: VsrRun, index: number, what: string, damage: (layout: JournalLayout, id: string) => void): Promise<ReplicaState> {
  const layout = layoutOf(run);
  await run.crash(index);
  run.note(`${run.name(index)}'s journal: ${what}`);
  damage(layout, run.cluster.id(index));
  await run.restart(index);
  return live(run, index).state;
}

/**
 * Right after a restart: the ops `faulty` are faulty (and, given, no op of `notFaulty` is; others past
 * the cluster's head may be, as recovery keeps faulty slots at the end), and the log's head is at
 * `headAtLeast` or later (nothing was cut off).
 */
function expectFaulty(run: VsrRun, index: number, s: ReplicaState, want: { faulty: number[]; notFaulty?: number[]; headAtLeast: number }, why: string): void {
  const missing = want.faulty.filter((op) => !s.faulty.includes(op));
  const extra = (want.notFaulty ?? []).filter((op) => s.faulty.includes(op));
  if (missing.length > 0 || extra.length > 0 || s.op < want.headAtLeast) {
    throw new ScenarioFailure(
      `${run.name(index)} right after its restart: ${why}; expected faulty ops ${want.faulty.join(',')}${want.notFaulty ? ` (not ${want.notFaulty.join(',')})` : ''} and its log's head at op ${want.headAtLeast} or later, got faulty [${s.faulty.join(',')}] and head op ${s.op}`,
    );
  }
}

/** Sleep one simulated ms at a time until `ready` holds (for at most WATCH_MS). */
async function watch(run: VsrRun, what: string, ready: () => boolean): Promise<void> {
  for (let ms = 0; !ready(); ms++) {
    if (ms > WATCH_MS) throw new ScenarioFailure(`not within ${WATCH_MS} ms: ${what}`);
    await run.cluster.sleep(1);
  }
}

/**
 * 13: p2 crashes while the prepare of the tail op N is written and not yet fsynced, and the crash
 * tears it (the disk's sector is 1 KiB, the prepare spans several): recovery cuts the torn tail.
 * p2 restarts at op N−1 with no faulty op (no remote repair: N was never acked by it).
 */
export async function tornTailIsCut(run: VsrRun): Promise<void> {
  // Each prepare's text ends past its cell's third 1 KiB sector: any torn prefix of it is invalid.
  const client = await committed(run, 6, PAD);
  const sim = simOf(run);
  const p2 = run.cluster.id(2);
  sim.setDiskFaults({ sectorBytes: 1024, torn: 1, unsyncedKept: 0 }, p2);
  const slot = slotFor(layoutOf(run), 7);
  void client.ok('write 6 (op 7)', 0, 6, 'write', { f: 'append', key: 'k', value: `[6]${'x'.repeat(PAD)}` }).catch(() => undefined);
  await watch(run, "p2's write of op 7's prepare issued and not yet fsynced", () => {
    const { journal } = live(run, 2);
    return holdsOp(journal, 7) && journal.prepare_checksums[slot] === null && sim.disk(p2).dirty(JOURNAL_FILE);
  });
  const s = await restartDamaged(run, 2, "op 7's prepare torn at the crash", () => undefined);
  sim.setDiskFaults({ sectorBytes: 4096, torn: 0 }, p2);
  if (s.op !== 6 || s.faulty.length > 0) throw new ScenarioFailure(`p2 right after its restart: a torn tail (op 7, never acked by p2) must be cut locally; expected head op 6 and no faulty op, got head op ${s.op}, faulty [${s.faulty.join(',')}]`);
  run.startLoad({ clients: 2, ops: 5 });
  await run.finish(run.all, CONVERGE_TICKS);
}

/**
 * 14: p2 crashes after the prepare of op N is durable and before its header sector is: recovery
 * fixes the slot from its prepare (@H/@K fix). p2 restarts with op N in its log, not faulty.
 */
export async function prepareWithoutHeaderIsFixed(run: VsrRun): Promise<void> {
  const client = await committed(run, 6);
  const sim = simOf(run);
  const p2 = run.cluster.id(2);
  sim.setDiskFaults({ unsyncedKept: 0, torn: 0 }, p2);
  const slot = slotFor(layoutOf(run), 7);
  void client.ok('write 6 (op 7)', 0, 6, 'write', { f: 'append', key: 'k', value: '[6]' }).catch(() => undefined);
  let checksum = '';
  await watch(run, "p2's prepare of op 7 durable and its header sector written, not yet fsynced", () => {
    const { journal } = live(run, 2);
    checksum = journal.headers[slot]!.checksum;
    return holdsOp(journal, 7) && journal.prepare_checksums[slot] === checksum && journal.dirty[slot]! && sim.disk(p2).dirty(JOURNAL_FILE);
  });
  const s = await restartDamaged(run, 2, "op 7's header sector never written", () => undefined);
  if (s.op !== 7 || s.faulty.length > 0 || s.log[7]?.header.checksum !== checksum) {
    throw new ScenarioFailure(`p2 right after its restart: op 7's prepare was durable (its header was not), so recovery must fix the slot from it; expected head op 7 with that prepare and no faulty op, got head op ${s.op} (${s.log[7]?.header.checksum.slice(0, 12) ?? 'none'}), faulty [${s.faulty.join(',')}]`);
  }
  if (!live(run, 2).journal.dirty[slot]) {
    throw new ScenarioFailure(`p2 right after its restart: op 7's slot was fixed from its prepare, but it is clean; with more than one replica a fixed slot stays dirty (only the faulty bit is cleared) and is fetched again from the others (handouts/lab4-par.md, "fix")`);
  }
  run.startLoad({ clients: 2, ops: 5 });
  await run.finish(run.all, CONVERGE_TICKS);
}

/**
 * 16: a bit flip in the body of committed op 5's prepare on p2, then a restart: @C, vsr; op 5 is
 * faulty and repaired from the cluster, and the ops after it are not truncated.
 */
export async function corruptCommittedPrepareIsRepaired(run: VsrRun): Promise<void> {
  await committed(run, 10);
  const s = await restartDamaged(run, 2, "8 bytes of op 5's prepare flipped", (layout, id) => simOf(run).corrupt(id, JOURNAL_FILE, prepareOffset(layout, slotFor(layout, 5)) + 200, 8));
  expectFaulty(run, 2, s, { faulty: [5], notFaulty: [4, 6, 7, 8, 9, 10], headAtLeast: 10 }, 'a corrupt committed prepare is repaired from the cluster, never cut off with the ops after it');
  run.startLoad({ clients: 2, ops: 5 });
  await run.finish(run.all, CONVERGE_TICKS);
  if (!cleanThrough(run, 2, 10)) throw new ScenarioFailure('p2 converged, but op 5 is not clean in its journal: it was never repaired');
}

/**
 * 17: one header sector of p2 (slots 4-7) corrupt, the prepares intact: the max op among them
 * is fixed from its prepare, the others are faulty and repaired; nothing is lost.
 */
export async function corruptHeaderSector(run: VsrRun): Promise<void> {
  await committed(run, 6);
  const s = await restartDamaged(run, 2, 'the header sector of slots 4-7 garbled', (layout, id) => simOf(run).corrupt(id, JOURNAL_FILE, headerSector(layout, 4).offset, layout.sector_bytes));
  // Ops 4, 5: @E vsr (faulty). Op 6 is the max: @F fix. Slot 7 holds a reserved prepare: @D vsr, past the head.
  expectFaulty(run, 2, s, { faulty: [4, 5], notFaulty: [1, 2, 3, 6], headAtLeast: 6 }, 'ops 4 and 5 lost their headers (faulty, repaired remotely); op 6, the max, is fixed from its prepare');
  run.startLoad({ clients: 2, ops: 5 });
  await run.finish(run.all, CONVERGE_TICKS);
}

/**
 * 18: p2's write of op 5's prepare is misdirected into slot 3's cell. On restart both slots fail
 * their checks (slot 5: @I, slot 3: a prepare of another slot): both ops faulty and repaired; op 5
 * is never taken as op 3.
 */
export async function misdirectedPrepare(run: VsrRun): Promise<void> {
  await run.startAll();
  const layout = layoutOf(run);
  const p2 = run.cluster.id(2);
  simOf(run).diskFault(p2, { kind: 'misdirect', file: JOURNAL_FILE, offset: prepareOffset(layout, slotFor(layout, 5)), length: layout.prepare_cell_bytes, to: prepareOffset(layout, slotFor(layout, 3)) });
  run.note("p2's next write of op 5's prepare lands in slot 3's cell");
  const client = new RawClient(run, 'storage');
  await client.ok('register', 0, 0, 'register', null);
  for (let request = 1; request < 8; request++) await client.ok(`write ${request}`, 0, request, 'write', { f: 'append', key: 'k', value: `[${request}]` });
  await run.waitUntil('every replica to execute op 8', run.all, (all) => all.every((s) => s.commit >= 8), COMMIT_TICKS);
  const s = await restartDamaged(run, 2, 'as the misdirected write left it', () => undefined);
  expectFaulty(run, 2, s, { faulty: [3, 5], notFaulty: [1, 2, 4, 6, 7, 8], headAtLeast: 8 }, "slot 3 holds op 5's prepare (the slot check fails) and slot 5 lacks its own");
  run.startLoad({ clients: 2, ops: 5 });
  await run.finish(run.all, CONVERGE_TICKS);
}

/** 19: a cluster of one with a corrupt committed prepare refuses to start ("WAL is corrupt") rather than truncate, and leaves its journal as it was. */
export async function singleReplicaRefuses(run: VsrRun): Promise<void> {
  await committed(run, 5);
  const sim = simOf(run);
  const layout = layoutOf(run);
  await run.crash(0);
  sim.corrupt(run.cluster.id(0), JOURNAL_FILE, prepareOffset(layout, slotFor(layout, 3)) + 200, 8);
  const before = sim.disk(run.cluster.id(0)).medium(JOURNAL_FILE).slice();
  run.note("p0's journal: 8 bytes of op 3's prepare flipped; restart");
  await run.restart(0);
  if (run.cluster.alive(0)) throw new ScenarioFailure(`p0, alone with a faulty op 3, started (head op ${live(run, 0).state.op}): it must refuse ("WAL is corrupt"), since no one can repair it`);
  const after = sim.disk(run.cluster.id(0)).medium(JOURNAL_FILE);
  if (after.length !== before.length || after.some((b, i) => b !== before[i])) throw new ScenarioFailure('p0 refused to start but changed its journal: a refusal must leave the evidence as it was');
  // The header ring still names op 3: nothing was cut.
  const cell = after.subarray(headerOffset(slotFor(layout, 3)), headerOffset(slotFor(layout, 3)) + HEADER_CELL_BYTES);
  if (!new TextDecoder().decode(cell).includes('"op":3')) throw new ScenarioFailure("p0's header ring lost op 3's header");
  run.note('p0 refused to start, its journal untouched');
}


/** Ticks a cluster that must stay unavailable is watched, a client writing all the while. */
const STALL_TICKS = 600;

/** For STALL_TICKS, a client retries a write at every live replica: none may be acked (the state checker watches every step for a changed op). */
async function staysUnavailable(run: VsrRun, client: RawClient, request: number, live: readonly number[], why: string): Promise<void> {
  for (let waited = 0; waited < STALL_TICKS; waited += 20) {
    for (const i of live) {
      const reply = await client.call(i, request, 'write', { f: 'append', key: 'k', value: '[during the stall]' }).catch(() => null);
      if (reply?.status === 'ok') throw new ScenarioFailure(`${why}, yet ${run.name(i)} acked a write as op ${reply.op} after ${waited} ticks: the cluster went on without the op`);
    }
    await run.sleepTicks(20);
  }
  run.note(`no write acked for ${STALL_TICKS} ticks: unavailable, nothing committed changed`);
}

/** The write `request` at whichever of `replicas` takes it, retried for up to CONVERGE_TICKS. */
async function writeAnywhere(run: VsrRun, client: RawClient, replicas: readonly number[], request: number, what: string): Promise<{ op: number }> {
  for (let waited = 0; waited < CONVERGE_TICKS; waited += 20) {
    for (const i of replicas) {
      const reply = await client.call(i, request, 'write', { f: 'append', key: 'k', value: `[${request}]` }).catch(() => null);
      if (reply?.status === 'ok') return reply;
    }
    await run.sleepTicks(20);
  }
  throw new ScenarioFailure(`${what}: no replica of ${replicas.map((i) => run.name(i)).join(',')} acked it within ${CONVERGE_TICKS} ticks`);
}

/** A write acked to `client` by hand goes to the state checker as the load's acks do. */
function acked(run: VsrRun, client: RawClient, request: number, op: number): void {
  run.checker?.acked({ client: client.client, request, op });
}

/** The stall is over: the network heals and p0, down since before the damage, comes back with its intact copies; every replica converges under a load. */
async function backWithP0(run: VsrRun): Promise<void> {
  simOf(run).healAll();
  await run.restart(0);
  run.startLoad({ clients: 2, ops: 5 });
  await run.finish(run.all, CONVERGE_TICKS);
}

/**
 * 24: op 10 is committed on p0 and p2 (p1 never got it) and acked. p0 and p2 crash; p2's copy of
 * op 10 is corrupt. p1 and p2 are a quorum, but p1 lacks op 10 and p2 cannot read it: p2 must not
 * nack it (it acknowledged it), so the cluster stalls, safely. Once p0 is back with its intact copy,
 * op 10 is repaired and nothing acked is lost. A replica that nacks here loses the acked op 10.
 */
export async function guaranteedPrepareNotNacked(run: VsrRun): Promise<void> {
  const client = await committed(run, 9);
  const sim = simOf(run);
  run.note('p0 -> p1 cut one way: op 10 reaches p2 only');
  sim.block(run.cluster.id(0), run.cluster.id(1));
  const reply = await client.ok('write 9 (op 10)', 0, 9, 'write', { f: 'append', key: 'k', value: '[9]' });
  acked(run, client, 9, reply.op);
  run.note(`op ${reply.op} acked, held by p0 and p2`);
  await run.crash(0);
  const s = await restartDamaged(run, 2, `op ${reply.op}'s prepare garbled (p0 stays down)`, (layout, id) => {
    sim.corrupt(id, JOURNAL_FILE, prepareOffset(layout, slotFor(layout, reply.op)) + 200, 8);
  });
  expectFaulty(run, 2, s, { faulty: [reply.op], headAtLeast: reply.op }, 'its copy of the acked op is unreadable');
  await staysUnavailable(run, client, 10, [1, 2], `op ${reply.op} was acked and its only readable copy is on the crashed p0`);
  await backWithP0(run);
}

/**
 * 26 (the torn-tail rule's span): ops 11 and 12 are committed on p0 and p2 (p1 never got them) and
 * acked, but p2's disk lost its write of op 11's header sector (acknowledged, never on the medium:
 * the cell keeps its reserved header). p0 crashes; while p2 is down its prepares of ops 11 and 12 and
 * its header cell of op 12 are garbled. On restart slot 11 looks like a torn tail (the slot after the
 * highest valid op, 10: its prepare invalid, its header reserved), but slot 12 past it is faulty too,
 * which no crash explains: both are faulty (vsr), never cut. p1 lacks them and p2 cannot read them,
 * so the cluster stalls; back with p0, both are repaired. A replica that cuts slot 11 anyway comes
 * back at op 10 and forgets the acked ops 11 and 12.
 */
export async function corruptionPastTornTail(run: VsrRun): Promise<void> {
  const client = await committed(run, 10);
  const sim = simOf(run);
  const layout = layoutOf(run);
  const [torn, past] = [11, 12];
  // Op 12's header sector is not op 11's: its write never rewrites op 11's cell, which stays as the lost write left it.
  if (slotFor(layout, past) % headersPerSector(layout) !== 0) throw new Error(`scenario 26: slots ${torn} and ${past} share a header sector in this layout`);
  const p2 = run.cluster.id(2);
  run.note(`p0 -> p1 cut one way: ops ${torn} and ${past} reach p2 only; p2's write of op ${torn}'s header sector is lost`);
  sim.block(run.cluster.id(0), run.cluster.id(1));
  sim.diskFault(p2, { kind: 'lost-write', file: JOURNAL_FILE, offset: headerOffset(slotFor(layout, torn)), length: HEADER_CELL_BYTES });
  for (const op of [torn, past]) {
    const reply = await client.ok(`write ${op - 1} (op ${op})`, 0, op - 1, 'write', { f: 'append', key: 'k', value: `[${op - 1}]` });
    acked(run, client, op - 1, reply.op);
    if (reply.op !== op) throw new ScenarioFailure(`write ${op - 1} was acked as op ${reply.op}, not op ${op} (ops 1..${op - 1} were committed before it)`);
    await run.waitUntil(`p2 to hold op ${op} clean (as far as it knows)`, [2], () => cleanThrough(run, 2, op), COMMIT_TICKS);
  }
  const intact = [torn, past].map((op) => checksumAt(live(run, 0).state, op));
  await run.crash(0);
  const s = await restartDamaged(run, 2, `the prepares of ops ${torn} and ${past} and the header cell of op ${past} garbled (p0 stays down)`, (l, id) => {
    for (const op of [torn, past]) sim.corrupt(id, JOURNAL_FILE, prepareOffset(l, slotFor(l, op)) + 200, 8);
    sim.corrupt(id, JOURNAL_FILE, headerOffset(slotFor(l, past)), HEADER_CELL_BYTES);
  });
  const before = Array.from({ length: torn - 1 }, (_, i) => i + 1);
  expectFaulty(run, 2, s, { faulty: [torn, past], notFaulty: before, headAtLeast: past }, `slot ${torn} looks like a torn tail, but op ${past} past it is faulty too: corruption, which is repaired, never cut`);
  await staysUnavailable(run, client, past, [1, 2], `ops ${torn} and ${past} were acked and their only readable copies are on the crashed p0`);
  await backWithP0(run);
  if (!cleanThrough(run, 2, past) || [torn, past].some((op, k) => checksumAt(live(run, 2).state, op) !== intact[k])) {
    throw new ScenarioFailure(`p2 converged, but its journal does not hold the acked ops ${torn} and ${past} clean: they were never repaired from p0's copies`);
  }
}

/**
 * 25 (PAR Fig. 2, n=5): ops 1-3 are committed on p0-p2 while p3 and p4 are not yet started (they
 * lag). p0-p2 lose power; p1's copy of op 1 is corrupt; p1 comes back with the laggards p3, p4: a
 * view-change quorum that holds no intact copy of op 1. It must stay unavailable (op 1 is committed:
 * never discarded); a replica that truncates at corruption joins the laggards in a fresh log and
 * commits new ops 1-3 over the old. Once p0 and p2 are back, op 1 is repaired and nothing is lost.
 */
export async function truncationLosesCommittedOps(run: VsrRun): Promise<void> {
  for (const i of [0, 1, 2]) await run.cluster.start(i);
  run.note('p0, p1, p2 started; p3, p4 lag (not started)');
  const client = new RawClient(run, 'storage');
  await client.ok('register', 0, 0, 'register', null);
  for (let request = 1; request < 3; request++) acked(run, client, request, (await client.ok(`write ${request}`, 0, request, 'write', { f: 'append', key: 'k', value: `[${request}]` })).op);
  await run.waitUntil('p0, p1, p2 to execute op 3 with ops 1..3 clean', [0, 1, 2], (all) => all.every((s, k) => s.commit >= 3 && cleanThrough(run, k, 3)), COMMIT_TICKS);
  const layout = layoutOf(run);
  run.note('power loss on p0, p1, p2');
  for (const i of [0, 1, 2]) await run.cluster.kill(i, 'SIGKILL');
  simOf(run).corrupt(run.cluster.id(1), JOURNAL_FILE, prepareOffset(layout, slotFor(layout, 1)) + 200, 8);
  run.note("p1's copy of op 1 garbled; p1 restarts with p3 and p4");
  await run.restart(1);
  for (const i of [3, 4]) await run.cluster.start(i);
  await staysUnavailable(run, client, 3, [1, 3, 4], 'op 1 was committed on p0-p2 and the only copy within reach (p1) is unreadable');
  for (const i of [0, 2]) await run.restart(i);
  run.startLoad({ clients: 2, ops: 5 });
  await run.finish(run.all, CONVERGE_TICKS);
}

/**
 * 23 (n=5; PAR Fig. 4(d)): op 10 reaches only p0 and p1 (uncommitted: qr = 3). p0 crashes; p1's
 * copy is corrupt. While p4 is cut off, the others cannot tell that op 10 was not committed
 * (p0, p1 and p4 would have been a quorum): the cluster waits. Once p4 is back and says it never
 * had op 10, op 10 is discarded (n − qr nacks, one more for the faulty copy) and the cluster goes
 * on without it.
 */
export async function uncommittedFaultyOpWaitsForNacks(run: VsrRun): Promise<void> {
  const client = await committed(run, 9);
  const sim = simOf(run);
  const ids = run.all.map((i) => run.cluster.id(i));
  run.note('p0 -> p2, p3, p4 cut one way: op 10 reaches p1 only');
  for (const to of [2, 3, 4]) sim.block(ids[0]!, ids[to]!);
  void client.call(0, 9, 'write', { f: 'append', key: 'k', value: '[9]' }).catch(() => undefined);
  const slot = slotFor(layoutOf(run), 10);
  await watch(run, 'p1 to hold op 10 clean', () => {
    const { journal } = live(run, 1);
    return holdsOp(journal, 10) && !journal.dirty[slot];
  });
  await run.crash(0);
  const s = await restartDamaged(run, 1, "op 10's prepare garbled (p0 stays down)", (layout, id) => {
    sim.corrupt(id, JOURNAL_FILE, prepareOffset(layout, slot) + 200, 8);
  });
  expectFaulty(run, 1, s, { faulty: [10], headAtLeast: 10 }, 'its copy of op 10 is unreadable');
  await run.isolate(4);
  // Write 9 again (its first try, op 10, was never acked): it may be executed once, as a new op.
  await staysUnavailable(run, client, 9, [1, 2, 3], 'p4, cut off, may hold op 10 (p0, p1, p4 would have committed it), so op 10 can be neither repaired nor discarded');
  await run.heal(4);
  const core = [1, 2, 3, 4];
  const again = await writeAnywhere(run, client, core, 9, 'write 9 once p4 is back');
  acked(run, client, 9, again.op);
  run.startLoad({ clients: 2, ops: 5 });
  await run.finish(core, CONVERGE_TICKS);
  run.note(`write 9 acked as op ${again.op} in view ${live(run, 1).state.view}`);
}

/**
 * 21 (the guaranteed rule, answering side): ops 10 and 11 are committed on p0 and p2 (p1 never got
 * them) and acked. p0 crashes; p2's header cell of op 10 is garbled while its prepare is intact
 * (@E: faulty, but the prepare physically in the slot is known by its checksum). Asked by the new
 * primary p1 for op 10 with its checksum, p2 must send that prepare (never nack it, and need not
 * wait for p0): the cluster recovers without p0, nothing acked lost.
 */
export async function faultyHeaderPrepareForwarded(run: VsrRun): Promise<void> {
  const client = await committed(run, 9);
  const sim = simOf(run);
  run.note('p0 -> p1 cut one way: ops 10 and 11 reach p2 only');
  sim.block(run.cluster.id(0), run.cluster.id(1));
  for (const request of [9, 10]) acked(run, client, request, (await client.ok(`write ${request}`, 0, request, 'write', { f: 'append', key: 'k', value: `[${request}]` })).op);
  await run.waitUntil('p2 to hold ops 1..11 clean', [2], () => cleanThrough(run, 2, 11), COMMIT_TICKS);
  await run.crash(0);
  const s = await restartDamaged(run, 2, "op 10's header cell garbled, its prepare intact (p0 stays down)", (layout, id) => {
    sim.corrupt(id, JOURNAL_FILE, headerOffset(slotFor(layout, 10)), HEADER_CELL_BYTES);
  });
  expectFaulty(run, 2, s, { faulty: [10], notFaulty: [11], headAtLeast: 11 }, "op 10's header is unreadable (its prepare is intact, but not the max: @E)");
  run.startLoad({ clients: 2, ops: 5 });
  await run.finish([1, 2], CONVERGE_TICKS);
}

/**
 * 20 (the write order's faulty cell): op 9 is acked and held by p0 and p2 only (p1 never got it),
 * and p2's write of op 9's prepare was lost (its cell keeps the reserved prepare; the header went
 * out). p0 goes down; p2's header sector of slots 8-11 is garbled while p2 is down. On restart
 * slot 8 is fixed from its prepare (@F: op 8 is the highest valid prepare) and slots 9-11 are @D
 * (vsr: faulty). p2 rewrites op 8 from its own prepare (clean while it is still recovering, before
 * any peer answered it), and that header sector goes out from memory with slots 9-11 invalid, as
 * they are still faulty. p2 crashes right after the sector is durable: restarted, slots 9-11 are
 * still faulty (@D again, never @J: a valid reserved cell there would say p2 never held op 9, and
 * it would nack the acked op). With p0 down the cluster stalls rather than lose op 9; back with
 * p0, op 9 is repaired on p2 (the only intact copy was p0's) and nothing acked is lost.
 */
export async function faultySlotStaysFaulty(run: VsrRun): Promise<void> {
  const client = await committed(run, 8);
  const sim = simOf(run);
  const layout = layoutOf(run);
  const p2 = run.cluster.id(2);
  run.note("p0 -> p1 cut one way: op 9 reaches p2 only; p2's write of op 9's prepare is lost");
  sim.block(run.cluster.id(0), run.cluster.id(1));
  sim.diskFault(p2, { kind: 'lost-write', file: JOURNAL_FILE, offset: prepareOffset(layout, slotFor(layout, 9)), length: layout.prepare_cell_bytes });
  const reply = await client.ok('write 8 (op 9)', 0, 8, 'write', { f: 'append', key: 'k', value: '[8]' });
  acked(run, client, 8, reply.op);
  if (reply.op !== 9) throw new ScenarioFailure(`write 8 was acked as op ${reply.op}, not op 9 (ops 1..8 were committed before it)`);
  await run.waitUntil('p2 to hold op 9 clean (as far as it knows: the lost write was acknowledged)', [2], () => cleanThrough(run, 2, 9), COMMIT_TICKS);
  const op9 = checksumAt(live(run, 0).state, 9);
  await run.crash(0);
  const sector = headerSector(layout, 8);
  const slots = Array.from({ length: headersPerSector(layout) }, (_, i) => sector.first + i);
  const faulty = slots.filter((slot) => slot > 8);
  const first = await restartDamaged(run, 2, `the header sector of slots ${slots.join(',')} garbled (p0 stays down)`, (l, id) => {
    sim.corrupt(id, JOURNAL_FILE, sector.offset, l.sector_bytes);
  });
  expectFaulty(run, 2, first, { faulty, notFaulty: [1, 2, 3, 4, 5, 6, 7, 8], headAtLeast: faulty[faulty.length - 1]! }, 'op 8 is the highest valid prepare (@F fix); slots 9-11 lost their headers and hold reserved prepares (@D vsr)');
  if (!live(run, 2).journal.dirty[slotFor(layout, 8)]) {
    throw new ScenarioFailure(`p2 right after its restart: op 8's slot was fixed from its prepare (@F fix), but it is clean; with more than one replica a fixed slot stays dirty and is written again, header sector included: the rewrite this scenario then watches (handouts/lab4-par.md, "fix")`);
  }
  await watch(run, "p2's rewrite of op 8 from its own prepare durable, header sector included", () => !live(run, 2).journal.dirty[slotFor(layout, 8)] && !sim.disk(p2).dirty(JOURNAL_FILE));
  const { state, journal } = live(run, 2);
  const medium = sim.disk(p2).medium(JOURNAL_FILE);
  const invalid = faulty.filter((slot) => medium.subarray(headerOffset(slot), headerOffset(slot) + HEADER_CELL_BYTES).every((b) => b === 0));
  if (state.status !== 'recovering' || checksumAt(state, 8) !== journal.headers[slotFor(layout, 8)]!.checksum || invalid.length !== faulty.length || !faulty.every((slot) => journal.faulty[slot])) {
    throw new ScenarioFailure(
      `p2 with op 8 clean again: expected it still recovering (op 8 came from its own prepare), slots ${faulty.join(',')} still faulty and written invalid in its header sector; got ${state.status}, faulty slots [${faulty.filter((slot) => journal.faulty[slot]).join(',')}], invalid cells [${invalid.join(',')}]`,
    );
  }
  run.note(`p2 rewrote op 8 from its own prepare while recovering; its header sector holds slots ${faulty.join(',')} invalid`);
  const again = await restartDamaged(run, 2, 'as the crash right after that header sector left it', () => undefined);
  expectFaulty(run, 2, again, { faulty, notFaulty: [1, 2, 3, 4, 5, 6, 7, 8], headAtLeast: faulty[faulty.length - 1]! }, 'a faulty slot written beside a repaired one stays faulty across a crash (@D, not @J)');
  if (live(run, 2).journal.dirty[slotFor(layout, 8)]) throw new ScenarioFailure("p2 right after its second restart: op 8's slot was written clean before the crash, but recovery did not find it so (@N eql)");
  await staysUnavailable(run, client, 9, [1, 2], 'op 9 was acked and its only intact copy is on the crashed p0');
  await backWithP0(run);
  if (!cleanThrough(run, 2, 9) || checksumAt(live(run, 2).state, 9) !== op9) throw new ScenarioFailure("p2 converged, but its journal does not hold the acked op 9 clean: it was never repaired from p0's copy");
}

/**
 * 22 (an uncommitted tail nobody can finish): ops 1-6 are committed (commit_max 6); the primary p0
 * prepares ops 7-9. Ops 7 and 8 reach no one; op 9 reaches p1 only (p2 gets none of them). p1 asks
 * p0 for the headers after its head and learns 7-9, but their prepares never come back (p0 -> p1
 * cut again), so p1 never holds or acknowledges any of them. p0 crashes. The view change starts
 * view 1 (primary p1) at exactly op 6 with commit 6: ops 7-9 are discarded, safely, as only p0 held
 * them. (TB takes op 9 into p1's journal with 7 and 8 as gaps and discards them because p2's
 * do_view_change, ending at 6, counts as the n − qr nack; this engine never lets a gap into a log:
 * p1's unfinished repair is dropped at the view change, and its do_view_change ends at 6 too.)
 * Retried, each write executes once, as ops 7-9 of view 1; back, p0 takes view 1's ops for its own.
 */
export async function uncommittedTailDiscarded(run: VsrRun): Promise<void> {
  const client = await committed(run, 6);
  const sim = simOf(run);
  const [p0, p1, p2] = [0, 1, 2].map((i) => run.cluster.id(i)) as [string, string, string];
  const write = (request: number): void =>
    void client.call(0, request, 'write', { f: 'append', key: 'k', value: `[${request}]` }).then(
      (r) => r.status === 'ok' && acked(run, client, request, r.op),
      () => undefined,
    );
  run.note('p0 -> p1 and p0 -> p2 cut one way: ops 7 and 8 reach no one');
  sim.block(p0, p1);
  sim.block(p0, p2);
  for (const [request, op] of [[6, 7], [7, 8]] as const) {
    write(request);
    await watch(run, `p0 to hold op ${op} durably (its prepares left as its write of it started)`, () => live(run, 0).state.log_durable === op);
  }
  await run.sleepTicks(1); // every prepare of ops 7 and 8 sent so far has met the cut
  // Open p0 -> p1 only while p0's prepare timeout (which resends ops 7 and 8) last fired a tick ago or more (its resends met the cut) and is 3 ticks off.
  await watch(run, "p0's prepare timeout between two firings", () => {
    const t = live(run, 0).state.timeouts.prepare;
    return t.ticking && t.ticks >= 1 && t.after - t.ticks >= 3;
  });
  sim.unblock(p0, p1);
  write(8);
  await watch(run, 'p1 to learn the headers of ops 7-9 from p0 (the repair of the gap before op 9)', () => live(run, 1).state.repair_headers.length === 3);
  sim.block(p0, p1);
  run.note("op 9 reached p1, which learned ops 7-9's headers; their prepares will not reach it");
  await run.sleepTicks(2);
  const s1 = live(run, 1).state;
  const old = [7, 8, 9].map((op) => checksumAt(live(run, 0).state, op));
  if (s1.op !== 6 || s1.log_durable !== 6) throw new ScenarioFailure(`p1 holds op ${s1.op} (durable ${s1.log_durable}): ops 7 and 8 never reached it, so it must hold nothing past op 6`);
  await run.crash(0);
  await run.waitUntil('p1 and p2 to start a new view', [1, 2], (all) => all.every((s) => s.status === 'normal' && s.view > 0), CONVERGE_TICKS);
  for (const i of [1, 2]) {
    const s = live(run, i).state;
    if (s.view !== 1 || s.op !== 6 || s.commit_max !== 6 || s.commit_min !== 6) {
      throw new ScenarioFailure(`${run.name(i)} in the new view: ops 7-9 were held by p0 alone (never committed), so view 1 (primary p1) must start at op 6 with commit 6; got view ${s.view}, op ${s.op}, commit ${s.commit_min}/${s.commit_max}`);
    }
  }
  run.note('view 1 started at op 6: ops 7-9 discarded');
  for (const request of [6, 7, 8]) {
    const r = await client.ok(`write ${request} again`, 1, request, 'write', { f: 'append', key: 'k', value: `[${request}]` });
    acked(run, client, request, r.op);
    const entry = entryAt(live(run, 1).state, r.op);
    if (r.op !== request + 1 || entry.header.view !== 1 || old.includes(entry.header.checksum)) {
      throw new ScenarioFailure(`write ${request} again: expected it executed once, as op ${request + 1} of view 1, got op ${r.op} of view ${entry.header.view}${old.includes(entry.header.checksum) ? " (p0's discarded prepare)" : ''}`);
    }
  }
  const read = await client.ok('read k', 1, 8, 'read', { f: 'get', key: 'k' });
  const want = Array.from({ length: 8 }, (_, i) => `[${i + 1}]`).join('');
  if (JSON.stringify(read.result) !== JSON.stringify({ ok: true, value: want })) throw new ScenarioFailure(`each write once: 'k' must read ${want}, but reads ${JSON.stringify(read.result)}`);
  sim.healAll();
  await run.restart(0);
  run.startLoad({ clients: 2, ops: 5 });
  await run.finish(run.all, CONVERGE_TICKS);
  const p0log = [7, 8, 9].map((op) => checksumAt(live(run, 0).state, op));
  if (p0log.some((c) => old.includes(c)) || !cleanThrough(run, 0, 9)) throw new ScenarioFailure("p0 converged, but still holds its discarded ops 7-9 of view 0");
}
