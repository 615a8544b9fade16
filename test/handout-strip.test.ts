// handout: framework test (passes without the lab solutions)
import { expect } from 'chai';
import { MarkerError, stripSolutions } from '../src/handout/strip.js';

describe('handout: solution stripping', () => {
  const source = [
    'export function f(x: number): number {',
    '  // BEGIN SOLUTION',
    '  // STUDENT: return 0; // your code here',
    '  return x * 2;',
    '  // END SOLUTION',
    '}',
    'export function g(): void {',
    '    // BEGIN SOLUTION',
    '    secret();',
    '    // END SOLUTION',
    '}',
  ].join('\n');

  it('replaces each region by its STUDENT stub, or a throwing TODO, keeping indentation', () => {
    const { text, regions } = stripSolutions('labs/x.ts', source);
    expect(regions).to.equal(2);
    expect(text.split('\n')).to.deep.equal([
      'export function f(x: number): number {',
      '  return 0; // your code here',
      '}',
      'export function g(): void {',
      "    throw new Error('TODO: labs/x.ts:8: write this part');",
      '}',
    ]);
    expect(text).to.not.include('x * 2').and.not.include('secret');
  });

  it('leaves a file without markers unchanged', () => {
    expect(stripSolutions('a.ts', 'const a = 1;\n')).to.deep.equal({ text: 'const a = 1;\n', regions: 0 });
  });

  it('rejects unbalanced markers with the file and line', () => {
    expect(() => stripSolutions('a.ts', '// BEGIN SOLUTION\nx();')).to.throw(MarkerError, 'a.ts:1');
    expect(() => stripSolutions('a.ts', 'x();\n// END SOLUTION')).to.throw(MarkerError, 'a.ts:2');
    expect(() => stripSolutions('a.ts', '// BEGIN SOLUTION\n// BEGIN SOLUTION\n// END SOLUTION')).to.throw(MarkerError, 'a.ts:2');
  });
});
