// A Lab 3 replica's status stays bounded however long its log grows: it carries the log's last
// STATUS_LOG_HEADERS headers, so it fits a wire frame after thousands of ops (a long class demo, the
// throughput bench), and the tester still compares committed prefixes exactly through the hash chain.
import { expect } from 'chai';
import type { Json } from '../src/env/types.js';
import { createState, type ReplicaState } from '../labs/vsr/state.js';
import { headerChecksum, rootEntry, type Entry, type HeaderFields } from '../labs/vsr/protocol.js';
import { executedState, STATUS_LOG_HEADERS, statusHeader, vsrStatus, vsrStatusSchema } from '../labs/vsr/status.js';
import { STATUS_TEXT_BYTES } from '../src/status-text.js';
import { VsrClient } from '../labs/vsr/client.js';
import { checkCommittedPrefix, parseVsrStatus } from '../tester/vsr/replicas.js';
import { RealCluster } from '../tester/real-cluster.js';
import { defaultTiming } from '../tester/run.js';
import { bodyChecksum } from './vsr-helpers.js';

const CLUSTER = 7;

/** A hash-chained log of `ops` ops (a register, then puts); `tweak` changes one op's header fields before it is hashed. */
function chain(ops: number, tweak: { op: number; fields: Partial<HeaderFields> } | null = null): Entry[] {
  const entries: Entry[] = [];
  let parent = rootEntry(CLUSTER).header.checksum;
  for (let op = 1; op <= ops; op++) {
    const body: Json = op === 1 ? null : { f: 'put', key: `k${op % 10}`, value: `v${op}` };
    const fields: HeaderFields = {
      checksum_body: bodyChecksum(body),
      parent,
      cluster: CLUSTER,
      view: 0,
      op,
      commit: op - 1,
      timestamp: op,
      client: 'client:c',
      request: op - 1,
      operation: op === 1 ? 'register' : 'request',
      replica: 0,
      ...(tweak?.op === op ? tweak.fields : {}),
    };
    const header = { ...fields, checksum: headerChecksum(fields) };
    entries.push({ header, body });
    parent = header.checksum;
  }
  return entries;
}

/** Replica `replica` restarted with `entries` on its disk (a state whose log is as long as they are). */
function replica(entries: Entry[], replica = 0): ReplicaState {
  const config = { cluster: CLUSTER, replica, replicas: ['r0', 'r1', 'r2'], quorum_replication: 2, quorum_view_change: 2, pipeline_max: 8, app: 'kv' as const };
  return createState(config, { superblock: { view: 0, log_view: 0 }, entries });
}

/** The status as it crosses the wire (JSON text), read back by the tester. */
function wire(s: ReplicaState): Json {
  return JSON.parse(JSON.stringify(vsrStatus(s))) as Json;
}

describe('vsr status: a bounded log suffix', () => {
  it('a replica with 7,000 ops answers a small status, with its log\'s last headers (the whole log\'s are over 1 MB)', () => {
    const s = replica(chain(7000));
    const whole = JSON.stringify(s.log.map(({ header: h }) => ({ op: h.op, view: h.view, checksum: h.checksum, parent: h.parent, client: h.client, request: h.request, operation: h.operation })));
    expect(whole.length, 'every header of the log').to.be.greaterThan(1e6);
    const text = JSON.stringify(vsrStatus(s));
    expect(text.length).to.be.lessThan(1e5);
    const status = vsrStatusSchema.parse(JSON.parse(text));
    expect(status.log.map((h) => h.op)).to.deep.equal(Array.from({ length: STATUS_LOG_HEADERS }, (_, i) => 7000 - STATUS_LOG_HEADERS + 1 + i));
    expect(statusHeader(status, 7000)?.checksum).to.equal(s.log[7000]!.header.checksum);
    expect(statusHeader(status, 7000 - STATUS_LOG_HEADERS)).to.equal(undefined);
    expect(statusHeader(status, 7001)).to.equal(undefined);
  });

  it('a short log is carried whole, from the root', () => {
    const status = vsrStatusSchema.parse(wire(replica(chain(5))));
    expect(status.log.map((h) => h.op)).to.deep.equal([0, 1, 2, 3, 4, 5]);
    expect(statusHeader(status, 0)?.operation).to.equal('root');
  });

  it('a status whose log is not consecutive ops ending at op is malformed', () => {
    const good = vsrStatusSchema.parse(wire(replica(chain(300))));
    for (const bad of [{ ...good, op: 301 }, { ...good, log: good.log.filter((h) => h.op !== 100) }, { ...good, log: [] }]) {
      expect(vsrStatusSchema.safeParse(bad).success).to.equal(false);
    }
    expect(() => parseVsrStatus('p0', { ...good, op: 299 } as unknown as Json)).to.throw(/p0: malformed status: .*log/);
  });

  it('replicas whose logs differ only at op 4, 1,000 ops back (equal executed state), disagree on the committed prefix through the hash chain', () => {
    const same = [replica(chain(1000), 0), replica(chain(1000), 1)];
    const other = replica(chain(1000, { op: 4, fields: { timestamp: 99 } }), 2);
    const statuses = [...same, other].map((s, i) => ({ name: `p${i}`, status: parseVsrStatus(`p${i}`, wire(s)) }));
    expect(new Set(statuses.map((r) => r.status.stateHash())).size, 'nothing tells them apart but their logs').to.equal(1);
    expect(statuses[2]!.status.checksumAt(4), 'op 4 is outside the status').to.equal(undefined);
    checkCommittedPrefix(1000, statuses.slice(0, 2));
    expect(() => checkCommittedPrefix(1000, statuses)).to.throw(/committed prefixes disagree: op 1000 is \w+ on p2 but \w+ on p0/);
    expect(() => checkCommittedPrefix(4, statuses)).to.throw(/p0 reports no header for committed op 4/);
  });
});

