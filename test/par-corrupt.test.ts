// `rsmlab ctl HOST:PORT corrupt --slot K --ring header|prepare` (src/control/journal-corrupt.ts):
// the bytes it damages are exactly slot K's cell of that ring, and damage there is what recovery
// classifies (a prepare cell: @C; a header cell: @E, or @F for the highest op), never another slot.
// Then the instructor's demo on real processes: a live par replica's committed op damaged through
// the CLI, the replica restarted, its trace showing the classification and the repair, and the
// cluster converged on one state with a linearizable history.
import { spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { cellRange } from '../src/control/journal-corrupt.js';
import { runCheck } from '../src/check/run.js';
import { RealCluster } from '../tester/real-cluster.js';
import { runLoad } from '../tester/rsm/run-load.js';
import { defaultTiming } from '../tester/run.js';
import { vsrStatusSchema, type VsrStatus } from '../labs/vsr/status.js';
import { JOURNAL_SHAPE } from '../src/engine/journal-storage.js';
import { headerOffset, JOURNAL_FILE, prepareOffset, type JournalLayout } from '../labs/vsr/journal/format.js';
import { recoverJournal } from '../labs/vsr/journal/recovery.js';
import { buildImage, chain, decisions, LAYOUT } from './journal-image.js';

/** XOR the cell `corrupt` would damage with non-zero noise, as the real disk's corrupt does. */
function damaged(image: Uint8Array, layout: JournalLayout, slot: number, ring: 'header' | 'prepare'): Uint8Array {
  const copy = image.slice();
  const { offset, length } = cellRange(layout, { slot, ring });
  for (let i = offset; i < offset + length; i++) copy[i] = copy[i]! ^ randomInt(1, 256);
  return copy;
}

describe('ctl corrupt: the cell it damages', () => {
  const layout: JournalLayout = { ...LAYOUT, prepare_cell_bytes: 2 * LAYOUT.sector_bytes };

  it('is slot K\'s header cell, or the first sector of its prepare cell (offsets of format.ts)', () => {
    expect(cellRange(layout, { slot: 5, ring: 'header' })).to.deep.equal({ offset: headerOffset(5), length: 1024 });
    expect(cellRange(layout, { slot: 5, ring: 'prepare' })).to.deep.equal({ offset: prepareOffset(layout, 5), length: 4096 });
    expect(prepareOffset(layout, 5)).to.equal(16 * 1024 + 5 * 8192);
    expect(cellRange(layout, { slot: 15, ring: 'prepare' }).offset + 4096).to.be.at.most(16 * 1024 + 16 * 8192);
  });

  it('refuses a slot the journal does not have', () => {
    expect(() => cellRange(layout, { slot: 16, ring: 'header' })).to.throw('no slot 16: the journal has slots 0..15');
    expect(() => cellRange(layout, { slot: -1, ring: 'prepare' })).to.throw('no slot -1');
    expect(() => cellRange(layout, { slot: 1.5, ring: 'prepare' })).to.throw('no slot 1.5');
  });

  it('is classified by recovery at that slot only: prepare → @C vsr, header → @E vsr (or @F fix for the highest op)', () => {
    const image = buildImage(layout, chain(9));
    const options = { layout, replica_count: 3, op_checkpoint: 0 };
    const clean = decisions(recoverJournal(options, image));
    const changed = (after: string[]) => after.flatMap((d, slot) => (d === clean[slot] ? [] : [`${slot} ${d}`]));
    for (let round = 0; round < 5; round++) {
      expect(changed(decisions(recoverJournal(options, damaged(image, layout, 4, 'prepare'))))).to.deep.equal(['4 @C vsr']);
      expect(changed(decisions(recoverJournal(options, damaged(image, layout, 4, 'header'))))).to.deep.equal(['4 @E vsr']);
      expect(changed(decisions(recoverJournal(options, damaged(image, layout, 9, 'header'))))).to.deep.equal(['9 @F fix']);
      expect(changed(decisions(recoverJournal(options, damaged(image, layout, 12, 'header'))))).to.deep.equal(['12 @D vsr']);
    }
  });
});

const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

function rsmlab(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

type Logged = { what: string; slot?: number; op?: number | null; case?: string; decision?: string; faulty?: number[]; from?: number | null };

/** The vsr.journal.* lines of node `index`'s trace (all its incarnations), in order. */
function journalLines(cluster: RealCluster, index: number): Logged[] {
  return readFileSync(join(cluster.nodeDir(index), 'trace.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.includes('"vsr.journal.'))
    .map((l) => (JSON.parse(l) as { detail: Logged }).detail);
}

async function statuses(cluster: RealCluster): Promise<(VsrStatus | null)[]> {
  return Promise.all([0, 1, 2].map(async (i) => {
    const s = vsrStatusSchema.safeParse(await cluster.status(i));
    return s.success ? s.data : null;
  }));
}

/** Wait until all three replicas are normal at one op, all of it committed and durable (no journal write left), and return them. */
async function converged(cluster: RealCluster): Promise<VsrStatus[]> {
  let all: (VsrStatus | null)[] = [];
  for (let tries = 0; tries < 400; tries++) {
    all = await statuses(cluster);
    const first = all[0];
    if (first && all.every((s) => s !== null && s.status === 'normal' && s.op === first.op && s.commit_min === s.op && s.log_durable === s.op)) return all as VsrStatus[];
    await cluster.sleep(50);
  }
  throw new Error(`the three replicas did not converge: ${JSON.stringify(all.map((s) => s && { status: s.status, view: s.view, op: s.op, commit_min: s.commit_min }))}`);
}

describe('ctl corrupt on a live par cluster (real processes)', function () {
  this.timeout(180_000);
  const timing = defaultTiming('real');
  let cluster: RealCluster;
  let dir: string;
  let members: string[];
  /** Every load's history, in order. */
  const histories: string[] = [];

  before(async () => {
    cluster = new RealCluster({ lab: 'par', nodes: 3, timing, app: 'kv' });
    dir = mkdtempSync(join(tmpdir(), 'par-corrupt-'));
    for (let i = 0; i < 3; i++) await cluster.start(i);
    members = [0, 1, 2].map((i) => cluster.id(i));
    histories.push(join(dir, 'before.jsonl'));
    const load = await runLoad({ lab: 'par', members, clients: 2, ops: 10, app: 'kv', history: histories[0]!, timing, seed: 1 });
    expect(load.counts).to.deep.equal({ invoke: 20, ok: 20, fail: 0, info: 0 });
    await converged(cluster);
  });

  after(async () => {
    await cluster.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Damage `ring` of `slot` on replica `index` through the CLI; check exactly that range of its journal file changed, durably. */
  async function corrupt(index: number, slot: number, ring: 'header' | 'prepare'): Promise<void> {
    await converged(cluster); // no write of the last load still under way
    const file = join(cluster.nodeDir(index), 'disk', JOURNAL_FILE);
    const before = readFileSync(file);
    const r = rsmlab('ctl', cluster.id(index), 'corrupt', '--slot', String(slot), '--ring', ring);
    expect(r.status, r.stderr).to.equal(0);
    const result = JSON.parse(r.stdout) as { offset: number; length: number; corrupted: number };
    const range = cellRange({ cluster: 0, ...JOURNAL_SHAPE }, { slot, ring });
    expect(result).to.deep.equal({ node: cluster.id(index), file: JOURNAL_FILE, slot, ring, ...range, corrupted: range.length, slot_count: JOURNAL_SHAPE.slot_count });
    const after = readFileSync(file);
    expect(after.length).to.equal(before.length);
    const changed = [...after.keys()].filter((i) => after[i] !== before[i]);
    expect(changed.length, 'every byte of the cell is XORed with non-zero noise').to.equal(range.length);
    expect([changed[0], changed.at(-1)]).to.deep.equal([range.offset, range.offset + range.length - 1]);
  }

  /** Restart replica `index` and wait until its trace shows `slot` repaired and the cluster converged. */
  async function restartAndRepair(index: number, slot: number): Promise<{ lines: Logged[]; all: VsrStatus[] }> {
    const earlier = journalLines(cluster, index).length;
    await cluster.kill(index, 'SIGTERM');
    await cluster.start(index);
    let lines: Logged[] = [];
    for (let tries = 0; tries < 400 && !lines.some((l) => l.what === 'vsr.journal.repaired' && l.slot === slot); tries++) {
      await cluster.sleep(25);
      lines = journalLines(cluster, index).slice(earlier);
    }
    return { lines, all: await converged(cluster) };
  }

  it('refuses a slot past the ring with exit 2 and changes nothing', () => {
    const file = join(cluster.nodeDir(1), 'disk', JOURNAL_FILE);
    const before = readFileSync(file);
    const slots = JOURNAL_SHAPE.slot_count;
    const r = rsmlab('ctl', cluster.id(1), 'corrupt', '--slot', String(slots), '--ring', 'header');
    expect(r.status).to.equal(2);
    expect(r.stderr).to.include(`no slot ${slots}: the journal has slots 0..${slots - 1}`);
    expect(readFileSync(file).equals(before)).to.equal(true);
  });

  for (const [ring, slot, index, expected] of [
    ['prepare', 5, 2, '@C'],
    ['header', 3, 1, '@E'],
  ] as const) {
    it(`a committed op's ${ring} cell on replica ${index}: at restart slot ${slot} is ${expected} vsr, then repaired from the others; the cluster converges`, async () => {
      await corrupt(index, slot, ring);
      const { lines, all } = await restartAndRepair(index, slot);
      const recovered = lines.find((l) => l.what === 'vsr.journal.recovered');
      expect(recovered?.faulty, JSON.stringify(lines)).to.deep.equal([slot]);
      expect(lines.filter((l) => l.what === 'vsr.journal.slot')).to.deep.equal([{ what: 'vsr.journal.slot', slot, op: slot, case: expected, decision: 'vsr' }]);
      // Recovered from the primary of view 0 (replica 0), whose answer carries its log.
      expect(lines.filter((l) => l.what === 'vsr.journal.repaired').map((l) => [l.slot, l.op, l.from])).to.deep.equal([[slot, slot, 0]]);
      expect(new Set(all.map((s) => s.state_hash)).size, 'one executed state').to.equal(1);
      expect(all[index]!.log).to.deep.equal(all[0]!.log);
      const more = await runLoad({ lab: 'par', members, clients: 2, ops: 5, app: 'kv', history: join(dir, `after-${ring}.jsonl`), timing, seed: 2 });
      expect(more.counts.ok).to.equal(10);
      histories.push(join(dir, `after-${ring}.jsonl`));
      // One history from the cluster's first op: the keys' values carry over from load to load.
      const whole = join(dir, 'whole.jsonl');
      writeFileSync(whole, histories.map((f) => readFileSync(f, 'utf8')).join(''));
      const verdict = await runCheck(whole, { model: 'kv' });
      expect(verdict.exitCode, verdict.output).to.equal(0);
    });
  }

  it("a committed op's prepare cell on every replica (more faults than the atlas allows): no view starts, and the trace says which op stalls it (last: it breaks the cluster)", async () => {
    const slot = 7;
    for (let i = 0; i < 3; i++) await corrupt(i, slot, 'prepare');
    for (let i = 0; i < 3; i++) await cluster.kill(i, 'SIGTERM');
    for (let i = 0; i < 3; i++) await cluster.start(i);
    type Stalled = { what: string; view: number; op: number; prepares: number; nacks: number; nacks_needed: number };
    const stalled = (): Stalled[] =>
      [0, 1, 2].flatMap((i) =>
        readFileSync(join(cluster.nodeDir(i), 'trace.jsonl'), 'utf8')
          .split('\n')
          .filter((l) => l.includes('"vsr.repair.stalled"'))
          .map((l) => (JSON.parse(l) as { detail: Stalled }).detail),
      );
    for (let tries = 0; tries < 600 && stalled().length === 0; tries++) await cluster.sleep(50);
    const first = stalled()[0];
    expect(first, 'a new primary says why its view change timed out').to.not.equal(undefined);
    expect(first).to.deep.include({ op: slot, prepares: 0, nacks: 0, nacks_needed: 2 });
    expect((await statuses(cluster)).every((s) => s !== null && s.status !== 'normal'), 'no replica is normal').to.equal(true);
  });
});
