// Bad frames never move a live VSR replica: against a 3-process cluster (Lab 3 `vsr`, Lab 4 `par`),
// the malformed-frame property (test/frames.ts) with the VSR methods, from a raw peer posing as a
// replica, as a client and at the control port. Its near-valid messages are correctly sealed with
// exactly one thing wrong (a field's type, a missing or extra field, cluster, sender, an impossible
// view or op, the checksum, a body over the bound), each one that the replica would act on if that
// one check were missing. After them every replica runs, answers status, holds its view, op and
// commit, and a client's write still commits.
import { expect } from 'chai';
import fc from 'fast-check';
import { RealCluster } from '../tester/real-cluster.js';
import { defaultTiming } from '../tester/run.js';
import { controlAddressOf, parseAddress, type Address } from '../src/env/real/address.js';
import { checksum } from '../src/engine/checksum.js';
import { LOG_BODY_BYTES_MAX } from '../src/engine/storage.js';
import { JOURNAL_SHAPE, opBytesMax } from '../src/engine/journal-storage.js';
import type { Json } from '../src/env/types.js';
import { BATCH_MAX, makeEntry } from '../labs/vsr/protocol.js';
import { clusterId } from '../labs/vsr/lab.js';
import { VsrClient } from '../labs/vsr/client.js';
import { vsrStatusSchema, type VsrStatus } from '../labs/vsr/status.js';
import { malformedFrames, RawPeer, text, throwFrames, type Sent } from './frames.js';

/** What a replica is, as far as the garbage must leave it: none of these may change. */
function held(s: VsrStatus): unknown {
  const { status, view, log_view, op, commit_min, commit_max, log } = s;
  return { status, view, log_view, op, commit_min, commit_max, log };
}

/** The replica a frame goes to, and who sends it. */
interface Target {
  cluster: number;
  /** The receiver's index, and the replica the sender poses as. */
  index: number;
  sender: number;
  status: VsrStatus;
  /** The lab's body bound (VsrConfig.body_bytes_max). */
  bodyMax: number;
}

type Fields = Record<string, Json>;

/**
 * Messages the receiver would act on (a view change, a new op, a truncated log, a reply to a
 * recovery...): each goes out only with one thing broken.
 */
function baseMessages(t: Target): Fields[] {
  const { view, op, commit_max } = t.status;
  const head = t.status.log[t.status.log.length - 1]!.checksum;
  const base = { cluster: t.cluster, replica: t.sender };
  const entry = makeEntry({ parent: head, cluster: t.cluster, view, op: op + 1, commit: commit_max, timestamp: 1, client: 'fuzz', request: 0, operation: 'register', replica: t.sender }, null);
  return [
    { command: 'start_view_change', ...base, view: view + 1 },
    { command: 'prepare', ...base, view, entry: entry as unknown as Json },
    { command: 'commit', ...base, view, commit: op + 1, beat: 1 },
    { command: 'prepare_ok', ...base, view, op, checksum: head },
    { command: 'start_view', ...base, view: view + 1, op: 0, commit_max: 0, entries: [] },
    { command: 'do_view_change', ...base, view: view + 1, log_view: view, op: 0, commit_max: 0, entries: [] },
    { command: 'request_start_view', ...base, view: view + 1 },
    { command: 'recovery', ...base, view, nonce: 'fuzz' },
    { command: 'request_prepare', ...base, view, op: 1, checksum: null },
  ];
}

/** A message's checksum as a sender computes it (canonical JSON: seal's text for any value). */
function sealed(message: Fields): Json {
  return { checksum: checksum(message), message };
}

const hex32 = fc.stringMatching(/^[0-9a-f]{32}$/);
/** A value no message field accepts (every field is a number, a hash, a string with bounds or its own shape). */
const unfit = fc.constantFrom<Json>(-1, 0.5, true, { bogus: 1 });
/** Keys whose absence leaves a message valid (and that an extra key must not be). */
const OPTIONAL = new Set(['first', 'faulty']);
/** A huge field's length: past every bound a string field has, far inside a frame. */
const HUGE = 100_000;
/** Keys a long string is valid for. */
const STRINGS = new Set(['nonce']);

