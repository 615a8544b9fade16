// The README's and the handouts' lists of scenarios are the tester's: each list, between
// <!-- scenarios:LABS --> and <!-- scenarios:end -->, names every scenario id of the registry
// (tester/index.ts) in code font, `id`, or as a range `a`–`b`, and none the registry lacks. A
// scenario added to the registry fails this test until the lists name it. (Code font in a list
// names a scenario when it holds a digit or a hyphen or is some lab's scenario id; other words
// in code font, a handler such as `execute`, are prose.)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { loadScenarios, testedLabs } from '../tester/index.js';
import { repo } from './fixtures/readme-blocks.js';

/** One marked list: the labs whose scenarios it names, those it leaves to another list (`par except vsr`), the ids it names. */
interface ScenarioList {
  labs: string[];
  except: string[];
  ids: string[];
  line: number;
}

const ID = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** Every marked list of `text`, with the ids it names: `id` in code font, and `a`–`b` for the ids a..b. */
function scenarioLists(text: string, anyLabIds: ReadonlySet<string>): ScenarioList[] {
  const lists: ScenarioList[] = [];
  for (const m of text.matchAll(/<!-- scenarios:([a-z, ]+?)(?: except ([a-z, ]+?))? -->\n([\s\S]*?)(<!-- scenarios:end -->|<!-- scenarios:)/g)) {
    const line = text.slice(0, m.index).split('\n').length;
    if (m[4] !== '<!-- scenarios:end -->') throw new Error(`line ${line}: the list is not closed by <!-- scenarios:end -->`);
    const body = m[3]!;
    const ranges = [...body.matchAll(/`(\d+)`–`(\d+)`/g)].flatMap(([, a, b]) => Array.from({ length: Number(b) - Number(a) + 1 }, (_, i) => String(Number(a) + i)));
    const named = [...body.matchAll(/`([^`\n]+)`/g)].map(([, id]) => id!).filter((id) => ID.test(id) && (/[\d-]/.test(id) || anyLabIds.has(id)));
    lists.push({ labs: labNames(m[1]!), except: labNames(m[2] ?? ''), ids: [...new Set([...ranges, ...named])], line });
  }
  return lists;
}

function labNames(list: string): string[] {
  return list.split(',').map((s) => s.trim()).filter(Boolean);
}

async function idsOf(labs: readonly string[]): Promise<Set<string>> {
  const all = await Promise.all(labs.map((lab) => loadScenarios(lab)));
  return new Set(all.flat().map((s) => s.id));
}

/** What is wrong with `list` against the registry: the ids it omits and those no scenario of its labs has. */
async function listProblems(list: ScenarioList): Promise<string[]> {
  const registered = await idsOf(list.labs);
  const elsewhere = await idsOf(list.except);
  const named = new Set(list.ids);
  const missing = [...registered].filter((id) => !elsewhere.has(id) && !named.has(id));
  const unknown = list.ids.filter((id) => !registered.has(id));
  const where = `line ${list.line}, the ${list.labs.join(' and ')} list`;
  return [...(missing.length > 0 ? [`${where} omits ${missing.join(', ')}`] : []), ...(unknown.length > 0 ? [`${where} names ${unknown.join(', ')}, which the registry has no scenario of`] : [])];
}

/** The file of each list, and which lists it must hold. */
const documents: Record<string, string[]> = {
  'README.md': ['paxos,rsm', 'vsr', 'par except vsr'],
  'handouts/lab1-paxos.md': ['paxos'],
  'handouts/lab2-rsm.md': ['rsm'],
  'handouts/lab3-vsr.md': ['vsr'],
  'handouts/lab4-par.md': ['par except vsr'],
};

const shown = (list: ScenarioList): string => list.labs.join(',') + (list.except.length > 0 ? ` except ${list.except.join(',')}` : '');

describe('scenario lists in the README and handouts', () => {
  let anyLabIds: Set<string>;
  before(async () => {
    anyLabIds = await idsOf(testedLabs);
  });
  const listsOf = (text: string): ScenarioList[] => scenarioLists(text, anyLabIds);

  for (const [file, expected] of Object.entries(documents)) {
    it(`${file}: every list names exactly the registry's scenarios`, async () => {
      const lists = listsOf(readFileSync(join(repo, file), 'utf8'));
      expect(lists.map(shown)).to.deep.equal(expected);
      const problems = (await Promise.all(lists.map(listProblems))).flat();
      expect(problems, `${file}: ${problems.join('; ')}`).to.deep.equal([]);
    });
  }

  it('every lab of the registry is listed in the README and in its own handout', () => {
    const listed = (files: string[]): string[] => files.flatMap((f) => documents[f]!.flatMap((l) => labNames(l.split(' except ')[0]!)));
    expect(listed(['README.md']).sort()).to.deep.equal([...testedLabs].sort());
    for (const lab of testedLabs) expect(listed(Object.keys(documents).filter((f) => f.endsWith(`-${lab}.md`))), lab).to.deep.equal([lab]);
  });

  it('catches a list that omits a scenario, names one the registry lacks, or is not closed', async () => {
    const rsm = (await loadScenarios('rsm')).map((s) => s.id);
    const named = rsm.filter((id) => !/^\d+$/.test(id));
    const full = `<!-- scenarios:rsm -->\ntests \`8\`–\`16\` and ${named.map((id) => `\`${id}\``).join(', ')}; see \`labs/rsm/client.ts\`, \`execute\` and \`n_a\`\n<!-- scenarios:end -->\n`;
    expect(await listProblems(listsOf(full)[0]!)).to.deep.equal([]);
    const omitted = full.replace('`busy`', 'busy');
    expect(await listProblems(listsOf(omitted)[0]!)).to.deep.equal(['line 1, the rsm list omits busy']);
    const shortRange = full.replace('`16`', '`15`');
    expect(await listProblems(listsOf(shortRange)[0]!)).to.deep.equal(['line 1, the rsm list omits 16']);
    const stale = full.replace('`busy`', '`busy`, `no-such`, `vopr`');
    expect(await listProblems(listsOf(stale)[0]!)).to.deep.equal(['line 1, the rsm list names no-such, vopr, which the registry has no scenario of']);
    expect(() => listsOf('<!-- scenarios:rsm -->\n`8`\n<!-- scenarios:vsr -->\n`1`\n<!-- scenarios:end -->\n')).to.throw('line 1: the list is not closed');
    const par = `<!-- scenarios:par except vsr -->\n\`13\`–\`26\` and \`4\`\n<!-- scenarios:end -->\n`;
    expect((await listProblems(listsOf(par)[0]!))[0]).to.match(/^line 1, the par list omits table, sync-rebuild, /);
  });
});
