// Bad input never crashes a node: against a live echo node process, each bad frame by hand with
// its exact JSON-RPC error code, peers that vanish, then a fast-check property that throws
// thousands of generated frames at the protocol port and the control port.
import { expect } from 'chai';
import fc from 'fast-check';
import WebSocket from 'ws';
import { connect } from 'node:net';
import { RealCluster } from '../tester/real-cluster.js';
import { classicTiming, scaleTiming } from '../src/timing.js';
import { controlCall } from '../src/control/client.js';
import * as control from '../src/control/protocol.js';
import { controlAddressOf, parseAddress, type Address } from '../src/env/real/address.js';
import { MAX_FRAME_BYTES } from '../src/wire/frame.js';
import { RealEnv } from '../src/env/real/env.js';
import { ping } from '../labs/echo/lab.js';

/** A raw WebSocket peer that records every frame it gets back and how its connection ended. */
class RawPeer {
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

function urlOf(a: Address): string {
  return `ws://${a.host}:${a.port}/?from=fuzzer`;
}

/** Every reply must be a well-formed JSON-RPC response with a known code. */
function expectWellFormed(text: string): void {
  const r = JSON.parse(text) as { jsonrpc?: unknown; id?: unknown; result?: unknown; error?: { code?: unknown; message?: unknown } };
  expect(r.jsonrpc, text).to.equal('2.0');
  expect(r, text).to.have.property('id');
  if (r.error === undefined) expect(r, text).to.have.property('result');
  else {
    expect([-32700, -32600, -32601, -32602, -32000], text).to.include(r.error.code);
    expect(r.error.message, text).to.be.a('string');
  }
}

describe('bad input against a live node process', function () {
  let cluster: RealCluster;
  let node: string;
  let protocol: RawPeer;
  let controlPeer: RawPeer;

  before(async function () {
    cluster = new RealCluster({ lab: 'echo', nodes: 1, timing: scaleTiming(classicTiming, 0.1) });
    await cluster.start(0);
    node = cluster.id(0);
    protocol = new RawPeer(urlOf(parseAddress(node)!));
    controlPeer = new RawPeer(urlOf(controlAddressOf(node)));
    await protocol.open();
    await controlPeer.open();
  });

  after(async function () {
    protocol?.close();
    controlPeer?.close();
    await cluster?.close();
  });

  async function stillServing(): Promise<void> {
    expect(cluster.alive(0), 'node process alive').to.equal(true);
    const client = RealEnv.client('checker');
    try {
      expect(await client.call(node, ping, { text: 'alive?' }, { timeoutMs: 5000 })).to.have.property('text', 'alive?');
    } finally {
      await client.close();
    }
    expect((await controlCall(node, control.status, {})).node).to.equal(node);
  }

  async function answer(peer: RawPeer, text: string): Promise<unknown> {
    const seen = peer.replies.length;
    await peer.send(text);
    return peer.reply(seen);
  }

  for (const [port, peerOf] of [
    ['protocol', () => protocol],
    ['control', () => controlPeer],
  ] as const) {
    it(`answers malformed JSON with -32700 and non-JSON-RPC with -32600 (${port} port)`, async function () {
      const peer = peerOf();
      expect(await answer(peer, 'hello {')).to.nested.include({ jsonrpc: '2.0', id: null, 'error.code': -32700 });
      for (const text of ['{"a":1}', '42', '"x"', 'null', '[1,2]', '[]', '{"jsonrpc":"2.0","id":{"x":1},"method":"status"}']) {
        expect(await answer(peer, text), text).to.nested.include({ jsonrpc: '2.0', id: null, 'error.code': -32600 });
      }
      expect(await answer(peer, '{"jsonrpc":"2.0","id":5,"method":7}')).to.nested.include({ id: 5, 'error.code': -32600 });
      expect(await answer(peer, '{"jsonrpc":"1.0","id":"v","method":"status"}')).to.nested.include({ id: 'v', 'error.code': -32600 });
      expect(await answer(peer, '{"jsonrpc":"2.0","id":6,"method":"status","params":3}')).to.nested.include({ id: 6, 'error.code': -32602 });
    });

    it(`answers an unknown method with -32601 and ignores notifications (${port} port)`, async function () {
      const peer = peerOf();
      expect(await answer(peer, '{"jsonrpc":"2.0","id":"q","method":"no.such","params":{}}')).to.nested.include({ id: 'q', 'error.code': -32601, 'error.message': 'Method not found: no.such' });
      const seen = peer.replies.length;
      await peer.send('{"jsonrpc":"2.0","method":"no.such","params":{}}');
      await peer.send('{"jsonrpc":"2.0","method":"echo.note","params":{"text":5}}');
      await peer.send('{"jsonrpc":"2.0","id":"after","method":"no.such"}');
      expect(await peer.reply(seen), 'no reply to the notifications').to.nested.include({ id: 'after' });
    });

    it(`closes the connection on an oversized frame and keeps serving (${port} port)`, async function () {
      const peer = peerOf();
      await peer.send('x'.repeat(MAX_FRAME_BYTES + 1));
      expect(await peer.closed()).to.equal(1009);
      await peer.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])); // invalid UTF-8 in a text frame
      expect(await peer.closed()).to.equal(1007);
      await peer.open();
      await stillServing();
    });
  }

  it('answers wrong params with -32602 and a readable reason', async function () {
    const bad = (await answer(protocol, '{"jsonrpc":"2.0","id":8,"method":"echo.ping","params":{"text":5}}')) as { error: { code: number; message: string } };
    expect(bad).to.nested.include({ id: 8, 'error.code': -32602 });
    expect(bad.error.message).to.match(/^Invalid params for echo\.ping: text: /);
    const good = await answer(protocol, '{"jsonrpc":"2.0","id":9,"method":"echo.ping","params":{"text":"ok"}}');
    expect(good).to.deep.equal({ jsonrpc: '2.0', id: 9, result: { text: 'ok', count: 0 } });
    const ctl = (await answer(controlPeer, '{"jsonrpc":"2.0","id":10,"method":"breakpoint","params":{"n":9}}')) as { error: { message: string } };
    expect(ctl).to.nested.include({ id: 10, 'error.code': -32602 });
    expect(ctl.error.message).to.match(/^Invalid params for breakpoint: n: /);
    expect((await controlCall(node, control.status, {})).breakpoints).to.deep.equal([]);
  });

  it('survives peers that connect and vanish, half handshakes and garbage before the upgrade', async function () {
    const { host, port } = parseAddress(node)!;
    for (const target of [port, port + 1]) {
      for (const bytes of ['', 'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n', 'garbage\r\n\r\n', '\x16\x03\x01\x02\x00']) {
        await new Promise<void>((resolve) => {
          const socket = connect(target, host, () => {
            socket.write(bytes);
            socket.destroy();
            resolve();
          });
          socket.on('error', () => resolve());
        });
      }
      const vanishing = new WebSocket(`ws://${host}:${target}/?from=%00%zz`);
      vanishing.on('error', () => undefined);
      await new Promise<void>((resolve) => vanishing.once('open', () => resolve()));
      vanishing.terminate();
    }
    await stillServing();
  });

  it('keeps serving through 10,000 generated frames at both ports', async function () {
    const known = ['echo.ping', 'echo.note', 'status', 'disk_files']; // never echo.check: it crashes the node on purpose
    /** Control methods that change the node are only ever sent with params their schema refuses. */
    const refusedParams = fc.oneof(
      fc.record({ method: fc.constant('breakpoint'), params: fc.record({ n: fc.oneof(fc.string(), fc.integer({ min: 5 }), fc.integer({ max: 0 })) }) }),
      fc.record({ method: fc.constant('net_repair'), params: fc.record({ heal: fc.oneof(fc.string(), fc.integer()) }) }),
      fc.record({ method: fc.constant('faults'), params: fc.record({ loss: fc.oneof(fc.string(), fc.double({ min: 1.5, noNaN: true })) }) }),
      fc.record({ method: fc.constant('disk_fault'), params: fc.record({ file: fc.integer(), offset: fc.string() }) }),
    );
    const nearValid = fc
      .record(
        {
          jsonrpc: fc.oneof(fc.constant('2.0'), fc.constant('2.0'), fc.anything()),
          id: fc.oneof(fc.integer(), fc.string(), fc.constant(null), fc.anything()),
          method: fc.oneof(fc.constantFrom(...known), fc.string(), fc.anything()),
          params: fc.oneof(fc.record({ text: fc.anything() }), fc.dictionary(fc.string(), fc.anything()), fc.anything()),
        },
        { requiredKeys: [] },
      )
      .map((o) => JSON.stringify(o) ?? 'null');
    const dangerous = fc.tuple(refusedParams, fc.integer()).map(([m, id]) => JSON.stringify({ jsonrpc: '2.0', id, ...m }));
    const frame = fc.oneof(
      { weight: 4, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }).map((s) => ({ data: s as string | Buffer, binary: false })) },
      { weight: 2, arbitrary: fc.tuple(fc.uint8Array({ maxLength: 200 }), fc.boolean()).map(([b, binary]) => ({ data: Buffer.from(b) as string | Buffer, binary })) },
      { weight: 4, arbitrary: fc.json().map((s) => ({ data: s as string | Buffer, binary: false })) },
      { weight: 8, arbitrary: nearValid.map((s) => ({ data: s as string | Buffer, binary: false })) },
      { weight: 2, arbitrary: dangerous.map((s) => ({ data: s as string | Buffer, binary: false })) },
      // Large frames, inside the limit (64 MiB frames would make the run minutes long; the test above sends one over it).
      { weight: 1, arbitrary: fc.integer({ min: 1 << 18, max: (1 << 18) + 4096 }).map((n) => ({ data: `{"jsonrpc":"2.0","method":"${'x'.repeat(n)}"}` as string | Buffer, binary: false })) },
    );
    const sentinels: [RawPeer, string][] = [
      [protocol, '{"jsonrpc":"2.0","id":"%","method":"echo.ping","params":{"text":"still there?"}}'],
      [controlPeer, '{"jsonrpc":"2.0","id":"%","method":"disk_files","params":{}}'],
    ];
    for (const [peer, sentinel] of sentinels) {
      const before = peer.replies.length;
      let runs = 0;
      await fc.assert(
        fc.asyncProperty(frame, async ({ data, binary }) => {
          // After each frame the node must answer a good request: on this connection, or on a new
          // one if it closed this one for cause (1009 too big, 1007 bad UTF-8).
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
        }),
        { numRuns: 5000 },
      );
      for (const text of peer.replies.slice(before)) expectWellFormed(text);
    }
    await stillServing();
    const status = await controlCall(node, control.status, {});
    expect(status).to.deep.include({ partitioned: false, partitionArmed: false, breakpoints: [], faults: { loss: 0, dup: 0, delayMs: 0 } });
  });
});
