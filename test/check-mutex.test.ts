// The lock service's direct mutual-exclusion check: holds run from a granted acquire's ok to the
// owner's release invoke; overlapping holds of one lock by two owners are reported as a pair.
// handout: framework test (passes without the lab solutions)
import { expect } from 'chai';
import { HistoryBuilder } from '../src/check/builder.js';
import { lockModel } from '../src/check/models/lock.js';
import { checkMutualExclusion, describeMutex } from '../src/check/mutex.js';
import { pairOperations } from '../src/check/operation.js';

function mutex(h: HistoryBuilder): ReturnType<typeof checkMutualExclusion> {
  return checkMutualExclusion(pairOperations(lockModel, h.build()));
}

describe('check: lock mutual exclusion', () => {
  it('accepts holds one after another, on one lock and across locks', () => {
    const h = new HistoryBuilder()
      .invoke('c1', 'acquire', null, 'L').ok('c1', true) // lines 1-2
      .invoke('c2', 'acquire', null, 'M').ok('c2', true)
      .invoke('c1', 'release', null, 'L').ok('c1')
      .invoke('c3', 'acquire', null, 'L').ok('c3', true);
    expect(mutex(h)).to.deep.equal({ ok: true, holds: 3 });
  });

  it('reports the pair of overlapping holds', () => {
    const h = new HistoryBuilder()
      .invoke('c1', 'acquire', null, 'L').ok('c1', true) // c1 holds from t=2
      .invoke('c2', 'acquire', null, 'L') // t=3
      .ok('c2', { granted: true, owner: 'c2' }) // c2 holds from t=4, while c1 does
      .invoke('c1', 'release', null, 'L').ok('c1'); // c1 releases at t=5
    const result = mutex(h);
    expect(result).to.deep.equal({
      ok: false,
      first: { lock: 'L', owner: 'c1', from: 2, acquireLine: 2, until: 5, releaseLine: 5 },
      second: { lock: 'L', owner: 'c2', from: 4, acquireLine: 4, until: Infinity, releaseLine: null },
    });
    expect(describeMutex(result)).to.equal('mutual exclusion violated on lock "L": held by c1 from t=2 (line 2), released at t=5 (line 5); and by c2 from t=4 (line 4), never released');
  });

  it('ends a hold at the release invoke, whatever its answer', () => {
    const h = new HistoryBuilder()
      .invoke('c1', 'acquire', null, 'L').ok('c1', true)
      .invoke('c1', 'release', null, 'L').fail('c1')
      .invoke('c2', 'acquire', null, 'L').ok('c2', true);
    expect(mutex(h).ok).to.equal(true);
  });

  it('ignores refused acquires and acquires of unknown outcome, and merges a holder re-acquiring', () => {
    const h = new HistoryBuilder()
      .invoke('c1', 'acquire', null, 'L').ok('c1', true)
      .invoke('c2', 'acquire', null, 'L').ok('c2', { granted: false, owner: 'c1' })
      .invoke('c3', 'acquire', null, 'L').info('c3')
      .invoke('c1', 'acquire', null, 'L').ok('c1', true)
      .invoke('c1', 'release', null, 'L').ok('c1');
    expect(mutex(h)).to.deep.equal({ ok: true, holds: 1 });
  });

  it('lets a grant at the very time of the release invoke touch without overlapping', () => {
    const lines = new HistoryBuilder().invoke('c1', 'acquire', null, 'L').ok('c1', true).invoke('c2', 'acquire', null, 'L').ok('c2', true).invoke('c1', 'release', null, 'L').build();
    lines[4]!.event.time = lines[3]!.event.time; // c1's release invoke at c2's grant
    expect(checkMutualExclusion(pairOperations(lockModel, lines)).ok).to.equal(true);
  });
});
