// Lab 4 benchmarks, each a median of several runs; they report and never assert on time.
// - Journal recovery: a full journal of 1,024 slots (every slot holds a prepare of one hash chain)
//   on a real file, opened and recovered as a replica does at startup (read both rings, classify
//   every slot by the 14-case table), against reading the same bytes raw from the same file.
// - Repair: a committed op's prepare damaged on a live replica (rsmlab ctl corrupt's code path),
//   the replica restarted: the time from its recovery finding the slot faulty to the slot clean
//   again on its disk (its own trace: vsr.journal.recovered → vsr.journal.repaired), against the
//   1.2 ms PAR (FAST '18, §5) reports for one repair.
// - Lab 3's throughput benchmark (64 clients, 3 replica processes with fsync) on the journal, against
//   the same run on Lab 3's log, round for round (fewer ops per client than bench/vsr.ts: the
//   journal has no checkpoints yet, so a cluster takes 1,023 ops at most).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { figure, median, type Figure } from './figure.js';
import { RealDisk } from '../src/env/real/disk.js';
import { corruptJournal } from '../src/control/journal-corrupt.js';
import { classicTiming } from '../src/timing.js';
import { JOURNAL_SHAPE } from '../src/engine/journal-storage.js';
import { journalBytes, JOURNAL_FILE, type JournalLayout } from '../labs/vsr/journal/format.js';
import { openJournal } from '../labs/vsr/journal/recovery.js';
import { RealCluster } from '../tester/real-cluster.js';
import { runLoad } from '../tester/rsm/run-load.js';
import { throughput } from '../tester/vsr/throughput.js';
import { buildImage, chain } from '../test/journal-image.js';

const RECOVERY_ROUNDS = 7;
/** The par lab's own journal: 1,024 slots of one 4 KiB prepare sector each, four headers per sector. */
const LAYOUT: JournalLayout = { cluster: 7, ...JOURNAL_SHAPE };
const REPAIRS = [3, 7, 11];
/** PAR's one repair (Alagappan et al., FAST '18, §5: 1.2 ms, 7 KB). */
const PAR_REPAIR_MS = 1.2;
/** One round each keeps npm test's bench block short (each round starts 3 replica processes); run the bench 3 times for medians. */
const THROUGHPUT_ROUNDS = 1;
const CLIENTS = 64;
/** Ops per client: 64 client sessions, 64 warm-up puts and 64 × 13 puts fit the journal's 1,023 ops (no checkpoints yet). */
const OPS_PER_CLIENT = 13;

async function timed(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

/** Median ms to recover the full journal, and to read its bytes raw, alternating (same file, same page cache). */
async function recoverFull(): Promise<{ recoverMs: number; rawMs: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'rsmlab-bench-par-'));
  try {
    const disk = new RealDisk(dir);
    const slots = LAYOUT.slot_count;
    await disk.write(JOURNAL_FILE, 0, buildImage(LAYOUT, chain(slots - 1, 0, LAYOUT.cluster)));
    await disk.fsync(JOURNAL_FILE);
    const options = { layout: LAYOUT, replica_count: 3, op_checkpoint: 0 };
    const first = await openJournal(disk, options);
    const clean = first.slots.filter((s) => s.decision === 'eql').length;
    if (clean !== slots || first.op_max !== slots - 1) throw new Error(`bench: the full journal recovered ${clean} eql slots up to op ${first.op_max}, not ${slots} up to op ${slots - 1}`);
    const recover: number[] = [];
    const raw: number[] = [];
    for (let round = 0; round < RECOVERY_ROUNDS; round++) {
      recover.push(await timed(() => openJournal(disk, options)));
      raw.push(await timed(() => disk.read(JOURNAL_FILE, 0, journalBytes(LAYOUT))));
    }
    return { recoverMs: median(recover), rawMs: median(raw) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

type Logged = { t: number; detail: { what?: string; slot?: number } };

/** Node `index`'s vsr.journal.* trace lines from its latest start on. */
function journalEvents(cluster: RealCluster, index: number): Logged[] {
  const lines = readFileSync(join(cluster.nodeDir(index), 'trace.jsonl'), 'utf8').split('\n');
  const start = lines.findLastIndex((l) => l.includes('"kind":"start"'));
  return lines.slice(start).filter((l) => l.includes('"vsr.journal.')).map((l) => JSON.parse(l) as Logged);
}

/** Per repair: ms from replica 2's recovery finding `slot` faulty to the slot clean again (its trace's clock). */
async function repairs(): Promise<number[]> {
  const cluster = new RealCluster({ lab: 'par', nodes: 3, timing: classicTiming, app: 'kv' });
  try {
    for (const i of [0, 1, 2]) await cluster.start(i);
    const members = [0, 1, 2].map((i) => cluster.id(i));
    const load = await runLoad({ lab: 'par', members, clients: 4, ops: 10, app: 'kv', timing: classicTiming, seed: 1 });
    if (load.counts.ok !== 40) throw new Error(`bench: ${load.counts.ok} of 40 ops completed on the par cluster`);
    const ms: number[] = [];
    for (const slot of REPAIRS) {
      await corruptJournal(cluster.control, cluster.id(2), { slot, ring: 'prepare' });
      await cluster.kill(2, 'SIGTERM');
      await cluster.start(2);
      let events: Logged[] = [];
      const repaired = (): Logged | undefined => events.find((e) => e.detail.what === 'vsr.journal.repaired' && e.detail.slot === slot);
      for (let tries = 0; tries < 400 && repaired() === undefined; tries++) {
        await cluster.sleep(25);
        events = journalEvents(cluster, 2);
      }
      const found = events.find((e) => e.detail.what === 'vsr.journal.recovered');
      if (found === undefined || repaired() === undefined) throw new Error(`bench: replica 2 did not repair slot ${slot}: ${JSON.stringify(events)}`);
      ms.push(repaired()!.t - found.t);
    }
    return ms;
  } finally {
    await cluster.close();
  }
}

/** Lab 3's ops/s on the log and on the journal, alternating round by round. */
async function throughputs(): Promise<{ log: number; journal: number }> {
  const log: number[] = [];
  const journal: number[] = [];
  for (let round = 0; round < THROUGHPUT_ROUNDS; round++) {
    log.push((await throughput({ clients: CLIENTS, opsPerClient: OPS_PER_CLIENT, lab: 'vsr' })).opsPerSecond);
    journal.push((await throughput({ clients: CLIENTS, opsPerClient: OPS_PER_CLIENT, lab: 'par' })).opsPerSecond);
  }
  return { log: median(log), journal: median(journal) };
}

export async function run(): Promise<Figure[]> {
  const { recoverMs, rawMs } = await recoverFull();
  const repairMs = median(await repairs());
  const { log, journal } = await throughputs();
  return [
    figure(`par.recover_${LAYOUT.slot_count}_slots`, recoverMs, 'ms', rawMs),
    figure('par.repair_1_committed_op', repairMs, 'ms', PAR_REPAIR_MS),
    figure(`par.ops_${CLIENTS}_clients_fsync_journal_vs_log`, journal, 'ops/s', log),
  ];
}
