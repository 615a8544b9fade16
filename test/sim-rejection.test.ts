// Lab code that starts a promise and never awaits or catches it: in the real world its rejection
// crashes the node; in the simulator it fails the run, at the instant it happened, naming the error.
// A crashed node's abandoned code (NodeCrashed) is not an error.
// handout: framework test (passes without the lab solutions)
import { expect } from 'chai';
import type { Env } from '../src/env/types.js';
import { faultSites, type FaultSites, type Lab } from '../src/lab.js';
import { SimCluster } from '../tester/sim-cluster.js';

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

describe('simulator: unhandled rejections in lab code', () => {
  it('fail the run at the instant they happened, with the error and the replay command', async () => {
    const lab = labWith(async (env) => {
      await env.sleep(100);
      throw new Error('forgot to await this');
    });
    const cluster = new SimCluster({ lab, seed: 3, nodes: 1, replay: 'npx rsmlab sim x y --seed 3' });
    try {
      await cluster.start(0);
      const error = await cluster.sleep(10_000).then(
        () => null,
        (e: unknown) => (e instanceof Error ? e.message : String(e)),
      );
      expect(error).to.match(/^simulation failed at t=100 ms \(seed 3\): p0, unhandled rejection in lab code .*Error: forgot to await this/);
      expect(error).to.include('replay: npx rsmlab sim x y --seed 3');
    } finally {
      await cluster.close();
    }
  });

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
      const error = await b.sleep(10_000).then(
        () => null,
        (e: unknown) => (e instanceof Error ? e.message : String(e)),
      );
      expect(await aFailed).to.equal(true);
      expect(error).to.match(/^simulation failed at t=\d+ ms \(seed 6\): p0, unhandled rejection in lab code .*Error: forgot to await this/);
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
