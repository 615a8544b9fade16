// Each lab's declared fault sites (Lab.sites) against what its code reaches, read from its source:
// every env.breakpoint(N), env.partitionPoint() and env.faultPoint(NAME) under the folders the lab
// runs; and a simulated Lab 1 node's control refusing the rest. It reads the reference solutions,
// so it stays out of the hand-out (its stubs reach less).
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { filesUnder } from '../src/files-under.js';
import { FAULT_POINTS } from '../src/engine/driver.js';
import type { FaultSites } from '../src/lab.js';
import type { BreakpointNumber } from '../src/env/types.js';
import { labNames, loadLab, type LabName } from '../labs/index.js';
import { SimCluster } from '../tester/sim-cluster.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));

/** A breakpoint call's argument, as the number it names. */
const BREAKPOINTS: Record<string, BreakpointNumber | undefined> = { '1': 1, '2': 2, '3': 3, '4': 4 };

/** The source folders each lab's code runs from (a lab over another lab's protocol runs its code too). */
const FOLDERS: Record<LabName, string[]> = {
  echo: ['labs/echo'],
  paxos: ['labs/paxos', 'labs/config'],
  rsm: ['labs/rsm', 'labs/config', 'labs/paxos'],
  vsr: ['labs/vsr', 'src/engine'],
  par: ['labs/vsr', 'src/engine'],
};

/** `text` without its comments (a comment may name a call it does not make). */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
}

/** A fault point call's argument as a name: a string literal, or one of the driver's FAULT_POINTS. */
function faultPointName(arg: string, where: string): string {
  const literal = /^(['"])([^'"]+)\1$/.exec(arg);
  if (literal) return literal[2]!;
  const named = /^FAULT_POINTS\.(\w+)$/.exec(arg);
  const value = named ? Object.entries(FAULT_POINTS).find(([key]) => key === named[1])?.[1] : undefined;
  if (value === undefined) throw new Error(`${where}: faultPoint(${arg}): not a name this test can read (a string literal or FAULT_POINTS.key)`);
  return value;
}

/** One source's calls, each checked to be readable (a breakpoint's number as a literal). */
function callsIn(file: string): { breakpoints: BreakpointNumber[]; partitionPoint: boolean; faultPoints: string[] } {
  const text = code(readFileSync(file, 'utf8'));
  const where = relative(repo, file);
  const breakpoints = [...text.matchAll(/\.breakpoint\(([^)]*)\)/g)].map((m) => {
    const n = BREAKPOINTS[m[1]!];
    if (n === undefined) throw new Error(`${where}: breakpoint(${m[1]}): not a number 1-4 this test can read`);
    return n;
  });
  const faultPoints = [...text.matchAll(/\.faultPoint\(([^)]*)\)/g)].map((m) => faultPointName(m[1]!.trim(), where));
  return { breakpoints, partitionPoint: /\.partitionPoint\(\)/.test(text), faultPoints };
}

/** What the code under `folders` reaches, as Lab.sites declares it (sorted, each once). */
function reachedSites(folders: readonly string[]): FaultSites {
  const files = folders.flatMap((f) => filesUnder(join(repo, f))).filter((f) => f.endsWith('.ts'));
  const calls = files.map(callsIn);
  const once = <T>(xs: T[]): T[] => [...new Set(xs)].sort();
  return {
    breakpoints: once(calls.flatMap((c) => c.breakpoints)),
    partitionPoint: calls.some((c) => c.partitionPoint),
    faultPoints: once(calls.flatMap((c) => c.faultPoints)),
  };
}

/** Lab.sites in the same order as reachedSites (a duplicate stays, and fails the comparison). */
function sorted(sites: FaultSites): FaultSites {
  return { breakpoints: [...sites.breakpoints].sort(), partitionPoint: sites.partitionPoint, faultPoints: [...sites.faultPoints].sort() };
}

describe('every lab declares the fault sites its code reaches (Lab.sites)', () => {
  for (const name of labNames) {
    it(`${name}: its breakpoints, partitionPoint() and fault points, as its sources under ${FOLDERS[name].join(', ')} call them`, async () => {
      const lab = await loadLab(name);
      expect(sorted(lab.sites)).to.deep.equal(reachedSites(FOLDERS[name]));
    });
  }

  it('the source scan reads what it must: Lab 1 reaches breakpoints 3 and 4 only, VSR its driver\'s fault points', () => {
    expect(reachedSites(['labs/paxos'])).to.deep.equal({ breakpoints: [3, 4], partitionPoint: false, faultPoints: [] });
    expect(reachedSites(['src/engine']).faultPoints).to.deep.equal(Object.values(FAULT_POINTS).sort());
    expect(reachedSites(['labs/echo'])).to.deep.equal({ breakpoints: [1], partitionPoint: true, faultPoints: ['echo.ping'] });
  });
});

describe('the fault sites of a simulated Lab 1 node', () => {
  it('a simulated Lab 1 node reports its sites in status and refuses a deferred partition, breakpoints 1 and 2 and any fault point; breakpoint 3 arms', async () => {
    const cluster = new SimCluster({ lab: 'paxos', seed: 1, nodes: 1, keepTrace: false });
    try {
      await cluster.start(0);
      const p0 = cluster.id(0);
      const c = cluster.control;
      const refusals = await Promise.all([c.partition(p0), c.breakpoint(p0, 1), c.breakpoint(p0, 2), c.faultPoint(p0, 'paxos.accept')].map((p) => p.then(() => 'armed', (e: unknown) => String(e))));
      const reaches = 'It reaches: breakpoints 3, 4; fault points none; partitionPoint() never (partition --now cuts at once)';
      expect(refusals).to.deep.equal([
        `Error: this node's lab (paxos) never reaches a partitionPoint(), so an armed partition would never cut. ${reaches}`,
        `Error: this node's lab (paxos) never reaches breakpoint 1: arming it would do nothing. ${reaches}`,
        `Error: this node's lab (paxos) never reaches breakpoint 2: arming it would do nothing. ${reaches}`,
        `Error: this node's lab (paxos) never reaches fault point 'paxos.accept': arming it would do nothing. ${reaches}`,
      ]);
      expect(await c.breakpoint(p0, 3)).to.deep.equal({ breakpoints: [3] });
      const status = await c.status(p0);
      expect([status.breakpoints, status.partitionArmed, status.sites]).to.deep.equal([[3], false, { breakpoints: [3, 4], partitionPoint: false, faultPoints: [] }]);
    } finally {
      await cluster.close();
    }
  });
});
