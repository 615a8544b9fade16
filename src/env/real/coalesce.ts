// Text frames out of one TCP socket, written coalesced: every frame sent while one callback and the
// promise jobs queued before its first send run is laid next to the last in a slab, and all leave
// in a single socket write in a job queued at that first send (which runs once those jobs are
// done), so 64 calls in flight cost one syscall, not 64, and usually one stream write, not 64 (each
// a Writable.write, its bookkeeping and a chunk in a corked socket's writev). A settled promise's job,
// not process.nextTick: a tick costs node's tick-and-rejection pass (~1,500 more instructions) on
// every turn that sends; nor queueMicrotask, which makes an AsyncResource and a bound wrapper for
// every one. Each message is its own WebSocket frame (textFrame); this never reorders or drops a
// frame, never delays one past the current turn, and never reads the socket (ws does).
import type { Socket } from 'node:net';
import { settled } from '../../settled.js';

const FIN_TEXT = 0x81; // FIN, opcode 1 (text)
const MASK_BIT = 0x80;
/** The largest length in a frame's second byte; past it, 126 (a 16-bit length follows) or 127 (a 64-bit one). */
const SHORT_LENGTH = 125;
const LENGTH_16 = 126;
const LENGTH_64 = 127;
/** A header's bytes at most: 2, a 64-bit length, a masking key. */
const MAX_HEAD = 2 + 8 + 4;
const TWO_32 = 2 ** 32;
/** Bytes of the slab frames are written into, and of the largest frame written there (UTF-8 takes at most 3 bytes per UTF-16 unit). */
const SLAB_BYTES = 1 << 16;
const SLAB_TEXT = SLAB_BYTES / 2 / 3;

/**
 * Frames are written one after another into one slab shared by every link (as Buffer.allocUnsafe
 * cuts from its pool: no memory per connection). Bytes handed to a socket are never written again:
 * a full slab is left to the writes in it, and a new one taken.
 */
let slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
let slabUsed = 0;

/** The bytes writeTextFrame() may take for `text`: its frame is at most this long. */
export function frameBound(text: string): number {
  return MAX_HEAD + 3 * text.length;
}

/**
 * Write one unfragmented text frame carrying `text` (RFC 6455 §5.2), header and UTF-8 payload, at
 * `at` in `buf` (which has frameBound(text) bytes from there); returns where the frame ends. The
 * payload goes where a header for text.length bytes ends (exact for ASCII, the usual text), and
 * moves along only if its UTF-8 is longer than that header can say: no Buffer.byteLength pass over
 * the text. `masked` (a client's frames): the mask bit with a zero key, so the payload is the text
 * as it is, and the receiving ws skips unmasking it. Masking keeps a browser's script from
 * steering a proxy's cache (RFC 6455 §10.3); a node's links are no browser's.
 */
export function writeTextFrame(buf: Buffer, at: number, text: string, masked: boolean): number {
  const guess = headBytes(text.length, masked);
  const length = buf.write(text, at + guess);
  const head = headBytes(length, masked);
  if (head !== guess) buf.copyWithin(at + head, at + guess, at + guess + length);
  writeHead(buf, at, length, masked);
  return at + head + length;
}

/** A text frame in a buffer of its own, sized to it (a frame too large for a slab). */
export function textFrame(text: string, masked: boolean): Buffer {
  const length = Buffer.byteLength(text);
  const head = headBytes(length, masked);
  const frame = Buffer.allocUnsafe(head + length);
  writeHead(frame, 0, length, masked);
  frame.write(text, head);
  return frame;
}

function headBytes(length: number, masked: boolean): number {
  return (length <= SHORT_LENGTH ? 2 : length < 2 ** 16 ? 4 : 10) + (masked ? 4 : 0);
}

/** A text frame's header for a payload of `length` bytes, at `at`. */
function writeHead(buf: Buffer, at: number, length: number, masked: boolean): void {
  buf[at] = FIN_TEXT;
  const mask = masked ? MASK_BIT : 0;
  let p = at + 2;
  if (length <= SHORT_LENGTH) {
    buf[at + 1] = mask | length;
  } else if (length < 2 ** 16) {
    buf[at + 1] = mask | LENGTH_16;
    p = buf.writeUInt16BE(length, p);
  } else {
    buf[at + 1] = mask | LENGTH_64;
    p = buf.writeUInt32BE(Math.floor(length / TWO_32), p);
    p = buf.writeUInt32BE(length % TWO_32, p);
  }
  if (masked) buf.writeUInt32BE(0, p);
}

export class Coalescer {
  /** This turn's frames not handed to the socket yet: bytes [start, end) of `run`, the slab they are in (undefined: none). */
  private run: Buffer | undefined;
  private start = 0;
  private end = 0;
  private held = false;
  /** Whether this turn handed bytes to the socket before its end (see early()). */
  private corked = false;
  private readonly release = (): void => {
    this.held = false;
    if (this.run !== undefined) this.write(this.takeRun());
    if (this.corked) {
      this.corked = false;
      this.socket.uncork();
    }
  };

  /** `socket`: an open WebSocket's TCP socket (its owner checks that it is open); `masked`: this end is the client. */
  constructor(
    private readonly socket: Socket,
    private readonly masked: boolean,
  ) {}

  /**
   * Send `text` as one text frame; it leaves with the turn's others when the job queued at the turn's
   * first send runs. Usually they are one run in the slab, written at once; a frame too large for a
   * slab, another link's frame between two of this one's, or a new slab ends the run early.
   */
  send(text: string): void {
    if (!this.held) {
      this.held = true;
      void settled.then(this.release);
    }
    if (text.length > SLAB_TEXT) {
      if (this.run !== undefined) this.early(this.takeRun());
      this.early(textFrame(text, this.masked));
      return;
    }
    if (slabUsed + frameBound(text) > SLAB_BYTES) {
      slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
      slabUsed = 0;
    }
    if (this.run !== slab || this.end !== slabUsed) {
      if (this.run !== undefined) this.early(this.takeRun());
      this.run = slab;
      this.start = slabUsed;
    }
    slabUsed = this.end = writeTextFrame(slab, slabUsed, text, this.masked);
  }

  private takeRun(): Buffer {
    const bytes = this.run!.subarray(this.start, this.end);
    this.run = undefined;
    return bytes;
  }

  /** Hand bytes to the socket before the turn's end, corked until the release: the turn still leaves in one write (a writev). */
  private early(bytes: Buffer): void {
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
    }
    this.write(bytes);
  }

  /** A socket that closed since the frames were sent takes nothing more (a write after its end is an error). */
  private write(bytes: Buffer): void {
    if (this.socket.writable) this.socket.write(bytes);
  }
}
