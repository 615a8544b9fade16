// The VSR driver in the simulator: bad peer messages are dropped and traced without touching the
// replica; crashes, restarts and a power loss on every replica recover from the disk.
import { expect } from 'chai';
import { SimCluster } from '../tester/sim-cluster.js';
import { runWorkload } from '../src/workload/workload.js';
import { seededRandom } from '../src/random.js';
import { vsrInvoker, VsrClient } from '../labs/vsr/client.js';
import { statusHeader, vsrStatusSchema, type VsrStatus } from '../labs/vsr/status.js';
import { z } from 'zod';
import { notice } from '../src/env/method.js';
import { BATCH_MAX, rootEntry, seal, vsrBatch, vsrMessage, type Message, type Sealed } from '../labs/vsr/protocol.js';
import type { Env, NodeId } from '../src/env/types.js';
import { messageProblem } from '../src/engine/driver.js';
import { clusterId } from '../labs/vsr/lab.js';
import type { HistoryEvent } from '../src/check/history.js';
import { kvVerdict } from './vsr-helpers.js';

async function statusOf(cluster: SimCluster, i: number): Promise<VsrStatus> {
  return vsrStatusSchema.parse(await cluster.status(i));
}

async function converged(cluster: SimCluster, n: number, boundMs: number): Promise<VsrStatus[]> {
  let all: VsrStatus[] = [];
  for (let waited = 0; waited <= boundMs; waited += 1000) {
    all = [];
    for (let i = 0; i < n; i++) all.push(await statusOf(cluster, i));
    if (all.every((s) => s.status === 'normal' && s.view === all[0]!.view && s.commit_min === all[0]!.op && s.state_hash === all[0]!.state_hash)) return all;
    await cluster.sleep(1000);
  }
  throw new Error(`no convergence within ${boundMs} ms: ${JSON.stringify(all.map((s) => [s.status, s.view, s.op, s.commit_min]))}`);
}

/** A workload in the background of a simulated cluster. */
function load(cluster: SimCluster, n: number, seed: number, ops: number) {
  const replicas = Array.from({ length: n }, (_, i) => cluster.id(i));
  const state: { history?: HistoryEvent[]; error?: unknown } = {};
  void runWorkload({
    app: 'kv',
    clients: 3,
    opsPerClient: ops,
    invoker: vsrInvoker((c) => cluster.clientEnv(c), { replicas, timing: cluster.timing, giveUpMs: 30_000 }),
    clock: cluster.clientEnv('clock'),
    random: seededRandom(seed),
    thinkMs: 300,
  }).then((r) => (state.history = r.history), (e: unknown) => (state.error = e));
  return state;
}

describe('vsr driver: bad peer messages', function () {
  this.timeout(60_000);

  /**
   * A simulated cluster that took one write; `forge` sends to replica 1 from a client (every message
   * of replica 0's, made by `svc`, is then from an impossible sender). Replica 1 must be unchanged,
   * and the driver must have dropped exactly a bad checksum, a wrong cluster and an impossible sender.
   * Returns the run's trace lines.
   */
  async function forgedTo1(seed: number, forge: (env: Env, to: NodeId, svc: (over: Partial<Message>) => Message, cluster_: number) => void): Promise<string[]> {
    const cluster = new SimCluster({ lab: 'vsr', seed, nodes: 3 });
    try {
      for (let i = 0; i < 3; i++) await cluster.start(i);
      const env = cluster.clientEnv('writer');
      const client = new VsrClient(env, { replicas: [0, 1, 2].map((i) => cluster.id(i)), timing: cluster.timing });
      const written = client.invoke({ f: 'put', key: 'k', value: 'v' });
      await cluster.sleep(2000);
      await written;
      const before = await statusOf(cluster, 1);
      const cluster_ = clusterId([0, 1, 2].map((i) => cluster.id(i)));
      forge(env, cluster.id(1), (over) => ({ command: 'start_view_change', cluster: cluster_, replica: 0, view: 9, ...over }) as Message, cluster_);
      await cluster.sleep(500);
      const after = await statusOf(cluster, 1);
      expect([after.view, after.status, after.op, after.log]).to.deep.equal([before.view, before.status, before.op, before.log]);
      const lines = (await cluster.traceJsonl()).split('\n');
      const drops = lines.filter((l) => l.includes('vsr.drop'));
      expect(drops.map((l) => /"reason":"([^":]*)/.exec(l)?.[1]).sort()).to.deep.equal(['bad checksum', 'impossible sender', `wrong cluster ${cluster_ + 1}`]);
      return lines;
    } finally {
      await cluster.close();
    }
  }

  it('drops and traces a bad checksum, a wrong cluster and an impossible sender; the replica is unchanged', async () => {
    await forgedTo1(3, (env, to, svc, cluster_) => {
      env.send(to, vsrMessage, { ...seal(svc({})), checksum: '0'.repeat(32) });
      env.send(to, vsrMessage, seal(svc({ cluster: cluster_ + 1 })));
      env.send(to, vsrMessage, seal(svc({})));
    });
  });

  it('takes a batch frame message by message (each bad one dropped and traced), and drops a malformed batch at the wire', async () => {
    // Frames the real schema refuses, sent under a loose one of the same name: too few, too many, not messages.
    const loose = notice('vsr.batch', z.unknown());
    const malformed = (good: Sealed): unknown[] => [{ messages: [good] }, { messages: Array.from({ length: BATCH_MAX + 1 }, () => good) }, { messages: [good, { checksum: 'zz', message: 1 }] }, { messages: 'x' }, {}];
    const lines = await forgedTo1(4, (env, to, svc, cluster_) => {
      const good = seal(svc({}));
      env.send(to, vsrBatch, { messages: [{ ...good, checksum: '0'.repeat(32) }, seal(svc({ cluster: cluster_ + 1 })), good] });
      for (const params of malformed(good)) env.send(to, loose, params);
    });
    expect(lines.filter((l) => l.includes('"kind":"drop"') && l.includes('vsr.batch'))).to.have.length(5);
  });

  it('finds impossible ops, views and broken chains in messages', () => {
    const root = rootEntry(5);
    const base = { cluster: 5, replica: 1, view: 2 };
    expect(messageProblem({ command: 'prepare_ok', ...base, op: 0, checksum: root.header.checksum }, 5)).to.equal('impossible op 0');
    expect(messageProblem({ command: 'do_view_change', ...base, log_view: 3, op: 0, commit_max: 0, entries: [] }, 5)).to.equal('log_view 3 > view 2');
    expect(messageProblem({ command: 'start_view', ...base, op: 2, commit_max: 0, entries: [] }, 5)).to.equal('0 entries for op 2');
    expect(messageProblem({ command: 'start_view', ...base, op: 1, commit_max: 0, entries: [root] }, 5)).to.equal('impossible op 0');
    expect(messageProblem({ command: 'start_view', ...base, op: 0, commit_max: 1, entries: [] }, 5)).to.equal('commit 1 > op 0');
    expect(messageProblem({ command: 'prepare', ...base, entry: { ...root, body: 'x' } }, 5)).to.equal('op 0: header or body fails its checksum');
    expect(messageProblem({ command: 'start_view', ...base, op: 0, commit_max: 0, entries: [] }, 5)).to.equal(null);
  });
});

