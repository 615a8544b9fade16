// Lab 2's sizes against live nodes (the frame limit is the real world's): a client op past
// OP_BYTES_MAX is an error result from any node, while many ops at the bound still transfer to a
// joiner; a state past a frame has a status that summarizes it, and the joiner whose transfer the
// primary refuses as too large traces why, once, however often it retries.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { RsmClient } from '../labs/rsm/client.js';
import { OP_BYTES_MAX, rsmClientInvoke } from '../labs/rsm/protocol.js';
import { rsmStatusSchema, type RsmStatus } from '../labs/rsm/status.js';
import { RealEnv } from '../src/env/real/env.js';
import type { Json } from '../src/env/types.js';
import { classicTiming, scaleTiming, type Timing } from '../src/timing.js';
import { MAX_FRAME_BYTES } from '../src/wire/frame.js';
import { RealCluster } from '../tester/real-cluster.js';
import { controlCall } from '../src/control/client.js';
import * as control from '../src/control/protocol.js';
import { tracedLines, tracedUntil } from './fixtures/node-trace.js';

/** A kv op on `key` whose JSON text takes exactly `bytes` bytes (ASCII: one byte a character). */
function opOf(f: 'put' | 'append', key: string, bytes: number): Json {
  const frame = JSON.stringify({ f, key, value: '' }).length;
  return { f, key, value: 'x'.repeat(bytes - frame) };
}

const TOO_LARGE = { ok: false, error: `op too large: an op takes at most ${OP_BYTES_MAX} bytes as JSON` };

/**
 * A tenth of the classic timing, but for the RPC timeout: a state transfer of many MiB must arrive
 * within one (OP_BYTES_MAX's comment), and the primary's refusal of one past 64 MiB comes only once
 * it has encoded it. A shorter timeout would fail these transfers as timeouts instead.
 */
const timing: Timing = { ...scaleTiming(classicTiming, 0.1), rpcTimeoutMs: 10_000 };

