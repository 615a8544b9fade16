// Bad input never crashes a node: against a live echo node process, each bad frame by hand with
// its exact JSON-RPC error code, a result too large to send, peers that vanish, then a fast-check
// property that throws thousands of generated frames at the protocol port and the control port.
import { expect } from 'chai';
import fc from 'fast-check';
import WebSocket from 'ws';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { RealCluster } from '../tester/real-cluster.js';
import { classicTiming, scaleTiming } from '../src/timing.js';
import { controlCall } from '../src/control/client.js';
import * as control from '../src/control/protocol.js';
import { controlAddressOf, parseAddress, type Address } from '../src/env/real/address.js';
import { JSON_DEPTH_MAX, MAX_FRAME_BYTES } from '../src/wire/frame.js';
import { RealEnv } from '../src/env/real/env.js';
import { fill, ping } from '../labs/echo/lab.js';
import { isRpcError } from '../src/env/types.js';
import { PROP_N_MAX, paxosAccept, paxosDecide } from '../labs/paxos/protocol.js';
import { paxosStatusSchema } from '../labs/paxos/status.js';
import { RsmClient } from '../labs/rsm/client.js';
import { malformedFrames, RawPeer, throwFrames } from './frames.js';
import { tracedUntil } from './fixtures/node-trace.js';

