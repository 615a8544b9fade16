// npm test's mocha settings: two test files at once (parallel mode, one worker per core), the
// order they are handed out in, and the fast-check seed each worker sets first (test/property-seed.ts).
// It owns only what mocha runs and how; it never selects tests.
const { existsSync } = require('node:fs');

/**
 * The longest files (half a minute to 2.5 minutes each in npm test), longest first: mocha's workers take files
 * in this order, so the last to start are short ones and the two workers end together. In the
 * alphabetical order a long file (vsr-tester-sim, 70 s) could start last, with the other worker
 * idle. Files the tree does not have are left out (the student hand-out has none of these).
 */
const LONGEST = ['readme', 'grade', 'suite', 'par-sweep', 'newcomer', 'vsr-tester-sim', 'vsr-tester-real', 'mutants', 'rsm-real', 'par-vopr', 'handout', 'paxos-real', 'par-ring-vopr'];

module.exports = {
  spec: [...LONGEST.map((name) => `dist/test/${name}.test.js`).filter((file) => existsSync(file)), `dist/test/!(${LONGEST.join('|')}).test.js`],
  require: ['dist/test/property-seed.js'],
  parallel: true,
  jobs: 2,
  timeout: 120000,
  reporter: 'spec',
};
