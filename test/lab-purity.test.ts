// Lab code must reach the world only through Env: scan every lab source for forbidden calls.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { findPurityViolations } from '../src/lint/purity.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

describe('lab purity (static determinism check)', () => {
  it('flags each forbidden call with the Env call to use instead', () => {
    const bad = ['const t = Date.now();', 'if (Math.random() < 0.5) x();', 'setTimeout(f, 10);', "import { readFileSync } from 'node:fs';", 'process.exit(1);', 'const d = new Date();'].join('\n');
    const found = findPurityViolations('bad.ts', bad);
    expect(found.map((v) => v.line)).to.deep.equal([1, 2, 3, 4, 5, 6]);
    expect(found[0]!.use).to.equal('env.now()');
    expect(found[1]!.use).to.equal('env.random()');
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
