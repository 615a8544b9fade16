// A prepare's body bound (VsrConfig.body_bytes_max), one mechanism on both labs: Lab 3's log
// (LOG_BODY_BYTES_MAX, far inside one wire frame) and Lab 4's journal (what a prepare cell holds).
// The driver answers a client's larger op `rejected` (traced vsr.refuse) and drops a peer's larger
// entry at the wire (traced vsr.drop), in a prepare or a log; the engine takes no rebuild checkpoint
// whose prepare is larger. Never a crash, never a record the storage could not hold.
import { expect } from 'chai';
import { SimCluster } from '../tester/sim-cluster.js';
import type { Json } from '../src/env/types.js';
import type { Lab } from '../src/lab.js';
import { MAX_FRAME_BYTES } from '../src/wire/frame.js';
import { checksum } from '../src/engine/checksum.js';
import { canonicalJson } from '../src/json.js';
import { messageProblem } from '../src/engine/driver.js';
import { LOG_BODY_BYTES_MAX } from '../src/engine/storage.js';
import { opBytesMax, type JournalShape } from '../src/engine/journal-storage.js';
import { makeVsrLab, replicaState } from '../labs/vsr/lab.js';
import { step, type EngineCommand } from '../labs/vsr/engine.js';
import { cloneState, type Checkpoint, type ReplicaState } from '../labs/vsr/state.js';
import { BATCH_MAX, makeEntry, seal, SYNC_CHUNK_CHARS, vsrRequest, type Entry, type Message } from '../labs/vsr/protocol.js';
import { oversizedPrepareLab } from './fixtures/par-broken.js';
import { chain } from './journal-image.js';
import { ParEngines } from './par-engines.js';

/** 64 slots of 4 KiB: small enough to make and read quickly. */
const SHAPE: JournalShape = { slot_count: 64, sector_bytes: 4096, prepare_cell_bytes: 4096 };

/** Each lab as these tests run it: its lab, its bound, and its lab with every write's prepare padded past the bound on the way to a backup. */
const LABS: { name: string; lab: Lab; bound: number; padded: Lab }[] = [
  { name: 'vsr (Lab 3, the log)', lab: makeVsrLab(), bound: LOG_BODY_BYTES_MAX, padded: oversizedPrepareLab('log') },
  { name: 'par (Lab 4, the journal)', lab: makeVsrLab({ storage: 'journal', journal: SHAPE }), bound: opBytesMax(SHAPE), padded: oversizedPrepareLab(SHAPE) },
];

/** Op 1 of cluster 5 again, with a body of a `bytes`-byte text. */
function op1WithBody(bytes: number): Entry {
  const { checksum: _, checksum_body: __, ...fields } = chain(1, 0, 5)[1]!.header;
  return makeEntry(fields, 'x'.repeat(bytes - 2)); // a string's text: its quotes and its characters
}

function stateOf(cluster: SimCluster, i: number): ReplicaState {
  return replicaState(cluster.labNode(i)!)!;
}

describe('vsr and par: a prepare\'s body bound at the wire', () => {
  for (const { name, bound } of [{ name: 'Lab 3', bound: LOG_BODY_BYTES_MAX }, { name: 'Lab 4', bound: opBytesMax(SHAPE) }]) {
    it(`${name}: drops an entry whose body is over ${bound} bytes, in a prepare or a log, and takes one of exactly ${bound}`, () => {
      const base = { cluster: 5, replica: 1, view: 2 };
      const over = op1WithBody(bound + 1);
      const at = op1WithBody(bound);
      expect(messageProblem({ command: 'prepare', ...base, entry: over }, 5, bound)).to.equal(`op 1: a body over ${bound} bytes`);
      expect(messageProblem({ command: 'start_view', ...base, op: 1, commit_max: 0, entries: [over] }, 5, bound)).to.equal(`op 1: a body over ${bound} bytes`);
      expect(messageProblem({ command: 'prepare', ...base, entry: at }, 5, bound)).to.equal(null);
      expect(messageProblem({ command: 'prepare', ...base, entry: over }, 5)).to.equal(null); // no bound given: the check is the bound's
    });
  }

  it('Lab 3\'s bound keeps a client request carrying the largest op, and a batch frame of BATCH_MAX prepares carrying it, inside one wire frame', () => {
    const entry = op1WithBody(LOG_BODY_BYTES_MAX);
    const prepare: Message = { command: 'prepare', cluster: 5, replica: 0, view: 0, entry };
    const request = { client: 'c', request: 1, kind: 'write', op: entry.body };
    expect(JSON.stringify({ jsonrpc: '2.0', method: 'vsr.request', params: request }).length).to.be.lessThan(MAX_FRAME_BYTES / 256);
    const batch = { messages: Array.from({ length: BATCH_MAX }, () => seal(prepare)) };
    expect(Buffer.byteLength(JSON.stringify({ jsonrpc: '2.0', mid: 1, method: 'vsr.batch', params: batch }))).to.be.lessThan(MAX_FRAME_BYTES);
  });
});

