// Every TODO the hand-out throws names the function to write, so a student reading `lab code threw:
// TODO: …` in `rsmlab test` output goes straight to it: `TODO: <file>.<function>…`, the file's name
// unique in labs/. Not a hand-out test: a student's own code may throw TODOs of its own.
import { readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { filesUnder } from '../src/files-under.js';
import { stripSolutions } from '../src/handout/strip.js';
import { enclosingFunction, todoSites } from './todo-sites.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));

/** Each labs/ file's hand-out text (its solution regions stripped), by path relative to the repo. */
function handoutLabs(): Map<string, string> {
  const files = filesUnder(join(repo, 'labs')).filter((path) => path.endsWith('.ts'));
  return new Map(files.map((path) => {
    const rel = relative(repo, path);
    return [rel, stripSolutions(rel, readFileSync(path, 'utf8')).text];
  }));
}

describe('hand-out TODOs name their function', () => {
  it('finds the named function a line sits in: functions, methods, arrows, signatures over lines, past nested blocks and callbacks', () => {
    const source = [
      'export function outer(a: number): void {', // 0
      '  if (a > 0) {',
      '    x();',
      '  } else {',
      '    y();', // 4
      '  }',
      '}',
      'class K {',
      '  protected async prepare(n: number): Promise<void> {',
      '    for (const i of xs) {', // 9
      '      xs.forEach((v) => {',
      '        z();', // 11
      '      });',
      '    }',
      '  }',
      '  handle(', // 15
      '    m: M,',
      '  ): void {',
      '    w();', // 18
      '  }',
      '}',
      'const pick = (s: S): number => {',
      '  return 1;', // 22
      '};',
      'top();', // 24
    ];
    const at = (index: number): string | undefined => enclosingFunction(source, index);
    expect([4, 11, 18, 22, 24].map(at)).to.deep.equal(['outer', 'prepare', 'handle', 'pick', undefined]);
  });

  it('reads each TODO throw\'s message, quoted or a template', () => {
    const source = "function f() {\n  throw new Error('TODO: m.f: do it');\n}\nfunction g() {\n  throw new Error(`TODO: m.g (view ${v})`);\n}";
    expect(todoSites(source)).to.deep.equal([
      { line: 2, message: "m.f: do it');", fn: 'f' },
      { line: 5, message: 'm.g (view ${v})`);', fn: 'g' },
    ]);
  });

  it('every TODO a labs/ stub throws starts `TODO: <file>.<function>`, the function it sits in', () => {
    const labs = handoutLabs();
    const names = [...labs.keys()].map((rel) => basename(rel, '.ts'));
    const wrong: string[] = [];
    const files = new Set<string>();
    for (const [rel, text] of labs) {
      for (const site of todoSites(text)) {
        files.add(rel);
        const file = basename(rel, '.ts');
        const head = `${file}.${site.fn ?? '?'}`;
        const ok = site.fn !== undefined && (site.message.startsWith(`${head}:`) || site.message.startsWith(`${head} `));
        if (!ok) wrong.push(`${rel}:${site.line} in ${site.fn ?? 'no function'}: TODO: ${site.message} (want TODO: ${head}…)`);
        if (names.filter((n) => n === file).length !== 1) wrong.push(`${rel}:${site.line}: ${file}.ts is not the only ${file}.ts in labs/, so \`${file}.\` names no one file`);
      }
    }
    expect(wrong, wrong.join('\n')).to.deep.equal([]);
    expect([...files].sort()).to.deep.equal(['labs/paxos/acceptor.ts', 'labs/paxos/proposer.ts', 'labs/rsm/rsm.ts', 'labs/vsr/engine.ts', 'labs/vsr/journal/recovery-table.ts', 'labs/vsr/journal/recovery.ts']);
  });
});
