// Lab 2 against bad client input and vanished clients, end to end through the RSM in the
// simulator: a bad op gets an error and changes no replica's app state; a lock whose holder
// vanished is granted to another client once its lease has run out (the rule in src/apps/lock.ts); a
// client id past its bound is refused at the wire.
import { expect } from 'chai';
import type { AppName } from '../src/apps/app.js';
import type { Json } from '../src/env/types.js';
import { RsmClient } from '../labs/rsm/client.js';
import { rsmClientInvoke } from '../labs/rsm/protocol.js';
import { CLIENT_ID_MAX } from '../src/apps/client-id.js';
import { rsmStatusSchema, type RsmStatus } from '../labs/rsm/status.js';
import { SimCluster } from '../tester/sim-cluster.js';

async function statuses(cluster: SimCluster): Promise<RsmStatus[]> {
  return Promise.all([0, 1, 2].map(async (i) => rsmStatusSchema.parse(await cluster.status(i))));
}

/** A 3-node RSM cluster whose every node is in view 3 with the sync done. */
async function cluster3(app: AppName, seed: number): Promise<SimCluster> {
  const cluster = new SimCluster({ lab: 'rsm', app, seed, nodes: 3 });
  for (let i = 0; i < 3; i++) await cluster.start(i, { first: 0 });
  for (let waited = 0; waited < 60_000; waited += 1000) {
    const all = await statuses(cluster);
    if (all.every((s) => s.vid_commit === 3 && !s.inviewchange)) return cluster;
    await cluster.sleep(1000);
  }
  throw new Error(`seed ${seed}: view 3 never settled`);
}

function client(cluster: SimCluster, name: string): RsmClient {
  return new RsmClient(cluster.clientEnv(name), { members: [cluster.id(0)], timing: cluster.timing, id: name });
}

/** Each replica's app state (the snapshot without the duplicate table). */
async function appStates(cluster: SimCluster): Promise<string[]> {
  return (await statuses(cluster)).map((s) => JSON.stringify((JSON.parse(s.snapshot ?? '{}') as { state?: unknown }).state));
}

describe('rsm: bad client input and vanished clients (simulator)', () => {
  it('an unknown op or wrong arguments gets an error and changes no replica\'s app state', async () => {
    const cluster = await cluster3('kv', 11);
    try {
      const c = client(cluster, 'c');
      expect(await c.invoke({ f: 'put', key: 'k', value: 'v' })).to.deep.equal({ ok: true, value: null });
      const before = await appStates(cluster);
      expect(new Set(before).size).to.equal(1);
      const badOps: Json[] = [{ f: 'explode' }, { f: 'put', key: 5, value: 'x' }, { f: 'put', key: 'k' }, 'garbage', null, [1, 2], { f: 'get', key: 'k', extra: true }];
      for (const bad of badOps) {
        const r = await c.invoke(bad);
        expect(r.ok, JSON.stringify(bad)).to.equal(false);
        if (!r.ok) expect(r.error).to.be.a('string').and.not.equal('');
      }
      expect(await appStates(cluster)).to.deep.equal(before);
      expect(await c.invoke({ f: 'get', key: 'k' })).to.deep.equal({ ok: true, value: 'v' });
    } finally {
      await cluster.close();
    }
  });

  it('a client id past CLIENT_ID_MAX is refused at the wire as invalid params and kept nowhere; one at the bound runs', async () => {
    const cluster = await cluster3('kv', 13);
    try {
      const env = cluster.clientEnv('ids');
      const put = { f: 'put', key: 'k', value: 'v' };
      const long = 'c'.repeat(CLIENT_ID_MAX + 1);
      const refused = await env.call(cluster.id(0), rsmClientInvoke, { client: long, seq: 1, op: put }, { timeoutMs: 5000 }).then(
        () => 'answered',
        (e: unknown) => String(e),
      );
      expect(refused).to.match(/invalid params/i).and.match(/client/);
      const atBound = 'c'.repeat(CLIENT_ID_MAX);
      expect(await env.call(cluster.id(0), rsmClientInvoke, { client: atBound, seq: 1, op: put }, { timeoutMs: 5000 })).to.deep.equal({ status: 'OK', result: { ok: true, value: null } });
      const tables = (await statuses(cluster)).map((s) => s.lastSeqs.map(([client]) => client));
      expect(tables, "every replica's duplicate table").to.deep.equal([[atBound], [atBound], [atBound]]);
    } finally {
      await cluster.close();
    }
  });

  it('a lock held by a client that vanished goes to another client once its lease ran out, not before', async () => {
    const cluster = await cluster3('lock', 12);
    try {
      const a = client(cluster, 'a');
      const b = client(cluster, 'b');
      expect(await a.invoke({ f: 'acquire', lock: 'L' })).to.deep.include({ ok: true });
      const held = await b.invoke({ f: 'acquire', lock: 'L' });
      expect(held).to.deep.equal({ ok: true, value: { granted: false, owner: 'a' } });
      // a vanishes: it never sends another request. Halfway through its lease the lock is still a's.
      await cluster.sleep(cluster.timing.lockLeaseMs / 2);
      expect(await b.invoke({ f: 'acquire', lock: 'L' })).to.deep.equal(held);
      await cluster.sleep(cluster.timing.lockLeaseMs / 2 + 1000);
      expect(await b.invoke({ f: 'acquire', lock: 'L' })).to.deep.equal({ ok: true, value: { granted: true, owner: 'b' } });
    } finally {
      await cluster.close();
    }
  });
});
