// The malformed-frame property's parts, shared by the live-node tests (bad-input: an echo node;
// vsr-bad-frames: VSR clusters): a raw WebSocket peer, the fast-check frame generator (parameterized
// by a lab's method names and params) and the loop that throws frames at a port with a good request
// after each. It never starts nodes and knows no lab's protocol.
import { expect } from 'chai';
import fc from 'fast-check';
import WebSocket from 'ws';

/** A raw WebSocket peer that records every frame it gets back and how its connection ended. */
export class RawPeer {
  readonly replies: string[] = [];
  private socket: WebSocket | undefined;
  private waiters: (() => void)[] = [];
  closeCode: number | undefined;

  constructor(private readonly url: string) {}

  private wake(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }

  private changed(): Promise<void> {
    return new Promise<void>((wake) => this.waiters.push(wake));
  }

  async open(): Promise<void> {
    const socket = new WebSocket(this.url, { perMessageDeflate: false });
    this.socket = socket;
    this.closeCode = undefined;
    socket.on('message', (data) => {
      this.replies.push(String(data));
      this.wake();
    });
    socket.on('error', () => undefined);
    socket.on('close', (code) => {
      if (this.socket !== socket) return;
      this.closeCode = code;
      this.wake();
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('close', () => reject(new Error(`could not connect to ${this.url}`)));
    });
  }

  /** Send a frame (reconnecting first if the node closed the connection); resolves once written. */
  async send(data: string | Buffer, binary = false): Promise<void> {
    if (this.socket?.readyState !== WebSocket.OPEN) await this.open();
    await new Promise<void>((resolve) => this.socket!.send(data, { binary }, () => resolve()));
  }

  /** The reply number `index`, or undefined if the connection closes first. */
  async reply(index = this.replies.length): Promise<unknown> {
    while (this.replies.length <= index && this.closeCode === undefined) await this.changed();
    const text = this.replies[index];
    return text === undefined ? undefined : JSON.parse(text);
  }

  /** The reply with this id among those from `index` on, or undefined if the connection closes first. */
  async replyWithId(id: string, index: number): Promise<unknown> {
    for (let i = index; ; i++) {
      const reply = (await this.reply(i)) as { id?: unknown } | undefined;
      if (reply === undefined || reply.id === id) return reply;
    }
  }

  async closed(): Promise<number> {
    while (this.closeCode === undefined) await this.changed();
    return this.closeCode;
  }

  close(): void {
    this.socket?.terminate();
  }
}

/** The JSON-RPC error codes a node answers with. */
const ERROR_CODES = [-32700, -32600, -32601, -32602, -32000];

/** Every reply must be a well-formed JSON-RPC response with a known code. */
export function expectWellFormed(text: string): void {
  const r = JSON.parse(text) as { jsonrpc?: unknown; id?: unknown; result?: unknown; error?: { code?: unknown; message?: unknown } };
  expect(r.jsonrpc, text).to.equal('2.0');
  expect(r, text).to.have.property('id');
  if (r.error === undefined) expect(r, text).to.have.property('result');
  else {
    expect(ERROR_CODES, text).to.include(r.error.code);
    expect(r.error.message, text).to.be.a('string');
  }
}

/**
 * One frame to send. `reply`, when the frame is a request whose answer is known exactly: its id and
 * a check of the reply (which must come, after the sentinel's at the latest).
 */
export interface Sent {
  data: string | Buffer;
  binary: boolean;
  reply?: { id: string; check: (reply: unknown) => void };
}

export const text = (data: string): Sent => ({ data, binary: false });

/** Control methods that change the node, only ever with params their schema refuses. */
export const refusedControlParams = fc.oneof(
  fc.record({ method: fc.constant('breakpoint'), params: fc.record({ n: fc.oneof(fc.string(), fc.integer({ min: 5 }), fc.integer({ max: 0 })) }) }),
  fc.record({ method: fc.constant('net_repair'), params: fc.record({ heal: fc.oneof(fc.string(), fc.integer()) }) }),
  fc.record({ method: fc.constant('faults'), params: fc.record({ loss: fc.oneof(fc.string(), fc.double({ min: 1.5, noNaN: true })) }) }),
  fc.record({ method: fc.constant('disk_fault'), params: fc.record({ file: fc.integer(), offset: fc.string() }) }),
);