describe('vsr status: a bounded executed state', () => {
  /** A replica whose executed kv state holds the one value `value`. */
  function holding(value: string): ReplicaState {
    const s = replica(chain(2));
    s.app = { k: value };
    return s;
  }

  it('carries the state\'s text while it takes at most STATUS_TEXT_BYTES of UTF-8, past that its size and hash alone, which the tester compares', () => {
    const room = STATUS_TEXT_BYTES - Buffer.byteLength(executedState(holding('')).text);
    const fill = `${'é'.repeat(Math.floor(room / 2))}${'x'.repeat(room % 2)}`; // é takes two bytes: counted in bytes, not characters
    const at = holding(fill);
    const atStatus = vsrStatusSchema.parse(wire(at));
    expect([atStatus.state, atStatus.state_bytes, atStatus.state_hash]).to.deep.equal([executedState(at).text, STATUS_TEXT_BYTES, executedState(at).hash]);
    const past = holding(`${fill}x`);
    const pastStatus = vsrStatusSchema.parse(wire(past));
    expect([pastStatus.state, pastStatus.state_bytes, pastStatus.state_hash]).to.deep.equal([null, STATUS_TEXT_BYTES + 1, executedState(past).hash]);
    expect(JSON.stringify(vsrStatus(past)).length, 'the status without the text').to.be.lessThan(STATUS_TEXT_BYTES);
    expect(parseVsrStatus('p0', wire(past)).stateHash()).to.equal(executedState(past).hash);
  });
});

describe('vsr status with real processes', function () {
  this.timeout(120_000);

  it('after 1,000 writes every replica answers status with its log\'s last headers, and the three hold one committed prefix', async () => {
    const timing = defaultTiming('real');
    const cluster = new RealCluster({ lab: 'vsr', nodes: 3, timing, app: 'kv' });
    try {
      for (let i = 0; i < 3; i++) await cluster.start(i);
      const replicas = [0, 1, 2].map((i) => cluster.id(i));
      const writes = 1000;
      let next = 0;
      const clients = Array.from({ length: 64 }, (_, c) => new VsrClient(cluster.clientEnv(`c${c}`), { replicas, timing }));
      await Promise.all(clients.map(async (client) => {
        while (next < writes) await client.invoke({ f: 'put', key: `k${next % 20}`, value: `v${next++}` });
      }));
      const ops = writes + clients.length; // each client's register is an op too
      let all: { name: string; status: ReturnType<typeof parseVsrStatus>; raw: Json }[] = [];
      for (let tries = 0; tries < 200; tries++) {
        all = await Promise.all([0, 1, 2].map(async (i) => {
          const raw = await cluster.status(i);
          expect(raw, `p${i} answers status`).to.not.equal(null);
          return { name: `p${i}`, status: parseVsrStatus(`p${i}`, raw!), raw: raw! };
        }));
        if (all.every((r) => r.status.commit === ops)) break;
        await cluster.sleep(50);
      }
      for (const { name, status, raw } of all) {
        const s = vsrStatusSchema.parse(raw);
        expect([s.op, s.commit_min], name).to.deep.equal([ops, ops]);
        expect([s.log.length, s.log[0]!.op], name).to.deep.equal([STATUS_LOG_HEADERS, ops - STATUS_LOG_HEADERS + 1]);
        expect(status.checksumAt(ops), name).to.be.a('string');
      }
      checkCommittedPrefix(ops, all);
    } finally {
      await cluster.close();
    }
  });
});
