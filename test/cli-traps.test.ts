// The first-hour traps, each as a newcomer meets it through the real `rsmlab` binary: bad flag
// values and bad input files are exit 2 with an `rsmlab:` message on stderr, never a silent pass;
// a node that cannot start exits at once with its ports closed; `load` refuses a dead cluster;
// a node's stdout log holds its log lines, and one whose --first never answers says so; timers and
// nodes are named as the tests name them.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { releasePorts, reservePortPairs } from '../src/env/real/ports.js';
import { RealCluster } from '../tester/real-cluster.js';
import { SimCluster } from '../tester/sim-cluster.js';
import { RsmClient } from '../labs/rsm/client.js';
import { rsmClientMembers } from '../labs/rsm/protocol.js';
import { RealEnv } from '../src/env/real/env.js';
import { RealDisk } from '../src/env/real/disk.js';
import { TraceRecorder } from '../src/trace/recorder.js';
import { describeError, labErrorsThrown } from '../tester/failure-text.js';
import { SimulationFailure } from '../src/env/sim/scheduler.js';
import { ScenarioFailure } from '../tester/scenario.js';
import { classicTiming, scaleTiming } from '../src/timing.js';
import { labNames } from '../labs/index.js';
import { diskFaultKinds } from '../src/env/disk-faults.js';
import { testedLabs } from '../tester/index.js';
import { mutantLabs } from '../tester/mutants/index.js';

const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const repo = fileURLToPath(new URL('../..', import.meta.url));

function rsmlab(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** True when nothing listens on 127.0.0.1:port (we can bind it ourselves). */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Run `rsmlab node …` to its end (bounded); a node that starts would run forever and fail the bound. */
function nodeRun(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'node', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const bound = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`rsmlab node ${args.join(' ')} still running after 15 s (half-started?)\n${stderr}`));
    }, 15_000);
    child.on('exit', (code) => {
      clearTimeout(bound);
      resolve({ code, stderr });
    });
  });
}

