// A newcomer's first hour, walked as a newcomer walks it: in a new folder, a fresh clone and a
// fresh hand-out each get `npm install` (one per tree, from npm's own cache) and then the commands
// their README shows, typed through npx with a shell whose PATH and environment know nothing of
// this repository. Every command runs in its own process group under a bound; one that does not
// exit, or leaves a process behind, fails the test.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { generateHandout } from '../src/handout/generate.js';
import { leftInGroup, readmeBlocks } from './fixtures/readme-blocks.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const INSTALL = 'npm install --prefer-offline --no-audit --no-fund';

/** The environment of a fresh terminal: none of the npm_* variables or node_modules/.bin paths `npm test` adds. */
function freshEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!/^npm_|^INIT_CWD$/i.test(key)) env[key] = value;
  env.PATH = (process.env.PATH ?? '').split(delimiter).filter((p) => !p.includes('node_modules')).join(delimiter);
  return env;
}

interface Ran {
  status: number | null;
  output: string;
  /** Processes of the command's group still alive after it exited (then killed). */
  leftover: string;
}

/** `command` with bash in `cwd`, in a process group of its own, killed (group and all) after `boundMs`. */
function sh(command: string, cwd: string, boundMs: number): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', command], { cwd, env: freshEnv(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const killGroup = (): void => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // the group is gone already
      }
    };
    const bound = setTimeout(() => {
      killGroup();
      reject(new Error(`\`${command}\` did not exit within ${boundMs / 1000} s:\n${output.slice(-3000)}`));
    }, boundMs);
    child.on('close', (status) => {
      clearTimeout(bound);
      const leftover = leftInGroup(child.pid!);
      killGroup();
      resolve({ status, output, leftover });
    });
  });
}

/** Remove the npx cache entries that point into `parent` (npx keys them by the package's path). */
function forgetNpxEntries(parent: string): void {
  const npx = join(process.env.npm_config_cache ?? join(homedir(), '.npm'), '_npx');
  if (!existsSync(npx)) return;
  for (const entry of readdirSync(npx)) {
    const manifest = join(npx, entry, 'package.json');
    if (existsSync(manifest) && readFileSync(manifest, 'utf8').includes(parent)) rmSync(join(npx, entry), { recursive: true, force: true });
  }
}

