// The long-running dashboard commands as a user runs them: `rsmlab view DIR` serving the viewer,
// `rsmlab start` with another lab, size and port, and `rsmlab dashboard --members …` watching a
// cluster started by hand, each printing its address, answering there, and on Ctrl-C (SIGINT)
// exiting 0 with its port closed.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { RealCluster } from '../tester/real-cluster.js';
import { classicTiming, scaleTiming } from '../src/timing.js';
import { TOKEN_HEADER } from '../src/dashboard/server.js';

const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

/** Run `rsmlab ARGS` until it prints its address; then `use` it, stop it with `signals` (Ctrl-C), and return its exit code. */
async function served(args: string[], use: (url: string) => Promise<void>, signals: NodeJS.Signals[] = ['SIGINT']): Promise<{ code: number | null; url: string; output: string }> {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const m = /at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(output);
      if (m) resolve(m[1]!);
    });
    void exited.then(() => reject(new Error(`exited before serving:\n${output}`)));
  });
  try {
    await use(url);
  } finally {
    // A moment between two signals: one sent while the first is still pending merges with it.
    for (const [k, signal] of signals.entries()) {
      if (k > 0) await new Promise((resolve) => setTimeout(resolve, 100));
      child.kill(signal);
    }
  }
  return { code: await exited, url, output };
}