function urlOf(a: Address): string {
  return `ws://${a.host}:${a.port}/?from=fuzzer`;
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
      expect(await answer(peer, '{"jsonrpc":"2.0","id":6,"method":"status","params":3}')).to.nested.include({ id: 6, 'error.code': -32602, 'error.message': 'Invalid params: params must be an object or an array' });
      // A string is not echoed back as if it were the reason.
      expect(await answer(peer, '{"jsonrpc":"2.0","id":7,"method":"status","params":"all is well"}')).to.nested.include({ id: 7, 'error.code': -32602, 'error.message': 'Invalid params: params must be an object or an array' });
      // A bad id is the request's fault, and the message says so (not jsonrpc-lite's "Internal error").
      expect(await answer(peer, '{"jsonrpc":"2.0","id":true,"method":"status"}')).to.nested.include({ id: null, 'error.code': -32600, 'error.message': 'Invalid request: "id" must be provided, a string or an integer.' });
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

    it(`answers JSON nested past the depth bound with -32600, in any layout, and keeps serving (${port} port)`, async function () {
      const peer = peerOf();
      const nested = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);
      const deep = nested(10_000);
      const bound = `JSON nested deeper than ${JSON_DEPTH_MAX} levels`;
      const refused = { 'error.code': -32600, 'error.message': `Invalid request: ${bound}` };
      expect(await answer(peer, `{"jsonrpc":"2.0","id":11,"method":"echo.ping","params":{"text":"x","deep":${deep}}}`)).to.nested.include({ id: 11, ...refused });
      expect(await answer(peer, `{"id":12,"jsonrpc":"2.0","method":"no.such","params":{"x":${deep}}}`)).to.nested.include({ id: 12, ...refused });
      expect(await answer(peer, `{"jsonrpc":"2.0","method":"echo.note","params":{"text":${deep}}}`)).to.nested.include({ id: null, ...refused });
      // The frame is a level and its params another: 254 more is the bound exactly, 255 past it.
      expect(await answer(peer, `{"jsonrpc":"2.0","id":13,"method":"no.such","params":{"x":${nested(JSON_DEPTH_MAX - 2)}}}`)).to.nested.include({ id: 13, 'error.code': -32601 });
      expect(await answer(peer, `{"jsonrpc":"2.0","id":14,"method":"no.such","params":{"x":${nested(JSON_DEPTH_MAX - 1)}}}`)).to.nested.include({ id: 14, ...refused });
      // Brackets inside a string are text, not nesting.
      const text = (await answer(peer, `{"jsonrpc":"2.0","id":15,"method":"echo.ping","params":{"text":"${deep}"}}`)) as { id: number; error?: { code: number } };
      expect(text.id).to.equal(15);
      expect(text.error?.code, 'a string of brackets is not refused as nesting').to.not.equal(-32600);
      await stillServing();
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

  it('refuses a misspelt control param with -32602 naming the key, never acting as if it were absent', async function () {
    // peers_only for peersOnly would arm a full cut; delay for delayMs would set no delay: both "succeed" doing the wrong thing.
    const cut = (await answer(controlPeer, '{"jsonrpc":"2.0","id":11,"method":"net_repair","params":{"heal":false,"peers_only":true}}')) as { error: { message: string } };
    expect(cut).to.nested.include({ id: 11, 'error.code': -32602 });
    expect(cut.error.message).to.match(/^Invalid params for net_repair: .*Unrecognized key: "peers_only"/);
    const delay = (await answer(controlPeer, '{"jsonrpc":"2.0","id":12,"method":"faults","params":{"delay":50}}')) as { error: { message: string } };
    expect(delay).to.nested.include({ id: 12, 'error.code': -32602 });
    expect(delay.error.message).to.match(/^Invalid params for faults: .*Unrecognized key: "delay"/);
    const status = await controlCall(node, control.status, {});
    expect(status).to.deep.include({ partitioned: false, partitionArmed: false });
    expect(status.faults).to.deep.include({ delayMs: 0 });
  });

  it('answers a result over the frame limit with a server error, serves on, and says so in its log once per method and peer', async function () {
    this.timeout(180_000); // several 64 MiB strings on a starved host, never a speed claim
    const clients = [RealEnv.client('big-a'), RealEnv.client('big-b')];
    try {
      for (const client of [clients[0]!, ...clients]) {
        for (let i = 0; i < 2; i++) {
          const e = await client.call(node, fill, { chars: MAX_FRAME_BYTES }, { timeoutMs: 60_000 }).then(() => undefined, (err: unknown) => err);
          expect(isRpcError(e, 'remote'), String(e)).to.equal(true);
          expect(String(e)).to.match(/-32000: result not sent: a frame of \d+ bytes is over the 64 MiB frame limit/);
        }
      }
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
    await stillServing();
    const said = readFileSync(join(cluster.nodeDir(0), 'node.log'), 'utf8').split('\n').filter((line) => line.includes('not sent'));
    expect(said, 'one line per peer, however many replies were refused').to.have.length(2);
    for (const [i, line] of said.entries()) {
      expect(line).to.match(new RegExp(`^rsmlab: ${node}: reply to echo\\.fill for ${clients[i]!.me} not sent: a frame of \\d+ bytes is over the 64 MiB frame limit \\(said once`));
    }
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
    const frame = malformedFrames({ known: ['echo.ping', 'echo.note', 'status', 'disk_files'], params: fc.record({ text: fc.anything() }) }); // never echo.check: it crashes the node on purpose
    await throwFrames(protocol, frame, '{"jsonrpc":"2.0","id":"%","method":"echo.ping","params":{"text":"still there?"}}', 5000);
    await throwFrames(controlPeer, frame, '{"jsonrpc":"2.0","id":"%","method":"disk_files","params":{}}', 5000);
    await stillServing();
    const status = await controlCall(node, control.status, {});
    expect(status).to.deep.include({ partitioned: false, partitionArmed: false, breakpoints: [], faults: { loss: 0, dup: 0, delayMs: 0 } });
  });
});

describe('forged Paxos messages, against a live Lab 1 node', function () {
  it('an empty value, and a proposal number past PROP_N_MAX (the node would die proposing one more), are -32602 naming the rule; the node serves on in its view', async function () {
    const cluster = new RealCluster({ lab: 'paxos', nodes: 1, timing: scaleTiming(classicTiming, 0.1) });
    const peer = new RawPeer(urlOf(parseAddress(cluster.id(0))!));
    try {
      await cluster.start(0);
      const before = await controlCall(cluster.id(0), control.status, {});
      await peer.open();
      const forged = [
        { method: 'paxos.accept', params: { instance: 2, n: { n: 99, m: 'x:1' }, v: '' } },
        { method: 'paxos.decide', params: { instance: 2, v: '' } },
        { method: 'paxos.prepare', params: { instance: 2, n: { n: PROP_N_MAX + 1, m: 'x:1' } } },
        { method: 'paxos.accept', params: { instance: 2, n: { n: Number.MAX_SAFE_INTEGER, m: 'x:1' }, v: 'x:1' } },
      ];
      for (const [i, { method, params }] of forged.entries()) {
        const seen = peer.replies.length;
        await peer.send(JSON.stringify({ jsonrpc: '2.0', id: i, method, params }));
        const reply = (await peer.reply(seen)) as { id: number; error?: { code: number; message: string } };
        expect(reply.id, method).to.equal(i);
        expect(reply.error?.code, method).to.equal(-32602);
        expect(reply.error?.message, method).to.match(/a Paxos value is never empty|a proposal number past 2\^40 is forged/);
      }
      expect(cluster.alive(0)).to.equal(true);
      expect((await controlCall(cluster.id(0), control.status, {})).state).to.deep.equal(before.state);
    } finally {
      peer.close();
      await cluster.close();
    }
  });
});

describe('forged decisions of impossible views, against live Lab 1 and Lab 2 nodes', function () {
  // Any connection may send paxos.decide or paxos.accept (the tester's ghosts are clients), with a
  // well-formed value that is no view after view 1 = {me}: Config refuses it before it is accepted
  // or decided, and the node neither dies (primaryOf's "shares no member") nor keeps it on disk.
  function impossible(me: string): [string, string][] {
    const change = `not view 1 {${me}} with one member added or removed`;
    return [
      ['garbage !!', change],
      ['x:1', change],
      [`${me} a:1 b:2`, change],
      [`${me}  x:1`, change],
      [`${me}\tx:1`, change],
      [`${me} ${me}`, 'a member is listed twice'],
      [`${me} client:x`, '"client:x" is not a node id'],
    ];
  }

  for (const lab of ['paxos', 'rsm'] as const) {
    it(`${lab}: paxos.decide and paxos.accept of a value that is no view are refused, traced as paxos.drop with the reason; the node serves on in view 1, on its disk too`, async function () {
      const cluster = new RealCluster({ lab, nodes: 1, timing: scaleTiming(classicTiming, 0.1), ...(lab === 'rsm' ? { app: 'kv' as const } : {}) });
      const forger = RealEnv.client('forger');
      try {
        await cluster.start(0);
        const me = cluster.id(0);
        const cases = impossible(me);
        for (const [v] of cases) {
          expect(await forger.call(me, paxosDecide, { instance: 2, v }, { timeoutMs: 5000 }), v).to.equal(null);
          expect(await forger.call(me, paxosAccept, { instance: 2, n: { n: 99, m: forger.me }, v }, { timeoutMs: 5000 }), v).to.equal(false);
        }
        expect(cluster.alive(0), 'node process alive').to.equal(true);
        const raw = await cluster.status(0);
        const status = paxosStatusSchema.parse(raw);
        expect([status.vid, status.members, status.acceptor.v_a]).to.deep.equal([1, [me], null]);
        const [lastValue, lastReason] = cases[cases.length - 1]!;
        expect(raw, 'status shows the last value refused').to.have.deep.property('dropped', { phase: 'accept', instance: 2, v: lastValue, reason: lastReason });
        const drops = await tracedUntil(cluster, 0, '"paxos.drop"', 2 * cases.length);
        for (const [i, [v, reason]] of cases.entries()) {
          for (const [k, phase] of (['decide', 'accept'] as const).entries()) {
            expect(drops[2 * i + k], v).to.deep.include({ what: 'paxos.drop', phase, instance: 2, v, reason });
          }
        }
        if (lab === 'rsm') await expectServes(me);
        await cluster.kill(0);
        await cluster.start(0);
        expect(paxosStatusSchema.parse(await cluster.status(0)).views, 'view 1 alone on its disk').to.deep.equal([{ vid: 1, members: [me] }]);
      } finally {
        await forger.close();
        await cluster.close();
      }
    });
  }

  /** A kv client's put and get through node `me`. */
  async function expectServes(me: string): Promise<void> {
    const env = RealEnv.client('kv');
    try {
      const client = new RsmClient(env, { members: [me], timing: scaleTiming(classicTiming, 0.1), giveUpMs: 10_000 });
      expect(await client.invoke({ f: 'put', key: 'k', value: 'v' })).to.deep.equal({ ok: true, value: null });
      expect(await client.invoke({ f: 'get', key: 'k' })).to.deep.equal({ ok: true, value: 'v' });
    } finally {
      await env.close();
    }
  }
});

describe('bad node ids in a join, against live Lab 1 and Lab 2 nodes', function () {
  // A node id goes into a view's Paxos value (ids joined by spaces): one with a space, an empty one
  // or a client's must be refused as params, never reach the view and kill the node that took it.
  const BAD_IDS = ['a b', '', ' ', 'client:x', 'x'.repeat(201)];

  for (const [lab, method, params] of [
    ['paxos', 'config.join', (id: string) => ({ node: id })],
    ['rsm', 'rsm.joinreq', (id: string) => ({ src: id, last: { vid: 0, seqno: 0 } })],
  ] as const) {
    it(`${lab}: ${method} with a bad node id is -32602 naming the rule, and the node serves on in its view`, async function () {
      const cluster = new RealCluster({ lab, nodes: 1, timing: scaleTiming(classicTiming, 0.1) });
      const peer = new RawPeer(urlOf(parseAddress(cluster.id(0))!));
      try {
        await cluster.start(0);
        const before = await controlCall(cluster.id(0), control.status, {});
        await peer.open();
        for (const [i, id] of BAD_IDS.entries()) {
          const seen = peer.replies.length;
          await peer.send(JSON.stringify({ jsonrpc: '2.0', id: i, method, params: params(id) }));
          const reply = (await peer.reply(seen)) as { id: number; error?: { code: number; message: string } };
          expect(reply.id, JSON.stringify(id)).to.equal(i);
          expect(reply.error?.code, JSON.stringify(id)).to.equal(-32602);
          expect(reply.error?.message).to.match(/a node id is 1 to 200 characters without whitespace|a client cannot be a member/);
        }
        expect(cluster.alive(0)).to.equal(true);
        expect((await controlCall(cluster.id(0), control.status, {})).state).to.deep.equal(before.state);
      } finally {
        peer.close();
        await cluster.close();
      }
    });
  }
});
