// A real node's trace file (src/env/real/trace-file.ts) fed by its recorder: events recorded with
// emitLater() are formatted only when the file appends, and the file holds exactly the lines a
// recorder that keeps them in memory makes, in seq order, whatever mix of emit/emitLater/emitLog.
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TraceFile } from '../src/env/real/trace-file.js';
import { LogLines } from '../src/env/real/log-lines.js';
import { TraceRecorder, type EventInput, type TraceSink } from '../src/trace/recorder.js';

/** Some events of each path: messages (later), lifecycle (now) and a lab's log lines. */
function record(recorders: TraceRecorder[], rounds: number): void {
  for (let i = 0; i < rounds; i++) {
    const msg = { id: i, from: 'a:1', to: 'b"2', method: 'rsm.invoke', type: 'req' as const, summary: `{"seq":${i},"v":"x\\y"}` };
    for (const r of recorders) {
      const sent = r.emitLater({ t: i, node: 'a:1', kind: 'send', msg });
      r.emitLater({ t: i, node: 'a:1', kind: 'drop', msg, cause: sent, detail: { reason: 'loss' } } satisfies EventInput);
      if (i % 7 === 0) r.emit({ t: i, node: 'a:1', kind: 'partition', detail: { on: true } });
      if (i % 5 === 0) r.emitLog(i, 'a:1', 'paxos.propose', { n: i });
      r.emitLater({ t: i, node: 'a:1', kind: 'timer', detail: { id: i, ms: 5 } });
    }
  }
}

describe('trace file', () => {
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rsmlab-trace-file-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('formats emitLater() events when it appends, and holds the same lines as a kept trace', async () => {
    const file = new TraceFile(join(dir, 'trace.jsonl'));
    let written = 0;
    const counting: TraceSink = {
      write: (line) => {
        written++;
        file.write(line);
      },
      flush: () => file.flush(),
      later: (format) => file.later(format),
    };
    const logged: string[] = [];
    const real = new TraceRecorder({ keep: false, hash: false, sink: new LogLines(counting, (text) => void logged.push(text)) });
    const kept = new TraceRecorder({ keep: true, hash: false });
    record([real, kept], 30);
    // Only the direct emits (and the later events recorded before them) are formatted, even after this turn.
    await new Promise((resolve) => setImmediate(resolve));
    expect(written).to.be.below(real.events);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(written).to.equal(real.events); // the file's timed append formatted the rest
    record([real, kept], 3000); // more than one buffer's worth between appends is fine too
    real.flush();
    expect(readFileSync(file.path, 'utf8')).to.equal(kept.jsonl());
    expect(logged.length).to.equal(kept.jsonl().split('\n').filter((l) => /"kind":"(log|partition)"/.test(l)).length);
  });

  it('a recorder with nowhere to put events only counts them', () => {
    const quiet = new TraceRecorder({ keep: false, hash: false });
    record([quiet], 10);
    expect(quiet.events).to.equal(10 * 3 + 2 + 2);
    expect(quiet.jsonl()).to.equal('');
  });
});