/** A prepare's entry with one impossible thing, correctly checksummed (or, the first, not). */
function impossibleEntry(t: Target, fields: Fields): fc.Arbitrary<Fields> {
  const entry = fields.entry as unknown as { header: Record<string, Json>; body: Json };
  const { checksum: _c, checksum_body: _b, ...h } = entry.header;
  const remade = (over: Fields, body: Json = null): Fields => ({ ...fields, entry: makeEntry({ ...h, ...over } as unknown as Parameters<typeof makeEntry>[0], body) as unknown as Json });
  return fc.oneof(
    fc.constant({ ...fields, entry: { ...entry, body: 'changed' } }),
    fc.integer({ min: 1 }).map((d) => remade({ cluster: t.cluster + d })),
    fc.constantFrom(0, 2 ** 40 + 1).map((op) => remade({ op })),
    fc.constant(remade({ commit: (h.op as number) + 1 })),
    fc.constant(remade({ operation: 'root' })),
    fc.constant(remade({ view: (fields.view as number) + 1 })),
    fc.constant(remade({ operation: 'batch', client: '', request: 0 }, { requests: [] })),
    fc.constant(remade({ operation: 'request', request: 1 }, 'x'.repeat(t.bodyMax + 1))),
  );
}

/** One impossible number, as the driver's messageProblem finds it, for the commands that have one. */
function impossible(t: Target, fields: Fields): fc.Arbitrary<Fields> | null {
  const big = fc.integer({ min: 2 ** 40 + 1, max: Number.MAX_SAFE_INTEGER });
  switch (fields.command) {
    case 'prepare':
      return impossibleEntry(t, fields);
    case 'prepare_ok':
    case 'request_prepare':
      return fc.oneof(fc.constant(0), big).map((op) => ({ ...fields, op }));
    case 'commit':
      return big.map((commit) => ({ ...fields, commit }));
    case 'start_view':
      return fc.integer({ min: 1, max: 5 }).map((op) => ({ ...fields, op, commit_max: op }));
    case 'do_view_change':
      return fc.constant({ ...fields, log_view: (fields.view as number) + 1 });
    default:
      return null;
  }
}

/** The ways to break `fields`, each sealed (so only that one check can drop it). */
function breakings(t: Target, fields: Fields): fc.Arbitrary<Json>[] {
  const keys = Object.keys(fields).filter((k) => !OPTIONAL.has(k));
  const resealed = (a: fc.Arbitrary<Fields>): fc.Arbitrary<Json> => a.map(sealed);
  const ways: fc.Arbitrary<Json>[] = [
    hex32.filter((c) => c !== checksum(fields)).map((c) => ({ checksum: c, message: fields })),
    fc.oneof(fc.string(), fc.constant(null), fc.nat()).map((c) => ({ checksum: c, message: fields })),
    resealed(fc.integer({ min: 0, max: 2 ** 32 }).filter((c) => c !== t.cluster).map((cluster) => ({ ...fields, cluster }))),
    resealed(fc.oneof(fc.constant(t.index), fc.constant(3 - t.index - t.sender), fc.integer({ min: 3, max: 2 ** 31 })).map((replica) => ({ ...fields, replica }))),
    resealed(fc.integer({ min: 2 ** 32 + 1, max: Number.MAX_SAFE_INTEGER }).map((view) => ({ ...fields, view }))),
    resealed(fc.tuple(fc.constantFrom(...keys), unfit).map(([k, v]) => ({ ...fields, [k]: v }))),
    resealed(fc.tuple(fc.constantFrom(...keys.filter((k) => !STRINGS.has(k))), fc.oneof(fc.integer({ min: 1, max: 100 }), fc.constant(HUGE))).map(([k, n]) => ({ ...fields, [k]: 'x'.repeat(n) }))),
    resealed(fc.constantFrom(...keys).map((k) => Object.fromEntries(Object.entries(fields).filter(([key]) => key !== k)))),
    resealed(fc.tuple(fc.string(), fc.jsonValue()).map(([k, v]) => ({ ...fields, [k in fields || OPTIONAL.has(k) ? 'bogus' : k]: v as Json }))),
  ];
  const numbers = impossible(t, fields);
  if (numbers !== null) ways.push(resealed(numbers));
  return ways;
}

/** A garbage sealed message for `t`: a base message broken one way. */
function brokenMessage(t: Target): fc.Arbitrary<Json> {
  return fc.constantFrom(...baseMessages(t)).chain((m) => fc.oneof(...breakings(t, m)));
}

/** Every base message broken every way, once each as a peer's vsr.message: the run's first frames, so each check is met whatever the random ones are. */
function everyBreaking(t: Target, seed: number): Sent[] {
  return baseMessages(t).flatMap((m, i) => breakings(t, m).map((way, j) => text(JSON.stringify({ jsonrpc: '2.0', mid: 1, method: 'vsr.message', params: fc.sample(way, { numRuns: 1, seed: seed + 100 * i + j })[0] }))));
}

