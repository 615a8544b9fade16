// Conformance: every history of the Porcupine corpus (../shared/testdata/porcupine, beside the
// repo) gets the verdict EXPECTED.tsv gives it. The data is read in place, never copied here.
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { checkConformanceCase, readConformanceCases } from '../src/check/conformance.js';

const CORPUS = fileURLToPath(new URL('../../../shared/testdata/porcupine/', import.meta.url));

describe('check: Porcupine conformance corpus', () => {
  if (!existsSync(CORPUS)) throw new Error(`the Porcupine corpus is missing: expected it at ${CORPUS} (shared/ beside the repo)`);
  const cases = readConformanceCases(CORPUS);

  it('lists 108 histories: 102 etcd (register) and 6 kv', () => {
    expect(cases).to.have.length(108);
    expect(cases.filter((c) => c.model === 'register')).to.have.length(102);
    expect(cases.filter((c) => c.model === 'kv').map((c) => c.file)).to.have.members(['kv/c01-ok.txt', 'kv/c01-bad.txt', 'kv/c10-ok.txt', 'kv/c10-bad.txt', 'kv/c50-ok.txt', 'kv/c50-bad.txt']);
  });

  for (const c of cases) {
    it(`${c.file} is ${c.linearizable ? '' : 'not '}linearizable`, () => {
      expect(checkConformanceCase(CORPUS, c).verdict).to.equal(c.linearizable ? 'linearizable' : 'not linearizable');
    });
  }
});
