// Tests of the data directory's claim (src/env/real/dir-lock.ts) by real processes: racers started
// together on a directory whose node.pid is stale (left by a kill -9) take it over one at a time.
// handout: framework test (passes without the lab solutions)
import { expect } from 'chai';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const racer = fileURLToPath(new URL('./fixtures/claim-dir.js', import.meta.url));

/** The pid of a process that has exited (a node killed -9 leaves such a pid in node.pid). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

/** What one racer said (`won`, or `lost` and why), once it has claimed or failed to. */
function said(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      if (out.endsWith('\n')) resolve(out.trim());
    });
    child.once('exit', (code) => reject(new Error(`racer exited (${code}) before it said anything: ${out}`)));
  });
}

/** Start `n` racers that claim `dir` at one instant; resolve with what each said, while all still hold what they took. */
async function race(dir: string, n: number): Promise<{ outcomes: string[]; children: ChildProcess[] }> {
  const goAt = Date.now() + 1500 + 150 * n; // after every racer has started (node's start-up, on a busy machine)
  const children = Array.from({ length: n }, () => spawn(process.execPath, [racer, 'node', '--dir', dir, String(goAt)], { stdio: ['pipe', 'pipe', 'inherit'] }));
  try {
    return { outcomes: await Promise.all(children.map(said)), children };
  } catch (e) {
    for (const child of children) child.kill('SIGKILL');
    throw e;
  }
}

describe('dir lock: one node process per data directory', () => {
  it('many racers started together on a stale node.pid (or a half-done takeover of it): exactly one takes it over, the rest are told it is in use', async function () {
    this.timeout(120_000);
    const base = mkdtempSync(join(tmpdir(), 'rsmlab-dir-lock-'));
    try {
      for (let round = 0; round < 6; round++) {
        const dir = join(base, `round-${round}`);
        mkdirSync(dir);
        const stale = deadPid();
        writeFileSync(join(dir, 'node.pid'), `${stale}\n`);
        // Odd rounds: a process that was taking over from the stale pid was killed half-way, its token left behind.
        if (round % 2 === 1) writeFileSync(join(dir, `node.pid.after-${stale}`), `${deadPid()}\n`);
        const { outcomes, children } = await race(dir, 8);
        try {
          const winners = children.filter((_, i) => outcomes[i] === 'won');
          expect(winners.length, `round ${round}: ${outcomes.join(' | ')}`).to.equal(1);
          expect(readFileSync(join(dir, 'node.pid'), 'utf8'), 'node.pid names the winner').to.equal(`${winners[0]!.pid}\n`);
          for (const outcome of outcomes.filter((o) => o !== 'won')) {
            expect(outcome).to.match(new RegExp(`^lost --dir .* is in use by node process ${winners[0]!.pid} \\(.*node\\.pid\\): two nodes on one data directory would corrupt its disk$`));
          }
          expect(readdirSync(dir), 'nothing of the takeover is left behind').to.deep.equal(['node.pid']);
        } finally {
          for (const child of children) child.stdin!.end();
          await Promise.all(children.map((child) => new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(null)))));
        }
        expect(readdirSync(dir), 'the winner removed node.pid at its clean exit').to.deep.equal([]);
      }
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});
