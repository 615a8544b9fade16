// A message event's line written as bytes (line-bytes.ts) is formatLine's line, byte for byte, for
// any event it takes (odd numbers, escapes, non-ASCII, lone surrogates, caches hit and missed), within
// its bound; and a real node's trace file holds the same text whichever way each line went in.
import { expect } from 'chai';
import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatLine, type TraceKind } from '../src/trace/event.js';
import { LineBytes } from '../src/trace/line-bytes.js';
import { TraceRecorder, type EventInput } from '../src/trace/recorder.js';
import { TraceFile } from '../src/env/real/trace-file.js';
import { LogLines } from '../src/env/real/log-lines.js';

const text = fc.oneof(fc.constantFrom('127.0.0.1:4000', 'client:c', 'rsm.invoke', ''), fc.string({ unit: 'binary', maxLength: 12 }));
const number = fc.oneof(fc.nat(), fc.maxSafeNat(), fc.integer({ min: 2 ** 30 - 2, max: 2 ** 30 + 2 }), fc.constantFrom(1e8, 1e8 - 1, 2 ** 53, -0, -1), fc.double());
const summary = fc.oneof(fc.constantFrom('{"status":"OK"}', '{"a":"\\"x\\""}'), fc.string({ unit: 'binary', maxLength: 200 }));
const event: fc.Arbitrary<EventInput> = fc.record(
  {
    t: number,
    node: text,
    kind: fc.constantFrom<TraceKind>('send', 'deliver'),
    msg: fc.record({ id: number, from: text, to: text, method: text, type: fc.constantFrom('req' as const, 'res' as const, 'notice' as const), summary, label: fc.option(fc.oneof(fc.constantFrom('prepare', 'start_view_change+do_view_change'), text), { nil: undefined }) }),
    cause: fc.nat(),
  },
  { requiredKeys: ['t', 'node', 'kind', 'msg'] },
);

describe('line bytes', function () {
  it("writes formatLine's exact bytes for every event it takes, within its bound", function () {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.maxSafeNat(), event), { minLength: 1, maxLength: 30 }), (events) => {
        const bytes = new LineBytes();
        const buf = Buffer.alloc(1 << 16);
        let at = 0;
        let expected = '';
        for (const [seq, e] of events) {
          expect(bytes.takes(e)).to.equal(true);
          const end = bytes.write(buf, at, seq, e);
          expect(end - at).to.be.at.most(bytes.bound(e));
          at = end;
          expected += `${formatLine(seq, e)}\n`;
        }
        expect(buf.subarray(0, at).equals(Buffer.from(expected, 'utf8'))).to.equal(true);
      }),
      { numRuns: 500 },
    );
  });

  it('takes only message events without detail', function () {
    const bytes = new LineBytes();
    const msg = { id: 1, from: 'a', to: 'b', method: 'm', type: 'req' as const, summary: '{}' };
    expect(bytes.takes({ t: 1, node: 'a', kind: 'send', msg })).to.equal(true);
    expect(bytes.takes({ t: 1, node: 'a', kind: 'drop', msg, detail: { reason: 'loss' } })).to.equal(false);
    expect(bytes.takes({ t: 1, node: 'a', kind: 'log', detail: { what: 'x' } })).to.equal(false);
    expect(bytes.takes({ t: 1, node: 'a', kind: 'send', msg: { ...msg, json: '{}' } as typeof msg })).to.equal(false);
  });

  it("a node's trace file holds formatLine's lines whether they went in as bytes or as text", function () {
    const dir = mkdtempSync(join(tmpdir(), 'rsmlab-line-bytes-'));
    try {
      const path = join(dir, 'trace.jsonl');
      const out: string[] = [];
      const recorder = new TraceRecorder({ keep: false, hash: false, sink: new LogLines(new TraceFile(path), (t) => void out.push(t)) });
      const kept = new TraceRecorder({ hash: false });
      const msg = { id: 2 ** 40 + 7, from: '127.0.0.1:4000', to: 'client:é', method: 'rsm.client_invoke', type: 'req' as const, summary: '{"op":"…"}' };
      const events: EventInput[] = [
        { t: 1700000000000, node: '127.0.0.1:4000', kind: 'start', detail: { lab: 'rsm' } },
        { t: 1700000000001, node: '127.0.0.1:4000', kind: 'deliver', msg },
        { t: 1700000000001, node: '127.0.0.1:4000', kind: 'send', msg: { ...msg, type: 'res', summary: '{"status":"OK"}' }, cause: 1 },
        { t: 1700000000002, node: '127.0.0.1:4000', kind: 'drop', msg, detail: { reason: 'partition' } },
        { t: 1700000000003, node: '127.0.0.1:4000', kind: 'timer', detail: { id: 1, ms: 3000 } },
      ];
      for (const e of events) {
        recorder.emitLater(e);
        kept.emitLater(e);
      }
      recorder.flush();
      expect(readFileSync(path, 'utf8')).to.equal(kept.jsonl());
      expect(out).to.have.length(1); // the start line, in the log
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
