// The checker's models on small hand-made histories: register, KV store and lock service, each
// linearizable and deliberately not; unknown-outcome ops; and reports that name the right ops.
// handout: framework test (passes without the lab solutions)
import { expect } from 'chai';
import { HistoryBuilder } from '../src/check/builder.js';
import { checkOperations, type CheckResult } from '../src/check/check.js';
import { HistoryError } from '../src/check/history.js';
import type { Model } from '../src/check/model.js';
import { kvModel } from '../src/check/models/kv.js';
import { lockModel } from '../src/check/models/lock.js';
import { registerModel } from '../src/check/models/register.js';
import { pairOperations } from '../src/check/operation.js';
import { reportData, reportText } from '../src/check/report.js';

function check<S, I, O>(model: Model<S, I, O>, h: HistoryBuilder): CheckResult<S> {
  return checkOperations(model, pairOperations(model, h.build()).ops);
}

function verdict<S, I, O>(model: Model<S, I, O>, h: HistoryBuilder): string {
  return check(model, h).verdict;
}

describe('check: register model', () => {
  it('accepts a sequential write then read of the value', () => {
    const h = new HistoryBuilder().invoke(0, 'write', 1).ok(0).invoke(1, 'read').ok(1, 1);
    expect(verdict(registerModel, h)).to.equal('linearizable');
  });

  it('starts as nil', () => {
    expect(verdict(registerModel, new HistoryBuilder().invoke(0, 'read').ok(0, null))).to.equal('linearizable');
    expect(verdict(registerModel, new HistoryBuilder().invoke(0, 'read').ok(0, 0))).to.equal('not linearizable');
  });

  it('rejects a stale read after a completed write', () => {
    const h = new HistoryBuilder().invoke(0, 'write', 1).ok(0).invoke(1, 'read').ok(1, null);
    expect(verdict(registerModel, h)).to.equal('not linearizable');
  });

  it('lets a read concurrent with a write see either value', () => {
    for (const seen of [null, 1]) {
      const h = new HistoryBuilder().invoke(0, 'write', 1).invoke(1, 'read').ok(1, seen).ok(0);
      expect(verdict(registerModel, h), `read saw ${seen}`).to.equal('linearizable');
    }
  });

  it('rejects a new-then-old inversion of two sequential reads during one write', () => {
    const h = new HistoryBuilder().invoke(0, 'write', 1).invoke(1, 'read').ok(1, 1).invoke(2, 'read').ok(2, null).ok(0);
    expect(verdict(registerModel, h)).to.equal('not linearizable');
  });

  it('checks cas: swapped only when the value matched', () => {
    const swap = new HistoryBuilder().invoke(0, 'write', 0).ok(0).invoke(0, 'cas', [0, 1]).ok(0, true).invoke(1, 'read').ok(1, 1);
    expect(verdict(registerModel, swap)).to.equal('linearizable');
    const noSwap = new HistoryBuilder().invoke(0, 'write', 0).ok(0).invoke(0, 'cas', [2, 1]).ok(0, false).invoke(1, 'read').ok(1, 0);
    expect(verdict(registerModel, noSwap)).to.equal('linearizable');
    const lies = new HistoryBuilder().invoke(0, 'write', 0).ok(0).invoke(0, 'cas', [0, 1]).ok(0, false);
    expect(verdict(registerModel, lies)).to.equal('not linearizable');
  });
});

