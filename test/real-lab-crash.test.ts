// A real node that dies of its lab code's error fails the scenario's run at once, whatever the
// scenario waits on, with what the simulator would say: the node, `lab code threw: …`, where, the
// labs/ frames, the replay command and the failure's folder. Nodes the scenario kills, or that die at
// its breakpoints, fail nothing (the echo lab, and Paxos's power-accept on the reference lab).
import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fail, failIn, ping } from '../labs/echo/lab.js';
import type { z } from 'zod';
import type { Cluster } from '../tester/cluster.js';
import { failureLines } from '../tester/failure-text.js';
import { loadArtifact } from '../src/dashboard/artifact.js';
import { paxosScenarios } from '../tester/paxos/scenarios.js';
import { runScenario, type ScenarioResult } from '../tester/run.js';
import { ScenarioFailure, type Scenario, type ScenarioContext } from '../tester/scenario.js';

/** Far beyond a crash's few seconds: a run failing with this missed the crash. */
const WAIT_MS = 30_000;

/** Wait the way scenarios do: poll p0's status each 100 ms until it is `done`, or fail as timed out. */
async function waitFor(cluster: Cluster, what: string, done: (status: unknown) => boolean): Promise<void> {
  for (let waited = 0; waited < WAIT_MS; waited += 100) {
    if (done(await cluster.status(0))) return;
    await cluster.sleep(100);
  }
  throw new ScenarioFailure(`timed out after ${WAIT_MS} ms waiting for ${what}`);
}

function echoScenario(id: string, run: (ctx: ScenarioContext) => Promise<void>): Scenario {
  return { id, title: id, lab: 'echo', nodes: 2, points: 1, run };
}

/** p0 is asked to throw (in a handler, or a timer), then the scenario waits for a status that never comes. */
function throwing(where: z.infer<typeof failIn>): Scenario {
  return echoScenario(`throws-in-${where}`, async ({ cluster }) => {
    await cluster.start(0);
    await cluster.start(1);
    await cluster.clientEnv('c').call(cluster.id(0), fail, { in: where }, { timeoutMs: 1000 }).catch(() => undefined);
    await waitFor(cluster, 'p0 to count a note', (s) => (s as { notes?: number } | null)?.notes === 1);
  });
}

/** p0 killed with SIGTERM, p1 with SIGKILL through the control interface, p0 again at a breakpoint: all on purpose. */
const killsOnPurpose = echoScenario('kills', async ({ cluster }) => {
  await cluster.start(0);
  await cluster.start(1);
  await cluster.kill(0);
  await cluster.control.crash(cluster.id(1), 'SIGKILL');
  await cluster.start(0);
  await cluster.breakpoint(0, 1);
  await cluster.clientEnv('c').call(cluster.id(0), ping, { text: 'die' }, { timeoutMs: 1000 }).catch(() => undefined);
  await waitFor(cluster, 'p0 to die at breakpoint 1', (s) => s === null);
  await cluster.start(1);
  await cluster.sleep(500);
  if ((await cluster.status(1)) === null) throw new ScenarioFailure('p1 did not come back');
});

describe('a real node that dies of a lab error fails the run at once', function () {
  this.timeout(120_000);
  let artifactsDir: string;

  before(() => {
    artifactsDir = mkdtempSync(join(tmpdir(), 'rsmlab-real-lab-crash-'));
  });

  after(() => {
    rmSync(artifactsDir, { recursive: true, force: true });
  });

  function run(scenario: Scenario): Promise<ScenarioResult> {
    return runScenario(scenario, { world: 'real', seed: 3, artifactsDir });
  }

  for (const [where, whose] of [['handler', 'p0, handler echo.fail'], ['timer', 'p0']] as const) {
    it(`in a ${where}: the node, what it threw and where, its labs/ frames, the replay command and the folder`, async () => {
      const result = await run(throwing(where));
      expect(result.ok).to.equal(false);
      const text = failureLines(result).join('\n');
      expect(text, text).to.match(/^seed 3: NodeCrashed: p0 \(127\.0\.0\.1:\d+\) crashed \(exit 70\): lab code threw: echo: a lab bug thrown in a /);
      expect(text).to.contain(`lab code threw: echo: a lab bug thrown in a ${where} (in ${whose})`);
      expect(text).to.match(/\n\s+at .*labs\/echo\/lab\.ts:\d+/);
      expect(text).to.not.match(/\n\s+at .*tester\//);
      expect(text).to.contain(`rerun (real processes do not replay exactly): npx rsmlab test echo --world real --only throws-in-${where} --seed 3`);
      expect(result.artifacts).to.be.a('string');
      expect(existsSync(join(result.artifacts!, 'trace.jsonl'))).to.equal(true);
      expect(existsSync(join(result.artifacts!, 'notes.txt'))).to.equal(true);
      // The notes call the node p0 and the trace knows it by address: both files say which is which.
      const p0 = /^seed 3: NodeCrashed: p0 \((127\.0\.0\.1:\d+)\)/.exec(text)![1]!;
      expect(readFileSync(join(result.artifacts!, 'notes.txt'), 'utf8')).to.include(`\nnodes: p0 = ${p0}`);
      expect(JSON.parse(readFileSync(join(result.artifacts!, 'nodes.json'), 'utf8'))).to.include({ [p0]: 'p0' });
      expect(loadArtifact(result.artifacts!).nodeNames).to.include({ [p0]: 'p0' });
    });
  }

  it('not when the scenario kills a node, or one dies at its breakpoint', async () => {
    const result = await run(killsOnPurpose);
    expect(result.error).to.equal(undefined);
    expect(result.ok).to.equal(true);
  });

  it('not on the reference Paxos, whose power-accept kills nodes and stops one at a breakpoint', async () => {
    const result = await run(paxosScenarios.find((s) => s.id === 'power-accept')!);
    expect(result.error).to.equal(undefined);
    expect(result.ok).to.equal(true);
  });
});
