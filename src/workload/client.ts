// One logical workload client: an RSM client name with its invoker, recording each op it runs as
// one invoke and one completion. An op whose call rejects has an unknown outcome (info); the client
// then goes on as a new history process (Jepsen's rule) under the same RSM client name.
import type { Json } from '../env/types.js';
import type { AppResult } from '../apps/app.js';
import type { Completion, HistoryLog } from './history-log.js';

/** Send one op through the RSM client library. Rejects (or times out) when the outcome is unknown. */
export type Call = (op: Json) => Promise<AppResult>;

/** What the RSM client library provides: one Call per client name (its own client id and seqs). */
export type Invoker = (client: string) => Call;

/** A call rejected: the op may or may not have taken effect. */
class UnknownOutcome extends Error {
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = 'UnknownOutcome';
  }
}

export class WorkloadClient {
  private incarnation = 0;

  constructor(
    readonly name: string,
    private readonly call: Call,
    private readonly log: HistoryLog,
  ) {}

  /** The history process: the client name, then name/1, name/2, ... after each unknown outcome. */
  get process(): string {
    return this.incarnation === 0 ? this.name : `${this.name}/${this.incarnation}`;
  }

  /** One request to the app, for use inside op(): a rejection becomes the op's unknown outcome. */
  async send(op: Json): Promise<AppResult> {
    try {
      return await this.call(op);
    } catch (e) {
      throw new UnknownOutcome(e);
    }
  }

  /**
   * Record one op around `run` (which makes its requests with send()): invoke now, then its
   * completion; null if a request's outcome was unknown (recorded as info). `value` is what the
   * invoke event carries (see src/check/history.ts). Any other exception is a bug and propagates.
   */
  async op(f: string, key: string, value: Json, run: () => Promise<Completion>): Promise<Completion | null> {
    const complete = this.log.invoke(this.process, f, key, value);
    let completion: Completion;
    try {
      completion = await run();
    } catch (e) {
      if (!(e instanceof UnknownOutcome)) throw e;
      complete({ type: 'info', value: e.message });
      this.incarnation++;
      return null;
    }
    complete(completion);
    return completion;
  }
}

/** The completion of a single-request op: ok with the app's value, or fail (nothing happened) with its error. */
export function completionOf(result: AppResult): Completion {
  return result.ok ? { type: 'ok', value: result.value } : { type: 'fail', value: result.error };
}