describe('check: kv model', () => {
  it('accepts put, append and get per key, every key starting as ""', () => {
    const h = new HistoryBuilder()
      .invoke(0, 'get', null, 'a').ok(0, '')
      .invoke(0, 'put', 'x', 'a').ok(0)
      .invoke(1, 'append', 'y', 'a').ok(1)
      .invoke(2, 'append', 'z', 'b').ok(2)
      .invoke(0, 'get', null, 'a').ok(0, 'xy')
      .invoke(1, 'get', null, 'b').ok(1, 'z');
    expect(verdict(kvModel, h)).to.equal('linearizable');
  });

  it('rejects a get that lost an acknowledged append', () => {
    const h = new HistoryBuilder().invoke(0, 'append', 'x', 'k').ok(0).invoke(1, 'append', 'y', 'k').ok(1).invoke(2, 'get', null, 'k').ok(2, 'y');
    expect(verdict(kvModel, h)).to.equal('not linearizable');
  });

  it('orders concurrent appends either way, but one way for every reader', () => {
    const base = (): HistoryBuilder => new HistoryBuilder().invoke(0, 'append', 'x', 'k').invoke(1, 'append', 'y', 'k').ok(0).ok(1);
    expect(verdict(kvModel, base().invoke(2, 'get', null, 'k').ok(2, 'yx'))).to.equal('linearizable');
    expect(verdict(kvModel, base().invoke(2, 'get', null, 'k').ok(2, 'xy').invoke(3, 'get', null, 'k').ok(3, 'yx'))).to.equal('not linearizable');
  });

  it('checks cas on strings', () => {
    const h = new HistoryBuilder().invoke(0, 'cas', ['', 'v'], 'k').ok(0, true).invoke(1, 'cas', ['', 'w'], 'k').ok(1, true);
    expect(verdict(kvModel, h)).to.equal('not linearizable');
  });

  it('refuses a non-string value, naming the line', () => {
    const h = new HistoryBuilder().invoke(0, 'put', 3, 'k').ok(0);
    expect(() => pairOperations(kvModel, h.build())).to.throw(HistoryError, /^line 1: put's value must be a string/);
  });
});

describe('check: lock model', () => {
  it('accepts acquire, release, acquire by another owner, and refusals naming the holder', () => {
    const h = new HistoryBuilder()
      .invoke('c1', 'acquire', null, 'L').ok('c1', { granted: true, owner: 'c1' })
      .invoke('c2', 'acquire', null, 'L').ok('c2', { granted: false, owner: 'c1' })
      .invoke('c1', 'release', null, 'L').ok('c1')
      .invoke('c2', 'acquire', null, 'L').ok('c2', { granted: true, owner: 'c2' });
    expect(verdict(lockModel, h)).to.equal('linearizable');
  });

  it('rejects two owners granted the same lock', () => {
    const h = new HistoryBuilder().invoke('c1', 'acquire', null, 'L').ok('c1', true).invoke('c2', 'acquire', null, 'L').ok('c2', true);
    expect(verdict(lockModel, h)).to.equal('not linearizable');
  });

  it('rejects a refusal of a free lock, and a refusal that names the wrong holder', () => {
    const free = new HistoryBuilder().invoke('c2', 'acquire', null, 'L').ok('c2', { granted: false, owner: 'c1' });
    expect(verdict(lockModel, free)).to.equal('not linearizable');
    const wrong = new HistoryBuilder().invoke('c1', 'acquire', null, 'L').ok('c1', true).invoke('c2', 'acquire', null, 'L').ok('c2', { granted: false, owner: 'c3' });
    expect(verdict(lockModel, wrong)).to.equal('not linearizable');
  });

  it('rejects a release by a client that does not hold the lock', () => {
    const h = new HistoryBuilder().invoke('c1', 'acquire', null, 'L').ok('c1', true).invoke('c2', 'release', null, 'L').ok('c2');
    expect(verdict(lockModel, h)).to.equal('not linearizable');
  });

  it('grants a re-acquire by the holder (a renewal) and keeps locks apart', () => {
    const h = new HistoryBuilder()
      .invoke('c1', 'acquire', null, 'L').ok('c1', true)
      .invoke('c1', 'acquire', null, 'L').ok('c1', true)
      .invoke('c2', 'acquire', null, 'M').ok('c2', true)
      .invoke('c1', 'renew', null, 'L').ok('c1');
    const result = check(lockModel, h);
    expect(result.verdict).to.equal('linearizable');
    expect(result.partitions.map((p) => p.key)).to.deep.equal(['L', 'M']);
  });

  it('takes the owner from the invoke value when it names one', () => {
    const h = new HistoryBuilder().invoke(0, 'acquire', 'alice', 'L').ok(0, { granted: true, owner: 'alice' }).invoke(1, 'release', 'alice', 'L').ok(1);
    expect(verdict(lockModel, h)).to.equal('linearizable');
  });
});

describe('check: unknown outcomes', () => {
  it('lets an info write have taken effect', () => {
    const h = new HistoryBuilder().invoke(0, 'write', 1).info(0).invoke(1, 'read').ok(1, 1);
    expect(verdict(registerModel, h)).to.equal('linearizable');
  });

  it('lets an info write not have taken effect', () => {
    const h = new HistoryBuilder().invoke(0, 'write', 1).info(0).invoke(1, 'read').ok(1, null);
    expect(verdict(registerModel, h)).to.equal('linearizable');
  });

  it('treats an invoke that never completes like info: its return is at +infinity', () => {
    const h = new HistoryBuilder().invoke(0, 'write', 2).invoke(1, 'read').ok(1, null).invoke(1, 'read').ok(1, 2);
    expect(verdict(registerModel, h)).to.equal('linearizable');
  });

  it('still cannot take effect twice, or be undone', () => {
    const h = new HistoryBuilder().invoke(0, 'write', 1).info(0).invoke(1, 'read').ok(1, 1).invoke(1, 'read').ok(1, null);
    expect(verdict(registerModel, h)).to.equal('not linearizable');
  });

  it('cannot take effect before it was invoked', () => {
    const h = new HistoryBuilder().invoke(1, 'read').ok(1, 1).invoke(0, 'write', 1).info(0);
    expect(verdict(registerModel, h)).to.equal('not linearizable');
  });

  it('matches any output of an unknown cas, which swaps only if it matched', () => {
    const h = new HistoryBuilder().invoke(0, 'write', 0).ok(0).invoke(0, 'cas', [0, 1]).info(0).invoke(1, 'read').ok(1, 1);
    expect(verdict(registerModel, h)).to.equal('linearizable');
    const wrong = new HistoryBuilder().invoke(0, 'write', 0).ok(0).invoke(0, 'cas', [5, 1]).info(0).invoke(1, 'read').ok(1, 1);
    expect(verdict(registerModel, wrong)).to.equal('not linearizable');
  });

  it('drops a fail: the op definitely did not happen', () => {
    const h = new HistoryBuilder().invoke(0, 'write', 1).fail(0).invoke(1, 'read').ok(1, 1);
    expect(verdict(registerModel, h)).to.equal('not linearizable');
    const paired = pairOperations(registerModel, new HistoryBuilder().invoke(0, 'write', 1).fail(0).build());
    expect(paired.ops).to.have.length(0);
    expect(paired.failed.map((f) => f.line)).to.deep.equal([1]);
  });
});

describe('check: the not-linearizable report', () => {
  // op 0 write(1) by process 0; op 1 read by process 1 sees nil after the write completed.
  const history = (): HistoryBuilder => new HistoryBuilder().invoke(0, 'write', 1).ok(0).invoke(2, 'write', 2).invoke(1, 'read').ok(1, 3).ok(2);

  it('gives the longest linearizable prefix, the states along it and the ops that cannot come next', () => {
    const { ops } = pairOperations(registerModel, history().build());
    const report = reportData(registerModel, ops, checkOperations(registerModel, ops));
    expect(report.verdict).to.equal('not linearizable');
    const [d] = report.details;
    expect(d!.linearized).to.deep.equal([0, 1]);
    expect(d!.states).to.deep.equal(['null', '1', '2']);
    expect(d!.failing).to.deep.equal([2]);
    expect(d!.ops.find((op) => op.id === 2)).to.deep.include({ process: 1, op: 'read() → 3', line: 4, retLine: 5 });
    expect(JSON.parse(JSON.stringify(report))).to.deep.equal(report);
  });

  it('says it in text, naming the op and its lines', () => {
    const { ops } = pairOperations(registerModel, history().build());
    const text = reportText(reportData(registerModel, ops, checkOperations(registerModel, ops)));
    expect(text).to.match(/^not linearizable: 3 ops of the register model in 1 partition, 0 linearizable/);
    expect(text).to.contain('#2 process 1: read() → 3  (lines 4–5)   ← returned, so it must come next');
    expect(text).to.contain('#1 process 2: write(2)  (lines 3–6)   ⇒ 2');
  });
});
