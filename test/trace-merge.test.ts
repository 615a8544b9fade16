// A real cluster's traces merged as one (src/trace/merge.ts): by time, each trace's own order kept in
// ties, every event numbered by its place in the merge and every cause renumbered within its own
// trace, so that the viewer's seq names one event (each node's recorder numbers its own from 0).
// handout: framework test (passes without the lab solutions)
import { expect } from 'chai';
import { formatLine } from '../src/trace/event.js';
import { mergeTraces } from '../src/trace/merge.js';
import { parseTrace } from '../src/trace/reader.js';

const msg = (from: string, to: string) => ({ id: 1, from, to, method: 'm', type: 'req' as const, summary: '{}' });

describe('merging traces', () => {
  it('numbers the events of several traces as one, by time, and renumbers each cause within its own trace', () => {
    const a = [formatLine(0, { t: 10, node: 'a', kind: 'start' }), formatLine(1, { t: 30, node: 'a', kind: 'send', msg: msg('a', 'b') }), formatLine(2, { t: 40, node: 'a', kind: 'drop', msg: msg('a', 'b'), cause: 1 })];
    const b = [formatLine(0, { t: 20, node: 'b', kind: 'start' }), formatLine(1, { t: 30, node: 'b', kind: 'log', detail: { what: 'tie' } }), '{"seq":2,"t":35,"node":"b","ki'];
    const merged = mergeTraces([a, b]);
    expect(merged[4], 'a torn last line keeps its text and its place (its time)').to.equal('{"seq":2,"t":35,"node":"b","ki');
    const events = parseTrace(merged.filter((_, i) => i !== 4).join('\n'));
    expect(events.map((e) => `${e.seq} ${e.t} ${e.node} ${e.kind}${e.cause === undefined ? '' : ` cause ${e.cause}`}`)).to.deep.equal([
      '0 10 a start',
      '1 20 b start',
      '2 30 a send',
      '3 30 b log',
      '5 40 a drop cause 2',
    ]);
  });
});