describe('vsr driver: crashes and restarts from disk', function () {
  this.timeout(120_000);

  for (const seed of [1, 2, 3, 4, 5, 6]) {
    it(`seed ${seed}: loss, duplication, replicas killed and restarted under load: linearizable, converged`, async () => {
      const cluster = new SimCluster({ lab: 'vsr', seed, nodes: 3, keepTrace: false, net: { loss: 0.05, dup: 0.05 } });
      const random = seededRandom(seed * 31);
      try {
        for (let i = 0; i < 3; i++) await cluster.start(i);
        const run = load(cluster, 3, seed, 20);
        let kills = 0;
        for (let t = 0; t < 2000 && run.history === undefined && run.error === undefined; t++) {
          await cluster.sleep(200);
          if (t < 200 && random() < 0.03) {
            const i = Math.floor(random() * 3);
            if (cluster.alive(i)) {
              await cluster.kill(i, 'SIGKILL');
              kills++;
            }
          }
          for (let i = 0; i < 3; i++) if (!cluster.alive(i) && random() < 0.1) await cluster.start(i);
        }
        expect(run.error).to.equal(undefined);
        expect(kills, 'replicas were killed').to.be.greaterThan(0);
        expect(run.history, 'the load finished').to.not.equal(undefined);
        for (let i = 0; i < 3; i++) if (!cluster.alive(i)) await cluster.start(i);
        await converged(cluster, 3, 60_000);
        expect(kvVerdict(run.history!)).to.equal('ok');
      } finally {
        await cluster.close();
      }
    });
  }

  it('power loss on every replica at once: they recover from their superblocks and go on', async () => {
    const cluster = new SimCluster({ lab: 'vsr', seed: 11, nodes: 3, keepTrace: false });
    try {
      for (let i = 0; i < 3; i++) await cluster.start(i);
      const run = load(cluster, 3, 11, 30);
      await cluster.sleep(3000);
      const before = await statusOf(cluster, 0);
      expect(before.commit_max).to.be.greaterThan(3);
      for (let i = 0; i < 3; i++) await cluster.kill(i, 'SIGKILL');
      await cluster.sleep(1000);
      for (let i = 0; i < 3; i++) await cluster.start(i);
      for (let t = 0; t < 1000 && run.history === undefined; t++) await cluster.sleep(200);
      expect(run.history, 'the load finished after the power loss').to.not.equal(undefined);
      const after = await converged(cluster, 3, 60_000);
      expect(after[0]!.view).to.be.greaterThan(before.view);
      // The hash chain: the same header at the old commit_max means the same ops up to it.
      const committed = statusHeader(before, before.commit_max);
      expect(committed, 'replica 0 reports its commit_max').to.not.equal(undefined);
      expect(statusHeader(after[0]!, before.commit_max)).to.deep.equal(committed);
      expect(kvVerdict(run.history!)).to.equal('ok');
    } finally {
      await cluster.close();
    }
  });
});
