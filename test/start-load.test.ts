// rsmlab start's endless light load over real processes: each round makes fresh client envs, and a
// finished round's envs are closed before the next round starts. Kept, every round's envs would hold
// their connections to the nodes and their trace files' descriptors for as long as the lecture runs
// (about 40 more a minute in the start process, and the primary's side of each connection).
import { expect } from 'chai';
import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { RealCluster } from '../tester/real-cluster.js';
import { lightLoad } from '../src/cli/start-command.js';
import { classicTiming, realTiming } from '../src/timing.js';

/** How many of this process's descriptors are open on a file under `dir` (Linux; undefined elsewhere). */
function descriptorsUnder(dir: string): number | undefined {
  if (!existsSync('/proc/self/fd')) return undefined;
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(join('/proc/self/fd', fd)).startsWith(`${dir}/`)) n++;
    } catch {
      // closed between the listing and the look
    }
  }
  return n;
}

describe('rsmlab start: the light load between rounds', function () {
  const ROUNDS = 4;
  let cluster: RealCluster | undefined;
  let stopping = false;

  after(async function () {
    stopping = true;
    await cluster?.close();
  });

  it(`closes each finished round's client envs: after ${ROUNDS} rounds none is open and no client trace file is held`, async function () {
    cluster = new RealCluster({ lab: 'rsm', app: 'kv', nodes: 3, timing: realTiming(classicTiming, 0.2) });
    for (let i = 0; i < 3; i++) await cluster.start(i, { first: 0 });
    const c = cluster;
    const clientDir = join(c.dir, 'clients');
    const seen: { round: number; open: number; descriptors: number | undefined; files: number }[] = [];
    await new Promise<void>((resolve) => {
      lightLoad(c, { lab: 'rsm', nodes: 3, clients: 2 }, 'kv', () => stopping || seen.length >= ROUNDS, { ops: 3, thinkMs: 0 }, (round) => {
        seen.push({ round, open: c.openClients, descriptors: descriptorsUnder(clientDir), files: readdirSync(clientDir).length });
        if (seen.length >= ROUNDS) resolve();
      });
    });
    expect(seen.map((s) => s.round)).to.deep.equal([1, 2, 3, 4]);
    // Each round's 3 envs (2 clients and the clock) wrote their trace files, which stay on disk...
    for (const s of seen) expect(s.files, `round ${s.round}`).to.be.at.least(2 * s.round);
    // ...but none of them is still open once its round is over.
    expect(seen.map((s) => s.open)).to.deep.equal([0, 0, 0, 0]);
    if (seen[0]!.descriptors !== undefined) expect(seen.map((s) => s.descriptors)).to.deep.equal([0, 0, 0, 0]);
  });
});