describe('vsr and par: a prepare\'s body bound in the simulator', function () {
  this.timeout(120_000);

  for (const { name, lab, bound, padded } of LABS) {
    it(`${name}: a client's op over ${bound} bytes is answered rejected (traced), and the next one is taken`, async () => {
      const cluster = new SimCluster({ lab, seed: 9, nodes: 3, keepTrace: true });
      try {
        for (let i = 0; i < 3; i++) await cluster.start(i);
        const env = cluster.clientEnv('big');
        const call = (request: number, kind: 'register' | 'write', op: Json) => env.call(cluster.id(0), vsrRequest, { client: 'big', request, kind, op }, { timeoutMs: 5000 });
        expect((await call(0, 'register', null)).status).to.equal('ok');
        const reason = `op too large: a prepare's body takes at most ${bound} bytes`;
        expect(await call(1, 'write', { f: 'put', key: 'k', value: 'x'.repeat(bound) })).to.deep.include({ status: 'rejected', reason });
        expect((await call(1, 'write', { f: 'put', key: 'k', value: 'x'.repeat(1000) })).status).to.equal('ok');
        expect(stateOf(cluster, 0).op).to.equal(2);
        const refusals = (await cluster.traceJsonl()).split('\n').filter((l) => l.includes('"vsr.refuse"'));
        expect(refusals.map((l) => (JSON.parse(l) as { detail: unknown }).detail)).to.deep.equal([{ what: 'vsr.refuse', client: 'big', request: 1, reason }]);
      } finally {
        await cluster.close();
      }
    });

    it(`${name}: a backup sent prepares over ${bound} bytes drops each at the wire (traced), never writes one and never crashes`, async () => {
      const cluster = new SimCluster({ lab: padded, seed: 4, nodes: 3, keepTrace: true });
      try {
        for (let i = 0; i < 3; i++) await cluster.start(i);
        const env = cluster.clientEnv('c');
        const call = (request: number, kind: 'register' | 'write', op: Json) => env.call(cluster.id(0), vsrRequest, { client: 'c', request, kind, op }, { timeoutMs: 2000 });
        expect((await call(0, 'register', null)).status).to.equal('ok');
        await call(1, 'write', { f: 'put', key: 'k', value: 'v' }).catch(() => undefined); // no backup takes it: no quorum
        await cluster.sleep(3000);
        expect([0, 1, 2].map((i) => cluster.alive(i))).to.deep.equal([true, true, true]);
        const drops = (await cluster.traceJsonl()).split('\n').filter((l) => l.includes('"vsr.drop"') && l.includes(`a body over ${bound} bytes`));
        expect(drops.length).to.be.at.least(2);
        expect([1, 2].map((i) => stateOf(cluster, i).op)).to.deep.equal([1, 1]);
      } finally {
        await cluster.close();
      }
    });
  }
});

/** The `sync` chunks of checkpoint `c` from replica 0 in view 0, as sendSyncChunk cuts its text. */
function syncChunks(c: Checkpoint, cluster: number): Message[] {
  const text = canonicalJson({ op: c.op, entry: c.entry, app: c.app, clients: c.clients } as unknown as Json);
  const chunks = Math.ceil(text.length / SYNC_CHUNK_CHARS);
  return Array.from({ length: chunks }, (_, k): Message => ({
    command: 'sync',
    cluster,
    replica: 0,
    view: 0,
    op_checkpoint: c.op,
    checksum: checksum(text),
    chunk: k,
    chunks,
    data: text.slice(k * SYNC_CHUNK_CHARS, (k + 1) * SYNC_CHUNK_CHARS),
    target: c.op,
  }));
}

describe('par: a rebuild\'s checkpoint whose prepare is over the body bound', () => {
  it('is not installed (its storage could not hold that prepare); the same checkpoint with its own prepare is', () => {
    const engines = new ParEngines(50);
    engines.down.add(2);
    engines.write(600); // replica 0 checkpoints op 512; replica 2 holds op 1 alone
    const c = engines.states[0]!.checkpoint!;
    const { checksum: _, checksum_body: __, ...fields } = c.entry.header;
    const forged: Checkpoint = { ...c, entry: makeEntry(fields, { pad: 'x'.repeat(SHAPE.prepare_cell_bytes) }) };
    const rebuild = (checkpoint: Checkpoint): { s: ReplicaState; refusals: EngineCommand[] } => {
      const s = cloneState(engines.states[2]!);
      const out = syncChunks(checkpoint, s.config.cluster).flatMap((message) => step(s, { kind: 'message', message }));
      return { s, refusals: out.filter((command) => command.kind === 'trace' && command.what === 'vsr.sync.refused') };
    };
    const honest = rebuild(c);
    expect([honest.s.op_checkpoint, honest.refusals.length], 'the honest checkpoint is installed').to.deep.equal([c.op, 0]);
    const { s: refused, refusals } = rebuild(forged);
    expect([refused.op_checkpoint, refused.sync, refused.checkpoint_writing]).to.deep.equal([0, null, null]);
    expect(refusals, 'the refusal is traced').to.deep.equal([{ kind: 'trace', what: 'vsr.sync.refused', detail: { replica: 2, op_checkpoint: c.op, target: c.op } }]);
  });
});
