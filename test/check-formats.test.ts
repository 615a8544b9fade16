// History input: the JSONL writer and parser, the EDN reader, the Jepsen log and EDN-map readers,
// format detection and pairing, each with bad input that must give a clear error with its line.
// handout: framework test (passes without the lab solutions)
import { expect } from 'chai';
import { EdnError, EdnKeyword, EdnMap, EdnSymbol, parseEdn } from '../src/check/formats/edn.js';
import { detectFormat, readHistory } from '../src/check/formats/format.js';
import { parseJepsenEdn } from '../src/check/formats/jepsen-edn.js';
import { parseJepsenLog } from '../src/check/formats/jepsen-log.js';
import { formatHistoryEvent, HistoryError, parseHistory, type HistoryEvent } from '../src/check/history.js';
import { UNKNOWN } from '../src/check/model.js';
import { registerModel } from '../src/check/models/register.js';
import { pairOperations } from '../src/check/operation.js';

const events = (text: string): HistoryEvent[] => readHistory(text).lines.map((l) => l.event);

describe('check: JSONL history', () => {
  it('writes events with a fixed key order and reads them back', () => {
    const e: HistoryEvent = { time: 3, value: ['a', 'b'], key: 'k', f: 'cas', type: 'invoke', process: 'c1' };
    const line = formatHistoryEvent(e);
    expect(line).to.equal('{"process":"c1","type":"invoke","f":"cas","key":"k","value":["a","b"],"time":3}');
    expect(parseHistory(`\n${line}\n`)).to.deep.equal([{ line: 2, event: e }]);
    expect(formatHistoryEvent({ process: 0, type: 'ok', f: 'read', value: null, time: 1 })).to.equal('{"process":0,"type":"ok","f":"read","value":null,"time":1}');
  });

  it('defaults a missing value to null', () => {
    expect(parseHistory('{"process":0,"type":"invoke","f":"read","time":1}')[0]!.event.value).to.equal(null);
  });

  it('names the bad line: not JSON, a bad type, a missing time', () => {
    const ok = '{"process":0,"type":"invoke","f":"read","value":null,"time":1}';
    expect(() => parseHistory(`${ok}\n\n{nope`)).to.throw(HistoryError, /^line 3: not JSON/);
    expect(() => parseHistory(`${ok}\n{"process":0,"type":"done","f":"read","time":2}`)).to.throw(HistoryError, /^line 2: bad history event \(type: /);
    expect(() => parseHistory('{"process":0,"type":"ok","f":"read"}')).to.throw(HistoryError, /^line 1: bad history event \(time: /);
    expect(() => parseHistory('[1]')).to.throw(HistoryError, /^line 1: bad history event/);
  });
});

describe('check: EDN reader', () => {
  it('reads scalars, keywords, symbols and collections', () => {
    expect(parseEdn('nil')).to.equal(null);
    expect(parseEdn(' true ')).to.equal(true);
    expect(parseEdn('-42')).to.equal(-42);
    expect(parseEdn('2.5e1')).to.equal(25);
    expect(parseEdn('7N')).to.equal(7);
    expect(parseEdn('"a\\"b\\\\c\\n\\u0041"')).to.equal('a"b\\c\nA');
    expect(parseEdn(':timed-out')).to.deep.equal(new EdnKeyword('timed-out'));
    expect(parseEdn('foo/bar')).to.deep.equal(new EdnSymbol('foo/bar'));
    expect(parseEdn('[1 2, (3) #{4}] ; trailing comment')).to.deep.equal([1, 2, [3], [4]]);
    const map = parseEdn('{:process 0, :type :invoke, :value [3 4]}');
    expect(map).to.be.instanceOf(EdnMap);
    expect((map as EdnMap).get('type')).to.deep.equal(new EdnKeyword('invoke'));
    expect((map as EdnMap).get('value')).to.deep.equal([3, 4]);
    expect((map as EdnMap).get('absent')).to.equal(undefined);
  });

  it('refuses bad input with an EdnError naming the column, never a crash', () => {
    const bad: [string, RegExp][] = [
      ['"open', /^column 1: unterminated string/],
      ['[1 2', /^column 5: missing '\]'/],
      ['{:a}', /a map needs an even number of forms/],
      ['#inst "2020"', /^column 1: cannot read '#inst'/],
      ['1 2', /^column 3: unexpected text after the value/],
      [')', /unexpected '\)'/],
      ['', /unexpected end of input/],
      ['"\\q"', /bad escape/],
      ['12abc', /bad number '12abc'/],
      [':', /a keyword needs a name/],
      ['['.repeat(10_000), /nested deeper than 64/],
    ];
    for (const [text, message] of bad) expect(() => parseEdn(text), text.slice(0, 20)).to.throw(EdnError, message);
  });
});

describe('check: Jepsen log reader', () => {
  it('reads tab- and space-separated op lines with Jepsen semantics', () => {
    const log = [
      'INFO  jepsen.util - 0\t:invoke\t:read\tnil',
      'INFO  jepsen.util - 0\t:ok\t:read\t3',
      'INFO  jepsen.util - 1   :invoke :cas    [1 2]',
      'INFO  jepsen.util - 1   :fail   :cas    [1 2]',
      'INFO  jepsen.core - some other logger line',
      'INFO  jepsen.util - 2\t:invoke\t:read\tnil',
      'INFO  jepsen.util - 2\t:fail\t:read\t:timed-out',
      'INFO  jepsen.util - 3\t:invoke\t:cas\t[0 4]',
      'INFO  jepsen.util - 3\t:ok\t:cas\t[0 4]',
      'INFO  jepsen.util - 4\t:invoke\t:write\t1',
      'INFO  jepsen.util - 4\t:info\t:write\t:timed-out',
      'INFO  jepsen.util - :nemesis\t:info\t:start\tnil',
    ].join('\n');
    const lines = parseJepsenLog(log);
    expect(lines.map((l) => [l.line, l.event.type, l.event.f, l.event.value])).to.deep.equal([
      [1, 'invoke', 'read', null],
      [2, 'ok', 'read', 3],
      [3, 'invoke', 'cas', [1, 2]],
      [4, 'ok', 'cas', false],
      [6, 'invoke', 'read', null],
      [7, 'info', 'read', 'timed-out'],
      [8, 'invoke', 'cas', [0, 4]],
      [9, 'ok', 'cas', true],
      [10, 'invoke', 'write', 1],
      [11, 'info', 'write', 'timed-out'],
    ]);
    expect(lines[0]!.event).to.deep.equal({ process: 0, type: 'invoke', f: 'read', value: null, time: 1 });
    const { ops } = pairOperations(registerModel, lines);
    expect(ops.map((op) => [op.output, op.ret])).to.deep.equal([
      [3, 2],
      [false, 4],
      [UNKNOWN, Infinity],
      [true, 9],
      [UNKNOWN, Infinity],
    ]);
  });

  it('names a malformed op line, and refuses a non-empty file with no op lines', () => {
    expect(() => parseJepsenLog('INFO  jepsen.util - 0\t:invoke\t:read\tnil\nINFO  jepsen.util - 0 :ok')).to.throw(HistoryError, /^line 2: not a Jepsen op line/);
    expect(() => parseJepsenLog('INFO  jepsen.util - 0\t:invoke\t:cas\t[1 2')).to.throw(HistoryError, /^line 1: '\[1 2': column 5: missing/);
    expect(() => parseJepsenLog('INFO  jepsen.util - 0\t:done\t:read\tnil')).to.throw(HistoryError, /^line 1: bad :type "done"/);
    expect(() => parseJepsenLog('hello\nworld')).to.throw(HistoryError, /no Jepsen op lines/);
    expect(parseJepsenLog('')).to.deep.equal([]);
  });
});

describe('check: Jepsen EDN reader', () => {
  it('reads one map a line, skipping blanks, comments and the nemesis', () => {
    const text = [
      '{:process 0, :type :invoke, :f :get, :key "k", :value nil}',
      '',
      '; a comment',
      '{:process :nemesis, :type :info, :f :start}',
      '{:process 0, :type :ok, :f :get, :key "k", :value "x 0 0 y"}',
    ].join('\n');
    expect(parseJepsenEdn(text)).to.deep.equal([
      { line: 1, event: { process: 0, type: 'invoke', f: 'get', key: 'k', value: null, time: 1 } },
      { line: 5, event: { process: 0, type: 'ok', f: 'get', key: 'k', value: 'x 0 0 y', time: 5 } },
    ]);
  });

  it('names the bad line', () => {
    expect(() => parseJepsenEdn('{:process 0, :type :invoke, :f :get}\n{:process 0, :f :get}')).to.throw(HistoryError, /^line 2: missing :type/);
    expect(() => parseJepsenEdn('[1 2]')).to.throw(HistoryError, /^line 1: expected an EDN map/);
    expect(() => parseJepsenEdn('{:process 0, :type :invoke, :f :get, :value "open}')).to.throw(HistoryError, /^line 1: bad EDN \(column \d+: unterminated string\)/);
    expect(() => parseJepsenEdn('{:process [0], :type :invoke, :f :get}')).to.throw(HistoryError, /^line 1: bad :process \[0\]/);
  });
});

describe('check: format detection', () => {
  it('tells the three formats apart by the first non-blank line', () => {
    expect(detectFormat('\n{"process":0}')).to.equal('jsonl');
    expect(detectFormat('{:process 0}')).to.equal('edn');
    expect(detectFormat('INFO  jepsen.util - 0\t:invoke\t:read\tnil')).to.equal('jepsen');
    expect(detectFormat('')).to.equal('jsonl');
    expect(events('')).to.deep.equal([]);
    expect(() => detectFormat('\n\nprocess 0 invoke')).to.throw(HistoryError, /^line 3: cannot tell the history format/);
  });
});

describe('check: pairing events into ops', () => {
  const line = (process: number, type: string, f: string, time: number): string => JSON.stringify({ process, type, f, value: null, time });

  it('names the line of a completion with no invoke, a second invoke, or a mismatched f', () => {
    expect(() => pairOperations(registerModel, readHistory(line(0, 'ok', 'read', 1)).lines)).to.throw(HistoryError, /^line 1: process 0 completes read \(ok\) with no pending invoke/);
    const twice = [line(0, 'invoke', 'read', 1), line(0, 'invoke', 'read', 2)].join('\n');
    expect(() => pairOperations(registerModel, readHistory(twice).lines)).to.throw(HistoryError, /^line 2: process 0 invokes read while its read from line 1 is still pending/);
    const mismatch = [line(0, 'invoke', 'read', 1), line(0, 'ok', 'write', 2)].join('\n');
    expect(() => pairOperations(registerModel, readHistory(mismatch).lines)).to.throw(HistoryError, /^line 2: process 0 completes write, but its pending op \(line 1\) is read/);
    expect(() => pairOperations(registerModel, readHistory(line(0, 'invoke', 'delete', 1)).lines)).to.throw(HistoryError, /^line 1: register has no op 'delete'/);
    // The invoke is there, a line earlier, but later in time: the message names the times, not a missing invoke.
    const backwards = [line(0, 'invoke', 'write', 5), line(0, 'ok', 'write', 1)].join('\n');
    expect(() => pairOperations(registerModel, readHistory(backwards).lines)).to.throw(HistoryError, /^line 2: process 0 completes write \(ok\) at time 1, before its invoke at line 1 \(time 5\): a completion's time must not precede its invoke's/);
  });

  it('orders by time, not by line, and numbers ops by call time', () => {
    const text = [line(1, 'invoke', 'read', 3), line(0, 'invoke', 'read', 1), line(0, 'ok', 'read', 2), line(1, 'ok', 'read', 4)].join('\n');
    const { ops } = pairOperations(registerModel, readHistory(text).lines);
    expect(ops.map((op) => [op.id, op.process, op.call, op.ret, op.line, op.retLine])).to.deep.equal([
      [0, 0, 1, 2, 2, 3],
      [1, 1, 3, 4, 1, 4],
    ]);
  });
});
