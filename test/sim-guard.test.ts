// The determinism guards: lab code under the simulator that reaches for the clock, Math.random,
// real timers or fs fails the run with an error naming the Env call to use; the tester, mocha and
// everything else in the process keep working.
// handout: framework test (passes without the lab solutions)
import { spawnSync } from 'node:child_process';
import crypto, { randomUUID } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as fsPromises from 'node:fs/promises';
import * as timersPromises from 'node:timers/promises';
import { expect } from 'chai';
import type { Env } from '../src/env/types.js';
import { DeterminismError } from '../src/env/sim/guard.js';
import { SimulationFailure } from '../src/env/sim/scheduler.js';
import { get, probeCluster } from './fixtures/sim-probe.js';

const NONCE = 'env.nonce() for unique ids, env.random() for numbers';

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
  ['crypto.randomUUID()', () => crypto.randomUUID(), NONCE],
  ['crypto.randomUUID()', () => randomUUID(), NONCE], // a named import of node:crypto
  ['crypto.randomBytes()', () => crypto.randomBytes(8), NONCE],
  ['crypto.randomInt()', () => crypto.randomInt(10), NONCE],
  ['crypto.getRandomValues()', () => crypto.getRandomValues(new Uint8Array(4)), NONCE],
  ['crypto.getRandomValues()', () => crypto.webcrypto.getRandomValues(new Uint8Array(4)), NONCE],
  ['crypto.randomUUID()', () => globalThis.crypto.randomUUID(), NONCE],
  ['process.nextTick()', () => process.nextTick(() => undefined), 'env.setTimer(0, fn)'],
  ['queueMicrotask()', () => queueMicrotask(() => undefined), 'env.setTimer(0, fn) or an await'],
  ['performance.mark()', () => performance.mark('x'), 'env.now()'],
  ['performance.timeOrigin', () => performance.timeOrigin, 'env.now()'],
  ['process.hrtime()', () => process.hrtime(), 'env.now()'],
  ['process.hrtime.bigint()', () => process.hrtime.bigint(), 'env.now()'],
];

/** Run `act` in p0's handler of probe.get, with the lab catching what it throws; the run's failure. */
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
  cluster.clientEnv('c').call('p0', get, { key: 'k' }, { timeoutMs: 100 }).catch(() => undefined); // fails with the run
  try {
    await cluster.sleep(200);
  } catch (e) {
    return e as SimulationFailure;
  }
  throw new Error('the run did not fail');
}

describe('sim determinism guards', () => {
  for (const [call, act, use] of forbidden) {
    it(`refuses ${act.toString().slice(6)} in lab code as ${call}, naming ${use}`, async () => {
      const failure = await violation(act);
      expect(failure).to.be.instanceOf(SimulationFailure);
      expect(failure.message).to.contain(`(seed 21): p0, determinism guard: DeterminismError: ${call} is not allowed in lab code under the simulator: use ${use} (node p0)`);
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
    const reply = await cluster.clientEnv('c').call('p0', get, { key: 'k' }, { timeoutMs: 100 });
    expect(reply).to.deep.equal({ value: 2 });
    expect(new Date().getFullYear()).to.be.greaterThan(2000);
    expect(readFileSync('/etc/hostname').length).to.be.greaterThan(0);
    expect(crypto.randomUUID()).to.have.length(36);
    expect(performance.now()).to.be.greaterThan(0);
    expect(process.hrtime.bigint() > 0n).to.equal(true);
    await new Promise<void>((resolve) => process.nextTick(resolve));
    await new Promise<void>((resolve) => queueMicrotask(resolve));
  });

  it('guards the lab\'s status() too, and leaves mocha\'s own timers working', async () => {
    const cluster = await probeCluster(() => () => Math.random(), { nodes: 1 });
    expect(() => cluster.sim.status('p0')).to.throw(DeterminismError, 'Math.random() is not allowed');
    await new Promise((resolve) => setTimeout(resolve, 2));
    await new Promise((resolve) => setImmediate(resolve));
    expect(await timersPromises.setTimeout(1, 'ok')).to.equal('ok');
  });
});

describe('sim determinism guards and printing', () => {
  it('lets lab code print with console.* even when stdout is a file (its write goes through fs)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rsmlab-console-'));
    try {
      const out = join(dir, 'stdout.txt');
      const fd = openSync(out, 'w');
      const main = new URL('./fixtures/console-lab-main.js', import.meta.url).pathname;
      const run = spawnSync(process.execPath, [main], { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8' });
      closeSync(fd);
      expect(run.stderr).to.not.contain('run failed');
      expect(run.status).to.equal(0);
      expect(readFileSync(out, 'utf8')).to.equal('lab says hello at 1\n');
      expect(run.stderr).to.contain('lab says hello on stderr');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
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