describe('first-hour traps (CLI)', function () {
  this.timeout(60_000);
  let dir: string;
  const reserved: number[] = [];
  /** A free port pair (p, p+1) for this test's own node processes. */
  const freePort = async (): Promise<number> => {
    const [port] = await reservePortPairs(1);
    reserved.push(port!);
    return port!;
  };
  before(() => (dir = mkdtempSync(join(tmpdir(), 'rsmlab-traps-'))));
  after(() => {
    releasePorts(reserved);
    rmSync(dir, { recursive: true, force: true });
  });

  it('every bad flag value is exit 2 with a message naming the flag, on stderr, prefixed rsmlab:', () => {
    const aFile = join(dir, 'a-file');
    writeFileSync(aFile, '');
    const otherRun = join(dir, 'veto.json');
    writeFileSync(otherRun, JSON.stringify({ lab: 'paxos', scenario: '7', seed: 1, check: 'x', keep: [] }));
    const cases: [string[], RegExp][] = [
      [['start', '--lab', 'foo'], /'foo' is invalid\. Allowed choices are paxos, echo, rsm, vsr, par/],
      [['start', '--app', 'foo'], /'foo' is invalid\. Allowed choices are kv, lock/],
      [['start', '--lab', 'paxos', '--clients', '3'], /--lab paxos runs no app and no client load: --clients would do nothing/],
      [['start', '--lab', 'echo', '--app', 'kv', '--clients', '0'], /--lab echo runs no app and no client load: --app and --clients would do nothing/],
      [['node', '--lab', 'paxos', '--port', '7000', '--first', 'nonsense', '--dir', dir], /--first 'nonsense' is not a node address \(HOST:PORT/],
      [['node', '--lab', 'paxos', '--port', '7000', '--first', 'a:1', '--dir', dir, '--timing', '{bad'], /--timing: not a JSON object of timing constants/],
      [['dashboard', '--members', 'nonsense'], /--members 'nonsense' is not a node address/],
      [['test', 'paxos', '--world', 'sim', '--only', '0,,1'], /--only 0,,1: an empty item between commas/],
      [['test', 'paxos', '--world', 'sim', '--artifacts', aFile], /--artifacts .* is a file, not a folder/],
      [['test', 'paxos', '--world', 'sim', '--junit', join(dir, 'no', 'x.xml')], /--junit .*: there is no folder .* to write it in/],
      [['test', 'paxos', '--world', 'sim', '--gradescope', dir], /--gradescope .* is a folder; it names the file to write/],
      [['sim', 'paxos', '7', '--seed', '1', '--veto', join(dir, 'missing.json')], /--veto .*missing\.json: no such file/],
      [['sim', 'paxos', '7', '--seed', '1', '--veto', 'abc,def'], /--veto names 2 fault decision\(s\) this run never made: abc; def/],
      [['sim', 'paxos', '6', '--seed', '1', '--veto', otherRun], /--veto .* is for paxos 7 seed 1, not paxos 6 seed 1/],
      [['test', 'paxos', '--world', 'sim', '--seeds', '0'], /--seeds must be at least 1/],
      [['test', 'paxos', '--world', 'sim', '--seeds', '-3'], /--seeds must be at least 1/],
      [['test', 'paxos', '--world', 'sim', '--seeds', '2.5'], /--seeds must be a whole number/],
      [['test', 'paxos', '--world', 'sim', '--jobs', '0'], /--jobs must be at least 1/],
      [['test', 'paxos', '--world', 'sim', '--only', ','], /--only needs at least one/],
      [['test', 'paxos', '--world', 'moon'], /Allowed choices are sim, real, both/],
      [['sim', 'paxos', '0', '--seed', 'x'], /--seed must be a whole number/],
      [['sim', 'paxos', '0', '--seed', '-1'], /--seed must be at least 0/],
      [['node', '--lab', 'paxos', '--port', '0', '--first', 'a:1', '--dir', dir], /--port must be between 1 and 65534/],
      [['node', '--lab', 'paxos', '--port', '7000', '--first', 'a:1', '--dir', dir, '--timing-scale', '0'], /--timing-scale must be a number above 0/],
      [['node', '--lab', 'paxos', '--port', '7000', '--first', 'a:1', '--dir', dir, '--timing-scale', '1e6'], /--timing-scale must be a number above 0 and at most 1000/],
      [['node', '--lab', 'paxos', '--port', '7000', '--first', 'a:1', '--dir', dir, '--timing', JSON.stringify({ ...classicTiming, joinTimeoutMs: 2 ** 31 })], /--timing: joinTimeoutMs must be a positive number of ms, at most 2147483647/],
      [['start', '--nodes', '0'], /--nodes must be at least 1/],
      [['load', '--members', '127.0.0.1:1', '--clients', '0'], /--clients must be at least 1/],
      [['load', '--members', '127.0.0.1:1', '--ops', '-5'], /--ops must be at least 1/],
      [['check', 'x', '--model', 'kv', '--timeout-ms', '0'], /--timeout-ms must be at least 1/],
    ];
    for (const [args, message] of cases) {
      const r = rsmlab(...args);
      expect(r.status, `rsmlab ${args.join(' ')}: ${r.stdout}${r.stderr}`).to.equal(2);
      expect(r.stderr, args.join(' ')).to.match(/^rsmlab: /).and.match(message);
      expect(r.stdout, args.join(' ')).to.equal('');
    }
  });

  it('check: an empty or blank file and a missing file are exit 2, the error on stderr as every command writes it', () => {
    for (const text of ['', '\n\n']) {
      const file = join(dir, 'empty.jsonl');
      writeFileSync(file, text);
      const r = rsmlab('check', file, '--model', 'kv');
      expect(r.status).to.equal(2);
      expect(r.stdout).to.equal('');
      expect(r.stderr).to.equal(`rsmlab: ${file}: no operations in the history (an empty file proves nothing)\n`);
    }
    const missing = rsmlab('check', join(dir, 'absent.jsonl'), '--model', 'kv');
    expect(missing.status).to.equal(2);
    expect(missing.stderr).to.match(/^rsmlab: cannot read .*absent\.jsonl/);
  });

  it('a reader that closes stdout early (`| head`) ends the command quietly with exit 141, as SIGPIPE ends cat: no stack', async () => {
    for (const args of [['sim', 'paxos', '1', '--seed', '1'], ['sim', 'paxos', '1', '--seed', '1', '--json']]) {
      const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.destroy(); // the reader is gone before the first line
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      expect([code, stderr], args.join(' ')).to.deep.equal([141, '']);
    }
  });

  it('--version prints the package version; ctl --help lists every ctl command', () => {
    const { version } = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string };
    expect(rsmlab('--version')).to.deep.include({ status: 0, stdout: `${version}\n` });
    const help = rsmlab('ctl', '--help');
    expect(help.status, help.stderr).to.equal(0);
    for (const command of ['status', 'pid', 'breakpoint N', 'partition [--now]', 'heal', 'faults [--loss P]', 'disk-fault FILE OFFSET LENGTH', 'disk-files']) expect(help.stdout).to.include(command);
  });

  it('each command\'s --help names the labs it takes: the registries\' (test, sim, shrink, grade, autograder), the mutant corpora\'s, every lab for node', () => {
    const takes: Record<string, readonly string[]> = { test: testedLabs, sim: testedLabs, shrink: testedLabs, grade: testedLabs, autograder: testedLabs, mutants: mutantLabs, node: labNames };
    for (const [command, labs] of Object.entries(takes)) {
      const help = rsmlab(command, '--help');
      expect(help.status, help.stderr).to.equal(0);
      expect(help.stdout.replace(/\s+/g, ' '), command).to.include(labs.join(', '));
    }
  });

  describe('rsmlab node: a startup error exits 2 at once and leaves no port open, nor anything it made in --dir', () => {
    let blocker: Server | undefined;
    afterEach(() => blocker?.close());

    /** Every path under `root` with its text (a directory's: null); undefined when there is no `root`. */
    function contents(root: string): Record<string, string | null> | undefined {
      if (!existsSync(root)) return undefined;
      const paths = readdirSync(root, { recursive: true, encoding: 'utf8' }).sort();
      return Object.fromEntries(paths.map((path) => [path, statSync(join(root, path)).isDirectory() ? null : readFileSync(join(root, path), 'utf8')]));
    }

    for (const [taken, offset] of [['protocol', 0], ['control', 1]] as const) {
      it(`its ${taken} port is taken: a new --dir is not made, a restarting node's is left as it was`, async () => {
        const port = await freePort();
        blocker = createServer().listen(port + offset, '127.0.0.1');
        await new Promise((resolve) => blocker!.once('listening', resolve));
        const restarting = join(dir, `restarting-${taken}`);
        mkdirSync(join(restarting, 'disk'), { recursive: true });
        writeFileSync(join(restarting, 'disk', 'log'), 'durable bytes');
        writeFileSync(join(restarting, 'trace.jsonl'), '{"earlier":"lines"}\n');
        const before = contents(restarting);
        const fresh = join(dir, `taken-${taken}`);
        for (const nodeDir of [fresh, restarting]) {
          const r = await nodeRun(['--lab', 'paxos', '--port', String(port), '--first', `127.0.0.1:${port}`, '--dir', nodeDir]);
          expect(r.code, r.stderr).to.equal(2);
          expect(r.stderr).to.match(offset === 1 ? new RegExp(`^rsmlab: cannot serve the control plane on port ${port + 1}: .*EADDRINUSE`) : new RegExp(`^rsmlab: port ${port} is taken: another process listens there \\(an rsmlab node still running\\? npx rsmlab ctl 127\\.0\\.0\\.1:${port} pid names its process; or give another --port\\)\n$`));
          expect(await portIsFree(port + 1 - offset), 'the other port left open').to.equal(true);
        }
        expect(contents(fresh), 'a new --dir').to.equal(undefined);
        expect(contents(restarting), "a restarting node's --dir").to.deep.equal(before);
      });
    }

    it('rsmlab view on a taken port: exit 2, saying what most often holds it and that --port 0 takes any free one', async () => {
      const port = await freePort();
      blocker = createServer().listen(port, '127.0.0.1');
      await new Promise((resolve) => blocker!.once('listening', resolve));
      const trace = join(dir, 'view.jsonl');
      writeFileSync(trace, '{"seq":0,"t":0,"node":"p0","kind":"start"}\n');
      const r = rsmlab('view', trace, '--port', String(port));
      expect(r.status, r.stderr).to.equal(2);
      expect(r.stderr).to.equal(`rsmlab: port ${port} is taken: another process listens there (another rsmlab view, dashboard or npm start? --port 0 takes any free port)\n`);
    });

    it('--app nosuch', async () => {
      const port = await freePort();
      const r = await nodeRun(['--lab', 'rsm', '--app', 'nosuch', '--port', String(port), '--first', `127.0.0.1:${port}`, '--dir', join(dir, 'nosuch')]);
      expect(r.code, r.stderr).to.equal(2);
      expect(r.stderr).to.equal("rsmlab: unknown app 'nosuch' (known: kv, lock)\n");
      expect([await portIsFree(port), await portIsFree(port + 1)], 'ports left open').to.deep.equal([true, true]);
    });

    it('--app for a lab without apps', async () => {
      const port = await freePort();
      const r = await nodeRun(['--lab', 'paxos', '--app', 'kv', '--port', String(port), '--first', `127.0.0.1:${port}`, '--dir', join(dir, 'paxosapp')]);
      expect(r.code).to.equal(2);
      expect(r.stderr).to.equal('rsmlab: --app is for the rsm, vsr and par labs (lab paxos has no apps)\n');
    });

    it('an unknown lab', async () => {
      const port = await freePort();
      const r = await nodeRun(['--lab', 'nosuch', '--port', String(port), '--first', `127.0.0.1:${port}`, '--dir', join(dir, 'nolab')]);
      expect(r.code).to.equal(2);
      expect(r.stderr).to.match(/^rsmlab: unknown lab 'nosuch'/);
    });
  });

  it('load against a dead cluster is exit 2 at once, naming the members', () => {
    const started = Date.now();
    const r = rsmlab('load', '--members', '127.0.0.1:1,127.0.0.1:3', '--ops', '5', '--timing-scale', '0.1');
    expect(r.status, r.stdout + r.stderr).to.equal(2);
    expect(r.stderr).to.match(/^rsmlab: no member of the cluster answers \(127\.0\.0\.1:1, 127\.0\.0\.1:3\)/);
    // Not a wall-time gate: a dead cluster must not be retried for the client's give-up time (20 heartbeats).
    expect(Date.now() - started).to.be.below(25_000);
  });

  it('load with a --history it cannot write is exit 2 at once, naming the path, before any load', () => {
    for (const path of ['/nonexistent-rsmlab-dir/h.jsonl', tmpdir()]) {
      const r = rsmlab('load', '--members', '127.0.0.1:1', '--ops', '5', '--history', path);
      expect(r.status, r.stdout + r.stderr).to.equal(2);
      expect(r.stderr).to.match(new RegExp(`^rsmlab: cannot write --history ${path.replace(/[/.]/g, '\\$&')}: (ENOENT|EISDIR)`));
    }
  });

  it('a node whose trace file cannot be written is exit 2 before it listens, naming the file', async () => {
    const port = await freePort();
    const nodeDir = join(dir, 'trace-is-a-folder');
    mkdirSync(join(nodeDir, 'trace.jsonl'), { recursive: true });
    const r = await nodeRun(['--lab', 'paxos', '--port', String(port), '--first', `127.0.0.1:${port}`, '--dir', nodeDir]);
    expect(r.code, r.stderr).to.equal(2);
    expect(r.stderr).to.match(/^rsmlab: cannot write the trace file .*trace\.jsonl: EISDIR/);
    expect([await portIsFree(port), await portIsFree(port + 1)], 'ports left open').to.deep.equal([true, true]);
    expect(readdirSync(nodeDir), 'made in --dir').to.deep.equal(['trace.jsonl']);
  });

  it('a node.pid naming a live process that runs no rsmlab node (pid 1, as after a reboot) is taken over, and a clean exit removes it', async () => {
    const cluster = new RealCluster({ lab: 'paxos', nodes: 1, timing: scaleTiming(classicTiming, 0.1) });
    const pidFile = join(cluster.nodeDir(0), 'node.pid');
    try {
      mkdirSync(cluster.nodeDir(0), { recursive: true });
      writeFileSync(pidFile, '1\n');
      await cluster.start(0);
      expect(readFileSync(pidFile, 'utf8').trim()).to.equal(String(cluster.pid(0)));
      await cluster.kill(0, 'SIGTERM');
      expect(existsSync(pidFile), 'node.pid after a clean exit').to.equal(false);
    } finally {
      await cluster.close();
    }
  });

  it('load --app lock against a vsr kv replica is exit 1 and says what the cluster answered, not that it never served a request', async () => {
    const cluster = new RealCluster({ lab: 'vsr', nodes: 1, app: 'kv', timing: scaleTiming(classicTiming, 0.1) });
    try {
      await cluster.start(0);
      const r = rsmlab('load', '--lab', 'vsr', '--app', 'lock', '--members', cluster.id(0), '--clients', '1', '--ops', '1', '--timing-scale', '0.1');
      expect(r.status, r.stdout + r.stderr).to.equal(1);
      expect(r.stdout).to.match(/: 0 ok, 1 failed, 0 unknown outcome$/m);
      expect(r.stderr).to.match(/^rsmlab: no operation succeeded: the cluster refused every one, the first with "kv: bad op \(f: .*\)" \(does it run --app lock\?\)\n$/);
    } finally {
      await cluster.close();
    }
  });

  describe('against a live node', () => {
    let cluster: RealCluster;
    before(async () => {
      cluster = new RealCluster({ lab: 'paxos', nodes: 1, timing: scaleTiming(classicTiming, 0.1) });
      await cluster.start(0);
    });
    after(() => cluster.close());

    it('a second node on a live node\'s --dir is exit 2, naming the process that holds it; the first serves on', async () => {
      const port = await freePort();
      const r = await nodeRun(['--lab', 'paxos', '--port', String(port), '--first', cluster.id(0), '--dir', cluster.nodeDir(0)]);
      expect(r.code, r.stderr).to.equal(2);
      expect(r.stderr).to.match(/^rsmlab: --dir .* is in use by node process \d+ \(.*node\.pid\): two nodes on one data directory would corrupt its disk\n$/);
      expect([await portIsFree(port), await portIsFree(port + 1)], 'ports left open').to.deep.equal([true, true]);
      expect(cluster.alive(0)).to.equal(true);
      expect(rsmlab('ctl', cluster.id(0), 'status').status).to.equal(0);
    });

    it('ctl with more arguments than its command takes is exit 2, not the extras ignored', () => {
      for (const [args, message] of [
        [['status', 'extra', 'args'], "ctl status takes no arguments besides its flags, not 'extra args'"],
        [['breakpoint', '1', '2'], "ctl breakpoint takes at most 1 arguments besides its flags, not '1 2'"],
      ] as const) {
        const r = rsmlab('ctl', cluster.id(0), ...args);
        expect(r.status, r.stderr).to.equal(2);
        expect(r.stderr).to.include(message);
      }
      expect((JSON.parse(rsmlab('ctl', cluster.id(0), 'status').stdout) as { breakpoints: number[] }).breakpoints, 'nothing armed').to.deep.equal([]);
    });

    it('ctl disk-fault on a file the node does not have (every kind, armed ones too), or past its end, is exit 2', () => {
      const node = cluster.id(0);
      for (const kind of diskFaultKinds) {
        const missing = rsmlab('ctl', node, 'disk-fault', 'nosuch.log', '0', '4', '--kind', kind);
        expect(missing.status, `${kind}: ${missing.stdout}`).to.equal(2);
        expect(missing.stderr, kind).to.match(/^rsmlab: .*no file 'nosuch\.log' on this node's disk/);
      }
      expect(JSON.parse(rsmlab('ctl', node, 'disk-clear').stdout), 'nothing was armed').to.deep.equal({ cleared: 0 });
      const { files } = JSON.parse(rsmlab('ctl', node, 'disk-files').stdout) as { files: { name: string; size: number }[] };
      const file = files.find((f) => f.size > 0)!;
      const past = rsmlab('ctl', node, 'disk-fault', file.name, String(file.size), '4');
      expect(past.status).to.equal(2);
      expect(past.stderr).to.match(/is past the end/);
    });

    it('load --lab rsm (the default) against a node of another lab (a Paxos node) is exit 2, naming it: its probe answered Method not found', () => {
      for (const lab of [[], ['--lab', 'rsm']]) {
        const r = rsmlab('load', ...lab, '--members', cluster.id(0), '--clients', '1', '--ops', '1');
        expect(r.status, r.stdout + r.stderr).to.equal(2);
        expect(r.stdout).to.equal('');
        expect(r.stderr).to.equal(`rsmlab: ${cluster.id(0)} does not serve rsm.client_members: is it running --lab rsm? (it answered: Method not found)\n`);
      }
    });

    it('load --lab vsr against a live node that serves no vsr request (a Paxos node) is exit 1: it answers the probe, not one operation succeeded', () => {
      const r = rsmlab('load', '--lab', 'vsr', '--members', cluster.id(0), '--clients', '1', '--ops', '1', '--timing-scale', '0.02');
      expect(r.status, r.stdout + r.stderr).to.equal(1);
      expect(r.stdout).to.match(/^1 operations by 1 clients .*: 0 ok, 0 failed, 1 unknown outcome$/m);
      expect(r.stderr).to.equal('rsmlab: no operation succeeded: the cluster never served a request\n');
    });

    it('load --lab vsr or par against a Lab 2 node is exit 2 at once, naming --lab rsm: it serves the rsm probe', async () => {
      const rsm = new RealCluster({ lab: 'rsm', nodes: 1, app: 'kv', timing: scaleTiming(classicTiming, 0.1) });
      try {
        await rsm.start(0);
        for (const lab of ['vsr', 'par']) {
          const r = rsmlab('load', '--lab', lab, '--members', rsm.id(0), '--clients', '1', '--ops', '1');
          expect(r.status, r.stdout + r.stderr).to.equal(2);
          expect(r.stderr).to.equal(`rsmlab: ${rsm.id(0)} runs --lab rsm (it serves rsm.client_members), not ${lab}: give load --lab rsm\n`);
        }
      } finally {
        await rsm.close();
      }
    });
  });

  it('a node\'s stdout (its log file) holds its log lines, not only its banner', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [cli, 'node', '--lab', 'paxos', '--port', String(port), '--first', `127.0.0.1:${port}`, '--dir', join(dir, 'logged'), '--timing-scale', '0.1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    try {
      await new Promise<void>((resolve, reject) => {
        const bound = setTimeout(() => reject(new Error(`no log line within 20 s:\n${out}`)), 20_000);
        child.stdout.on('data', () => {
          if (/ log paxos\.commit instance=1 /.test(out)) {
            clearTimeout(bound);
            resolve();
          }
        });
      });
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.on('exit', resolve));
    }
    expect(out).to.match(/^\d\d:\d\d:\d\d\.\d{3} start lab=paxos /m);
    expect(out).to.match(/^rsmlab node 127\.0\.0\.1:\d+ lab=paxos/m);
    expect(out).to.match(/^\d\d:\d\d:\d\d\.\d{3} crash reason=signal signal=SIGTERM$/m);
  });

  it('a node whose --first does not answer says so on stderr, keeps trying, and says when it answers', async () => {
    const [port, first] = [await freePort(), await freePort()];
    const node = (p: number, firstPort: number, name: string) =>
      spawn(process.execPath, [cli, 'node', '--lab', 'paxos', '--port', String(p), '--first', `127.0.0.1:${firstPort}`, '--dir', join(dir, name), '--timing-scale', '0.1'], { stdio: ['ignore', 'ignore', 'pipe'] });
    const joiner = node(port, first, 'joiner');
    let err = '';
    joiner.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const saying = (pattern: RegExp): Promise<void> =>
      new Promise((resolve, reject) => {
        const bound = setTimeout(() => reject(new Error(`stderr never matched ${pattern} within 20 s:\n${err}`)), 20_000);
        const look = (): void => {
          if (!pattern.test(err)) return;
          clearTimeout(bound);
          resolve();
        };
        joiner.stderr.on('data', look);
        look();
      });
    let founder: ChildProcess | undefined;
    try {
      await saying(new RegExp(`^rsmlab node 127\\.0\\.0\\.1:${port}: no answer yet from 127\\.0\\.0\\.1:${first} \\(nothing accepts a connection there\\): is it running, at that address\\? still trying$`, 'm'));
      expect(joiner.exitCode, 'the node keeps running: the first may start later').to.equal(null);
      founder = node(first, first, 'founder');
      await saying(new RegExp(`^rsmlab node 127\\.0\\.0\\.1:${port}: 127\\.0\\.0\\.1:${first} answers now$`, 'm'));
    } finally {
      for (const child of [joiner, founder]) {
        if (child === undefined || child.exitCode !== null) continue;
        child.kill('SIGTERM');
        await new Promise((resolve) => child.on('exit', resolve));
      }
    }
    expect(err.match(/no answer yet/g), 'said once').to.have.length(1);
  });
});

