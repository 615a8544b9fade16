// Write coalescing for one TCP socket: every frame sent while one callback and the promise jobs it
// starts run leaves in a single write (cork now, uncork on the next tick, which runs once those
// jobs are done), so 64 calls in flight cost one syscall, not 64. Each message stays its own
// WebSocket frame; this never reorders, drops or delays a frame past the current turn.
import type { Socket } from 'node:net';

export class Coalescer {
  private held = false;
  private readonly release = (): void => {
    this.held = false;
    this.socket.uncork();
  };

  constructor(private readonly socket: Socket) {}

  /** Call before each send: the first send corks the socket until the next tick. */
  hold(): void {
    if (this.held) return;
    this.held = true;
    this.socket.cork();
    process.nextTick(this.release);
  }
}