export interface FrameOptions {
  /** Method names that near-valid frames use (never one that changes the node with any params). */
  known: readonly string[];
  /** Params near-valid frames carry besides random dictionaries and values. */
  params: fc.Arbitrary<unknown>;
  /** Frames of a lab's own (near-valid messages, each with its expected answer), with their weight. */
  extra?: fc.WeightedArbitrary<Sent>[];
}

/**
 * Random text and binary frames, random JSON, near-valid JSON-RPC (known methods, `params`), control
 * methods with refused params, large frames inside the limit, and `extra`.
 */
export function malformedFrames(o: FrameOptions): fc.Arbitrary<Sent> {
  const nearValid = fc
    .record(
      {
        jsonrpc: fc.oneof(fc.constant('2.0'), fc.constant('2.0'), fc.anything()),
        id: fc.oneof(fc.integer(), fc.string(), fc.constant(null), fc.anything()),
        method: fc.oneof(fc.constantFrom(...o.known), fc.string(), fc.anything()),
        params: fc.oneof(o.params, fc.dictionary(fc.string(), fc.anything()), fc.anything()),
      },
      { requiredKeys: [] },
    )
    .map((r) => JSON.stringify(r) ?? 'null');
  const dangerous = fc.tuple(refusedControlParams, fc.integer()).map(([m, id]) => JSON.stringify({ jsonrpc: '2.0', id, ...m }));
  return fc.oneof(
    { weight: 4, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }).map(text) },
    { weight: 2, arbitrary: fc.tuple(fc.uint8Array({ maxLength: 200 }), fc.boolean()).map(([b, binary]): Sent => ({ data: Buffer.from(b), binary })) },
    { weight: 4, arbitrary: fc.json().map(text) },
    { weight: 8, arbitrary: nearValid.map(text) },
    { weight: 2, arbitrary: dangerous.map(text) },
    // Large frames, inside the limit (64 MiB frames would make the run minutes long; bad-input sends one over it).
    { weight: 1, arbitrary: fc.integer({ min: 1 << 18, max: (1 << 18) + 4096 }).map((n) => text(`{"jsonrpc":"2.0","method":"${'x'.repeat(n)}"}`)) },
    ...(o.extra ?? []),
  );
}

/**
 * Send `numRuns` generated frames on `peer`, each followed by `sentinel` (a good request; '%' stands
 * for its id), whose result must come back: on this connection, or on a new one if the node closed
 * this one for cause (1009 too big, 1007 bad UTF-8). A frame's own expected reply is checked too;
 * every reply must be well-formed. `examples` go first.
 */
export async function throwFrames(peer: RawPeer, frames: fc.Arbitrary<Sent>, sentinel: string, numRuns: number, examples: Sent[] = []): Promise<void> {
  const before = peer.replies.length;
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(frames, async ({ data, binary, reply }) => {
      const id = `sentinel-${++runs}`;
      const from = peer.replies.length;
      await peer.send(data, binary);
      await peer.send(sentinel.replace('%', id));
      let answer = await peer.replyWithId(id, from);
      if (answer === undefined) {
        expect([1007, 1009]).to.include(peer.closeCode);
        const again = peer.replies.length;
        await peer.send(sentinel.replace('%', id));
        answer = await peer.replyWithId(id, again);
      }
      expect(answer).to.have.property('result');
      if (reply !== undefined) reply.check(await peer.replyWithId(reply.id, from));
    }),
    { numRuns, examples: examples.map((e): [Sent] => [e]) },
  );
  for (const t of peer.replies.slice(before)) expectWellFormed(t);
}
