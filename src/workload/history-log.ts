// The history a workload records, in the checker's event format (src/check/history.ts), with
// counts per event type, streamed line by line to an injected writer. It never touches fs (it
// runs inside the simulator too) and never judges the history: src/check does.
import type { Json } from '../env/types.js';
import { formatHistoryEvent, type HistoryEvent, type HistoryEventType } from '../check/history.js';

export type Completion = { type: Exclude<HistoryEventType, 'invoke'>; value: Json };
export type HistoryCounts = Record<HistoryEventType, number>;

export class HistoryLog {
  readonly events: HistoryEvent[] = [];
  readonly counts: HistoryCounts = { invoke: 0, ok: 0, fail: 0, info: 0 };

  /**
   * @param now the world's clock (virtual in the simulator): stamps every event.
   * @param write gets each event's canonical JSONL line, newline included, as it happens.
   * @param observe gets each event as it happens (the tester traces them as 'client' events).
   */
  constructor(
    private readonly now: () => number,
    private readonly write?: (line: string) => void,
    private readonly observe?: (event: HistoryEvent) => void,
  ) {}

  /** Record an invoke; the returned function records its one completion. */
  invoke(process: string, f: string, key: string, value: Json): (completion: Completion) => void {
    this.record({ process, type: 'invoke', f, key, value, time: this.now() });
    let done = false;
    return ({ type, value: out }) => {
      if (done) throw new Error(`history: ${process} completed ${f} twice`);
      done = true;
      this.record({ process, type, f, key, value: out, time: this.now() });
    };
  }

  private record(event: HistoryEvent): void {
    this.events.push(event);
    this.counts[event.type]++;
    this.write?.(`${formatHistoryEvent(event)}\n`);
    this.observe?.(event);
  }
}
