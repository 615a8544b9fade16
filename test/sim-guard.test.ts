// The determinism guards: lab code under the simulator that reaches for the clock, Math.random,
// real timers or fs fails the run with an error naming the Env call to use; the tester, mocha and
// everything else in the process keep working.
import { readFileSync } from 'node:fs';
import * as fsPromises from 'node:fs/promises';
import * as timersPromises from 'node:timers/promises';
import { expect } from 'chai';
import type { Env } from '../src/env/types.js';
import { DeterminismError } from '../src/env/sim/guard.js';
import { SimulationFailure } from '../src/env/sim/scheduler.js';
import { get, probeCluster } from './fixtures/sim-probe.js';

const forbidden: [string, () => unknown, string][] = [
  ['Date.now()', () => Date.now(), 'env.now()'],
  ['new Date()', () => new Date(), 'env.now()'],
  ['Date()', () => (Date as unknown as () => string)(), 'env.now()'],
  ['Math.random()', () => Math.random(), 'env.random()'],
  ['performance.now()', () => performance.now(), 'env.now()'],
  ['setTimeout()', () => setTimeout(() => undefined, 1), 'env.setTimer() or env.sleep()'],
  ['setInterval()', () => setInterval(() => undefined, 1), 'env.setTimer()'],
  ['setImmediate()', () => setImmediate(() => undefined), 'env.setTimer(0, fn)'],
  ['fs.readFileSync()', () => readFileSync('/etc/hostname'), 'env.disk'],
  ['fs.promises.readFile()', () => fsPromises.readFile('/etc/hostname'), 'env.disk'],
  ['timers/promises setTimeout()', () => timersPromises.setTimeout(1), 'env.setTimer() or env.sleep()'],
];

/** Run `act` in n0's handler of probe.get, with the lab catching what it throws; the run's failure. */
async function violation(act: (env: Env) => unknown): Promise<SimulationFailure> {
  const cluster = await probeCluster(
    (env) =>
      env.serve(get, () => {
        try {
          act(env);
        } catch {
          // a lab that swallows the error still fails the run
        }
        return { value: 1 };
      }),
    { nodes: 1, seed: 21 },
  );
  cluster.clientEnv('c').call('n0', get, { key: 'k' }, { timeoutMs: 100 }).catch(() => undefined); // fails with the run
  try {
    await cluster.sleep(200);
  } catch (e) {
    return e as SimulationFailure;
  }
  throw new Error('the run did not fail');
}

describe('sim determinism guards', () => {
  for (const [call, act, use] of forbidden) {
    it(`refuses ${call} in lab code, naming ${use}`, async () => {
      const failure = await violation(act);
      expect(failure).to.be.instanceOf(SimulationFailure);
      expect(failure.message).to.contain(`(seed 21): n0, determinism guard: DeterminismError: ${call} is not allowed in lab code under the simulator: use ${use} (node n0)`);
      expect(failure.cause).to.be.instanceOf(DeterminismError);
    });
  }

  it('lets lab code build dates from numbers and keeps Date itself intact', async () => {
    let made: Date | undefined;
    const cluster = await probeCluster((env) => {
      made = new Date(env.now());
    }, { nodes: 1 });
    await cluster.sleep(10);
    expect(made!.getTime()).to.equal(0);
    expect(made).to.be.instanceOf(Date);
    expect(made!.constructor).to.equal(Date);
    expect(Date.UTC(2000, 0, 1)).to.equal(946684800000);
  });

  it('never fires for the tester, between sleeps or while it waits', async () => {
    const cluster = await probeCluster((env) => env.serve(get, () => ({ value: 2 })), { nodes: 1 });
    await cluster.sleep(5);
    expect(Date.now()).to.be.greaterThan(0);
    expect(Math.random()).to.be.within(0, 1);
    const reply = await cluster.clientEnv('c').call('n0', get, { key: 'k' }, { timeoutMs: 100 });
    expect(reply).to.deep.equal({ value: 2 });
    expect(new Date().getFullYear()).to.be.greaterThan(2000);
    expect(readFileSync('/etc/hostname').length).to.be.greaterThan(0);
  });

  it('guards the lab\'s status() too, and leaves mocha\'s own timers working', async () => {
    const cluster = await probeCluster(() => () => Math.random(), { nodes: 1 });
    expect(() => cluster.sim.status('n0')).to.throw(DeterminismError, 'Math.random() is not allowed');
    await new Promise((resolve) => setTimeout(resolve, 2));
    await new Promise((resolve) => setImmediate(resolve));
    expect(await timersPromises.setTimeout(1, 'ok')).to.equal('ok');
  });
});

describe('sim determinism guards with runs side by side', () => {
  it('never mistakes one run\'s tester code for another run\'s lab code', async () => {
    const busy = await probeCluster((env) => {
      const spin = (): void => void env.setTimer(1, spin);
      spin();
    }, { nodes: 3, seed: 2 });
    const quiet = await probeCluster(() => undefined, { nodes: 1, seed: 3 });
    const tester = async (): Promise<number> => {
      let stamps = 0;
      for (let i = 0; i < 200; i++) {
        await quiet.sleep(1);
        stamps += Date.now() > 0 && Math.random() < 1 ? 1 : 0;
      }
      return stamps;
    };
    const [stamps] = await Promise.all([tester(), busy.sleep(500)]);
    expect(stamps).to.equal(200);
    expect(busy.sim.failure).to.equal(undefined);
  });
});
