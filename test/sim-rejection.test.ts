// Lab code that starts a promise and never awaits or catches it: in the real world its rejection
// crashes the node; in the simulator it fails the run, at the instant it happened, naming the error.
// A crashed node's abandoned code (NodeCrashed) is not an error. A failed call's error shows where
// lab code made the call.
// handout: framework test (passes without the lab solutions)
import { expect } from 'chai';
import { z } from 'zod';
import type { Env } from '../src/env/types.js';
import { faultSites, type FaultSites, type Lab } from '../src/lab.js';
import { SimCluster } from '../tester/sim-cluster.js';
import { method } from '../src/env/method.js';
import { get } from './fixtures/sim-probe.js';

/** A method no probe node serves: a call of it is answered -32601. */
const unserved = method('probe.unserved', z.object({ key: z.string() }), z.object({ value: z.number() }));

/** A lab whose nodes run `background` unawaited; `sites`: the fault sites it reaches (default none). */
function labWith(background: (env: Env) => Promise<void>, sites: FaultSites = faultSites()): Lab {
  return {
    name: 'background',
    sites,
    async start(env) {
      void background(env);
      return { status: () => null };
    },
  };
}

/** What a wait on the simulation failed with (its message), or null if it resolved. */
function failureOf(wait: Promise<unknown>): Promise<string | null> {
  return wait.then(
    () => null,
    (e: unknown) => (e instanceof Error ? e.message : String(e)),
  );
}

describe('simulator: unhandled rejections in lab code', () => {
  it('fail the run at the instant they happened, with the error and the replay command', async () => {
    const lab = labWith(async (env) => {
      await env.sleep(100);
      throw new Error('forgot to await this');
    });
    const cluster = new SimCluster({ lab, seed: 3, nodes: 1, replay: 'npx rsmlab sim x y --seed 3' });
    try {
      await cluster.start(0);
      const error = await failureOf(cluster.sleep(10_000));
      expect(error).to.match(/^simulation failed at t=100 ms \(seed 3\): p0, unhandled rejection in lab code .*Error: forgot to await this/);
      expect(error).to.include('replay: npx rsmlab sim x y --seed 3');
    } finally {
      await cluster.close();
    }
  });

  it('fail the run at the instant of the rejection, not of its report (the host\'s next turn, thousands of steps on)', async () => {
    const lab = labWith(async (env) => {
      void (async () => {
        for (;;) await env.sleep(1); // steps on every ms: Node reports the rejection only at the host's next turn
      })();
      await env.sleep(10);
      throw new Error('forgot to await this');
    });
    const cluster = new SimCluster({ lab, seed: 7, nodes: 1 });
    try {
      await cluster.start(0);
      const error = await failureOf(cluster.sleep(10_000));
      expect(error).to.match(/^simulation failed at t=10 ms \(seed 7\): p0, unhandled rejection in lab code .*Error: forgot to await this/);
    } finally {
      await cluster.close();
    }
  });

  it('fail the run when lab code rejects during the tester\'s last wait: finish() reports it, at its instant', async () => {
    const lab = labWith(async (env) => {
      await env.sleep(10); // the first step of the tester's wait: the loop lets the host turn after it
      await env.sleep(10);
      throw new Error('forgot to await this');
    });
    const cluster = new SimCluster({ lab, seed: 9, nodes: 1 });
    try {
      await cluster.start(0);
      await cluster.sleep(100); // resolves: Node reports the rejection at the host's next turn, after the wait
      expect(cluster.sim.failure).to.equal(undefined);
      const error = await failureOf(cluster.finish());
      expect(error).to.match(/^simulation failed at t=20 ms \(seed 9\): p0, unhandled rejection in lab code .*Error: forgot to await this/);
    } finally {
      await cluster.close();
    }
  });

  for (const [kind, peer, method, answer] of [
    ['unreachable', 'nowhere:1', get, /RpcError: probe\.get to nowhere:1: unreachable \(connection refused\)/],
    ['answered with an error', 'p1', unserved, /RpcError: probe\.unserved to p1: remote \(-32601: /],
  ] as const) {
    it(`show, for a call that failed (${kind}), the stack of lab code where it was made, not the simulator's`, async () => {
      async function askPeer(env: Env): Promise<void> {
        await env.call(peer, method, { key: 'k' }, { timeoutMs: 100 });
      }
      const cluster = new SimCluster({ lab: labWith(async (env) => (env.me === 'p0' ? askPeer(env) : undefined)), seed: 8, nodes: 2, callSites: true });
      try {
        await cluster.start(0);
        await cluster.start(1);
        const error = (await failureOf(cluster.sleep(1_000).then(() => cluster.finish()))) ?? '';
        const stack = error.slice(error.indexOf('RpcError'), error.indexOf('\n  replay:'));
        expect(stack, error).to.match(answer);
        expect(stack.split('\n')[1], error).to.match(/^ +at askPeer \(.*sim-rejection\.test\.js:\d+:\d+\)$/);
        expect(stack, error).to.not.include('/src/env/sim/');
      } finally {
        await cluster.close();
      }
    });
  }

  it('of a live run are not taken for the aftermath of another run that failed and closed meanwhile', async () => {
    // a fails on its own (a runaway of 0 ms sleeps at t=50) and closes while b runs on; b's own
    // unhandled rejection (t=100) is reported at the host's next turn, after a's close (b ticks
    // every ms, so it takes thousands of steps to reach t=10000: the loop turns the host on the way).
    const spinning = labWith(async (env) => {
      await env.sleep(50);
      for (;;) await env.sleep(0);
    });
    const forgetful = labWith(async (env) => {
      void (async () => {
        for (;;) await env.sleep(1);
      })();
      await env.sleep(100);
      throw new Error('forgot to await this');
    });
    const a = new SimCluster({ lab: spinning, seed: 5, nodes: 1, limits: { maxEventsPerInstant: 100 } });
    const b = new SimCluster({ lab: forgetful, seed: 6, nodes: 1 });
    try {
      await Promise.all([a.start(0), b.start(0)]);
      const aFailed = a.sleep(10_000).then(
        () => false,
        async () => (await a.close(), true),
      );
      const error = await failureOf(b.sleep(10_000));
      expect(await aFailed).to.equal(true);
      expect(error).to.match(/^simulation failed at t=100 ms \(seed 6\): p0, unhandled rejection in lab code .*Error: forgot to await this/);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('do not count when the node crashed at a breakpoint (its abandoned code unwinds)', async () => {
    const lab = labWith(async (env) => {
      await env.sleep(100);
      env.breakpoint(1);
    }, faultSites({ breakpoints: [1] }));
    const cluster = new SimCluster({ lab, seed: 4, nodes: 1 });
    try {
      await cluster.start(0);
      await cluster.breakpoint(0, 1);
      await cluster.sleep(10_000);
      expect(cluster.alive(0)).to.equal(false);
    } finally {
      await cluster.close();
    }
  });
});