/** A batch: of broken messages (each dropped by the driver), or one the wire refuses whole. */
function brokenBatch(t: Target): fc.Arbitrary<Json> {
  const one = brokenMessage(t);
  const small = fc.constantFrom(...baseMessages(t)).map((m) => ({ checksum: '0'.repeat(32), message: m }));
  return fc.oneof(
    fc.array(one, { minLength: 2, maxLength: 12 }).map((messages) => ({ messages })),
    one.map((m) => ({ messages: [m] })),
    small.map((m) => ({ messages: Array.from({ length: BATCH_MAX + 1 }, () => m) })),
    fc.tuple(fc.array(one, { minLength: 1, maxLength: 4 }), fc.anything()).map(([messages, junk]) => ({ messages: [...messages, junk as Json] })),
    fc.anything().map((messages) => ({ messages: messages as Json })),
  );
}

/** A client request the wire refuses (one field wrong, missing, extra or huge), or one the engine refuses (no session, a write as a read, an op over the bound). */
function clientRequests(t: Target): { invalid: fc.Arbitrary<Fields>; refused: fc.Arbitrary<Fields> } {
  const good: Fields = { client: 'fuzz-client', request: 1, kind: 'write', op: { f: 'put', key: 'k', value: 'v' } };
  const invalid = fc.oneof(
    fc.tuple(fc.constantFrom('client', 'request', 'kind'), unfit).map(([k, v]) => ({ ...good, [k]: v })),
    fc.constantFrom('client', 'request', 'kind', 'op').map((k) => Object.fromEntries(Object.entries(good).filter(([key]) => key !== k))),
    fc.constantFrom<Fields>({ client: '' }, { client: 'c'.repeat(201) }, { kind: 'register!' }, { request: 2 ** 60 }, { bogus: 1 }).map((over) => ({ ...good, ...over })),
  );
  const session = fc.string({ minLength: 1, maxLength: 40 }).map((s) => `fuzz-${s}`.slice(0, 200));
  const refused = fc.oneof(
    fc.record({ client: session, request: fc.nat(), kind: fc.constant('write'), op: fc.jsonValue() }),
    fc.record({ client: session, request: fc.nat(), kind: fc.constant('read'), op: fc.constant({ f: 'put', key: 'k', value: 'v' }) }),
    fc.record({ client: session, request: fc.nat(), kind: fc.constant('write'), op: fc.constant('x'.repeat(t.bodyMax + 1)) }),
  );
  return { invalid, refused: refused as fc.Arbitrary<Fields> };
}

let ids = 0;

/** A frame of `method` with `params`: a notice as a peer sends it (with or without a mid), or a request that must be answered with error `code`. */
function asFrame(method: string, params: Json, code: number): fc.Arbitrary<Sent> {
  return fc.constantFrom('mid', 'notice', 'request').map((how): Sent => {
    if (how === 'request') return expectError(method, params, code);
    const mid = how === 'mid' ? '"mid":7,' : '';
    return text(`{"jsonrpc":"2.0",${mid}"method":"${method}","params":${JSON.stringify(params)}}`);
  });
}

function expectError(method: string, params: Json, code: number): Sent {
  const id = `garbage-${++ids}`;
  return {
    ...text(JSON.stringify({ jsonrpc: '2.0', id, method, params })),
    reply: { id, check: (r) => expect(r, `${method} ${JSON.stringify(params).slice(0, 300)}`).to.nested.include({ id, 'error.code': code }) },
  };
}

/** A request the engine refuses: answered with a result, never an ok. */
function expectRefused(params: Json): Sent {
  const id = `refused-${++ids}`;
  const check = (r: unknown): void => {
    const reply = r as { result?: { status?: unknown } };
    expect(reply, JSON.stringify(params).slice(0, 300)).to.have.property('result');
    expect(['rejected', 'not_primary']).to.include(reply.result?.status);
  };
  return { ...text(JSON.stringify({ jsonrpc: '2.0', id, method: 'vsr.request', params })), reply: { id, check } };
}

const VSR_METHODS = ['vsr.message', 'vsr.batch', 'vsr.request'];

