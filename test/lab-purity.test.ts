// Lab code must reach the world only through Env: scan every lab source for forbidden calls.
// handout: framework test (passes without the lab solutions)
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { findPurityViolations } from '../src/lint/purity.js';
import { filesUnder } from '../src/files-under.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));

function sources(dir: string): string[] {
  return filesUnder(dir).filter((path) => path.endsWith('.ts'));
}

describe('lab purity (static determinism check)', () => {
  it('flags each forbidden call with the Env call to use instead', () => {
    const bad = ['const t = Date.now();', 'if (Math.random() < 0.5) x();', 'setTimeout(f, 10);', "import { readFileSync } from 'node:fs';", 'process.exit(1);', 'const d = new Date();'].join('\n');
    const found = findPurityViolations('bad.ts', bad);
    expect(found.map((v) => v.line)).to.deep.equal([1, 2, 3, 4, 5, 6]);
    expect(found[0]!.use).to.equal('env.now()');
    expect(found[1]!.use).to.equal('env.random()');
  });

  it('flags node:crypto\'s random ids, microtask queues, performance and hrtime, naming env.nonce() for ids', () => {
    const bad = [
      "import { randomUUID } from 'node:crypto';",
      'const nonce = crypto.randomUUID();',
      'const b = randomBytes(16);',
      'crypto.webcrypto.getRandomValues(buf);',
      'process.nextTick(f);',
      'queueMicrotask(f);',
      'setImmediate(f);',
      'const t0 = performance.timeOrigin;',
      'const [s] = process.hrtime();',
    ].join('\n');
    const found = findPurityViolations('bad.ts', bad);
    expect(found.map((v) => v.line)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(found[1]!.use).to.equal('env.nonce() for unique ids, env.random() for numbers');
    expect(found[4]!.use).to.equal('env.setTimer(0, fn) or an await');
    expect(found[8]!.use).to.equal('env.now()');
    expect(findPurityViolations('ok.ts', "import { createHash } from 'node:crypto';\nconst id = env.nonce();")).to.deep.equal([]);
  });

  it('passes env calls and comments', () => {
    expect(findPurityViolations('ok.ts', 'const t = env.now();\n// Date.now() is not allowed\nenv.setTimer(5, f);')).to.deep.equal([]);
  });

  it('finds no forbidden call anywhere in labs/', () => {
    const files = sources(join(repo, 'labs'));
    expect(files.length).to.be.greaterThan(3);
    const violations = files.flatMap((file) => findPurityViolations(relative(repo, file), readFileSync(file, 'utf8')));
    expect(violations, violations.map((v) => `${v.file}:${v.line}: ${v.text} (use ${v.use})`).join('\n')).to.deep.equal([]);
  });
});
