// Errors never vanish: a lab error thrown in any kind of handler (an RPC handler, sync or async, a
// one-way handler, a timer, a disk write's completion; the VSR engine's step, which its driver runs
// in promise continuations too) fails the simulated run with the node, where,
// its stack, the seed and the replay command, and crashes a real node (exit 70, the same in its log). Only a
// message refused at the wire boundary is dropped, and the drop is traced.
import { expect } from 'chai';
import { z } from 'zod';
import { diskWrite, fail, failNote, ping } from '../labs/echo/lab.js';
import { notice } from '../src/env/method.js';
import type { Env } from '../src/env/types.js';
import { SimulationFailure } from '../src/env/sim/scheduler.js';
import { classicTiming, scaleTiming } from '../src/timing.js';
import { RealCluster } from '../tester/real-cluster.js';
import { SimCluster } from '../tester/sim-cluster.js';
import { events } from './fixtures/sim-probe.js';
import { makeVsrLab } from '../labs/vsr/lab.js';
import { vsrInvoker } from '../labs/vsr/client.js';
import type { Event } from '../labs/vsr/engine.js';
import { labErrorsThrown } from '../tester/failure-text.js';
import { runScenario } from '../tester/run.js';
import { loadScenarios } from '../tester/index.js';
import { throwingSyncLab } from './fixtures/rsm-broken.js';

type Trigger = (client: Env, node: string) => void;

const kinds: [string, Trigger, string][] = [
  ['an RPC handler', (c, n) => void c.call(n, fail, { in: 'handler' }, { timeoutMs: 1000 }).catch(() => undefined), 'handler echo.fail'],
  ['an async RPC handler', (c, n) => void c.call(n, fail, { in: 'async' }, { timeoutMs: 1000 }).catch(() => undefined), 'handler echo.fail'],
  ['a one-way handler', (c, n) => c.send(n, failNote, {}), 'notice echo.fail_note'],
  ['a timer', (c, n) => void c.call(n, fail, { in: 'timer' }, { timeoutMs: 1000 }).catch(() => undefined), 'timer'],
  // A disk completion's callback runs in a promise chain: its rejection is one nobody caught.
  ['a disk completion', (c, n) => void c.call(n, fail, { in: 'disk' }, { timeoutMs: 1000 }).catch(() => undefined), 'unhandled rejection in lab code'],
];

const thrownIn: Record<string, string> = {
  'an RPC handler': 'a handler',
  'an async RPC handler': 'an async handler',
  'a one-way handler': 'a notice handler',
  'a timer': 'a timer',
  'a disk completion': 'a disk completion',
};