/** The property's frames for one target, with the VSR near-valid ones on top of the shared generator's. */
function vsrFrames(t: Target): fc.Arbitrary<Sent> {
  const clients = clientRequests(t);
  const message = brokenMessage(t);
  return malformedFrames({
    known: VSR_METHODS,
    params: fc.oneof(message, brokenBatch(t), clients.invalid),
    extra: [
      { weight: 12, arbitrary: message.chain((m) => asFrame('vsr.message', m, -32601)) },
      { weight: 4, arbitrary: brokenBatch(t).chain((b) => asFrame('vsr.batch', b, -32601)) },
      { weight: 3, arbitrary: clients.invalid.map((p) => expectError('vsr.request', p, -32602)) },
      { weight: 3, arbitrary: clients.refused.map(expectRefused) },
    ],
  });
}

/** The control port's frames: the shared generator with the control methods' names (the changing ones only with refused params). */
const controlFrames = malformedFrames({ known: ['status', 'disk_files'], params: fc.dictionary(fc.string(), fc.anything()) });

function urlOf(a: Address, from: string): string {
  return `ws://${a.host}:${a.port}/?from=${encodeURIComponent(from)}`;
}

/** A write by a client with no session: every replica answers it (rejected at the primary, not_primary elsewhere) and nothing changes. */
const SENTINEL = '{"jsonrpc":"2.0","id":"%","method":"vsr.request","params":{"client":"fuzz-sentinel","request":1,"kind":"write","op":null}}';
const CONTROL_SENTINEL = '{"jsonrpc":"2.0","id":"%","method":"status","params":{}}';

for (const lab of ['vsr', 'par'] as const) {
  describe(`bad frames against a live ${lab} cluster`, function () {
    this.timeout(120_000);
    let cluster: RealCluster;
    const peers: RawPeer[] = [];

    async function statuses(): Promise<VsrStatus[]> {
      return Promise.all([0, 1, 2].map(async (i) => vsrStatusSchema.parse(await cluster.status(i))));
    }

    /** Wait until the replicas agree (normal, one view, every op committed everywhere). */
    async function settled(op: number): Promise<VsrStatus[]> {
      let all: VsrStatus[] = [];
      for (let tries = 0; tries < 200; tries++) {
        all = await statuses();
        if (all.every((s) => s.status === 'normal' && s.view === all[0]!.view && s.op === op && s.commit_min === op && s.commit_max === op)) return all;
        await cluster.sleep(25);
      }
      throw new Error(`the cluster did not settle at op ${op}: ${JSON.stringify(all.map(held))}`);
    }

    before(async function () {
      cluster = new RealCluster({ lab, nodes: 3, timing: defaultTiming('real'), app: 'kv' });
      for (let i = 0; i < 3; i++) await cluster.start(i);
    });

    after(async function () {
      for (const peer of peers) peer.close();
      await cluster?.close();
    });

    it('every replica runs, answers, and holds its view, op and commit through garbage VSR frames; a write still commits', async function () {
      const replicas = [0, 1, 2].map((i) => cluster.id(i));
      const client = new VsrClient(cluster.clientEnv('writer'), { replicas, timing: cluster.timing });
      expect(await client.invoke({ f: 'put', key: 'k', value: 'before' })).to.deep.equal({ ok: true, value: null });
      const before = await settled(2); // the register and the put
      const cluster_ = clusterId(replicas);
      const bodyMax = lab === 'par' ? opBytesMax(JOURNAL_SHAPE) : LOG_BODY_BYTES_MAX;
      for (let index = 0; index < 3; index++) {
        const sender = (index + 1) % 3;
        const address = parseAddress(replicas[index]!)!;
        const target: Target = { cluster: cluster_, index, sender, status: before[index]!, bodyMax };
        const frames = vsrFrames(target);
        const asPeer = new RawPeer(urlOf(address, replicas[sender]!));
        const asClient = new RawPeer(urlOf(address, 'client:fuzzer'));
        const control = new RawPeer(urlOf(controlAddressOf(replicas[index]!), 'client:fuzzer'));
        peers.push(asPeer, asClient, control);
        await throwFrames(asPeer, frames, SENTINEL, 80, everyBreaking(target, index));
        await throwFrames(asClient, frames, SENTINEL, 40);
        await throwFrames(control, controlFrames, CONTROL_SENTINEL, 20);
      }
      for (let i = 0; i < 3; i++) expect(cluster.alive(i), `replica ${i} runs`).to.equal(true);
      expect((await statuses()).map(held)).to.deep.equal(before.map(held));
      expect(await client.invoke({ f: 'append', key: 'k', value: '+after' })).to.deep.equal({ ok: true, value: null });
      expect(await client.invoke({ f: 'get', key: 'k' })).to.deep.equal({ ok: true, value: 'before+after' });
      await settled(3);
    });
  });
}