describe('names in traces', () => {
  it('simulated nodes are p0, p1, … as in test titles, and timer events name their timer', async () => {
    const cluster = new SimCluster({ lab: 'paxos', seed: 3, nodes: 2 });
    await cluster.start(0);
    await cluster.start(1, { first: 0 });
    await cluster.sleep(10_000);
    const events = (await cluster.traceJsonl()).trim().split('\n').map((l) => JSON.parse(l) as { node: string; kind: string; detail?: { name?: string } });
    await cluster.close();
    expect([...new Set(events.filter((e) => e.kind === 'start').map((e) => e.node))]).to.deep.equal(['p0', 'p1']);
    const timers = events.filter((e) => e.kind === 'timer');
    expect(timers.length).to.be.greaterThan(2);
    expect(new Set(timers.map((e) => e.detail?.name))).to.include('heartbeat');
  });
});

describe('failure text', () => {
  it('a scenario failure is its message; other errors keep only lab frames', () => {
    expect(describeError(new ScenarioFailure('view 2 is {p0}'))).to.equal('ScenarioFailure: view 2 is {p0}');
    const e = new TypeError('x is undefined');
    e.stack = 'TypeError: x is undefined\n    at Proposer.run (file:///h/dist/labs/paxos/proposer.js:9:1)\n    at runScenario (file:///h/dist/tester/run.js:64:9)';
    expect(describeError(e)).to.equal('TypeError: x is undefined\n    at Proposer.run (file:///h/dist/labs/paxos/proposer.js:9:1)');
 
  });

  it('a lab error that stopped the simulator is `lab code threw`, with its lab frames and none of the framework\'s', () => {
    const cause = new Error('TODO: proposer.prepare (instance 2 at p0)');
    const message = 'simulation failed at t=19 ms (seed 5): p0, handler config.join: Error: TODO: proposer.prepare (instance 2 at p0)\n    at Proposer.prepare (file:///h/dist/labs/paxos/proposer.js:73:15)\n    at Dispatcher.request (file:///h/dist/src/wire/dispatch.js:75:28)\n  replay: npx rsmlab sim paxos 0 --seed 5';
    const failure = new SimulationFailure(message, 5, 19, cause, 'p0, handler config.join');
    expect(describeError(failure)).to.equal('SimulationFailure: simulation failed at t=19 ms (seed 5): p0, handler config.join: Error: TODO: proposer.prepare (instance 2 at p0)\n    at Proposer.prepare (file:///h/dist/labs/paxos/proposer.js:73:15)');
    expect(labErrorsThrown(failure)).to.deep.equal(['TODO: proposer.prepare (instance 2 at p0) (in p0, handler config.join)']);
    expect(labErrorsThrown(new SimulationFailure('runaway', 5, 19, new Error('runaway')))).to.deep.equal([]);
  });

  it('a state checker\'s complaint that stopped the simulator keeps every line of it: both replicas and the op', () => {
    const complaint = 'committed prefixes disagree at op 19:\n  p0: op 19 view 0 c0-1#6 checksum 3da5f6adb51e\n  p1 (first to commit it): op 19 view 1 w#0 checksum 42454bca552d';
    const failure = new SimulationFailure(`simulation failed at t=19841 ms (seed 1): ${complaint}\n  replay: npx rsmlab sim vsr log-view --seed 1`, 1, 19841, new ScenarioFailure(complaint));
    failure.stack = `SimulationFailure: ${failure.message}\n    at Scheduler.fail (file:///h/dist/src/env/sim/scheduler.js:295:20)`;
    expect(describeError(failure)).to.equal(`SimulationFailure: simulation failed at t=19841 ms (seed 1): ${complaint}`);
  });
});

