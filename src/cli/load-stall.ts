// `rsmlab load`'s word while a cluster serves nothing: when no operation has completed for a while
// (a lost majority, a partitioned primary), it says so on stderr with the members that still answer,
// and says again when operations complete again. It owns only those lines; it never changes the load.

/** How long without a completed operation before the load says it is stalled, and then between reminders. */
export const STALL_NOTICE_MS = 5000;
const CHECK_MS = 1000;

export interface StallWatchOptions {
  /** The members a probe finds answering, as the load started with it (load-command.ts answering). */
  answering: () => Promise<string[]>;
  members: readonly string[];
  write: (line: string) => void;
  noticeMs?: number;
}

export class StallWatch {
  private lastProgress = Date.now();
  private lastNotice = 0;
  private stalledSince: number | null = null;
  private readonly timer: NodeJS.Timeout;
  private probing = false;

  constructor(private readonly o: StallWatchOptions) {
    this.timer = setInterval(() => void this.check(), CHECK_MS);
  }

  /** An operation completed (ok or failed: the cluster answered). */
  progress(): void {
    const now = Date.now();
    if (this.stalledSince !== null) this.o.write(`rsmlab load: operations complete again, after ${seconds(now - this.stalledSince)} without one\n`);
    this.stalledSince = null;
    this.lastProgress = now;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async check(): Promise<void> {
    const now = Date.now();
    const idle = now - this.lastProgress;
    const noticeMs = this.o.noticeMs ?? STALL_NOTICE_MS;
    if (idle < noticeMs || now - this.lastNotice < noticeMs || this.probing) return;
    this.stalledSince ??= this.lastProgress;
    this.lastNotice = now;
    this.probing = true;
    try {
      const up = await this.o.answering().catch(() => []);
      if (this.stalledSince === null) return; // progress came while probing
      const who = up.length === 0 ? 'no member answers' : `${up.length} of ${this.o.members.length} members answer (${up.join(', ')})`;
      this.o.write(`rsmlab load: no operation completed for ${seconds(idle)}; ${who}. A cluster serves only while a majority of its members is up and connected.\n`);
    } finally {
      this.probing = false;
    }
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(0)} s`;
}