describe('a newcomer\'s first hour (fresh clone, fresh hand-out, npm install, then the README)', function () {
  this.timeout(400_000);
  let parent: string;
  let clone: string;
  let handout: string;
  /** The two trees' `npm install`s run at once (mostly waiting on files): each test awaits its own. */
  let cloneInstalled: Promise<Ran | undefined>;
  let handoutInstalled: Promise<Ran>;

  before(() => {
    parent = mkdtempSync(join(tmpdir(), 'rsmlab-newcomer-'));
    // ../shared beside each tree, as the course ships it (README blocks read its test data).
    symlinkSync(join(repo, '..', 'shared'), join(parent, 'shared'));
    clone = join(parent, 'rsmlab');
    handout = join(parent, 'handout');
    // A tree that is not a git clone (e.g. the hand-out) has nothing to clone.
    cloneInstalled = existsSync(join(repo, '.git'))
      ? sh(`git clone --quiet ${JSON.stringify(repo)} rsmlab && cd rsmlab && ${INSTALL}`, parent, 240_000)
      : Promise.resolve(undefined);
    generateHandout(repo, handout);
    handoutInstalled = sh(INSTALL, handout, 240_000);
    // Either may be awaited late (or never, if its test is skipped): a rejection is reported there, not as unhandled.
    cloneInstalled.catch(() => undefined);
    handoutInstalled.catch(() => undefined);
  });
  after(() => {
    forgetNpxEntries(parent);
    rmSync(parent, { recursive: true, force: true });
  });

  it('fresh clone: `git clone`, `npm install` builds, and `npx rsmlab` works as typed; npx never keeps a link to a missing build', async function () {
    const install = await cloneInstalled;
    if (install === undefined) this.skip();
    expect(install.status, install.output).to.equal(0);
    const { version } = JSON.parse(readFileSync(join(clone, 'package.json'), 'utf8')) as { version: string };
    const first = await sh('npx rsmlab --version', clone, 60_000);
    expect(first, first.output).to.deep.include({ status: 0, output: `${version}\n` });

    // npx caches its link to `rsmlab`: without a build it must say how to make one, and work again once there is one.
    renameSync(join(clone, 'dist'), join(clone, 'dist.off'));
    const unbuilt = await sh('npx rsmlab --version', clone, 60_000);
    expect(unbuilt.status, unbuilt.output).to.equal(2);
    expect(unbuilt.output).to.match(/^rsmlab: not built yet: run `npm install` \(or `npm run build`\) in /m);
    renameSync(join(clone, 'dist.off'), join(clone, 'dist'));
    const again = await sh('npx rsmlab --version', clone, 60_000);
    expect(again, again.output).to.deep.include({ status: 0, output: `${version}\n` });

    const run = await sh('npx rsmlab test paxos --world sim --seeds 5', clone, 180_000);
    expect(run.status, run.output).to.equal(0);
    expect(run.output).to.match(/^(\d+)\/\1 tests passed\. Points: (\d+)\/\2$/m);
    expect(run.leftover, 'processes left behind').to.equal('');
  });

  it('fresh hand-out: `npm install`, `npm test` passes and exits, and its README\'s lab commands run and fail on the stubs, naming the TODO', async () => {
    const readme = readFileSync(join(handout, 'README.md'), 'utf8');
    expect(readme).to.match(/^# rsmlab: your labs/);
    const blocks = readmeBlocks(readme);
    expect([...blocks.keys()].sort()).to.deep.equal(['lab', 'replay', 'setup']);

    // setup: `npm install` then `npm test`, exactly as shown; both pass, and npm test exits, leaving nothing running.
    const setup = blocks.get('setup')!.trim().split('\n');
    expect(setup).to.deep.equal(['npm install', 'npm test']);
    const install = await handoutInstalled;
    expect(install.status, install.output).to.equal(0);
    const test = await sh('npm test', handout, 180_000);
    expect(test.status, test.output.slice(-4000)).to.equal(0);
    expect(test.output).to.match(/^\s+\d+ passing/m).and.not.match(/^\s+\d+ failing/m);
    expect(test.leftover, 'npm test left processes behind').to.equal('');

    // lab: the lab's scenarios fail on the stubs (exit 1), each naming the part to write.
    const frame = /^ +at Proposer\.\w+ \(.*\/labs\/paxos\/proposer\.ts:\d+:\d+\)$/gm;
    const shownFrames = (text: string): string[] => [...text.matchAll(frame)].map((m) => m[0].replace(/\(.*\/labs\//, '(/…/labs/').trim());
    for (const line of blocks.get('lab')!.trim().split('\n')) {
      const lab = await sh(line, handout, 180_000);
      expect(lab.status, `${line}\n${lab.output}`).to.equal(1);
      expect(lab.output).to.match(/^0\/\d+ tests passed/m);
      expect(lab.output).to.match(/lab code threw: TODO: (acceptor|proposer)\./);
      expect(lab.leftover, `${line} left processes behind`).to.equal('');
      // The README's sample failure shows the stub's own frames, lines included.
      expect(shownFrames(lab.output).slice(0, 2), 'the README sample\'s frames').to.deep.equal(shownFrames(readme));
    }

    // replay: the student sees what their code threw, not framework stack frames, and gets the trace.
    const replay = await sh(blocks.get('replay')!.trim(), handout, 60_000);
    expect(replay.status, replay.output).to.equal(1);
    expect(replay.output).to.match(/^paxos 0 .* seed 1: FAIL$/m);
    expect(replay.output).to.match(/^lab code threw: TODO: proposer\.prepare \(instance \d+ at p0\) \(in p0, handler config\.join\)$/m);
    const frames = replay.output.split('\n').filter((l) => /^\s+at /.test(l));
    expect(frames.filter((l) => !l.includes('/labs/')), 'framework stack frames').to.deep.equal([]);
    const trace = readFileSync(join(handout, 'trace.jsonl'), 'utf8');
    expect(trace).to.match(/"node":"p0"/).and.match(/"node":"p1"/);
    const notes = readFileSync(join(handout, 'failures', 'paxos-0-sim-seed1', 'notes.txt'), 'utf8');
    expect(notes).to.match(/^lab code threw: TODO: proposer\.prepare/m);

    // npm run lab1: rebuilds and runs the lab as the grader does (here one scenario, in the simulator); fails on the stubs and exits.
    const lab1 = await sh('npm run lab1 -- --only 0 --seeds 2 --world sim', handout, 180_000);
    expect(lab1.status, lab1.output).to.equal(1);
    expect(lab1.output).to.match(/^> tsc -p \. /m).and.match(/rsmlab test paxos — world sim, 2 seeds/).and.match(/lab code threw: TODO: proposer\.prepare/);
    expect(lab1.leftover, 'npm run lab1 left processes behind').to.equal('');
  });

  it('lab0 tour, in the same hand-out: start a cluster on the stubs, read its log and trace, break it, replay a seed, stop it', async () => {
    const blocks = readmeBlocks(readFileSync(join(handout, 'handouts', 'lab0-tour.md'), 'utf8'));
    expect([...blocks.keys()]).to.deep.equal(['start', 'trace', 'break', 'heal', 'replay', 'stop']);
    // One shell for the whole tour (the nodes of `start` live until `stop`); each block's own status recorded.
    const script = [...blocks].map(([name, block]) => `( set -e\n${block})\necho "@@ ${name} exit $?"`).join('\n');
    const tour = await sh(script, handout, 120_000);
    const exits = Object.fromEntries([...tour.output.matchAll(/^@@ (\w+) exit (\d+)$/gm)].map((m) => [m[1]!, Number(m[2])]));
    expect(exits, tour.output).to.deep.equal({ start: 0, trace: 0, break: 0, heal: 0, replay: 1, stop: 0 });
    const section = (name: string): string => tour.output.split(/^@@ \w+ exit \d+$/m)[[...blocks.keys()].indexOf(name)]!;
    expect(section('start')).to.match(/"node": "127\.0\.0\.1:7402"/).and.match(/"vid": 0,/).and.match(/"joining": true/);
    expect(section('trace')).to.match(/ log paxos\.propose instance=2 /).and.match(/"kind":"crash".*TODO: proposer\.prepare/);
    expect(section('break')).to.match(/"partitioned": true/);
    expect(section('replay')).to.match(/^lab code threw: TODO: proposer\.prepare/m);
    expect(readFileSync(join(handout, 'tour', 'p1.log'), 'utf8')).to.match(/ partition at=now$/m);
    expect(readFileSync(join(handout, 'tour', 'sim.jsonl'), 'utf8')).to.match(/"node":"p1"/);
    expect(tour.leftover, 'the tour left nodes running').to.equal('');
  });
});