describe('rsm client against a dead primary (real sockets)', () => {
  it('pauses retryMs between attempts instead of spinning on calls that are refused at once', async () => {
    const [port] = await reservePortPairs(1);
    const dir = mkdtempSync(join(tmpdir(), 'rsmlab-spin-'));
    // A survivor that still names a dead node primary (as during a view change), and nothing on the dead node's port.
    const dead = `127.0.0.1:${port! + 1}`;
    const survivor = await RealEnv.listen({ host: '127.0.0.1', port: port!, disk: new RealDisk(dir), trace: new TraceRecorder({ keep: false, hash: false }) });
    survivor.serve(rsmClientMembers, () => ({ vid: 2, members: [dead, survivor.me], primary: dead }));
    const client = RealEnv.client('spin');
    let calls = 0;
    const counted = new Proxy(client, { get: (target, key) => (key === 'call' ? (...args: Parameters<RealEnv['call']>) => (calls++, target.call(...args)) : Reflect.get(target, key)) });
    const timing = scaleTiming(classicTiming, 0.1); // retryMs 100
    try {
      const rsm = new RsmClient(counted, { members: [survivor.me], timing, id: 'spin', giveUpMs: 2000 });
      const outcome = await rsm.invoke({ f: 'put', key: 'k', value: 'v' }).then(() => 'ok', (e: unknown) => String(e));
      expect(outcome).to.match(/gave up on request 1: 127\.0\.0\.1:\d+: FAILED/);
      // Each attempt is two calls (ask the survivor, try the dead primary), one attempt per retryMs (100 ms): about 40 in 2 s.
      // A client that spins makes a refused call every few hundred microseconds: thousands.
      expect(calls).to.be.at.least(8).and.at.most(2 * (2000 / timing.retryMs + 2));
    } finally {
      await client.close();
      await survivor.close();
      releasePorts([port!]);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
