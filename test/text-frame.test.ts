// The frames a real node writes itself (coalesce.ts's writeTextFrame and textFrame): the bytes RFC 6455 §5.2 gives for
// one unmasked or zero-masked text frame, at every length class and for any UTF-16 text, and what a
// ws server reads from them is the text sent (UTF-8's replacement character for a lone surrogate).
import { expect } from 'chai';
import fc from 'fast-check';
import { once } from 'node:events';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import { Coalescer, frameBound, textFrame, writeTextFrame } from '../src/env/real/coalesce.js';

/** The frame written out from the RFC, the plain way: header bytes one by one, then the text's UTF-8. */
function rfcFrame(text: string, masked: boolean): Buffer {
  const payload = Buffer.from(text, 'utf8');
  const n = payload.length;
  const mask = masked ? 0x80 : 0;
  const length = n <= 125 ? [mask | n] : n < 65536 ? [mask | 126, n >> 8, n & 0xff] : [mask | 127, 0, 0, 0, 0, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
  return Buffer.concat([Buffer.from([0x81, ...length, ...(masked ? [0, 0, 0, 0] : [])]), payload]);
}

/** Texts of every length class, around their edges, in one-, two-, three- and four-byte characters. */
const edges = fc.tuple(fc.constantFrom(0, 1, 41, 42, 124, 125, 126, 127, 21845, 21846, 65535, 65536, 70000), fc.constantFrom('a', 'é', '€', '😀', '\ud800', '"')).map(([n, c]) => c.repeat(Math.ceil(n / c.length)).slice(0, n));
const texts = fc.oneof(edges, fc.string({ unit: 'binary', maxLength: 400 }), fc.string({ unit: 'grapheme', maxLength: 200 }));

/** The frame writeTextFrame() writes for `text` (a link's slab's way), after `at` bytes of something else. */
function slabFrame(text: string, masked: boolean, at = 0): Buffer {
  const buf = Buffer.alloc(at + frameBound(text), 0xee);
  return buf.subarray(at, writeTextFrame(buf, at, text, masked));
}

describe('text frames written by a node', function () {
  it('are the bytes RFC 6455 gives for one text frame, masked with a zero key or not', function () {
    fc.assert(
      fc.property(texts, fc.boolean(), fc.nat(20), (text, masked, at) => {
        const rfc = rfcFrame(text, masked);
        expect(slabFrame(text, masked, at).equals(rfc)).to.equal(true);
        expect(textFrame(text, masked).equals(rfc)).to.equal(true);
      }),
      { numRuns: 500 },
    );
  });

  it("two links' coalesced frames, sent interleaved within turns and some too large for a slab, reach the server whole and in order", async function () {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
    await once(wss, 'listening');
    const received = new Map<string, string[]>();
    wss.on('connection', (c, request) => {
      const texts: string[] = [];
      received.set(request.url ?? '', texts);
      c.on('message', (data) => texts.push(String(data)));
    });
    const open = async (path: string): Promise<Socket> => {
      const socket = connect((wss.address() as AddressInfo).port, '127.0.0.1');
      await once(socket, 'connect');
      socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
      await once(socket, 'data'); // 101 Switching Protocols
      return socket;
    };
    const sockets = [await open('/a'), await open('/b')];
    try {
      const links = sockets.map((socket) => new Coalescer(socket, true));
      const sizes = fc.constantFrom(1, 40, 200, 5000, 30000);
      const turns = fc.sample(fc.array(fc.tuple(fc.nat(1), sizes, fc.constantFrom('a', 'é', '😀')), { minLength: 1, maxLength: 12 }), 40);
      const sent: string[][] = [[], []];
      let n = 0;
      for (const turn of turns) {
        for (const [link, size, c] of turn) {
          const text = `${n++}:${c.repeat(size)}`;
          sent[link]!.push(text);
          links[link]!.send(text);
        }
        await new Promise((resolve) => setImmediate(resolve)); // the turn's end: its frames leave
      }
      const total = sent[0]!.length + sent[1]!.length;
      for (let tries = 0; (received.get('/a')?.length ?? 0) + (received.get('/b')?.length ?? 0) < total && tries < 1000; tries++) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(received.get('/a') ?? []).to.deep.equal(sent[0]);
      expect(received.get('/b') ?? []).to.deep.equal(sent[1]);
    } finally {
      for (const socket of sockets) socket.destroy();
      wss.close();
    }
  });

  it('a ws server reads each as the text sent, in order', async function () {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
    await once(wss, 'listening');
    const received: string[] = [];
    wss.on('connection', (c) => c.on('message', (data) => received.push(String(data))));
    const socket = connect((wss.address() as AddressInfo).port, '127.0.0.1');
    try {
      await once(socket, 'connect');
      socket.write('GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
      await once(socket, 'data'); // 101 Switching Protocols
      const sent = fc.sample(texts, 300);
      for (const text of sent) socket.write(slabFrame(text, true));
      // Until every frame is read, or 10 s: a frame the server misreads ends the stream, and the check below fails.
      for (let tries = 0; received.length < sent.length && tries < 1000; tries++) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(received).to.deep.equal(sent.map((text) => Buffer.from(text, 'utf8').toString('utf8')));
    } finally {
      socket.destroy();
      wss.close();
    }
  });
});
