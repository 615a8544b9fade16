// A link's awaited calls (pending-calls.ts): the one-call slot and the Map behave as one table:
// each call is found and taken once by its id, and entries() lists them in the order they were made.
import { expect } from 'chai';
import fc from 'fast-check';
import { PendingCalls } from '../src/env/real/pending-calls.js';

describe('pending calls', function () {
  it('finds, takes and lists calls as a Map in id order would, whatever the order replies come in', function () {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constant('add' as const), fc.nat({ max: 40 })), { maxLength: 80 }), (steps) => {
        const calls = new PendingCalls<string>();
        const model = new Map<number, string>();
        let next = 2 ** 40;
        for (const step of steps) {
          if (step === 'add') {
            const id = next++;
            calls.add(id, `call ${id}`);
            model.set(id, `call ${id}`);
          } else {
            const id = 2 ** 40 + step;
            expect(calls.get(id)).to.equal(model.get(id));
            expect(calls.take(id)).to.equal(model.get(id));
            model.delete(id);
            expect(calls.take(id)).to.equal(undefined);
          }
          expect(calls.size).to.equal(model.size);
          expect(calls.entries()).to.deep.equal([...model].sort((a, b) => a[0] - b[0]));
        }
        expect(calls.get(String(2 ** 40))).to.equal(undefined); // a reply whose id is a string matches no call
      }),
      { numRuns: 300 },
    );
  });
});