/** Poll until `done` holds for the statuses of nodes `indices`; fail after about 20 s. */
async function until(cluster: RealCluster, indices: readonly number[], what: string, done: (all: RsmStatus[]) => boolean): Promise<RsmStatus[]> {
  for (let tries = 0; tries < 400; tries++) {
    const parsed = await Promise.all(indices.map(async (i) => rsmStatusSchema.safeParse(await cluster.status(i))));
    const all = parsed.flatMap((p) => (p.success ? [p.data] : []));
    if (all.length === indices.length && done(all)) return all;
    await cluster.sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A kv client of the cluster through node 0, and its env (to close). */
function kvClient(cluster: RealCluster): { env: RealEnv; client: RsmClient } {
  const env = RealEnv.client('sizes');
  return { env, client: new RsmClient(env, { members: [cluster.id(0)], timing, giveUpMs: 60_000 }) };
}

describe('Lab 2 sizes, against live nodes', function () {
  this.timeout(300_000);

  it('an op past OP_BYTES_MAX gets an error result from any node and runs nowhere; 128 ops at the bound run, and a joiner gets their state', async () => {
    const cluster = new RealCluster({ lab: 'rsm', nodes: 2, timing, app: 'kv' });
    const { env, client } = kvClient(cluster);
    try {
      await cluster.start(0);
      for (let i = 0; i < 128; i++) expect(await client.invoke(opOf('put', `k${100 + i}`, OP_BYTES_MAX)), `op ${i}`).to.deep.equal({ ok: true, value: null });
      expect(await client.invoke(opOf('put', 'over', OP_BYTES_MAX + 1))).to.deep.equal(TOO_LARGE);
      await cluster.start(1, { first: 0 });
      const [p0, p1] = await until(cluster, [0, 1], 'p1 to hold p0\'s state in view 2', ([a, b]) => a!.vid_commit === 2 && !a!.inviewchange && !b!.inviewchange && b!.snapshotHash === a!.snapshotHash);
      expect(p1!.snapshotBytes, 'the state of 128 ops at the bound').to.equal(p0!.snapshotBytes).and.be.above(128 * (OP_BYTES_MAX - 64));
      const atBackup = await env.call(cluster.id(1), rsmClientInvoke, { client: 'direct', seq: 1, op: opOf('put', 'over', OP_BYTES_MAX + 1) }, { timeoutMs: 5000 });
      expect(atBackup, 'a backup refuses it too, rather than NOTPRIMARY').to.deep.equal({ status: 'OK', result: TOO_LARGE });
      expect(tracedLines(cluster, 0, '"rsm.refuse"').map((e) => (e.detail as { client: string }).client)).to.deep.equal([client.id]);
      expect((await until(cluster, [0], 'p0', () => true))[0]!.lastSeqs, 'no refused op in the duplicate table').to.deep.equal([[client.id, 128]]);
    } finally {
      await env.close();
      await cluster.close();
    }
  });

  describe('a state past the frame limit', function () {
    let cluster: RealCluster;

    before(async function () {
      this.timeout(600_000);
      cluster = new RealCluster({ lab: 'rsm', nodes: 2, timing, app: 'kv' });
      await cluster.start(0);
      const { env, client } = kvClient(cluster);
      try {
        // Appends at the op bound to one key: about 1,040 of them make a value past 64 MiB.
        const ops = Math.ceil(MAX_FRAME_BYTES / (OP_BYTES_MAX - 40)) + 8;
        for (let i = 0; i < ops; i++) expect(await client.invoke(opOf('append', 'big', OP_BYTES_MAX))).to.deep.equal({ ok: true, value: null });
      } finally {
        await env.close();
      }
    });

    after(async () => {
      await cluster?.close();
    });

    it('its node\'s status gives the snapshot\'s size and digest, not its text', async () => {
      // Digesting 64 MiB takes most of a second: longer than the tester's status poll waits (1 s) on a busy host.
      const status = rsmStatusSchema.parse((await controlCall(cluster.id(0), control.status, {}, 30_000)).state);
      expect(status.snapshot).to.equal(null);
      expect(status.snapshotBytes).to.be.above(MAX_FRAME_BYTES);
      expect(status.snapshotHash).to.match(/^[0-9a-f]{16}$/);
      expect(status.lastSeqs).to.have.length(1);
    });

    it('a joiner whose state transfer is refused as too large traces why, once, however often it asks again', async () => {
      await cluster.start(1, { first: 0 });
      const failed = await tracedUntil(cluster, 1, '"rsm.transfer_failed"', 1);
      expect(failed, 'the reason is traced').to.have.length.above(0);
      const asked = (): number => tracedLines(cluster, 1, '"method":"rsm.transferreq"').filter((e) => e.kind === 'send').length;
      const before = asked();
      for (let tries = 0; tries < 600 && asked() < before + 3; tries++) await cluster.sleep(50);
      expect(asked(), 'the joiner asked again, three times more').to.be.at.least(before + 3);
      const said = tracedLines(cluster, 1, '"rsm.transfer_failed"').map((e) => e.detail as { reason: string; primary: string });
      const tooLarge = said.filter((d) => d.reason.includes('over the 64 MiB frame limit'));
      expect(tooLarge, JSON.stringify(said)).to.have.length(1);
      expect(tooLarge[0]).to.include({ primary: cluster.id(0) });
      expect(tooLarge[0]!.reason).to.match(new RegExp(`^rsm\\.transferreq to ${cluster.id(0)}: remote \\(-32000: result not sent: a frame of \\d+ bytes is over the 64 MiB frame limit\\)$`));
      expect(new Set(said.map((d) => d.reason)).size, 'each reason once').to.equal(said.length);
      // The primary says it on its stderr (commit 6d3e2e9), once too.
      const stderr = readFileSync(join(cluster.nodeDir(0), 'node.log'), 'utf8').split('\n').filter((l) => l.includes('reply to rsm.transferreq'));
      expect(stderr).to.have.length(1);
    });
  });
});
