// Forged decisions in the simulator, for Lab 1 and Lab 2 alike (Config, the logic they share): a
// client accepts and decides values that are no view after view 3, at every node. Config's check
// refuses each (traced as paxos.drop), no node dies, and the next real view change still decides:
// no impossible value was left accepted to poison its round. The live-node twin is in bad-input.
import { expect } from 'chai';
import { paxosAccept, paxosDecide } from '../labs/paxos/protocol.js';
import { paxosStatusSchema } from '../labs/paxos/status.js';
import { RsmClient } from '../labs/rsm/client.js';
import { SimCluster } from '../tester/sim-cluster.js';
import { events } from './fixtures/sim-probe.js';

/** Values that cannot be view 4 after view 3 = {p0,p1,p2}, and why. */
const CHANGE = 'not view 3 {p0,p1,p2} with one member added or removed';
const IMPOSSIBLE: [string, string][] = [
  ['garbage !!', CHANGE],
  ['p3', CHANGE],
  ['p0 p1 p2 p3 p4', CHANGE],
  ['p0 p1 p2 p1', 'a member is listed twice'],
  ['p0 client:x', '"client:x" is not a node id'],
];

/** Poll (virtual time) until nodes `indices` know view `vid` with exactly `members`; fail after a minute. */
async function untilView(cluster: SimCluster, indices: readonly number[], vid: number, members: readonly string[]): Promise<void> {
  for (let waited = 0; waited < 60_000; waited += 500) {
    const all = await Promise.all(indices.map(async (i) => paxosStatusSchema.parse(await cluster.status(i))));
    if (all.every((s) => s.vid === vid && s.members.join() === members.join())) return;
    await cluster.sleep(500);
  }
  throw new Error(`nodes ${indices.join()} never agreed on view ${vid} = {${members.join()}}`);
}

describe('forged decisions of impossible views (simulator)', function () {
  this.timeout(120_000);

  for (const lab of ['paxos', 'rsm'] as const) {
    it(`${lab}: impossible values accepted and decided at every node are refused and traced; no node dies, and the next view change decides`, async () => {
      const cluster = new SimCluster({ lab, seed: 3, nodes: 3, ...(lab === 'rsm' ? { app: 'kv' } : {}) });
      try {
        for (let i = 0; i < 3; i++) await cluster.start(i, { first: 0 });
        await untilView(cluster, [0, 1, 2], 3, ['p0', 'p1', 'p2']);
        const forger = cluster.clientEnv('forger');
        const nodes = ['p0', 'p1', 'p2'];
        for (const [v] of IMPOSSIBLE) {
          const accepted = await Promise.all(nodes.map((p) => forger.call(p, paxosAccept, { instance: 4, n: { n: 1000, m: forger.me }, v }, { timeoutMs: 1000 })));
          expect(accepted, v).to.deep.equal([false, false, false]);
          await Promise.all(nodes.map((p) => forger.call(p, paxosDecide, { instance: 4, v }, { timeoutMs: 1000 })));
        }
        const drops = (await events(cluster, 'log')).filter((e) => (e.detail as { what?: string }).what === 'paxos.drop');
        const seen = drops.map((e) => {
          const d = e.detail as { phase: string; instance: number; v: string; reason: string };
          return `${String(e.node)} ${d.phase} ${d.instance} ${d.v}: ${d.reason}`;
        });
        const expected = IMPOSSIBLE.flatMap(([v, reason]) => ['accept', 'decide'].flatMap((phase) => nodes.map((p) => `${p} ${phase} 4 ${v}: ${reason}`)));
        expect([...seen].sort()).to.deep.equal([...expected].sort());
        await untilView(cluster, [0, 1, 2], 3, ['p0', 'p1', 'p2']);
        await cluster.kill(2);
        await untilView(cluster, [0, 1], 4, ['p0', 'p1']);
        if (lab === 'rsm') {
          const client = new RsmClient(cluster.clientEnv('kv'), { members: ['p0'], timing: cluster.timing, id: 'kv' });
          expect(await client.invoke({ f: 'put', key: 'k', value: 'v' })).to.deep.equal({ ok: true, value: null });
          expect(await client.invoke({ f: 'get', key: 'k' })).to.deep.equal({ ok: true, value: 'v' });
        }
      } finally {
        await cluster.close();
      }
    });
  }
});
