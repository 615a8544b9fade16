// Builds a history in memory, one event per call, on a logical clock (each event one tick later),
// for tests and workloads that want HistoryLine[] without writing JSONL. A completion repeats its
// process's pending f and key. It never checks anything and never reads a real clock.
import type { Json } from '../env/types.js';
import type { HistoryEvent, HistoryEventType, HistoryLine } from './history.js';

export class HistoryBuilder {
  private readonly lines: HistoryLine[] = [];
  private readonly pending = new Map<number | string, { f: string; key: string | undefined }>();

  invoke(process: number | string, f: string, value: Json = null, key?: string): this {
    this.pending.set(process, { f, key });
    return this.add({ process, type: 'invoke', f, value }, key);
  }

  ok(process: number | string, value: Json = null): this {
    return this.complete(process, 'ok', value);
  }

  fail(process: number | string): this {
    return this.complete(process, 'fail', null);
  }

  info(process: number | string): this {
    return this.complete(process, 'info', null);
  }

  build(): HistoryLine[] {
    return [...this.lines];
  }

  private complete(process: number | string, type: HistoryEventType, value: Json): this {
    const open = this.pending.get(process);
    if (open === undefined) throw new Error(`HistoryBuilder: process ${process} has no pending op to complete`);
    this.pending.delete(process);
    return this.add({ process, type, f: open.f, value }, open.key);
  }

  private add(event: Omit<HistoryEvent, 'time'>, key: string | undefined): this {
    const line = this.lines.length + 1;
    this.lines.push({ line, event: key === undefined ? { ...event, time: line } : { ...event, key, time: line } });
    return this;
  }
}
