// A real-world wait that times out says why each node gave no status: running but not answering
// (its code never returns to its event loop, as a loop that never ends leaves it), or not running.
import { expect } from 'chai';
import { RealCluster } from '../tester/real-cluster.js';
import { PaxosObserver } from '../tester/paxos/observer.js';
import { classicTiming, scaleTiming } from '../src/timing.js';

describe('real world: a wait that times out names each silent node', function () {
  this.timeout(60_000);

  it('a node stopped with SIGSTOP (running, as if stuck in a loop) "runs but does not answer"; a killed one is "not running"', async () => {
    const cluster = new RealCluster({ lab: 'paxos', nodes: 3, timing: scaleTiming(classicTiming, 0.1) });
    try {
      for (const i of [0, 1, 2]) await cluster.start(i);
      process.kill(cluster.pid(1)!, 'SIGSTOP');
      await cluster.kill(2, 'SIGKILL');
      const observer = new PaxosObserver({ cluster, seed: 1, random: () => 0.5, faults: () => 0.5, note: () => undefined, attach: () => undefined, attachHistory: () => undefined });
      const failure = await observer.waitFor('a view that never comes', [0, 1, 2], () => false, 3).then(
        () => 'no failure',
        (e: unknown) => String(e),
      );
      expect(failure, failure).to.match(/timed out after 3 seed-seconds .* waiting for a view that never comes; last seen: p0 \(\S+\): view \d+/);
      expect(failure).to.match(/; p1 \(\S+\): no status: its process runs but does not answer \(code stuck in a loop\?/);
      expect(failure).to.match(/; p2 \(\S+\): no status \(not running\)$/);
    } finally {
      await cluster.close();
    }
  });
});