describe('lab errors in the simulator', () => {
  for (const [kind, trigger, where] of kinds) {
    it(`fail the run when ${kind} throws: where, stack, seed and replay command`, async () => {
      const cluster = new SimCluster({ lab: 'echo', seed: 17, nodes: 1, replay: 'npx rsmlab test echo x --seed 17' });
      try {
        await cluster.start(0);
        trigger(cluster.clientEnv('c'), cluster.id(0));
        const waited = await cluster.sleep(1000).then(
          () => undefined,
          (e: unknown) => e,
        );
        // An unhandled rejection is reported when the host's event loop turns, which may be after the wait.
        await new Promise((resolve) => setImmediate(resolve));
        const failure = waited ?? cluster.sim.failure;
        expect(failure).to.be.instanceOf(SimulationFailure);
        const message = (failure as SimulationFailure).message;
        expect(message).to.match(/^simulation failed at t=\d+ ms \(seed 17\): /);
        expect(message).to.contain(`p0, ${where}`); // whose code threw, as for every kind
        expect(message).to.contain(`TypeError: echo: a lab bug thrown in ${thrownIn[kind]}`);
        expect(message).to.match(/\n\s+at .*labs\/echo\/lab\.js:\d+/); // the stack, down to the lab's line
        expect(message).to.contain('replay: npx rsmlab test echo x --seed 17');
      } finally {
        await cluster.close();
      }
    });
  }

  it('name the node whose disk completion threw, among nodes all busy on their disks', async () => {
    const cluster = new SimCluster({ lab: 'echo', seed: 19, nodes: 3 });
    try {
      await Promise.all([0, 1, 2].map((i) => cluster.start(i)));
      const client = cluster.clientEnv('c');
      for (const i of [0, 1, 2]) void client.call(cluster.id(i), diskWrite, { file: 'busy', offset: 0, length: 64, fill: i }, { timeoutMs: 1000 }).catch(() => undefined);
      void client.call(cluster.id(1), fail, { in: 'disk' }, { timeoutMs: 1000 }).catch(() => undefined);
      const waited = await cluster.sleep(1000).then(
        () => undefined,
        (e: unknown) => e,
      );
      await new Promise((resolve) => setImmediate(resolve));
      expect(((waited ?? cluster.sim.failure) as SimulationFailure).message).to.contain('p1, unhandled rejection in lab code');
    } finally {
      await cluster.close();
    }
  });

  // The driver steps the engine in promise continuations too (the requests of one job, a write's
  // completion): a throw there is the engine's, never "a promise nobody awaited".
  for (const kind of ['requests', 'written'] as const) {
    it(`fail the run when the VSR engine's step throws on a ${kind} event: the node, the step, the stack, at once`, async () => {
      const throwOn = (state: { config: { replica: number } }, event: Event): void => {
        if (state.config.replica === 0 && event.kind === kind) throw new TypeError(`vsr: a lab bug thrown in a ${kind} step`);
      };
      const cluster = new SimCluster({ lab: makeVsrLab({ afterStep: throwOn }), seed: 21, nodes: 3, replay: 'npx rsmlab test vsr x --seed 21' });
      try {
        for (const i of [0, 1, 2]) await cluster.start(i);
        const replicas = [0, 1, 2].map((i) => cluster.id(i));
        const invoke = vsrInvoker((c) => cluster.clientEnv(c), { replicas, timing: cluster.timing, giveUpMs: 5000 })('c');
        void invoke({ f: 'put', key: 'k', value: '1' }).catch(() => undefined);
        const failure = await cluster.sleep(5000).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(failure).to.be.instanceOf(SimulationFailure);
        const message = (failure as SimulationFailure).message;
        expect(message).to.match(new RegExp(`^simulation failed at t=\\d+ ms \\(seed 21\\): p0, engine step: ${kind}: TypeError: vsr: a lab bug thrown in a ${kind} step\n\\s+at .*throwOn `));
        expect(message).to.not.contain('unhandled rejection');
        expect(message).to.contain('replay: npx rsmlab test vsr x --seed 21');
        expect(labErrorsThrown(failure)).to.deep.equal([`vsr: a lab bug thrown in a ${kind} step (in p0, engine step: ${kind})`]);
      } finally {
        await cluster.close();
      }
      // The error, thrown on to stop its continuation, rejects too: no failure of the next run (a shrinker's, a lane's seed).
      const next = new SimCluster({ lab: 'vsr', seed: 22, nodes: 3 });
      try {
        for (const i of [0, 1, 2]) await next.start(i);
        const replicas = [0, 1, 2].map((i) => next.id(i));
        const invoke = vsrInvoker((c) => next.clientEnv(c), { replicas, timing: next.timing, giveUpMs: 5000 })('c');
        expect(await invoke({ f: 'put', key: 'k', value: '1' })).to.deep.include({ ok: true });
      } finally {
        await next.close();
      }
    });
  }

  it('fail the run when lab code throws in a given background loop (the RSM\'s recovery loop), as a lab error, not an unhandled rejection', async () => {
    const run = await runScenario((await loadScenarios('rsm')).find((s) => s.id === '8')!, { world: 'sim', seed: 1, lab: throwingSyncLab, quiet: true });
    expect(run.ok).to.equal(false);
    expect(run.error).to.match(/p0, rsm recovery loop/);
    expect(run.error).to.contain('Error: TODO: rsm.syncWithBackups (view 1)');
    expect(run.error).to.not.contain('unhandled rejection');
  });

  it('drop (and trace) only the notices refused at the wire boundary', async () => {
    const cluster = new SimCluster({ lab: 'echo', seed: 18, nodes: 1 });
    try {
      await cluster.start(0);
      const client = cluster.clientEnv('c');
      client.send(cluster.id(0), notice('echo.note', z.object({ text: z.number() })), { text: 5 });
      client.send(cluster.id(0), notice('echo.nothing', z.object({})), {});
      expect(await client.call(cluster.id(0), ping, { text: 'alive' }, { timeoutMs: 1000 })).to.deep.equal({ text: 'alive', count: 0 });
      const drops = await events(cluster, 'drop');
      expect(drops.map((e) => (e.detail as { reason: string }).reason).sort()).to.deep.equal(['invalid params for echo.note: text: Invalid input: expected string, received number', 'no handler for notice echo.nothing']);
      expect((await events(cluster, 'deliver')).map((e) => (e.msg as { method: string }).method)).to.deep.equal(['echo.ping', 'echo.ping']);
    } finally {
      await cluster.close();
    }
  });
});

describe('lab errors in the real world', function () {
  let cluster: RealCluster;
  let client: Env;

  before(async function () {
    cluster = new RealCluster({ lab: 'echo', nodes: 1, timing: scaleTiming(classicTiming, 0.1) });
    client = cluster.clientEnv('tester');
  });

  after(async function () {
    await cluster?.close();
  });

  for (const [kind, trigger, where] of kinds) {
    it(`crash the node when ${kind} throws: exit 70, the node, where, the error and its stack in the node's log`, async function () {
      await cluster.start(0);
      expect((await client.call(cluster.id(0), ping, { text: 'up' }, { timeoutMs: 5000 })).text).to.equal('up');
      trigger(client, cluster.id(0));
      expect(await cluster.exited(0)).to.deep.equal({ code: 70, signal: null });
      const log = cluster.logTail(0, 40);
      const me = cluster.id(0);
      // A handler's error is a LabError naming where; a timer's is thrown as it is (the node still names itself).
      const named = where.startsWith('unhandled') ? `rsmlab node ${me}: ${where}` : where === 'timer' ? `rsmlab node ${me}: TypeError` : `${me}: ${where} threw: `;
      expect(log).to.contain(named);
      expect(log).to.contain(`TypeError: echo: a lab bug thrown in ${thrownIn[kind]}`);
      expect(log).to.match(/at .*labs\/echo\/lab\.ts:\d+/);
    });
  }

  it('drop (and trace) a notice refused at the wire boundary, and keep serving', async function () {
    await cluster.start(0);
    client.send(cluster.id(0), notice('echo.note', z.object({ text: z.number() })), { text: 5 });
    expect((await client.call(cluster.id(0), ping, { text: 'still up' }, { timeoutMs: 5000 })).text).to.equal('still up');
    let trace: string[] = [];
    for (let i = 0; i < 100 && trace.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20)); // the node's trace file is flushed within 20 ms
      trace = (await cluster.traceJsonl()).split('\n').filter((l) => l.includes('"drop"') && l.includes('echo.note'));
    }
    expect(trace).to.have.length(1);
    expect(trace[0]).to.contain('invalid params for echo.note: text: ');
    expect(cluster.alive(0)).to.equal(true);
  });
});
