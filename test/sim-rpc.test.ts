// Calls and notices across the simulated wire: replies, timeouts at virtual time, unreachable
// peers, remote errors, validation at both ends exactly as the real world does, and no shared
// object references between nodes.
// handout: framework test (passes without the lab solutions)
import { expect } from 'chai';
import { z } from 'zod';
import { method, notice } from '../src/env/method.js';
import { isRpcError, RpcError, type Env } from '../src/env/types.js';
import { SimulationFailure } from '../src/env/sim/scheduler.js';
import { events, get, probeCluster, probeLab, tell } from './fixtures/sim-probe.js';
import { SimCluster } from '../tester/sim-cluster.js';

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

const fixedDelay = { minDelayMs: 5, maxDelayMs: 5, loss: 0, dup: 0 };

describe('sim rpc', () => {
  it('answers a call after one delay each way', async () => {
    const cluster = await probeCluster((env) => env.serve(get, ({ key }) => ({ value: key.length })), { net: fixedDelay });
    const client = cluster.clientEnv('c');
    expect(await client.call('p1', get, { key: 'abcd' }, { timeoutMs: 1000 })).to.deep.equal({ value: 4 });
    expect(cluster.sim.now).to.equal(10);
    expect(await events(cluster, 'send', 'deliver')).to.have.length(4);
  });

  it('times out at exactly timeoutMs of virtual time when no reply comes', async () => {
    const cluster = await probeCluster((env) => env.serve(get, () => new Promise<{ value: number }>(() => undefined)), { net: fixedDelay });
    await cluster.sleep(100);
    const error = await failure(cluster.clientEnv('c').call('p0', get, { key: 'k' }, { timeoutMs: 777 }));
    expect(isRpcError(error, 'timeout')).to.equal(true);
    expect(error.message).to.equal('probe.get to p0: timeout (no reply within 777 ms)');
    expect(cluster.sim.now).to.equal(877);
  });

  it('is unreachable (after one delay) for an unknown node, a crashed node, and a callee that crashes mid-call', async () => {
    const cluster = await probeCluster((env) => env.serve(get, () => new Promise<{ value: number }>(() => undefined)), { net: fixedDelay });
    const client = cluster.clientEnv('c');
    const unknown = await failure(client.call('p9', get, { key: 'k' }, { timeoutMs: 1000 }));
    expect(unknown.message).to.equal('probe.get to p9: unreachable (connection refused)');
    expect(cluster.sim.now).to.equal(5);
    await cluster.kill(2);
    const dead = await failure(client.call('p2', get, { key: 'k' }, { timeoutMs: 1000 }));
    expect(isRpcError(dead, 'unreachable')).to.equal(true);
    expect(cluster.sim.now).to.equal(10);
    const pending = failure(client.call('p1', get, { key: 'k' }, { timeoutMs: 1000 }));
    await cluster.sleep(20);
    await cluster.kill(1);
    expect((await pending).message).to.equal('probe.get to p1: unreachable (connection closed)');
    expect(cluster.sim.now).to.equal(35);
  });

  it('turns unknown methods and bad results into remote errors', async () => {
    const badResult = method('probe.bad', z.object({}), z.object({ value: z.number() }));
    const loose = method('probe.bad', z.object({}), z.unknown());
    const cluster = await probeCluster((env) => env.serve(loose, () => ({ value: 'not a number' })));
    const client = cluster.clientEnv('c');
    const missing = await failure(client.call('p0', method('probe.none', z.object({}), z.null()), {}, { timeoutMs: 1000 }));
    expect(missing.message).to.equal('probe.none to p0: remote (-32601: Method not found: probe.none)');
    const bad = await failure(client.call('p0', badResult, {}, { timeoutMs: 1000 }));
    expect(bad).to.be.instanceOf(RpcError);
    expect(bad.message).to.match(/^probe\.bad to p0: remote \(invalid result: value: /);
  });

  it("says a node is still starting when a call comes before its lab's start() registered the method, and serves it once started", async () => {
    const lab = probeLab(async (env) => {
      await env.sleep(100);
      env.serve(get, ({ key }) => ({ value: key.length }));
    });
    const cluster = new SimCluster({ seed: 1, nodes: 1, net: fixedDelay, lab });
    const started = cluster.start(0);
    const client = cluster.clientEnv('c');
    const early = await failure(client.call('p0', get, { key: 'k' }, { timeoutMs: 1000 }));
    expect(early.message).to.equal("probe.get to p0: remote (-32601: Method not found: probe.get (the node is still starting: its lab has not finished start(), where it registers its handlers))");
    await started;
    expect(await client.call('p0', get, { key: 'abc' }, { timeoutMs: 1000 })).to.deep.equal({ value: 3 });
    const none = await failure(client.call('p0', method('probe.none', z.object({}), z.null()), {}, { timeoutMs: 1000 }));
    expect(none.message).to.equal('probe.none to p0: remote (-32601: Method not found: probe.none)');
  });

  it('fails the run (no polite remote error) when a handler throws', async () => {
    const cluster = await probeCluster((env) =>
      env.serve(get, () => {
        throw new Error('no such key');
      }),
    );
    const call = cluster.clientEnv('c').call('p0', get, { key: 'k' }, { timeoutMs: 1000 });
    const thrown = await failure(call);
    expect(thrown).to.be.instanceOf(SimulationFailure);
    expect(thrown.message).to.match(/\(seed 1\): p0, handler probe\.get: Error: no such key\n\s+at /);
  });

  it('validates params at the sender (a plain Error, nothing sent) and again at the receiver', async () => {
    let handled = 0;
    const cluster = await probeCluster((env) => {
      env.serve(get, () => {
        handled++;
        return { value: 1 };
      });
    });
    const client = cluster.clientEnv('c');
    const local = await failure(client.call('p0', get, { key: 5 } as never, { timeoutMs: 1000 }));
    expect(local).to.not.be.instanceOf(RpcError);
    expect(local.message).to.match(/^client:c: invalid params for probe\.get: key: /);
    const sloppy = method('probe.get', z.object({ key: z.unknown() }), z.object({ value: z.number() }));
    const remote = await failure(client.call('p0', sloppy, { key: 5 }, { timeoutMs: 1000 }));
    expect(remote.message).to.match(/^probe\.get to p0: remote \(-32602: Invalid params for probe\.get: key: /);
    expect(handled).to.equal(0);
    expect(await events(cluster, 'send')).to.have.length(2); // the sloppy request and its error reply
  });

  it('callEach is a call to each peer in turn: the same trace, replies in the peers\' order; bad params reject all, nothing sent', async () => {
    const serve = (env: Env): void => env.serve(get, ({ key }) => ({ value: key.length + Number(env.me.slice(1)) }));
    const peers = ['p2', 'p0', 'p9', 'p1'];
    const outcomes = (replies: Promise<{ value: number }>[]): Promise<unknown[]> => Promise.all(replies.map((r) => r.then((v) => v.value, (e: unknown) => (isRpcError(e) ? e.kind : String(e)))));
    const each = await probeCluster(serve);
    const together = await outcomes(each.clientEnv('c').callEach(peers, get, { key: 'abc' }, { timeoutMs: 1000 }));
    const inTurn = await probeCluster(serve);
    const client = inTurn.clientEnv('c');
    const oneByOne = await outcomes(peers.map((peer) => client.call(peer, get, { key: 'abc' }, { timeoutMs: 1000 })));
    expect(together).to.deep.equal([5, 3, 'unreachable', 4]);
    expect(oneByOne).to.deep.equal(together);
    expect(await each.traceJsonl()).to.equal(await inTurn.traceJsonl());
    const bad = await Promise.allSettled(each.clientEnv('d').callEach(['p0', 'p1'], get, { key: 5 } as never, { timeoutMs: 1000 }));
    expect(bad.map((r) => r.status === 'rejected' && !(r.reason instanceof RpcError) && /invalid params for probe\.get/.test(String(r.reason)))).to.deep.equal([true, true]);
    expect(await events(each, 'send')).to.have.length(await events(inTurn, 'send').then((e) => e.length));
  });

  it('shares no object between nodes: both ends get fresh JSON copies', async () => {
    const echo = method('probe.echo', z.object({ list: z.array(z.number()) }), z.object({ list: z.array(z.number()) }));
    let received: number[] | undefined;
    let replied: { list: number[] } | undefined;
    const cluster = await probeCluster((env) =>
      env.serve(echo, (params) => {
        received = params.list;
        replied = { list: params.list };
        return replied;
      }),
    );
    const sent = { list: [1, 2, 3] };
    const reply = await cluster.clientEnv('c').call('p0', echo, sent, { timeoutMs: 1000 });
    expect(reply).to.deep.equal(sent);
    expect(received).to.not.equal(sent.list);
    expect(reply).to.not.equal(replied);
    received!.push(4);
    expect(sent.list).to.deep.equal([1, 2, 3]);
  });

  it('delivers notices to their handler and drops (traced) the ones no handler takes', async () => {
    const got: [number, string][] = [];
    const cluster = await probeCluster((env: Env) => {
      if (env.me === 'p0') env.on(tell, ({ n }, from) => got.push([n, from]));
    });
    const client = cluster.clientEnv('c');
    client.send('p0', tell, { n: 7 });
    client.send('p1', tell, { n: 8 });
    await cluster.sleep(50);
    expect(got).to.deep.equal([[7, 'client:c']]);
    const drops = await events(cluster, 'drop');
    expect(drops.map((e) => [e.node, e.detail])).to.deep.equal([['p1', { reason: 'no handler for notice probe.tell' }]]);
  });

  it('traces a notice\'s label (its declaration\'s, of its params) on its lines, and hashes the same as without one', async () => {
    const run = async (labelled: boolean) => {
      const shout = notice('probe.shout', z.object({ words: z.array(z.string()) }), labelled ? ({ words }) => words.join('+') : undefined);
      const cluster = await probeCluster((env: Env) => env.on(shout, ({ words }) => void words.splice(0))); // the receiver empties its copy
      cluster.clientEnv('c').send('p0', shout, { words: ['do', 're'] });
      await cluster.sleep(50);
      return { lines: await events(cluster, 'send', 'deliver'), hash: cluster.traceHash() };
    };
    const plain = await run(false);
    const labelled = await run(true);
    expect(labelled.lines.map((e) => [e.kind, (e.msg as { label?: string }).label])).to.deep.equal([['send', 'do+re'], ['deliver', 'do+re']]);
    expect(plain.lines.map((e) => (e.msg as { label?: string }).label)).to.deep.equal([undefined, undefined]);
    expect(labelled.hash, 'a label is a function of the params, which the hash takes').to.equal(plain.hash);
  });
});
