// A server's bound on bytes held in frames not yet whole, over all its connections: peers that
// send most of a large frame and stop are cut, the one holding most first, and the others are
// served; steady traffic far past the bound is never cut (the count of each whole message is released).
// handout: framework test (passes without the lab solutions)
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { expect } from 'chai';
import { RpcServer } from '../src/env/real/server.js';
import { releasePorts, reservePortPairs } from '../src/env/real/ports.js';
import { RawPeer } from './frames.js';

const BOUND = 1 << 20;

/** A raw TCP connection that has done the WebSocket handshake with 127.0.0.1:`port`. */
async function rawSocket(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.write('GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
  await once(socket, 'data'); // 101 Switching Protocols
  return socket;
}

/** The header (masked, 64-bit length) of a text frame announcing `length` payload bytes, then `sent` of them. */
function frameStart(length: number, sent: number): Buffer {
  const header = Buffer.alloc(14);
  header[0] = 0x81;
  header[1] = 0x80 | 127;
  header.writeBigUInt64BE(BigInt(length), 2);
  return Buffer.concat([header, Buffer.alloc(sent, 0x20)]); // mask key 0 (bytes 10-13), payload of spaces
}

async function closedOrTimeout(socket: Socket, ms: number): Promise<boolean> {
  if (socket.destroyed) return true;
  const closed = once(socket, 'close').then(() => true);
  return Promise.race([closed, new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms))]);
}

describe('a server\'s bound on unfinished frames', function () {
  this.timeout(60_000);
  let server: RpcServer;
  let ports: number[];
  let served = 0;

  beforeEach(async () => {
    served = 0;
    ports = await reservePortPairs(1);
    server = await RpcServer.listen('127.0.0.1', ports[0]!, (text, inbound) => {
      served++;
      inbound.reply(text);
    }, BOUND);
  });
  afterEach(async () => {
    await server.close();
    releasePorts(ports);
  });

  const port = (): number => server.port;

  it('cuts the connection holding the most once the sum passes the bound, and serves the rest', async () => {
    const small = await rawSocket(port());
    const large = await rawSocket(port());
    small.write(frameStart(900_000, 300_000));
    large.write(frameStart(900_000, 600_000));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(large.destroyed || small.destroyed, 'both held 900 KB, under the bound').to.equal(false);
    const third = await rawSocket(port());
    third.write(frameStart(900_000, 200_000)); // 1.1 MB in all: the largest (600 KB) goes
    expect(await closedOrTimeout(large, 5000), 'the connection holding the most').to.equal(true);
    expect(await closedOrTimeout(small, 300), 'a smaller one').to.equal(false);
    third.destroy(); // its 200 KB released: room for the small one's 600 KB more
    await new Promise((resolve) => setTimeout(resolve, 100));
    small.write(Buffer.alloc(600_000, 0x20)); // its frame completes: served
    for (let tries = 0; served === 0 && tries < 500; tries++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(served, 'the small connection\'s frame, completed').to.equal(1);
    const peer = new RawPeer(`ws://127.0.0.1:${port()}/`);
    try {
      await peer.send('"hello"');
      expect(await peer.reply(0), 'a new connection is served').to.equal('hello');
    } finally {
      peer.close();
      for (const s of [small, large, third]) s.destroy();
    }
    expect(served).to.equal(2);
  });

  it('counts whole messages exactly: after 2,000 of 10 KB (20 times the bound), a frame 200 bytes short of the bound is held, 300 more are cut', async () => {
    const peer = new RawPeer(`ws://127.0.0.1:${port()}/`);
    const raw = await rawSocket(port());
    try {
      const text = 'x'.repeat(10_000);
      for (let i = 0; i < 2000; i++) await peer.send(text);
      while (peer.replies.length < 2000 && peer.closeCode === undefined) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(peer.closeCode, 'the connection was cut').to.equal(undefined);
      expect(peer.replies.length).to.equal(2000);
      // 2,000 messages counted a byte too many each would leave 2,000 bytes held: this frame would go.
      raw.write(frameStart(2 * BOUND, BOUND - 14 - 200));
      expect(await closedOrTimeout(raw, 500), 'held within the bound').to.equal(false);
      raw.write(Buffer.alloc(300, 0x20));
      expect(await closedOrTimeout(raw, 5000), 'past the bound').to.equal(true);
    } finally {
      peer.close();
      raw.destroy();
    }
  });
});
