// Write coalescing for one TCP socket: every frame sent while one callback and the promise jobs
// queued before its first send run leaves in a single write (cork at the first send, uncork in a
// microtask queued then, which runs once those jobs are done), so 64 calls in flight cost one
// syscall, not 64. A microtask, not process.nextTick: a tick costs node's tick-and-rejection pass
// (~1,500 more instructions) on every turn that sends; and a settled promise's job, not
// queueMicrotask, which makes an AsyncResource and a bound wrapper for every one. Each message stays
// its own WebSocket frame; this never reorders, drops or delays a frame past the current turn.
import type { Socket } from 'node:net';
import { settled } from '../../settled.js';


export class Coalescer {
  private held = false;
  private readonly release = (): void => {
    this.held = false;
    this.socket.uncork();
  };

  constructor(private readonly socket: Socket) {}

  /** Call before each send: the first send corks the socket until the microtask queue reaches the release. */
  hold(): void {
    if (this.held) return;
    this.held = true;
    this.socket.cork();
    void settled.then(this.release);
  }
}
