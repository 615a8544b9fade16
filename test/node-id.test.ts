// Node id order: trailing number first, then text; the scan agrees with the rule's regex statement.
import { expect } from 'chai';
import fc from 'fast-check';
import { compareNodeIds, sortNodeIds } from '../src/env/node-id.js';

/** The rule as first written: the trailing digits by regex. */
function byRegex(a: string, b: string): number {
  const num = (id: string): number => {
    const m = /(\d+)$/.exec(id);
    return m ? Number(m[1]) : Number.NaN;
  };
  const [na, nb] = [num(a), num(b)];
  if (na !== nb && !Number.isNaN(na) && !Number.isNaN(nb)) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}

describe('node ids', () => {
  it('order by trailing number, then as text', () => {
    expect(sortNodeIds(['n10', 'n2', 'h:10000', 'h:9000', 'x', 'p0', 'p0'])).to.deep.equal(['p0', 'p0', 'n2', 'n10', 'h:9000', 'h:10000', 'x']);
  });

  it('compare as the regex statement of the rule does, on any strings', () => {
    const id = fc.oneof(fc.string(), fc.stringMatching(/^[a-z:]{0,3}[0-9٣]{0,25}$/));
    fc.assert(fc.property(id, id, (a, b) => Math.sign(compareNodeIds(a, b)) === Math.sign(byRegex(a, b)) && compareNodeIds(a, a) === 0), { numRuns: 2000 });
  });
});
