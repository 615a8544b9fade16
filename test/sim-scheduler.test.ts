// The simulator's clock and stepping rule: virtual time, event order, ties by seed, every promise
// continuation of an event before the next event, and runaway / deadlock / lab-error failures.
// handout: framework test (passes without the lab solutions)
import { expect } from 'chai';
import { SimulationFailure } from '../src/env/sim/scheduler.js';
import { SimCluster } from '../tester/sim-cluster.js';
import { assert } from '../src/assert.js';
import { get, probeCluster, probeLab } from './fixtures/sim-probe.js';

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

describe('sim scheduler', () => {
  it('fires timers in virtual time order, at exactly their time', async () => {
    const fired: [string, number][] = [];
    const cluster = await probeCluster(
      (env) => {
        for (const ms of [30, 10, 20]) env.setTimer(ms, () => fired.push([`t${ms}`, env.now()]));
        void env.sleep(15).then(() => fired.push(['sleep15', env.now()]));
      },
      { nodes: 1 },
    );
    await cluster.sleep(100);
    expect(fired).to.deep.equal([
      ['t10', 10],
      ['sleep15', 15],
      ['t20', 20],
      ['t30', 30],
    ]);
    expect(cluster.sim.now).to.equal(100);
  });

  it('moves time only while the tester waits, and by exactly what it waits', async () => {
    const cluster = await probeCluster(() => undefined, { nodes: 1 });
    expect(cluster.sim.now).to.equal(0);
    await cluster.sleep(1234);
    expect(cluster.sim.now).to.equal(1234);
    await Promise.resolve();
    expect(cluster.sim.now).to.equal(1234);
    await Promise.all([cluster.sleep(10), cluster.sleep(30)]);
    expect(cluster.sim.now).to.equal(1264);
  });

  it('runs every continuation of an event before the next event, at the same instant', async () => {
    const log: string[] = [];
    const cluster = await probeCluster(
      (env) => {
        env.setTimer(5, () => {
          log.push(`chain start @${env.now()}`);
          void (async () => {
            for (let i = 0; i < 1000; i++) await null;
            log.push(`chain done @${env.now()}`);
          })();
        });
        env.setTimer(5, () => log.push(`other @${env.now()}`));
        env.setTimer(6, () => log.push(`later @${env.now()}`));
      },
      { nodes: 1 },
    );
    await cluster.sleep(10);
    const start = log.indexOf('chain start @5');
    expect(log[start + 1]).to.equal('chain done @5');
    expect(log).to.have.length(4);
    expect(log[3]).to.equal('later @6');
  });

  it('orders events due in the same millisecond by the seed', async () => {
    async function order(seed: number): Promise<string> {
      const fired: number[] = [];
      const cluster = await probeCluster((env) => {
        for (let i = 0; i < 8; i++) env.setTimer(100, () => fired.push(i));
      }, { nodes: 1, seed });
      await cluster.sleep(101);
      expect(fired).to.have.members([0, 1, 2, 3, 4, 5, 6, 7]);
      return fired.join('');
    }
    const orders = await Promise.all([1, 2, 3, 4].map(order));
    expect(new Set(orders).size).to.be.greaterThan(1);
    expect(await order(3)).to.equal(orders[2]);
  });

  it('draws env.random() from the seed', async () => {
    const draws = async (seed: number): Promise<number[]> => {
      let values: number[] = [];
      await probeCluster((env) => {
        values = [env.random(), env.random(), env.random()];
      }, { nodes: 1, seed });
      return values;
    };
    const a = await draws(5);
    expect(await draws(5)).to.deep.equal(a);
    expect(await draws(6)).to.not.deep.equal(a);
    for (const x of a) expect(x).to.be.within(0, 0.999999999);
  });

  it('fails a runaway run (0 ms timers forever), naming the seed', async () => {
    const cluster = await probeCluster(
      (env) => {
        const spin = (): void => void env.setTimer(0, spin);
        spin();
      },
      { nodes: 1, seed: 77, limits: { maxEventsPerInstant: 5000 } },
    );
    const error = await rejection(cluster.sleep(10));
    expect(error).to.be.instanceOf(SimulationFailure);
    expect(error.message).to.match(/^simulation failed at t=0 ms \(seed 77\): runaway: more than 5000 events at t=0 ms/);
    expect(error.message).to.contain('replay: seed 77');
    expect((await rejection(cluster.sleep(10))).message).to.equal(error.message);
  });

  it('fails a run that waits for something that can never happen', async () => {
    const forever = new SimCluster({ lab: probeLab(() => new Promise<void>(() => undefined)), seed: 3, nodes: 1 });
    expect((await rejection(forever.start(0))).message).to.contain('(seed 3): the tester waits on the simulation, but no event is scheduled');
  });

  it('fails the run when lab code throws where no one can catch it, naming node and error', async () => {
    const cluster = await probeCluster(
      (env) => {
        if (env.me === 'p1') env.setTimer(50, () => { throw new Error('boom'); });
      },
      { nodes: 2, seed: 9 },
    );
    const error = await rejection(cluster.sleep(100));
    expect(error.message).to.contain('t=50 ms (seed 9): p1, timer: Error: boom');
    expect(cluster.sim.failure).to.equal(error);
  });

  it('fails the run on an invariant violation in a handler, instead of answering a remote error', async () => {
    const cluster = await probeCluster(
      (env) =>
        env.serve(get, async ({ key }) => {
          await env.sleep(1);
          assert(key !== 'bad', `n_a went backwards on ${env.me}`);
          return { value: 1 };
        }),
      { nodes: 1, seed: 4 },
    );
    const client = cluster.clientEnv('c');
    expect(await client.call('p0', get, { key: 'good' }, { timeoutMs: 100 })).to.deep.equal({ value: 1 });
    const error = await rejection(client.call('p0', get, { key: 'bad' }, { timeoutMs: 100 }));
    expect(error).to.be.instanceOf(SimulationFailure);
    expect(error.message).to.contain('(seed 4): p0, handler probe.get: InvariantViolation: n_a went backwards on p0');
  });
});
