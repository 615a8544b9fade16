// `rsmlab ctl` as an instructor types it: every subcommand the guides show, through the real CLI
// binary, against a live node process, with its effect read back from `status`.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { RealCluster } from '../tester/real-cluster.js';
import { classicTiming, scaleTiming } from '../src/timing.js';

const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

function rsmlab(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function json(args: string[]): Record<string, unknown> {
  const r = rsmlab(...args);
  expect(r.status, r.stderr).to.equal(0);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

/** One live node of `lab`, started before the enclosing describe's tests (its address given to `started`) and closed after them. */
function liveNode(lab: string, started: (id: string) => void): void {
  let cluster: RealCluster | undefined;
  before(async () => {
    cluster = new RealCluster({ lab, nodes: 1, timing: scaleTiming(classicTiming, 0.1) });
    await cluster.start(0);
    started(cluster.id(0));
  });
  after(() => cluster?.close());
}

describe('rsmlab ctl (CLI)', function () {
  this.timeout(60_000);
  let node = '';
  liveNode('paxos', (id) => (node = id));

  it('status and pid name the live process', () => {
    const status = json(['ctl', node, 'status']);
    expect(status.node).to.equal(node);
    expect(status.lab).to.equal('paxos');
    const pid = Number(rsmlab('ctl', node, 'pid').stdout);
    expect(pid).to.equal(status.pid);
    expect(() => process.kill(pid, 0)).to.not.throw();
  });

  it('a deferred partition, a breakpoint or a fault point Paxos never reaches is exit 2, naming what it reaches; nothing is armed', () => {
    // The whole message, to the end of the line: the node's refusal as it wrote it, not wrapped in the RPC's 'remote (-32000: …)'.
    const reaches = 'It reaches: breakpoints 3, 4; fault points none; partitionPoint() never (partition --now cuts at once)';
    const refusals: [string[], string][] = [
      [['partition'], `never reaches a partitionPoint(), so an armed partition would never cut. ${reaches}\n`],
      [['partition', '--peers-only'], 'never reaches a partitionPoint()'],
      [['breakpoint', '1'], `never reaches breakpoint 1: arming it would do nothing. ${reaches}\n`],
      [['breakpoint', '2'], 'never reaches breakpoint 2'],
      [['fault-point', 'paxos.test'], "never reaches fault point 'paxos.test': arming it would do nothing."],
    ];
    for (const [args, message] of refusals) {
      const r = rsmlab('ctl', node, ...args);
      expect(r.status, `${args.join(' ')}: ${r.stdout}`).to.equal(2);
      expect(r.stderr, args.join(' ')).to.match(/^rsmlab: this node's lab \(paxos\) never reaches /).and.include(message);
    }
    const status = json(['ctl', node, 'status']);
    expect([status.breakpoints, status.faultPoints, status.partitionArmed], 'nothing armed').to.deep.equal([[], [], false]);
    expect(status.sites, 'what status says the lab reaches').to.deep.equal({ breakpoints: [3, 4], partitionPoint: false, faultPoints: [] });
  });

  it('faults, partition --now, heal and breakpoint change exactly what they say', () => {
    expect(json(['ctl', node, 'faults', '--loss', '0.25', '--dup', '0.5', '--delay', '7'])).to.deep.equal({ loss: 0.25, dup: 0.5, delayMs: 7 });
    expect(json(['ctl', node, 'partition', '--now'])).to.deep.equal({ partitioned: true, partitionArmed: false });
    expect(json(['ctl', node, 'heal'])).to.deep.equal({ partitioned: false, partitionArmed: false });
    expect(json(['ctl', node, 'partition', '--now', '--peers-only'])).to.deep.equal({ partitioned: true, partitionArmed: false, peersOnly: true });
    expect(json(['ctl', node, 'status'])).to.include({ partitioned: true, peersOnly: true });
    expect(json(['ctl', node, 'heal'])).to.deep.equal({ partitioned: false, partitionArmed: false });
    // The one node is idle (its view of one needs no Paxos), so the armed breakpoint stays armed.
    expect(json(['ctl', node, 'breakpoint', '3'])).to.deep.equal({ breakpoints: [3] });
    const status = json(['ctl', node, 'status']);
    expect(status.faults).to.deep.equal({ loss: 0.25, dup: 0.5, delayMs: 7 });
    expect(status.breakpoints).to.deep.equal([3]);
  });

  it('faults --methods strikes only those methods, --methods \'\' every message again, and a bad name or one the lab does not serve is refused', () => {
    const methods = ['paxos.prepare', 'paxos.accept'];
    expect(json(['ctl', node, 'faults', '--loss', '0', '--dup', '0', '--delay', '9', '--methods', methods.join(',')])).to.deep.equal({ loss: 0, dup: 0, delayMs: 9, methods });
    expect((json(['ctl', node, 'status']) as { faults: unknown }).faults).to.deep.equal({ loss: 0, dup: 0, delayMs: 9, methods });
    const bad = rsmlab('ctl', node, 'faults', '--methods', 'paxos.prepare,two words');
    expect(bad.status).to.not.equal(0);
    expect(bad.stderr).to.match(/method name/);
    const typo = rsmlab('ctl', node, 'faults', '--delay', '20', '--methods', 'paxos.prepar');
    expect(typo.status, typo.stdout).to.equal(2);
    expect(typo.stderr).to.match(/^rsmlab: .*this node's lab \(paxos\) serves no method 'paxos\.prepar' \(did you mean 'paxos\.prepare'\?\): the faults would strike nothing\. It serves: .*paxos\.accept/);
    expect((json(['ctl', node, 'status']) as { faults: unknown }).faults, 'refused whole: nothing changed').to.deep.equal({ loss: 0, dup: 0, delayMs: 9, methods });
    expect(json(['ctl', node, 'faults', '--methods', ''])).to.deep.equal({ loss: 0, dup: 0, delayMs: 9 });
    expect(json(['ctl', node, 'faults', '--delay', '0'])).to.deep.equal({ loss: 0, dup: 0, delayMs: 0 });
  });

  it('disk-files lists the node\'s files and disk-fault corrupts bytes of one', () => {
    const { files } = json(['ctl', node, 'disk-files']) as { files: { name: string; size: number }[] };
    expect(files.length).to.be.greaterThan(0);
    const file = files.find((f) => f.size > 0)!;
    expect(json(['ctl', node, 'disk-fault', file.name, '0', '4'])).to.deep.equal({ kind: 'corrupt', file: file.name, offset: 0, corrupted: Math.min(4, file.size), sectors: { first: 0, count: 1 } });
  });

  it('disk-fault arms every other kind with --kind (and --latent, --count, --to), and refuses a bad one with exit 2', () => {
    // Sector 1 of the node's log: past its end (the one node is idle), so no IO of the node meets these faults.
    const file = 'paxos.log';
    const armed = (kind: string, ...more: string[]) => json(['ctl', node, 'disk-fault', file, '5000', '10', '--kind', kind, ...more]);
    const sectors = { first: 1, count: 1 };
    expect(armed('corrupt-read', '--latent')).to.deep.equal({ kind: 'corrupt-read', file, offset: 5000, corrupted: 0, sectors });
    expect(armed('corrupt-read', '--count', '3')).to.deep.equal({ kind: 'corrupt-read', file, offset: 5000, corrupted: 0, sectors });
    expect(armed('corrupt-write')).to.include({ kind: 'corrupt-write' });
    expect(armed('misdirect', '--to', '0')).to.include({ kind: 'misdirect' });
    expect(armed('lost-write', '--count', '2')).to.include({ kind: 'lost-write' });
    const bad = rsmlab('ctl', node, 'disk-fault', file, '0', '1', '--kind', 'melt');
    expect(bad.status).to.equal(2);
    expect(bad.stderr).to.match(/disk-fault: kind/);
    const badCount = rsmlab('ctl', node, 'disk-fault', file, '0', '1', '--kind', 'lost-write', '--count', '0');
    expect(badCount.status).to.equal(2);
    expect(badCount.stderr).to.match(/disk-fault: count/);
    // A flag of another kind (--latent without --kind corrupt-read) is refused, never dropped: the
    // default kind would corrupt the bytes at once instead of arming a read fault. The error says
    // which kinds the flag arms.
    for (const [kind, flag, message] of [
      [[], ['--latent'], '--latent does not apply to --kind corrupt (the default: it changes the bytes at once); it arms --kind corrupt-read'],
      [[], ['--count', '3'], '--count does not apply to --kind corrupt (the default: it changes the bytes at once); it arms --kind corrupt-read, corrupt-write, misdirect, lost-write'],
      [['--kind', 'corrupt-read'], ['--to', '0'], '--to does not apply to --kind corrupt-read; it arms --kind misdirect'],
    ] as const) {
      const mismatched = rsmlab('ctl', node, 'disk-fault', file, '0', '1', ...kind, ...flag);
      expect(mismatched.status, flag.join(' ')).to.equal(2);
      expect(mismatched.stderr, flag.join(' ')).to.include(`rsmlab: disk-fault: ${message} (usage:\ndisk-fault FILE OFFSET LENGTH`);
      expect(mismatched.stderr, 'the usage of disk-fault alone, not of every command').to.not.include('breakpoint N');
    }
    // disk-clear drops what was armed on the file: four armed faults and one latent sector.
    expect(json(['ctl', node, 'disk-clear', file])).to.deep.equal({ cleared: 5 });
    expect(json(['ctl', node, 'disk-clear'])).to.deep.equal({ cleared: 0 });
    expect(json(['ctl', node, 'disk-clear', file]), 'a file with nothing armed').to.deep.equal({ cleared: 0 });
    const misspelt = rsmlab('ctl', node, 'disk-clear', `${file}x`);
    expect(misspelt.status, 'a misspelt file clears nothing, and says so').to.equal(2);
    expect(misspelt.stderr).to.include(`no file '${file}x' on this node's disk (disk-files lists them)`);
    const badFile = rsmlab('ctl', node, 'disk-clear', '../x');
    expect(badFile.status).to.equal(2);
    expect(badFile.stderr).to.match(/invalid params for disk_clear/);
  });

  it('bad usage exits 2 with a message, and the node keeps serving', () => {
    const unknown = rsmlab('ctl', node, 'explode');
    expect(unknown.status).to.equal(2);
    expect(unknown.stderr).to.match(/unknown ctl command 'explode'/);
    for (const blank of ['', ' ']) {
      const noDelay = rsmlab('ctl', node, 'faults', '--delay', blank);
      expect(noDelay.status, `--delay '${blank}'`).to.equal(2);
      expect(noDelay.stderr).to.match(/--delay must be a number/);
    }
    const badN = rsmlab('ctl', node, 'breakpoint', '9');
    expect(badN.status).to.equal(2);
    expect(badN.stderr).to.match(/invalid params for breakpoint/);
    const noNode = rsmlab('ctl', '127.0.0.1:1', 'status');
    expect(noNode.status).to.equal(2);
    expect(noNode.stderr).to.match(/^rsmlab: status to 127\.0\.0\.1:2: unreachable \(.*\): is 127\.0\.0\.1:1 up, and is it the node's own port\? ctl reaches a node's control plane at that port \+ 1\n$/);
    // The control plane's own port (the node's + 1), as an instructor may copy it from a log: the hint says what to give.
    const [host, port] = node.split(':');
    const controlPort = rsmlab('ctl', `${host}:${Number(port) + 1}`, 'status');
    expect(controlPort.status).to.equal(2);
    expect(controlPort.stderr).to.include(`is ${host}:${Number(port) + 1} up, and is it the node's own port?`);
    // A port one below the node's: ctl reaches the node's protocol port, which serves no control
    // method, as another node's protocol port would when a control port is given in a cluster.
    const below = rsmlab('ctl', `${host}:${Number(port) - 1}`, 'status');
    expect(below.status).to.equal(2);
    expect(below.stderr).to.match(/Method not found: status\): that is no control plane; is \S+ a control port, not a node's own\? ctl reaches a node's control plane at that port \+ 1\n$/);
    expect(json(['ctl', node, 'status']).node).to.equal(node);
  });

  it('a negative number is refused by name, never taken for an option', () => {
    const refused = (args: string[], message: RegExp) => {
      const r = rsmlab('ctl', node, ...args);
      expect(r.status, r.stderr).to.equal(2);
      expect(r.stderr).to.match(message).and.not.match(/option/i);
    };
    const faults = json(['ctl', node, 'faults']);
    refused(['faults', '--delay', '-5'], /^rsmlab: --delay must be a number ≥ 0, not -5 \(usage:\nfaults /);
    refused(['faults', '--loss', '-.5'], /--loss must be a number ≥ 0, not -\.5/);
    refused(['disk-fault', 'paxos.log', '0', '10', '--kind', 'corrupt-read', '--count', '-1'], /--count must be a number ≥ 0, not -1/);
    refused(['breakpoint', '-1'], /^rsmlab: ctl breakpoint: '-1': no argument of breakpoint is a negative number \(usage:\nbreakpoint N /);
    refused(['disk-fault', 'paxos.log', '-1', '10'], /ctl disk-fault: '-1': no argument of disk-fault is a negative number/);
    expect(json(['ctl', node, 'faults']), 'the refused commands changed nothing').to.deep.equal(faults);
    expect(json(['ctl', node, 'status']).node).to.equal(node);
  });

  it('corrupt refuses a node that is not a par replica, a dead host and bad flags, with exit 2 and the node untouched', () => {
    const refused = (args: string[], message: RegExp) => {
      const r = rsmlab('ctl', ...args);
      expect(r.status, r.stderr).to.equal(2);
      expect(r.stderr).to.match(message);
      expect(r.stdout).to.equal('');
    };
    refused([node, 'corrupt', '--slot', '1', '--ring', 'header'], /runs lab 'paxos', not 'par': only a Lab 4 replica keeps the two-ring journal \(vsr\.journal\)/);
    refused(['127.0.0.1:1', 'corrupt', '--slot', '1', '--ring', 'header'], /unreachable/);
    refused([node, 'corrupt', '--ring', 'header'], /corrupt needs --slot K/);
    refused([node, 'corrupt', '--slot', '1'], /corrupt needs --ring header or --ring prepare/);
    refused([node, 'corrupt', '--slot', '1', '--ring', 'body'], /--ring must be header or prepare, not 'body'/);
    refused([node, 'corrupt', '--slot', 'x', '--ring', 'prepare'], /--slot must be a whole number/);
    refused([node, 'corrupt', '--slot', '1.5', '--ring', 'prepare'], /--slot must be a whole number/);
    refused([node, 'corrupt', '--slot=-1', '--ring', 'prepare'], /--slot must be at least 0/);
    refused([node, 'corrupt', '--slot', '-1', '--ring', 'prepare'], /--slot/);
    refused([node, 'corrupt', '3', '--ring', 'prepare'], /corrupt takes no arguments besides its flags/);
    const { files } = json(['ctl', node, 'disk-files']) as { files: { name: string }[] };
    expect(files.map((f) => f.name)).to.not.include('vsr.journal');
    expect(json(['ctl', node, 'status']).node).to.equal(node);
  });

  it('other commands refuse bad input with exit 2', () => {
    expect(rsmlab('test', 'nosuchlab', '--world', 'sim', '--seeds', '1').status).to.equal(2);
    expect(rsmlab('sim', 'paxos', '99', '--seed', '1').status).to.equal(2);
    expect(rsmlab('sim', 'paxos', '0', '--seed', 'x').status).to.equal(2);
    expect(rsmlab('check', '/nonexistent', '--model', 'kv').status).to.equal(2);
  });
});

describe('rsmlab ctl against a VSR replica (CLI)', function () {
  this.timeout(60_000);
  let node = '';
  liveNode('par', (id) => (node = id));

  it('a breakpoint, a deferred partition or a fault point the lab never reaches is exit 2, naming what it reaches; nothing is armed', () => {
    const refusals: [string[], RegExp][] = [
      [['breakpoint', '1'], /never reaches breakpoint 1: arming it would do nothing\. It reaches: breakpoints none; fault points vsr\.primary\.before_commit, vsr\.view_change\.before_do_view_change;/],
      [['partition'], /never reaches a partitionPoint\(\), so an armed partition would never cut\. It reaches: .*partition --now cuts at once/],
      [['fault-point', 'vsr.primary.before_comit'], /never reaches fault point 'vsr\.primary\.before_comit' \(did you mean 'vsr\.primary\.before_commit'\?\)/],
    ];
    for (const [args, message] of refusals) {
      const r = rsmlab('ctl', node, ...args);
      expect(r.status, `${args.join(' ')}: ${r.stdout}`).to.equal(2);
      expect(r.stderr, args.join(' ')).to.match(/^rsmlab: .*this node's lab \(par\) /).and.match(message);
    }
    const status = json(['ctl', node, 'status']);
    expect([status.breakpoints, status.faultPoints, status.partitionArmed], 'nothing armed').to.deep.equal([[], [], false]);
    expect(json(['ctl', node, 'fault-point', 'vsr.primary.before_commit']).faultPoints).to.deep.equal(['vsr.primary.before_commit']);
    expect(json(['ctl', node, 'partition', '--now']).partitioned).to.equal(true);
    expect(json(['ctl', node, 'heal']).partitioned).to.equal(false);
  });
});
