// Lab 4 benchmarks. Journal recovery: a full journal of 1,024 slots (every slot holds a prepare of
// one hash chain) on a real file, opened and recovered as a replica does at startup (read both
// rings, classify every slot by the 14-case table), against reading the same bytes raw from the
// same file in the same run. It reports medians; it never asserts on time.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { figure, median, type Figure } from './figure.js';
import { RealDisk } from '../src/env/real/disk.js';
import { journalBytes, JOURNAL_FILE, type JournalLayout } from '../labs/vsr/journal/format.js';
import { openJournal } from '../labs/vsr/journal/recovery.js';
import { buildImage, chain } from '../test/journal-image.js';

const ROUNDS = 7;
const SLOTS = 1024;
/** 4 header cells per 4 KiB sector, one sector per prepare (a 5 MiB file). */
const LAYOUT: JournalLayout = { cluster: 7, slot_count: SLOTS, sector_bytes: 4096, prepare_cell_bytes: 4096 };

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
    const entries = chain(SLOTS - 1, 0, LAYOUT.cluster);
    await disk.write(JOURNAL_FILE, 0, buildImage(LAYOUT, entries));
    await disk.fsync(JOURNAL_FILE);
    const options = { layout: LAYOUT, replica_count: 3, op_checkpoint: 0 };
    const first = await openJournal(disk, options);
    const clean = first.slots.filter((s) => s.decision === 'eql').length;
    if (clean !== SLOTS || first.op_max !== SLOTS - 1) throw new Error(`bench: the full journal recovered ${clean} eql slots up to op ${first.op_max}, not ${SLOTS} up to op ${SLOTS - 1}`);
    const recover: number[] = [];
    const raw: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      recover.push(await timed(() => openJournal(disk, options)));
      raw.push(await timed(() => disk.read(JOURNAL_FILE, 0, journalBytes(LAYOUT))));
    }
    return { recoverMs: median(recover), rawMs: median(raw) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<Figure[]> {
  const { recoverMs, rawMs } = await recoverFull();
  return [figure(`par.recover_${SLOTS}_slots`, recoverMs, 'ms', rawMs)];
}
