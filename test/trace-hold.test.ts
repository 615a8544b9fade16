// A recorder whose owner holds emitLater() lines (a real node with calls awaiting replies): the lines
// wait past turn ends while held, come out in order once released or after at most 20 ms, and an
// emit() in between still finds every earlier event written before its own.
import { expect } from 'chai';
import { setImmediate as turn, setTimeout as pause } from 'node:timers/promises';
import { TraceRecorder, type TraceSink } from '../src/trace/recorder.js';

function recorder(): { trace: TraceRecorder; lines: string[] } {
  const lines: string[] = [];
  const sink: TraceSink = { write: (line) => void lines.push(line), flush: () => undefined };
  return { trace: new TraceRecorder({ keep: false, hash: false, sink }), lines };
}

const seqs = (lines: string[]): number[] => lines.map((l) => (JSON.parse(l) as { seq: number }).seq);

describe('trace recorder: lines held while the owner awaits replies', function () {
  it('keeps emitLater() lines past turn ends while held, and writes them in order once released', async function () {
    const { trace, lines } = recorder();
    let busy = true;
    trace.holdLinesWhile(() => busy);
    trace.emitLater({ t: 1, node: 'a', kind: 'timer', detail: { id: 1 } });
    await turn();
    trace.emitLater({ t: 2, node: 'a', kind: 'timer', detail: { id: 2 } });
    await turn();
    expect(lines).to.deep.equal([]);
    busy = false;
    trace.emitLater({ t: 3, node: 'a', kind: 'timer', detail: { id: 3 } });
    await turn();
    expect(seqs(lines)).to.deep.equal([0, 1, 2]);
  });

  it('writes held lines within 20 ms however long the hold, and before any emit() that follows them', async function () {
    const { trace, lines } = recorder();
    trace.holdLinesWhile(() => true);
    trace.emitLater({ t: 1, node: 'a', kind: 'timer', detail: { id: 1 } });
    await pause(60);
    expect(seqs(lines)).to.deep.equal([0]);
    trace.emitLater({ t: 2, node: 'a', kind: 'timer', detail: { id: 2 } });
    trace.emit({ t: 3, node: 'a', kind: 'log', detail: { what: 'x' } });
    expect(seqs(lines)).to.deep.equal([0, 1, 2]);
  });

  it('without a hold, writes a turn’s lines at its end', async function () {
    const { trace, lines } = recorder();
    trace.emitLater({ t: 1, node: 'a', kind: 'timer', detail: { id: 1 } });
    expect(lines).to.deep.equal([]);
    await turn();
    expect(seqs(lines)).to.deep.equal([0]);
  });
});
