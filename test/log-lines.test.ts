// A real node's log (src/env/real/log-lines.ts) shows exactly the trace lines of the logged kinds:
// generated events of every kind, from node ids full of quotes, backslashes and look-alike text.
import { expect } from 'chai';
import fc from 'fast-check';
import { logLine } from '../src/env/real/log-lines.js';
import { formatLine, type TraceKind } from '../src/trace/event.js';

const kinds: TraceKind[] = ['start', 'send', 'deliver', 'drop', 'timer', 'crash', 'restart', 'breakpoint', 'partition', 'heal', 'faults', 'disk', 'client', 'log'];
const logged = new Set<TraceKind>(['log', 'start', 'crash', 'restart', 'breakpoint', 'partition', 'heal', 'faults', 'disk']);

describe('node log lines', () => {
  it('log every line of a logged kind and no other, whatever the node id holds', () => {
    const node = fc.oneof(fc.string(), fc.constantFrom('127.0.0.1:7000', 'client:x","kind":"send"', 'a\\', '\\","kind":"log', 'x"'));
    fc.assert(
      fc.property(fc.nat(), fc.nat(), node, fc.constantFrom(...kinds), (seq, t, id, kind) => {
        const msg = { id: 1, from: id, to: id, method: 'm', type: 'req' as const, summary: '{"kind":"log"}' };
        const line = formatLine(seq, { t, node: id, kind, ...(kind === 'send' || kind === 'deliver' || kind === 'drop' ? { msg } : { detail: { what: 'w' } }) });
        expect(logLine(line) !== undefined, line).to.equal(logged.has(kind));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('node log lines of breakpoints and fault points', () => {
  const line = (detail: Record<string, string | number | boolean>): string | undefined =>
    logLine(formatLine(1, { t: Date.UTC(2026, 0, 1, 12, 0, 1, 250), node: '127.0.0.1:7000', kind: 'breakpoint', detail }));

  it('name a breakpoint by its number and a fault point by its name, armed or hit', () => {
    expect(line({ n: 3, hit: false })).to.equal('12:00:01.250 breakpoint 3 armed');
    expect(line({ n: 3, hit: true })).to.equal('12:00:01.250 breakpoint 3 hit');
    expect(line({ point: 'vsr.after_prepare_ok', hit: false })).to.equal('12:00:01.250 fault-point vsr.after_prepare_ok armed');
    expect(line({ point: 'vsr.after_prepare_ok', hit: true, pid: 7 })).to.equal('12:00:01.250 fault-point vsr.after_prepare_ok hit pid=7');
  });
});
