// The README is true: every command block it shows (marked <!-- readme:NAME -->) runs here, as
// written, with bash in the repository, and must succeed. The quick-start commands are covered
// by CI itself (npm test) and by the npm-start test below.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { paxosScenarios } from '../tester/paxos/scenarios.js';
import { rsmScenarios } from '../tester/rsm/scenarios.js';
import { studentFiles } from '../src/handout/student-files.js';
import { killGroup, readmeBlocks, repo, runBlock } from './fixtures/readme-blocks.js';

/** How many scenarios each lab has (the outputs below count them). */
const paxosCount = paxosScenarios.length;
const rsmCount = rsmScenarios.length;

describe('README commands', function () {
  this.timeout(300_000);
  const blocks = readmeBlocks(readFileSync(join(repo, 'README.md'), 'utf8'));
  after(() => {
    for (const path of ['demo', 'results.json', 'junit.xml', 'trace.jsonl', 'trace.html', 'failures', 'submissions', 'grades', 'autograder.zip']) rmSync(join(repo, path), { recursive: true, force: true });
  });

  it('each block the tests run (README, hand-outs) has node ports of its own: two run at once never collide', () => {
    const owner = new Map<number, string>();
    for (const doc of ['README.md', 'handouts/lab0-tour.md', 'handouts/student-README.md']) {
      for (const [name, text] of readmeBlocks(readFileSync(join(repo, doc), 'utf8'))) {
        for (const m of text.matchAll(/--port (\d+)/g)) {
          const port = Number(m[1]);
          expect(owner.get(port) ?? `${doc}#${name}`, `port ${port}`).to.equal(`${doc}#${name}`);
          owner.set(port, `${doc}#${name}`);
        }
      }
    }
    expect(owner.size, 'the blocks start nodes').to.be.greaterThan(10);
  });

  // The mutants block is run and judged in test/mutants.test.ts (its run is also Lab 1's mutant gate).
  it('has the blocks this test knows how to judge', () => {
    expect([...blocks.keys()].sort()).to.deep.equal(['bench', 'check', 'grade', 'handout', 'kv', 'mutants', 'par', 'partest', 'run', 'shrink', 'tutorial', 'view', 'vsr', 'vsrtest']);
  });

  it('shrink: a broken Paxos\'s failing seed shrunk to the faults that matter, and its shrunk replay', () => {
    const { status, output } = runBlock(blocks.get('shrink')!);
    expect(status, output).to.equal(0);
    expect(output).to.match(/fault decisions \d+ \(delay \d+, .*\) → 7 \(breakpoint 1, crash 3, restart 3\)/);
    expect(output).to.match(/the smallest failing run: seed 1 with 7 of its \d+ fault decisions, .*:\n  replay: npx rsmlab sim paxos 7 --seed 1 --lab-module dist\/test\/fixtures\/paxos-broken\.js#amnesiacPaxosLab --veto /);
    expect(output).to.match(/paxos 7 .* seed 1: FAIL\n.*\nfault decisions: 7 \(breakpoint 1, crash 3, restart 3\); \d+ vetoed\n.*view 5 is \{p1,p2,p3\}, expected \{p0,p1,p2\}/);
  });

  it('run: the tester, grader outputs and replay', () => {
    const { status, output } = runBlock(blocks.get('run')!);
    expect(status, output).to.equal(0);
    expect(output).to.match(new RegExp(`^${paxosCount}/${paxosCount} tests passed\\. Points: \\d+/\\d+`, 'm'));
    expect(output).to.match(new RegExp(`^${rsmCount}/${rsmCount} tests passed\\. Points: \\d+/\\d+`, 'm'));
    expect(output).to.match(/2\/2 tests passed/);
    expect(output).to.match(/paxos 7 .* seed 42: PASS/);
    const gradescope = JSON.parse(readFileSync(join(repo, 'results.json'), 'utf8')) as { tests: { status: string }[] };
    expect(gradescope.tests).to.have.length(paxosCount);
    expect(gradescope.tests.every((t) => t.status === 'passed')).to.equal(true);
    expect(readFileSync(join(repo, 'junit.xml'), 'utf8')).to.include(`<testsuite name="rsmlab paxos (sim)" tests="${paxosCount}" failures="0"`);
    expect(readFileSync(join(repo, 'trace.jsonl'), 'utf8').split('\n').length).to.be.greaterThan(100);
  });

  it('tutorial: a live cluster by hand, partitioned and healed', () => {
    const { status, output } = runBlock(blocks.get('tutorial')!);
    expect(status, output).to.equal(0);
    const views = [...output.matchAll(/"vid": (\d+)/g)].map((m) => Number(m[1]));
    expect(views[0], output).to.equal(3);
    expect(views.at(-1), output).to.be.greaterThan(3);
    expect(output).to.match(/"members": \[\s*"127\.0\.0\.1:7000",\s*"127\.0\.0\.1:7002"\s*\]/);
    expect(output).to.match(/"primary": "127\.0\.0\.1:7000"/);
  });

  it('grade: a class of one reference submission, full marks in the CSV; an autograder bundle', () => {
    const { status, output } = runBlock(blocks.get('grade')!);
    expect(status, output).to.equal(0);
    expect(output).to.match(new RegExp(`^reference +${10 * paxosCount}/${10 * paxosCount}$`, 'm'));
    expect(output).to.include('student,score,max,test 0,');
    expect(output).to.match(new RegExp(`^reference,${10 * paxosCount},${10 * paxosCount},${Array(paxosCount).fill(10).join(',')},$`, 'm'));
    expect(output).to.match(/^wrote autograder\.zip \(\d+ KiB\)/m);
  });

  it('kv: a replicated KV under load, its primary killed with kill -9, the history linearizable', () => {
    const { status, output } = runBlock(blocks.get('kv')!);
    expect(status, output).to.equal(0);
    expect(output).to.match(/2000 operations by 4 clients .*: \d+ ok/);
    expect(output).to.match(/^linearizable: 2000 ops of the kv model/m);
    const members = /"members": \[([^\]]*)\]/.exec(output)?.[1]?.replace(/[\s"]/g, '').split(',').sort();
    expect(members, output).to.deep.equal(['127.0.0.1:7102', '127.0.0.1:7104']);
  });

  it('view: a trace as one self-contained page, and a simulated run live in the dashboard', () => {
    const { status, output } = runBlock(blocks.get('view')!);
    expect(status, output).to.equal(0);
    expect(output).to.match(/^wrote trace\.html: \d+ events; open it in any browser/m);
    const html = readFileSync(join(repo, 'trace.html'), 'utf8');
    expect(html).to.include('"mode":"view"');
    expect(html).to.not.match(/<script[^>]+src=|<link[^>]+href=|https?:\/\//);
    expect(output).to.match(/simulated run of rsm 12 seed 3, live at http:\/\/127\.0\.0\.1:8080\//);
  });

  it('vsr: three VSR replicas under load, the primary killed with kill -9, the history linearizable', () => {
    const { status, output } = runBlock(blocks.get('vsr')!);
    expect(status, output).to.equal(0);
    expect(output).to.match(/4000 operations by 4 clients .*: 4000 ok, 0 failed, 0 unknown outcome/);
    expect(output).to.match(/^linearizable: 4000 ops of the kv model/m);
    expect(output).to.match(/"status": "normal"/);
    expect(Number(/"view": (\d+)/.exec(output)?.[1]), output).to.be.greaterThan(0);
  });

  it('vsrtest: the Lab 3 tester and a VOPR replay', () => {
    const { status, output } = runBlock(blocks.get('vsrtest')!);
    expect(status, output).to.equal(0);
    expect(output).to.match(/(\d+)\/\1 tests passed\. Points: \d+\/\d+/);
    expect(output).to.match(/vsr vopr .* seed 42: PASS/);
  });

  it('par: a committed op\'s prepare corrupted on a live replica, classified @C vsr at its restart and repaired; the cluster stays correct', () => {
    const { status, output } = runBlock(blocks.get('par')!);
    expect(status, output).to.equal(0);
    expect(output).to.match(/^20 operations by 2 clients .*: 20 ok, 0 failed, 0 unknown outcome/m);
    expect(output).to.match(/"node": "127\.0\.0\.1:7304",\s*"file": "vsr\.journal",\s*"slot": 5,\s*"ring": "prepare",\s*"offset": 1069056,\s*"length": 4096,\s*"corrupted": 4096/);
    const journal = output.split('\n').filter((l) => / log vsr\.journal\./.test(l));
    expect(journal.filter((l) => l.includes('vsr.journal.recovered')), output).to.have.length(2);
    expect(journal.at(-2), output).to.match(/ log vsr\.journal\.slot slot=5 op=5 case=@C decision=vsr$/);
    // From a healthy replica (0 is the primary unless a view change under load moved it), never from replica 2 itself.
    expect(journal.at(-1), output).to.match(/ log vsr\.journal\.repaired slot=5 op=5 from=[01]$/);
    expect(journal.filter((l) => l.includes('vsr.journal.slot')), 'no other slot is damaged').to.have.length(1);
    expect(output).to.match(/^linearizable: 40 ops of the kv model/m);
    const hashes = [...output.matchAll(/"state_hash": "(\w+)"/g)].map((m) => m[1]);
    expect(hashes, output).to.have.length(2);
    expect(hashes[0], 'replica 2 executed the same state as replica 0').to.equal(hashes[1]);
  });

  it('partest: two of the Lab 4 tester\'s storage scenarios and a VOPR replay with storage faults', () => {
    const { status, output } = runBlock(blocks.get('partest')!);
    expect(status, output).to.equal(0);
    expect(output).to.match(/^2\/2 tests passed\. Points: 20\/20/m);
    expect(output).to.match(/par vopr .* seed 42: PASS/);
  });

  it('check: a linearizable and a non-linearizable history', () => {
    const { status, output } = runBlock(blocks.get('check')!);
    expect(status, output).to.equal(0);
    expect(output).to.match(/^linearizable: /m);
    expect(output).to.match(/"verdict": ?"not linearizable"/);
  });

  // The block runs as typed, in bench/mode.ts's short mode (RSMLAB_BENCH_SHORT=1): every benchmark and every
  // figure once, with small counts (the full counts take minutes and their numbers are what `npm run bench` is for).
  it('bench: one JSON figure per line, with the ratio to a limit, from every benchmark', () => {
    const { status, output } = runBlock(blocks.get('bench')!, { RSMLAB_BENCH_SHORT: '1' });
    expect(status, output).to.equal(0);
    const figures = output.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(figures.length).to.be.greaterThan(8);
    for (const f of figures) {
      expect(Object.keys(f), JSON.stringify(f)).to.deep.equal(['name', 'value', 'unit', 'limit', 'ratio']);
      expect(f.name, JSON.stringify(f)).to.be.a('string');
      expect(f.unit, JSON.stringify(f)).to.be.a('string').and.not.equal('');
      for (const key of ['value', 'limit', 'ratio'] as const) expect(Number.isFinite(f[key]), `${key} of ${JSON.stringify(f)}`).to.equal(true);
      const [value, limit, ratio] = [f.value as number, f.limit as number, f.ratio as number];
      expect(limit, JSON.stringify(f)).to.not.equal(0);
      // value, limit and ratio are each rounded to 3 decimals or finer (bench/figure.ts): ratio must be value / limit for some value and limit that round to those shown.
      const ends = [-1, 1].flatMap((dv) => [-1, 1].map((dl) => (value + dv * 0.0005) / (limit + dl * 0.0005)));
      expect(ratio, `ratio = value / limit in ${JSON.stringify(f)}`).to.be.within(Math.min(...ends) - 0.0005, Math.max(...ends) + 0.0005);
    }
    const names = figures.map((f) => String(f.name));
    expect(new Set(names).size, 'each figure printed once').to.equal(names.length);
    expect([...output.matchAll(/^bench (\w+)\.\.\.$/gm)].map((m) => m[1]), 'every benchmark ran').to.deep.equal(['transport', 'sim', 'checker', 'rsm', 'vsr', 'par', 'shrink']);
    for (const prefix of ['transport.', 'sim:', 'checker:', 'rsm.', 'vsr.', 'par.', 'shrink:']) expect(names.some((n) => n.startsWith(prefix)), `a figure of ${prefix}`).to.equal(true);
    for (const wanted of ['transport.calls_sequential', 'transport.calls_64_in_flight', 'rsm.kv_ops_1_client', 'rsm.kv_ops_1_client_vs_raw_relay', 'vsr.ops_64_clients_fsync']) expect(names).to.include(wanted);
    expect(names.some((n) => n.startsWith('sim: 3 Paxos nodes'))).to.equal(true);
    expect(names.some((n) => n.startsWith('checker: all 108'))).to.equal(true);
  });

  it('handout: writes the student tree without solutions', () => {
    const out = join(repo, '..', 'rsmlab-handout');
    rmSync(out, { recursive: true, force: true });
    try {
      const { status, output } = runBlock(blocks.get('handout')!);
      expect(status, output).to.equal(0);
      expect(output).to.match(/replaced \d+ solution regions/);
      const grep = spawnSync('grep', ['-rl', 'BEGIN SOLUTION', join(out, 'labs')], { encoding: 'utf8' });
      expect(grep.stdout).to.equal('');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('npm start: a 3-node KV cluster under load, narrated, with the dashboard at 127.0.0.1:8080; Ctrl-C stops it all', async () => {
    const child = spawn('npm', ['start', '--silent'], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    try {
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no view 3 within 60 s:\n${output}`)), 60_000);
        child.stdout.on('data', () => {
          if (/node 2 now in view 3 = \{[^}]+, [^}]+, [^}]+\}/.test(output)) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      expect(output).to.match(/^rsmlab: dashboard at http:\/\/127\.0\.0\.1:8080\/$/m);
      expect(await (await fetch('http://127.0.0.1:8080/')).text()).to.include('id="rsmlab-config"');
      type State = { nodes: { summary: { view: number | null; role: string } }[]; clientOps: string[] } | null;
      let state: State = null;
      for (let i = 0; i < 300 && !state?.clientOps.some((op) => op.includes('type=ok')); i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        state = (await (await fetch('http://127.0.0.1:8080/api/state')).json()) as State;
      }
      expect(state?.nodes.map((n) => n.summary.view), 'the dashboard sees view 3 on every node').to.deep.equal([3, 3, 3]);
      expect(state?.nodes.filter((n) => n.summary.role === 'primary')).to.have.length(1);
      expect(state?.clientOps.some((op) => op.includes('type=ok')), 'client load').to.equal(true);
      // Ctrl-C in a terminal signals the whole foreground process group: npm and rsmlab alike.
      process.kill(-child.pid!, 'SIGINT');
      const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
      expect(output).to.match(/stopped \(Ctrl-C\); all nodes killed/);
      expect(code === 0 || signal === 'SIGINT', `exit ${code} ${signal}`).to.equal(true);
      const ports = [...output.matchAll(/node \d is 127\.0\.0\.1:(\d+)/g)].map((m) => m[1]!);
      expect(ports).to.have.length(3);
      const left = spawnSync('pgrep', ['-f', `--port (${ports.join('|')}) `], { encoding: 'utf8' });
      expect(left.stdout, 'node processes left running').to.equal('');
      expect(await fetch('http://127.0.0.1:8080/').then(() => 'still serving', () => 'closed'), 'the dashboard port').to.equal('closed');
    } finally {
      // Whatever happened above, npm start's cluster goes with it: a failing case must not leave nodes running.
      killGroup(child.pid!);
    }
  });

  it("npm start: a SIGTERM to npm's own process (a launcher stopping the pid it started) stops it all, as Ctrl-C does", async () => {
    const child = spawn('npm', ['start', '--silent', '--', '--port', '0', '--clients', '0'], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    try {
      let output = '';
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`not started within 60 s:\n${output}`)), 60_000);
        child.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          if (output.includes('Ctrl-C stops the cluster.')) resolve(clearTimeout(timer));
        });
      });
      process.kill(child.pid!, 'SIGTERM'); // npm alone: its shell dies of it, and does not pass it on to rsmlab
      await new Promise((resolve) => child.on('exit', resolve));
      const ports = [...output.matchAll(/node \d is 127\.0\.0\.1:(\d+)/g)].map((m) => m[1]!);
      expect(ports).to.have.length(3);
      // npm exits as it passes the signal on; rsmlab stops its cluster after it, and says so.
      for (let i = 0; i < 150 && !output.includes('stopped ('); i++) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(spawnSync('pgrep', ['-af', `--port (${ports.join('|')}) `], { encoding: 'utf8' }).stdout, 'node processes left running').to.equal('');
      // (npm's shell dies of it here; a shell that passed it on, or ran rsmlab in its place, would stop it by SIGTERM.)
      expect(output).to.match(/stopped \((npm, which started it, has ended|SIGTERM)\); all nodes killed/);
    } finally {
      killGroup(child.pid!);
    }
  });
});

describe('handout write-ups', () => {
  it('name every file students write where they say which files are graded (the student README, the grader guide)', () => {
    const files = studentFiles(repo);
    expect(files, 'the files with solution regions').to.include('labs/paxos/acceptor.ts');
    for (const doc of ['handouts/student-README.md', 'handouts/grader.md']) {
      const named = new Set([...readFileSync(join(repo, doc), 'utf8').matchAll(/`(labs\/[\w/.-]+\.ts)`/g)].map((m) => m[1]!));
      expect(files.filter((file) => !named.has(file)), `${doc} does not name`).to.deep.equal([]);
    }
  });

  /** Write-ups whose command blocks are marked and run by their own tests, by the block names those tests run. */
  const selfTested: Record<string, string[]> = {
    'student-README.md': ['lab', 'replay', 'setup'], // test/newcomer.test.ts, in a fresh hand-out
    'lab0-tour.md': ['break', 'heal', 'replay', 'start', 'stop', 'trace'], // test/newcomer.test.ts, in the same hand-out
  };

  it('show only commands that a test runs: the README test\'s, or their own marked blocks', () => {
    const readme = [...readmeBlocks(readFileSync(join(repo, 'README.md'), 'utf8')).values()].join('\n');
    const tested = new Set(readme.split('\n').map((l) => l.trim()).filter(Boolean));
    const dir = join(repo, 'handouts');
    const files = readdirSync(dir).filter((f) => f.endsWith('.md'));
    for (const [f, names] of Object.entries(selfTested)) {
      const text = readFileSync(join(dir, f), 'utf8');
      expect([...readmeBlocks(text).keys()].sort(), f).to.deep.equal(names);
      expect([...text.matchAll(/```sh\n/g)].length, `${f}: every sh block is marked`).to.equal(names.length);
    }
    const shown = files
      .filter((f) => !(f in selfTested))
      .flatMap((f) => [...readFileSync(join(dir, f), 'utf8').matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) => m[1]!.split('\n').map((l) => ({ f, l: l.trim() }))))
      .filter(({ l }) => l !== '');
    expect(shown.length).to.be.greaterThan(4);
    expect(shown.filter(({ l }) => !tested.has(l))).to.deep.equal([]);
  });
});