/** The page's nodes, once every one of them is up. */
async function liveNodes(url: string): Promise<string[]> {
  type State = { nodes: { status: { node: string; alive: boolean } }[] } | null;
  for (let i = 0; i < 300; i++) {
    const state = (await (await fetch(`${url}api/state`)).json()) as State;
    if (state !== null && state.nodes.every((n) => n.status.alive)) return state.nodes.map((n) => n.status.node);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the cluster never came up');
}

describe('rsmlab view and rsmlab dashboard (CLI)', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rsmlab-dash-cli-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('rsmlab view FILE serves the viewer until Ctrl-C, then exits 0 and frees its port', async () => {
    const trace = join(dir, 'trace.jsonl');
    writeFileSync(trace, `${JSON.stringify({ seq: 0, t: 0, node: 'p0', kind: 'start', detail: {} })}\n`);
    const { code, url } = await served(['view', trace, '--port', '0'], async (url) => {
      const data = (await (await fetch(`${url}api/view`)).json()) as { traces: { events: unknown[] }[] };
      expect(data.traces[0]!.events).to.have.length(1);
      expect(await (await fetch(url)).text()).to.include('"mode":"view"');
    });
    expect(code).to.equal(0);
    expect(await fetch(url).then(() => 'open', () => 'closed')).to.equal('closed');
  });

  it('rsmlab start --lab paxos --nodes 5 --port P: another lab, size and port, the same page; Ctrl-C stops it all', async () => {
    const { code, url, output } = await served(['start', '--lab', 'paxos', '--nodes', '5', '--port', '0', '--timing-scale', '0.1'], async (url) => {
      type State = { nodes: { summary: { view: number | null; members: string[] } }[]; clientless?: string } | null;
      let state: State = null;
      for (let i = 0; i < 300 && !state?.nodes.every((n) => n.summary.view === 5); i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        state = (await (await fetch(`${url}api/state`)).json()) as State;
      }
      expect(state?.nodes.map((n) => n.summary.view)).to.deep.equal([5, 5, 5, 5, 5]);
      expect(state?.nodes[0]?.summary.members).to.have.length(5);
      // Its client panels say why they stay empty (the page shows it as "(none: …)").
      expect(state?.clientless).to.equal('--lab paxos runs no app, so no client sends it operations');
    });
    expect(code).to.equal(0);
    // The tester's real-world timing: every constant x0.1 but the RPC timeout, which a loaded host's jitter would beat at 100 ms (src/timing.ts realTiming).
    expect(output).to.include('(heartbeat 300 ms, RPC timeout 250 ms)');
    expect(await fetch(url).then(() => 'open', () => 'closed')).to.equal('closed');
  });

  for (const [how, signals] of [
    ['a closed terminal (SIGHUP)', ['SIGHUP']],
    ['Ctrl-C twice', ['SIGINT', 'SIGINT']],
  ] as const) {
    it(`rsmlab start stopped by ${how} still kills its nodes and removes their data`, async () => {
      const { code, output } = await served(['start', '--lab', 'paxos', '--nodes', '1', '--port', '0', '--timing-scale', '0.1'], async () => undefined, [...signals]);
      expect(code, output).to.equal(0);
      const data = /data in (\S+)/.exec(output)?.[1];
      expect(data, output).to.be.a('string');
      expect(existsSync(data!), `${data} removed`).to.equal(false);
      expect(output).to.match(/stopped \((SIGHUP: the terminal closed|Ctrl-C)\); all nodes killed and their data removed/);
      if (signals.length === 2) expect(output).to.include('rsmlab: still stopping');
    });
  }

  it('rsmlab start --lab vsr: the page refuses, naming the node, a kill of a node already down, a restart of one up, a heal of one down; the narration says a node went down', async () => {
    const answers: string[] = [];
    let clientless: string | undefined;
    const { code, output } = await served(['start', '--lab', 'vsr', '--port', '0', '--clients', '0', '--timing-scale', '0.2'], async (url) => {
      const token = /"token":"([0-9a-f]+)"/.exec(await (await fetch(url)).text())![1]!;
      const nodes = await liveNodes(url);
      clientless = ((await (await fetch(`${url}api/state`)).json()) as { clientless?: string }).clientless;
      const act = async (body: Record<string, unknown>): Promise<void> => {
        const res = await fetch(`${url}api/control`, { method: 'POST', headers: { 'content-type': 'application/json', [TOKEN_HEADER]: token }, body: JSON.stringify(body) });
        answers.push(`${res.status} ${await res.text()}`);
      };
      await act({ action: 'crash', node: nodes[0], signal: 'SIGKILL' });
      await new Promise((resolve) => setTimeout(resolve, 2000)); // the narration looks every 100 ms
      await act({ action: 'crash', node: nodes[0], signal: 'SIGKILL' });
      await act({ action: 'heal', node: nodes[0] });
      await act({ action: 'restart', node: nodes[1] });
      await act({ action: 'restart', node: nodes[0] });
      answers.push(...nodes.slice(0, 2));
    });
    expect(code).to.equal(0);
    const [n0, n1] = answers.slice(5);
    expect(answers.slice(0, 5)).to.deep.equal([
      '200 {"ok":true}',
      `400 {"error":"${n0} is already down: restart it first"}`,
      `400 {"error":"${n0} is down, and its control plane with it: restart it first"}`,
      `400 {"error":"${n1} is already running: kill it first"}`,
      '200 {"ok":true}',
    ]);
    expect(output).to.match(/\] node 0 now down \(killed by SIGKILL\): restart it from the dashboard\n/);
    expect(clientless, 'what its empty client panels say').to.equal('no client load: --clients 0');
  });

  it('rsmlab dashboard --members shows a member that is down, from the start or later, as down, and goes on with the rest', async () => {
    // p2 is never started; p1 is killed while the page watches. Before, one silent member stopped every update (or left the page empty).
    const cluster = new RealCluster({ lab: 'paxos', nodes: 3, timing: scaleTiming(classicTiming, 0.1) });
    try {
      await cluster.start(0);
      await cluster.start(1);
      const members = [0, 1, 2].map((i) => cluster.id(i));
      const { code } = await served(['dashboard', '--members', members.join(','), '--port', '0'], async (url) => {
        type State = { tick: number; nodes: { status: { node: string; alive: boolean } }[] } | null;
        const alive = (state: State): [string, boolean][] => state?.nodes.map((n) => [n.status.node, n.status.alive]) ?? [];
        const until = async (what: string, done: (state: State) => boolean): Promise<State> => {
          let state: State = null;
          for (let i = 0; i < 100 && !done(state); i++) {
            await new Promise((resolve) => setTimeout(resolve, 100));
            state = (await (await fetch(`${url}api/state`)).json()) as State;
          }
          expect(done(state), `${what}: ${JSON.stringify(alive(state))}`).to.equal(true);
          return state;
        };
        await until('p0 and p1 up, p2 down', (state) => JSON.stringify(alive(state)) === JSON.stringify([[members[0], true], [members[1], true], [members[2], false]]));
        await cluster.kill(1, 'SIGKILL');
        const after = await until('p1 down too', (state) => JSON.stringify(alive(state)) === JSON.stringify([[members[0], true], [members[1], false], [members[2], false]]));
        await until('and the page goes on updating', (state) => state !== null && state.tick > after!.tick + 2);
      });
      expect(code).to.equal(0);
    } finally {
      await cluster.close();
    }
  });

  it('rsmlab dashboard --members watches a running cluster through its control planes; it neither kills nor restarts what it did not start', async () => {
    const cluster = new RealCluster({ lab: 'paxos', nodes: 1, timing: scaleTiming(classicTiming, 0.1) });
    try {
      await cluster.start(0);
      const { code } = await served(['dashboard', '--members', cluster.id(0), '--port', '0'], async (url) => {
        type State = { owned: boolean; nodes: { status: { node: string; alive: boolean }; summary: { view: number | null; role: string } }[] } | null;
        let state: State = null;
        for (let i = 0; i < 100 && state === null; i++) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          state = (await (await fetch(`${url}api/state`)).json()) as State;
        }
        expect(state?.nodes.map((n) => [n.status.node, n.status.alive, n.summary.view, n.summary.role])).to.deep.equal([[cluster.id(0), true, 1, 'primary']]);
        expect(state?.owned, 'the page is told to offer no kill or restart').to.equal(false);
        const token = /"token":"([0-9a-f]+)"/.exec(await (await fetch(url)).text())![1]!;
        const res = await fetch(`${url}api/control`, { method: 'POST', headers: { 'content-type': 'application/json', [TOKEN_HEADER]: token }, body: JSON.stringify({ action: 'crash', node: cluster.id(0), signal: 'SIGKILL' }) });
        expect(`${res.status} ${await res.text()}`).to.equal(`400 {"error":"this dashboard watches nodes it did not start: kill ${cluster.id(0)} where it was started"}`);
        expect(cluster.alive(0)).to.equal(true);
      });
      expect(code).to.equal(0);
    } finally {
      await cluster.close();
    }
  });
});
