// Text frames out of one TCP socket, written coalesced: every frame sent while one callback and the
// promise jobs queued before its first send run leaves in a single write (cork at the first send,
// uncork in a microtask queued then, which runs once those jobs are done), so 64 calls in flight
// cost one syscall, not 64. A microtask, not process.nextTick: a tick costs node's tick-and-rejection
// pass (~1,500 more instructions) on every turn that sends; and a settled promise's job, not
// queueMicrotask, which makes an AsyncResource and a bound wrapper for every one. Each message is
// its own WebSocket frame, written here as one buffer (textFrame); this never reorders, drops or
// delays a frame past the current turn, and never reads the socket (ws does).
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

/** Frames are cut from a slab (as Buffer.allocUnsafe cuts from its pool), each written where the last ended; a full slab is left to the frames in it. */
let slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
let slabUsed = 0;

/**
 * One unfragmented text frame carrying `text` (RFC 6455 §5.2), header and UTF-8 payload in one buffer:
 * ws's send() writes a header buffer and then the string, two stream writes (each a Writable.write,
 * its bookkeeping and a chunk in the writev) per frame. The payload is written first, MAX_HEAD bytes
 * in, and the header right before it once its length is known: no Buffer.byteLength pass over the
 * text. `masked` (a client's frames): the mask bit with a zero key, so the payload is the text as it
 * is, and the receiving ws skips unmasking it. Masking keeps a browser's script from steering a
 * proxy's cache (RFC 6455 §10.3); a node's links are no browser's.
 */
export function textFrame(text: string, masked: boolean): Buffer {
  if (text.length > SLAB_TEXT) return largeTextFrame(text, masked);
  if (slabUsed + MAX_HEAD + 3 * text.length > SLAB_BYTES) {
    slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
    slabUsed = 0;
  }
  const payload = slabUsed + MAX_HEAD;
  const length = slab.write(text, payload);
  const start = payload - headBytes(length, masked);
  writeHead(slab, start, length, masked);
  slabUsed = payload + length;
  return slab.subarray(start, slabUsed);
}

/** A frame too large for the slab, in a buffer of its own. */
function largeTextFrame(text: string, masked: boolean): Buffer {
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
  private held = false;
  private readonly release = (): void => {
    this.held = false;
    this.socket.uncork();
  };

  /** `socket`: an open WebSocket's TCP socket (its owner checks that it is open); `masked`: this end is the client. */
  constructor(
    private readonly socket: Socket,
    private readonly masked: boolean,
  ) {}

  /** Send `text` as one text frame; the first send of a turn corks the socket until the microtask queue reaches the release. */
  send(text: string): void {
    if (!this.held) {
      this.held = true;
      this.socket.cork();
      void settled.then(this.release);
    }
    this.socket.write(textFrame(text, this.masked));
  }
}
