// A batching recorder (a real node's): emitLater() lines wait past turn ends and come out in order
// within 20 ms, or at the end of the turn in which 1,024 wait, and an emit() in between still finds
// every earlier event written before its own. Without batching, a turn's lines come out at its end.
import { expect } from 'chai';
import { setImmediate as turn, setTimeout as pause } from 'node:timers/promises';
import { TraceRecorder, type TraceSink } from '../src/trace/recorder.js';

function recorder(batch: boolean): { trace: TraceRecorder; lines: string[] } {
  const lines: string[] = [];
  const sink: TraceSink = { write: (line) => void lines.push(line), flush: () => undefined };
  return { trace: new TraceRecorder({ keep: false, hash: false, batch, sink }), lines };
}

const seqs = (lines: string[]): number[] => lines.map((l) => (JSON.parse(l) as { seq: number }).seq);

describe('trace recorder: lines formatted in batches', function () {
  it('keeps emitLater() lines past turn ends, and writes them in order within 20 ms', async function () {
    const { trace, lines } = recorder(true);
    trace.emitLater({ t: 1, node: 'a', kind: 'timer', detail: { id: 1 } });
    await turn();
    trace.emitLater({ t: 2, node: 'a', kind: 'timer', detail: { id: 2 } });
    await turn();
    expect(lines).to.deep.equal([]);
    await pause(60);
    expect(seqs(lines)).to.deep.equal([0, 1]);
  });

  it('writes waiting lines before any emit() that follows them, and a flush() writes them all', async function () {
    const { trace, lines } = recorder(true);
    trace.emitLater({ t: 1, node: 'a', kind: 'timer', detail: { id: 1 } });
    trace.emit({ t: 2, node: 'a', kind: 'log', detail: { what: 'x' } });
    expect(seqs(lines)).to.deep.equal([0, 1]);
    trace.emitLater({ t: 3, node: 'a', kind: 'timer', detail: { id: 2 } });
    trace.flush();
    expect(seqs(lines)).to.deep.equal([0, 1, 2]);
    await pause(30); // the batch's timer finds nothing left to write
    expect(seqs(lines)).to.deep.equal([0, 1, 2]);
  });

  it('writes a batch of 1,024 waiting lines at the end of its turn', async function () {
    const { trace, lines } = recorder(true);
    for (let i = 0; i < 1024; i++) trace.emitLater({ t: i, node: 'a', kind: 'timer', detail: { id: i } });
    expect(lines).to.deep.equal([]);
    await turn();
    expect(seqs(lines)).to.deep.equal(Array.from({ length: 1024 }, (_, i) => i));
  });

  it('without batching, writes a turn’s lines at its end', async function () {
    const { trace, lines } = recorder(false);
    trace.emitLater({ t: 1, node: 'a', kind: 'timer', detail: { id: 1 } });
    expect(lines).to.deep.equal([]);
    await turn();
    expect(seqs(lines)).to.deep.equal([0]);
  });
});
