// The dashboard and the trace viewer in real Chromium (Debian's, driven by playwright-core): the
// live page of the main job (`rsmlab start`, what `npm start` runs: a real 3-node replicated KV
// cluster under load; each card offers only the breakpoints and fault points its lab reaches; kill
// the primary with its button and see a new view (its down card offers only Restart); partition and heal a node; a disk fault; link
// faults on some methods only; Ctrl-C leaves nothing behind), a VSR run's cards (no breakpoints, the
// driver's fault point armed from its select), a recorded
// failure in the viewer (hover a message, move the time cursor, click a non-linearizable op), a
// 50,000-event trace scrolled, the self-contained page with no network, a simulated run
// played, paused, stepped and faulted, and a VSR run's messages filtered by command.
// Screenshots go to artifacts/screenshots/.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { expect } from 'chai';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { SimCluster } from '../tester/sim-cluster.js';
import { BackgroundLoad } from '../tester/rsm/load.js';
import { findScenario } from '../tester/index.js';
import { runScenario } from '../tester/run.js';
import { seededRandom } from '../src/random.js';
import { DashboardServer } from '../src/dashboard/server.js';
import { loadArtifact } from '../src/dashboard/artifact.js';
import { selfContainedPage } from '../src/dashboard/page.js';
import { carelessPrimaryLab, oneStrike } from './fixtures/rsm-broken.js';
import { startSimRun } from '../src/dashboard/sim-run.js';
import { controlCall } from '../src/control/client.js';
import { formatEvent, formatLine, type TraceEvent } from '../src/trace/event.js';
import { mergeTraces } from '../src/trace/merge.js';
import * as control from '../src/control/protocol.js';
import { FAULT_POINTS } from '../src/engine/driver.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const shots = join(repo, 'artifacts', 'screenshots');
/**
 * Seeds searched for a run in which the careless primary loses acknowledged writes and the history
 * is not linearizable. Over the one-strike heartbeater (as before the heartbeater confirmed silent
 * pings), lost heartbeats change views often and seeds 42 and 43 of 1-60 do it; over the reference
 * heartbeater only 2 of seeds 1-150 do.
 */
const SEARCHED_SEEDS = 60;

/** Chromium headless with the flags and a fresh user-data dir; fails loudly if Chromium is missing. */
async function launch(): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does it)`);
  const profile = mkdtempSync(join(tmpdir(), 'rsmlab-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS, viewport: { width: 1400, height: 900 } });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: join(shots, `${name}.png`) });
}

/** Put the viewer's time cursor on the run's last event, as a user does: the slider focused, End. */
async function cursorToEnd(page: Page): Promise<void> {
  await page.locator('#cursor').focus();
  await page.keyboard.press('End');
}

/** Open a viewer page with the time cursor on the run's last event. */
async function openAtEnd(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForSelector('#cursor');
  await cursorToEnd(page);
}

/** The controls (buttons, selects, inputs) shown on `node`'s card that stick out past its right edge: its layout pushed them out. */
async function pastCardEdge(page: Page, node: string): Promise<string[]> {
  return page.evaluate<string[]>(
    `(() => { const card = document.querySelector('.card[data-node="${node}"]'); const right = card.getBoundingClientRect().right; return [...card.querySelectorAll('button, select, input')].filter((c) => c.offsetParent !== null && c.getBoundingClientRect().right > right).map((c) => c.className || c.tagName); })()`,
  );
}

/** Poll a JavaScript expression in the page until it is true (waitForFunction's eval is refused by the page's CSP). */
async function waitFor(page: Page, expression: string, ms = 30_000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; await page.waitForTimeout(50)) if (await page.evaluate<boolean>(expression)) return;
  throw new Error(`the page never made this true: ${expression}`);
}

interface MainJob {
  url: string;
  /** The nodes' addresses, by index. */
  nodes: string[];
  /** pgrep's output for node processes still running (of all nodes, or of those indexes). */
  processesLeft(indexes?: number[]): string;
  /** Ctrl-C (SIGINT) and its exit code. */
  stop(): Promise<number | null>;
}

/** `rsmlab start` (what `npm start` runs) on a free port, with 300 ms heartbeats; resolves once its 3 nodes are up. */
async function startMainJob(): Promise<MainJob> {
  const child = spawn(process.execPath, [cli, 'start', '--port', '0', '--timing-scale', '0.1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (/node 2 is /.test(output)) resolve();
    });
    void exited.then(() => reject(new Error(`rsmlab start exited:\n${output}`)));
  });
  const url = /dashboard at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(output)![1]!;
  const nodes = [0, 1, 2].map((i) => new RegExp(`node ${i} is (\\S+) `).exec(output)![1]!);
  return {
    url,
    nodes,
    processesLeft: (indexes = [0, 1, 2]) => spawnSync('pgrep', ['-f', `--port (${indexes.map((i) => nodes[i]!.split(':')[1]).join('|')}) `], { encoding: 'utf8' }).stdout,
    stop: () => {
      child.kill('SIGINT');
      return exited;
    },
  };
}

/** Every request the page makes, to prove it loads nothing from elsewhere. */
function requests(page: Page): string[] {
  const urls: string[] = [];
  page.on('request', (r) => urls.push(r.url()));
  return urls;
}

describe('dashboard in Chromium', function () {
  this.timeout(120_000);
  let browser: Awaited<ReturnType<typeof launch>> | undefined;
  let page: Page;
  let errors: string[];

  before(async () => {
    browser = await launch();
  });
  after(() => browser?.close()); // a launch that failed is before()'s one error, not a second one here
  beforeEach(async () => {
    page = await browser!.context.newPage();
    errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
  });
  afterEach(async () => {
    await page.close();
    expect(errors, 'errors in the page').to.deep.equal([]);
  });

  describe('the live page of the main job (rsmlab start: a real 3-node replicated KV cluster under load)', () => {
    let job: MainJob;
    const cluster = { id: (i: number): string => job.nodes[i]! };
    let server: { url: string };

    before(async () => {
      job = await startMainJob();
      server = { url: job.url };
    });
    after(async () => {
      const code = await job.stop();
      expect(code, 'rsmlab start exits 0 on Ctrl-C').to.equal(0);
      expect(job.processesLeft(), 'node processes left running').to.equal('');
      expect(await fetch(job.url).then(() => 'open', () => 'closed'), 'the dashboard port').to.equal('closed');
    });

    const card = (node: string) => page.locator(`.card[data-node="${node}"]`);
    const viewOf = async (node: string) => Number(await card(node).locator('dd.view').textContent());
    const membersOf = async (node: string) => ((await card(node).locator('dd.members').textContent()) ?? '').split(', ').sort();
    // A real cluster's view change under a full suite's load: a bound with room (one CI run of 3 saw a
    // survivors' view take longer than 30 s; alone it takes about a second), never a speed gate.
    async function until(what: string, done: () => Promise<boolean>, ms = 90_000): Promise<void> {
      for (const end = Date.now() + ms; Date.now() < end; await page.waitForTimeout(100)) if (await done()) return;
      throw new Error(`the page never showed: ${what}`);
    }
    /** Whether each of a card's action buttons is disabled, by its class (Lab 2 has no fault point, so no fault point's Arm). */
    const disabledOf = async (node: string): Promise<Record<string, boolean>> => {
      const buttons = ['kill', 'restart', 'partition', 'heal', 'arm-bp', 'set-faults', 'disk-refresh', 'disk-fault'];
      return Object.fromEntries(await Promise.all(buttons.map(async (b) => [b, await card(node).locator(`button.${b}`).isDisabled()] as const)));
    };
    /** Which buttons a real node's card disables, up or down: all it cannot take (a down node's control plane went with it; Restart is for a down node only). */
    const disabledWhen = (up: boolean): Record<string, boolean> => ({ kill: !up, restart: up, partition: !up, heal: !up, 'arm-bp': !up, 'set-faults': !up, 'disk-refresh': !up, 'disk-fault': !up });

    it('shows every node: up, view 3 with all members, one primary, op/commit and client load; loads nothing from elsewhere', async () => {
      const urls = requests(page);
      await page.goto(server.url);
      const all = [0, 1, 2].map((i) => cluster.id(i)).sort();
      await until('all three nodes in view 3', async () => (await Promise.all(all.map(viewOf))).every((v) => v === 3));
      for (const node of all) {
        expect(await membersOf(node)).to.deep.equal(all);
        expect(await card(node).locator('.up-down').textContent()).to.equal('up');
      }
      expect(await page.locator('.badge.role.primary').count()).to.equal(1);
      expect(await card(cluster.id(0)).locator('.role').textContent()).to.equal('primary');
      await until('client operations flowing', async () => ((await page.locator('#client-ops').textContent()) ?? '').includes('type=ok'));
      await until('messages flowing', async () => (await page.locator('#messages div').count()) > 5);
      await until('arrows in the message strip', async () => Number(await page.locator('#flow').getAttribute('data-arrows')) > 0);
      await shot(page, 'live');
      const origin = new URL(server.url).origin;
      expect(urls.filter((u) => !u.startsWith(origin) && !u.startsWith('ws://127.0.0.1'))).to.deep.equal([]);
    });

    it('offers on each card only the fault sites Lab 2 reaches: breakpoints 1-4, and no fault point box (it has none)', async () => {
      await page.goto(server.url);
      for (const node of [0, 1, 2].map((i) => cluster.id(i))) {
        await until(`${node}'s breakpoints`, () => card(node).locator('select.bp-n').isEnabled());
        expect(await card(node).locator('select.bp-n option').allTextContents(), node).to.deep.equal(['breakpoint 1', 'breakpoint 2', 'breakpoint 3', 'breakpoint 4']);
        expect(await card(node).locator('.fault-points').isHidden(), `${node}'s fault point box`).to.equal(true);
      }
    });

    it('kills the primary with its button, and a new view without it appears; the action is in the event stream; its down card offers only Restart', async () => {
      await page.goto(server.url);
      const primary = cluster.id(0);
      await until('the primary card', async () => (await card(primary).locator('.role').textContent()) === 'primary');
      // The primary of a three-member view: under load a heartbeat reply later than the RPC timeout (250 ms,
      // src/timing.ts realTiming) drops a live node for a moment, and killing the primary of the two left wedges
      // Lab 2 for good (the survivor alone is no majority of its view; the dropped node rejoins only through the primary).
      const all = [0, 1, 2].map((i) => cluster.id(i)).sort();
      await until('all three in one view', async () => (await Promise.all(all.map(membersOf))).every((m) => m.join() === all.join()));
      const before = await viewOf(cluster.id(1));
      await card(primary).locator('button.kill').click();
      await until('the primary down', async () => (await card(primary).locator('.up-down').textContent()) === 'down');
      // the header accounts for every message sent: those to the dead node are neither delivered nor dropped
      await until('the undelivered messages counted', async () => {
        const m = /^messages: (\d+) sent, (\d+) delivered, (\d+) dropped, (\d+) neither \(in flight, or lost on a link to a node that went down\)$/.exec((await page.locator('#totals').textContent()) ?? '');
        return m !== null && Number(m[1]) === Number(m[2]) + Number(m[3]) + Number(m[4]);
      });
      // the card says why, as the event stream does
      await until('why it is down, on its card', async () => (await card(primary).locator('.down-reason').textContent()) === 'crashed: reason=signal signal=SIGTERM');
      expect(await disabledOf(primary), 'disabled on the down card: all but Restart').to.deep.equal(disabledWhen(false));
      const survivors = [cluster.id(1), cluster.id(2)].sort();
      await until('a new view of the survivors', async () => (await viewOf(survivors[0]!)) > before && (await membersOf(survivors[0]!)).join() === survivors.join());
      await until('a new primary', async () => (await page.locator('.badge.role.primary').count()) === 1);
      expect(job.processesLeft([0]), 'the killed node\'s process').to.equal('');
      expect(await page.locator('#stream').textContent()).to.match(new RegExp(`${primary} control: crash`));
      await shot(page, 'live-killed-primary');
      await card(primary).locator('button.restart').click();
      await until('the old primary back up', async () => (await card(primary).locator('.up-down').textContent()) === 'up');
      expect(await disabledOf(primary), 'disabled on the card back up: only Restart').to.deep.equal(disabledWhen(true));
    });

    it('injects disk faults (corrupt now, a lost write and a latent read error armed) into a node\'s file from the page, and clears them, through the same interface', async () => {
      await page.goto(server.url);
      const node = cluster.id(2);
      await until('the card', async () => (await card(node).locator('.up-down').textContent()) === 'up');
      // The files are listed once the card sees the node up, with no ↻ pressed.
      const written = card(node).locator('select.disk-file option').filter({ hasNotText: '(0 B)' }).filter({ hasText: ' B)' });
      await until('the node\'s files listed', async () => (await written.count()) > 0);
      const file = (await written.first().getAttribute('value'))!;
      await card(node).locator('select.disk-file').selectOption(file);
      await card(node).locator('select.disk-kind').selectOption('corrupt');
      await card(node).locator('input.disk-offset').fill('0');
      await card(node).locator('input.disk-length').fill('4');
      await card(node).locator('button.disk-fault').click();
      await until('the action in the stream', async () => ((await page.locator('#stream').textContent()) ?? '').includes(`${node} control: diskFault kind=corrupt file=${file}`));
      await until('the answer', async () => /diskFault .*"corrupted":4/.test((await page.locator('#action-status').textContent()) ?? ''));
      // a sector fault kind: armed for the node's next write there
      await card(node).locator('select.disk-kind').selectOption('lost-write');
      await card(node).locator('button.disk-fault').click();
      await until('the armed fault', async () => /diskFault .*"kind":"lost-write".*"sectors":\{"first":0,"count":1\}/.test((await page.locator('#action-status').textContent()) ?? ''));
      // a long answer stays on one line (whole in its tooltip), in a narrow window too: the cards do not move under the mouse
      await page.setViewportSize({ width: 1024, height: 768 });
      const cardsTop = async (): Promise<number> => page.evaluate<number>("document.getElementById('nodes').getBoundingClientRect().top");
      const long = await cardsTop();
      await page.evaluate("document.getElementById('action-status').textContent = ''");
      expect(await cardsTop(), 'the cards, with no answer shown').to.equal(long);
      expect(await page.locator('#action-status').getAttribute('title')).to.match(/"kind":"lost-write"/);
      await page.setViewportSize({ width: 1400, height: 900 });
      // Each kind shows the fields it takes (ctl's --count, --latent, --to), and they reach the node.
      const shown = async (): Promise<string[]> => (await Promise.all(['count', 'latent', 'to'].map(async (f) => ((await card(node).locator(`input.disk-${f}`).isVisible()) ? f : '')))).filter(Boolean);
      expect(await shown(), 'lost-write').to.deep.equal(['count']);
      await card(node).locator('select.disk-kind').selectOption('misdirect');
      expect(await shown(), 'misdirect').to.deep.equal(['count', 'to']);
      await card(node).locator('select.disk-kind').selectOption('corrupt');
      expect(await shown(), 'corrupt').to.deep.equal([]);
      await card(node).locator('select.disk-kind').selectOption('corrupt-read');
      expect(await shown(), 'corrupt-read').to.deep.equal(['count', 'latent']);
      await card(node).locator('input.disk-count').fill('3');
      await card(node).locator('input.disk-latent').check();
      await card(node).locator('button.disk-fault').click();
      await until('the latent read error in the stream', async () => ((await page.locator('#stream').textContent()) ?? '').includes(`${node} control: diskFault kind=corrupt-read file=${file} offset=0 length=4 latent=true count=3`));
      await card(node).locator('button.disk-clear').click();
      await until('the armed faults cleared', async () => /clearDiskFaults \S+: \{"cleared":[1-9]\d*\}/.test((await page.locator('#action-status').textContent()) ?? ''));
      expect(await page.locator('#stream').textContent()).to.include(`${node} control: clearDiskFaults file=${file}`);
    });

    it('sets link faults on some methods only from the page, refuses a bad method name whole, and clears the filter', async () => {
      await page.goto(server.url);
      const node = cluster.id(2);
      await until('the card', async () => (await card(node).locator('.up-down').textContent()) === 'up');
      const faultsOf = async () => (await controlCall(node, control.status, {})).faults;
      const flags = async () => (await card(node).locator('.flags').textContent()) ?? '';
      const answer = async () => (await page.locator('#action-status').textContent()) ?? '';
      /** Fill the delay and methods fields, press Set, and return the page's answer. */
      const set = async (delayMs: number, methods: string) => {
        const before = await answer();
        await card(node).locator('input.delay').fill(String(delayMs));
        await card(node).locator('input.methods').fill(methods);
        await card(node).locator('button.set-faults').click();
        await until('the answer to Set', async () => (await answer()) !== before);
        return answer();
      };
      // Set elsewhere (rsmlab ctl): the fields show it, and Set from the page changes only the field typed in.
      await controlCall(node, control.faults, { loss: 0, dup: 0, delayMs: 30, methods: ['rsm.invoke'] });
      await until('the fields showing the node\'s faults', async () => (await card(node).locator('input.delay').inputValue()) === '30' && (await card(node).locator('input.methods').inputValue()) === 'rsm.invoke');
      const before = await answer();
      await card(node).locator('input.loss').fill('0.1');
      await card(node).locator('button.set-faults').click();
      await until('the answer to Set', async () => (await answer()) !== before);
      expect(await faultsOf(), 'the delay and the method filter kept').to.deep.equal({ loss: 0.1, dup: 0, delayMs: 30, methods: ['rsm.invoke'] });
      await controlCall(node, control.faults, { loss: 0, dup: 0, delayMs: 0, methods: [] });
      await until('the fields following the node again', async () => (await card(node).locator('input.loss').inputValue()) === '0' && (await card(node).locator('input.methods').inputValue()) === '');
      const twoMethods = { loss: 0, dup: 0, delayMs: 20, methods: ['rsm.invoke', 'rsm.transferreq'] };
      expect(await set(20, 'rsm.invoke, rsm.transferreq')).to.equal(`netFaults ${node}: ${JSON.stringify(twoMethods)}`);
      expect(await faultsOf(), 'the node\'s status through its control plane').to.deep.equal(twoMethods);
      await until('the methods in the node\'s flags', async () => (await flags()).includes('delay 20 ms, on rsm.invoke + rsm.transferreq only'));
      await shot(page, 'live-method-faults');
      // a bad name: the error in the page, and nothing of the request applied (not the delay either)
      expect(await set(40, 'rsm.invoke, two words')).to.match(/^netFaults \S+ failed: bad control request: methods\.1: a method name/);
      expect(await faultsOf()).to.deep.equal(twoMethods);
      // what was typed stays to be fixed, through the node's next updates (they must not put the node's settings back)
      await page.waitForTimeout(1500);
      expect(await card(node).locator('input.delay').inputValue(), 'the delay typed').to.equal('40');
      expect(await card(node).locator('input.methods').inputValue(), 'the methods typed').to.equal('rsm.invoke, two words');
      // an empty field: every method again
      await set(20, '');
      expect(await faultsOf()).to.deep.equal({ loss: 0, dup: 0, delayMs: 20 });
      await until('the filter gone from the flags', async () => (await flags()) === 'delay 20 ms');
      await set(0, '');
      expect(await faultsOf()).to.deep.equal({ loss: 0, dup: 0, delayMs: 0 });
      await until('no link faults left', async () => !(await flags()).includes('delay'));
      expect(await page.locator('#stream').textContent()).to.include(`${node} control: netFaults loss=0 dup=0 delayMs=20 methods=["rsm.invoke","rsm.transferreq"]`);
    });

    it('partitions a node away from the view and heals it back in', async () => {
      await page.goto(server.url);
      const all = [0, 1, 2].map((i) => cluster.id(i)).sort();
      await until('all three in one view', async () => (await Promise.all(all.map(membersOf))).every((m) => m.join() === all.join()));
      const primary = (await page.locator('.card:has(.badge.role.primary)').getAttribute('data-node'))!;
      const victim = all.find((n) => n !== primary)!;
      const others = all.filter((n) => n !== victim);
      await card(victim).locator('button.partition').click();
      await until('the partition flag', async () => ((await card(victim).locator('.flags').textContent()) ?? '').includes('partitioned'));
      await until('a view without the partitioned node', async () => (await membersOf(primary)).join() === others.join());
      await shot(page, 'live-partitioned');
      await card(victim).locator('button.heal').click();
      await until('the flag gone', async () => !((await card(victim).locator('.flags').textContent()) ?? '').includes('partitioned'));
      await until('the healed node back in the view', async () => (await membersOf(primary)).join() === all.join(), 60_000);
      const stream = (await page.locator('#stream').textContent()) ?? '';
      expect(stream).to.match(new RegExp(`${victim} control: partition`));
      expect(stream).to.match(new RegExp(`${victim} control: heal`));
    });
  });

  describe('a simulated run, live', () => {
    // Each run's own artifacts folder: a stopped run must leave it empty.
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'rsmlab-simlive-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('steps, plays and pauses the run; a partition from the page lands in the run and its trace', async () => {
      const run = await startSimRun({ lab: 'rsm', test: '12', seed: 3, port: 0, paused: true, artifactsDir: dir });
      try {
        await page.goto(run.server.url);
        const time = async () => Number(/at ([\d.]+) s virtual/.exec((await page.locator('#sim-time').textContent()) ?? '')?.[1]);
        await waitFor(page, "/paused at/.test(document.getElementById('sim-time').textContent)");
        const t0 = await time();
        await page.locator('#step').click();
        await waitFor(page, `Number(/at ([\\d.]+) s/.exec(document.getElementById('sim-time').textContent)?.[1]) > ${t0}`);
        const t1 = await time();
        expect(t1).to.be.greaterThan(t0);
        expect(run.player.playing).to.equal(false);
        await page.locator('#speed').fill('4');
        await page.locator('#play').click();
        await waitFor(page, `Number(/at ([\\d.]+) s/.exec(document.getElementById('sim-time').textContent)?.[1]) > ${t1 + 2}`);
        await waitFor(page, "document.querySelectorAll('.card .up-down.up').length === 3");
        await page.locator('#pause').click();
        await page.locator('.card[data-node="p2"] button.partition').click();
        await waitFor(page, "/p2 control: partition/.test(document.getElementById('stream').textContent)");
        // the world's own trace event, not just the page's echo of the request
        await waitFor(page, "/p2 partition: at=now/.test(document.getElementById('stream').textContent)");
        const trace = await (await fetch(`${run.server.url}api/state`)).json() as { nodes: { status: { node: string; partitioned: boolean } }[] };
        expect(trace.nodes.find((n) => n.status.node === 'p2')?.status.partitioned).to.equal(true);
        // the run's record of fault decisions (what rsmlab shrink works on) has it
        expect(run.cluster()!.sim.decisions.taken().map((d) => d.id)).to.include('partition p2#1');
        await shot(page, 'sim');
      } finally {
        await run.close();
      }
      await run.result;
      expect(run.player.done).to.equal('stopped');
      expect(readdirSync(dir), 'a stopped run leaves no failure artifacts').to.deep.equal([]);
    });

    it('a VSR run offers no breakpoint (the engine reaches none) and only the driver\'s fault points, and arms the one chosen', async () => {
      const run = await startSimRun({ lab: 'vsr', test: '1', seed: 1, port: 0, paused: true, artifactsDir: dir });
      try {
        await page.goto(run.server.url);
        const card = page.locator('.card[data-node="p1"]');
        // The first status names the sites (the lab's, known once the lab is loaded), at t = 0 of the paused run.
        await waitFor(page, "document.querySelector('.card[data-node=\"p1\"]')?.dataset.sites !== undefined");
        // Played until the replicas are up (a node that is not running arms nothing), then paused. A
        // backup's card: p1 stays a backup in scenario 1 and never reaches vsr.primary.before_commit.
        await page.locator('#play').click();
        await waitFor(page, "document.querySelectorAll('.card .up-down.up').length === 3");
        await page.locator('#pause').click();
        expect(await card.locator('select.bp-n option').allTextContents()).to.deep.equal(['no breakpoints in this lab']);
        expect([await card.locator('select.bp-n').isDisabled(), await card.locator('button.arm-bp').isDisabled()], 'the breakpoint select and its Arm').to.deep.equal([true, true]);
        expect(await card.locator('.fault-points').isVisible(), 'the fault point box').to.equal(true);
        expect(await card.locator('select.fault-point option').allTextContents()).to.deep.equal(Object.values(FAULT_POINTS));
        // The fault point names are long: their select shrinks to the card, its Arm button stays on it.
        expect(await pastCardEdge(page, 'p1'), "controls past the card's right edge").to.deep.equal([]);
        await card.locator('button.arm-fp').click();
        await waitFor(page, '/faultPoint p1: .*vsr\\.primary\\.before_commit/.test(document.getElementById(\'action-status\').textContent)');
        await waitFor(page, "/fp vsr\\.primary\\.before_commit/.test(document.querySelector('.card[data-node=\"p1\"] .flags').textContent)");
        await shot(page, 'sim-vsr-sites');
      } finally {
        await run.close();
      }
      await run.result;
    });
  });

  describe('the trace viewer', () => {
    let dir: string;
    let folder: string | undefined;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'rsmlab-viewer-'));
      const scenario = await findScenario('rsm', 'loss-backups');
      for (let seed = 1; seed <= SEARCHED_SEEDS && folder === undefined; seed++) {
        const result = await runScenario(scenario, { world: 'sim', seed, lab: oneStrike(carelessPrimaryLab), artifactsDir: dir });
        if (/NOT linearizable/.test(result.error ?? '')) folder = result.artifacts;
      }
      expect(folder, `a non-linearizable failure among ${SEARCHED_SEEDS} seeds`).to.be.a('string');
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('opens a recorded failure: hover a message, move the time cursor, click a non-linearizable op', async () => {
      const server = await DashboardServer.start({ mode: 'view', port: 0, view: loadArtifact(folder!) });
      try {
        await page.goto(server.url);
        await page.waitForSelector('#verdict');
        expect(await page.locator('#verdict').textContent()).to.match(/^not linearizable \(kv model/);
        // What failed comes first, and its button puts the cursor on the run's last event (where a failing run stops).
        expect(await page.locator('.side > .panel').first().getAttribute('id')).to.equal('failure');
        expect(await page.locator('#failure pre').textContent()).to.match(/NOT linearizable/);
        await page.locator('#to-failure').click();
        const end = await page.evaluate<{ rows: number; cursor: number | null; scrollTop: number }>('rsmlabViewer.model()');
        expect(end.cursor).to.equal(end.rows - 1);
        expect(end.scrollTop, 'scrolled to the end').to.be.greaterThan(0);
        // on a projector's or a laptop's window too, with the toolbar wrapped to several lines: the diagram (its last row,
        // where the run failed) ends inside the window, and the page itself does not scroll
        for (const size of [{ width: 1280, height: 720 }, { width: 1024, height: 768 }, { width: 1920, height: 1080 }]) {
          await page.setViewportSize(size);
          await page.waitForTimeout(100);
          const fit = await page.evaluate<{ bottom: number; inner: number; page: number }>("({ bottom: document.getElementById('diagram').getBoundingClientRect().bottom, inner: innerHeight, page: document.documentElement.scrollHeight })");
          expect(fit.bottom, `the diagram's bottom in a ${size.width}x${size.height} window`).to.be.at.most(fit.inner);
          expect(fit.page, `the page's height in a ${size.width}x${size.height} window`).to.be.at.most(fit.inner);
        }
        await page.setViewportSize({ width: 1400, height: 900 });
        // hover: the tooltip shows the message's method and content
        await page.evaluate("document.getElementById('diagram').scrollTop = 600");
        await page.waitForTimeout(100);
        const point = await page.evaluate<{ x: number; y: number; method: string } | null>('rsmlabViewer.arrowPoint()');
        expect(point, 'a message arrow on screen').to.not.equal(null);
        await page.mouse.move(point!.x, point!.y);
        await page.waitForSelector('#tip', { state: 'visible' });
        const tip = (await page.locator('#tip').textContent()) ?? '';
        expect(tip).to.include(point!.method);
        expect(tip).to.match(/→/);
        // the time cursor: each node's status at that moment
        const box = (await page.locator('#diagram-canvas').boundingBox())!;
        await page.mouse.click(box.x + 30, box.y + 300);
        const rows = page.locator('#cursor-status tr[data-node]');
        expect(await rows.count()).to.equal(3);
        expect(await page.locator('#cursor-status tr[data-node="p0"] .node-state').textContent()).to.match(/^up/);
        const first = await page.locator('#cursor-time').textContent();
        await page.locator('#cursor').fill('700');
        expect(await page.locator('#cursor-time').textContent()).to.not.equal(first);
        // the slider's cursor is on screen: the diagram scrolled to it, by mouse or by keyboard (End: the run's last event)
        const onScreen = async () => {
          const m = await page.evaluate<{ cursorY: number; height: number }>('rsmlabViewer.model()');
          return m.cursorY >= 0 && m.cursorY <= m.height;
        };
        expect(await onScreen(), 'the cursor at row 700 on screen').to.equal(true);
        await cursorToEnd(page);
        expect(await page.evaluate<number | null>('rsmlabViewer.model().cursor')).to.equal(end.rows - 1);
        expect(await onScreen(), 'the cursor at the last row on screen').to.equal(true);
        await page.keyboard.press('Home');
        expect(await onScreen(), 'the cursor at the first row on screen').to.equal(true);
        await shot(page, 'viewer');
        // the linearizability view: click the op that could not be placed; the diagram jumps to it
        const failing = page.locator('#failing-ops button', { hasText: '✗' }).first();
        const id = Number(await failing.getAttribute('data-op'));
        const before = await page.evaluate<number>('rsmlabViewer.model().scrollTop');
        const opPoint = await page.evaluate<{ x: number; y: number } | null>(`rsmlabViewer.opBox(${id})`);
        await page.mouse.click(opPoint!.x, opPoint!.y);
        expect(await page.locator('#op-detail').textContent()).to.match(new RegExp(`^#${id} .*\\nfailing`));
        const after = await page.evaluate<{ scrollTop: number; highlight: number | null; cursor: number | null }>('rsmlabViewer.model()');
        expect(after.highlight).to.be.a('number');
        expect(after.scrollTop).to.not.equal(before);
        expect(await page.locator('#cursor-time').textContent()).to.include(`event #${after.highlight}`);
        await shot(page, 'viewer-linearizability');
      } finally {
        await server.close();
      }
    });

    it("shows each node's state at the end of a real cluster's run (its nodes' traces merged, each numbered from 0), a last event not drawn included", async () => {
      const [a, b] = ['127.0.0.1:7000', '127.0.0.1:7002'];
      const msg = { id: 1, from: a, to: b, method: 'demo.ping', type: 'req' as const, summary: '{}' };
      const nodeA = [formatLine(0, { t: 1000, node: a, kind: 'start' }), formatLine(1, { t: 1010, node: a, kind: 'send', msg }), formatLine(2, { t: 1030, node: a, kind: 'log', detail: { what: 'a.sent' } }), formatLine(3, { t: 1100, node: a, kind: 'timer', detail: { id: 1, ms: 50, name: 'a.retry' } })];
      const nodeB = [formatLine(0, { t: 1000, node: b, kind: 'start' }), formatLine(1, { t: 1020, node: b, kind: 'deliver', msg }), formatLine(2, { t: 1040, node: b, kind: 'log', detail: { what: 'b.last' } })];
      const file = join(dir, 'real-merged.jsonl');
      writeFileSync(file, `${mergeTraces([nodeA, nodeB]).join('\n')}\n`);
      const server = await DashboardServer.start({ mode: 'view', port: 0, view: loadArtifact(file) });
      try {
        await openAtEnd(page, server.url);
        expect(await page.locator('#cursor-time').textContent()).to.equal(`event #6, t = 100 ms (the run's last event: ${a} timer a.retry, not drawn)`);
        const cells = async (node: string): Promise<string[]> => page.locator(`#cursor-status tr[data-node="${node}"] td`).allTextContents();
        expect(await cells(a)).to.deep.equal([a, 'up', '1/0']);
        expect(await cells(b)).to.deep.equal([b, 'up', '0/1']);
        expect(await page.locator('#cursor-status td.last-log').allTextContents()).to.deep.equal(['last log: a.sent {"what":"a.sent"}', 'last log: b.last {"what":"b.last"}']);
      } finally {
        await server.close();
      }
    });

    it('shows a failure folder\'s fault decisions: counted by kind, every one listed when opened; none for a plain trace file', async () => {
      const lines = readFileSync(join(folder!, 'decisions.txt'), 'utf8').trim().split('\n');
      const delays = lines.filter((l) => l.split(' ')[1] === 'delay').length;
      expect(delays, 'the run delayed messages').to.be.greaterThan(0);
      const server = await DashboardServer.start({ mode: 'view', port: 0, view: loadArtifact(folder!) });
      try {
        await page.goto(server.url);
        await page.waitForSelector('#decisions-count');
        expect(await page.locator('#decisions-count').textContent()).to.match(new RegExp(`^${lines.length} \\(.*delay ${delays}.*\\)$`));
        expect(await page.locator('#decisions').isVisible(), 'listed only when opened').to.equal(false);
        await page.locator('#decisions-panel summary').click();
        expect(await page.locator('#decisions').textContent()).to.equal(lines.join('\n'));
      } finally {
        await server.close();
      }
      const plain = await DashboardServer.start({ mode: 'view', port: 0, view: loadArtifact(join(folder!, 'trace.jsonl')) });
      try {
        await page.goto(plain.url);
        await page.waitForSelector('#cursor');
        expect(await page.locator('#decisions-panel').isHidden()).to.equal(true);
      } finally {
        await plain.close();
      }
    });

    it('labels a real run\'s lanes and cursor rows with the names its notes use (its nodes.json), p2 before p10', async () => {
      const names: Record<string, string> = { '127.0.0.1:7010': 'p0', '127.0.0.1:7008': 'p2', '127.0.0.1:7004': 'p10' };
      const real = join(dir, 'real-named');
      mkdirSync(real, { recursive: true });
      writeFileSync(join(real, 'trace.jsonl'), `${Object.keys(names).map((node, i) => formatLine(i, { t: 1000 + i, node, kind: 'start' })).join('\n')}\n`);
      writeFileSync(join(real, 'nodes.json'), JSON.stringify(names));
      const server = await DashboardServer.start({ mode: 'view', port: 0, view: loadArtifact(real) });
      try {
        await page.goto(server.url);
        await page.waitForSelector('#cursor');
        expect((await page.evaluate<{ lanes: string[] }>('rsmlabViewer.model()')).lanes).to.deep.equal(['127.0.0.1:7010', '127.0.0.1:7008', '127.0.0.1:7004']);
        expect((await page.locator('#node-filter label').allTextContents()).map((t) => t.trim())).to.deep.equal(['p0 127.0.0.1:7010', 'p2 127.0.0.1:7008', 'p10 127.0.0.1:7004']);
        await cursorToEnd(page);
        expect(await page.locator('#cursor-status tr[data-node] td:first-child').allTextContents()).to.deep.equal(['p0 127.0.0.1:7010', 'p2 127.0.0.1:7008', 'p10 127.0.0.1:7004']);
      } finally {
        await server.close();
      }
    });

    it('shows each Paxos acceptor\'s n_h, n_a, v_a and highest decided instance at the cursor, as the messages it answered show them', async () => {
      const prepare = { id: 1, from: 'p0', to: 'p1', method: 'paxos.prepare', summary: '{"instance":2,"n":{"n":3,"m":"p0"}}' };
      const promise = { ...prepare, from: 'p1', to: 'p0', summary: '{"oldinstance":false,"accept":true,"n_a":{"n":0,"m":"p1"},"v_a":null}' };
      // p2's accept under a higher n than p1 promised (p2 prepared it with a majority without p1): accepted, n_h unchanged
      const accept = { id: 2, from: 'p2', to: 'p1', method: 'paxos.accept', summary: '{"instance":2,"n":{"n":4,"m":"p2"},"v":"p1 p2"}' };
      const decide = { id: 3, from: 'p0', to: 'p1', method: 'paxos.decide', summary: '{"instance":2,"v":"p1 p2"}' };
      const refused = { id: 4, from: 'p2', to: 'p1', method: 'paxos.prepare', summary: '{"instance":3,"n":{"n":1,"m":"p2"}}' };
      const events = [
        { node: 'p1', kind: 'start' },
        { node: 'p0', kind: 'send', msg: { ...prepare, type: 'req' } },
        { node: 'p1', kind: 'deliver', msg: { ...prepare, type: 'req' } },
        { node: 'p1', kind: 'send', msg: { ...promise, type: 'res' } },
        { node: 'p2', kind: 'send', msg: { ...accept, type: 'req' } },
        { node: 'p1', kind: 'deliver', msg: { ...accept, type: 'req' } },
        { node: 'p1', kind: 'send', msg: { ...accept, from: 'p1', to: 'p2', type: 'res', summary: 'true' } },
        { node: 'p0', kind: 'send', msg: { ...decide, type: 'req' } },
        { node: 'p1', kind: 'deliver', msg: { ...decide, type: 'req' } },
        { node: 'p1', kind: 'log', detail: { what: 'paxos.commit', instance: 2, value: 'p1 p2' } },
        { node: 'p2', kind: 'send', msg: { ...refused, type: 'req' } },
        { node: 'p1', kind: 'deliver', msg: { ...refused, type: 'req' } },
        { node: 'p1', kind: 'send', msg: { ...refused, from: 'p1', to: 'p2', type: 'res', summary: '{"oldinstance":false,"accept":false,"n_a":{"n":0,"m":"p1"},"v_a":null,"n_h":{"n":3,"m":"p0"}}' } },
      ] as const;
      const file = join(dir, 'paxos-acceptor.jsonl');
      writeFileSync(file, `${events.map((e, i) => formatLine(i, { t: 1000 + 10 * i, ...e } as Parameters<typeof formatLine>[1])).join('\n')}\n`);
      const server = await DashboardServer.start({ mode: 'view', port: 0, view: loadArtifact(file) });
      try {
        await page.goto(server.url);
        await page.waitForSelector('#cursor');
        const p1At = async (row: number): Promise<string | null> => {
          await page.locator('#cursor').fill(String(row));
          expect(await page.locator('#cursor-time').textContent()).to.match(new RegExp(`^event #${row},`));
          const cell = page.locator('#cursor-status tr[data-node="p1"] .paxos-state');
          return (await cell.count()) === 0 ? null : await cell.textContent();
        };
        expect(await p1At(2), 'asked, not yet answered: nothing known of its state').to.equal(null);
        expect(await p1At(3)).to.equal('nothing decided; instance 2: n_h (3, p0), n_a none, v_a none');
        expect(await p1At(6)).to.equal('nothing decided; instance 2: n_h (3, p0), n_a (4, p2), v_a "p1 p2"');
        expect(await page.locator('#cursor-status th').allTextContents()).to.deep.equal(['node', 'status', 'replica state', 'msgs out/in']);
        expect(await p1At(8), 'a decide delivered is not yet decided there (an acceptor behind ignores it)').to.equal('nothing decided; instance 2: n_h (3, p0), n_a (4, p2), v_a "p1 p2"');
        expect(await p1At(9), 'its paxos.commit line').to.equal('decided ≤ 2');
        expect(await p1At(12), 'a refused prepare changes nothing').to.equal('decided ≤ 2');
        expect(await page.locator('#cursor-status tr[data-node="p1"] .paxos-state').getAttribute('title')).to.include('n_h (the highest proposal it promised');
      } finally {
        await server.close();
      }
    });

    it('at the end of a simulated Paxos run, every acceptor\'s highest decided instance is the highest its own paxos.commit lines name', async () => {
      const trace = join(dir, 'paxos-3.jsonl');
      const run = spawnSync(process.execPath, [cli, 'sim', 'paxos', '3', '--seed', '1', '--trace', trace], { encoding: 'utf8' });
      expect(run.status, run.stdout + run.stderr).to.equal(0);
      const decided = new Map<string, number>();
      for (const line of readFileSync(trace, 'utf8').split('\n').filter(Boolean)) {
        const e = JSON.parse(line) as { node: string; kind: string; detail?: { what?: string; instance?: number } };
        if (e.kind === 'log' && e.detail?.what === 'paxos.commit') decided.set(e.node, Math.max(decided.get(e.node) ?? 0, e.detail.instance!));
      }
      expect([...decided.keys()].sort()).to.deep.equal(['p0', 'p1', 'p2']);
      const server = await DashboardServer.start({ mode: 'view', port: 0, view: loadArtifact(trace) });
      try {
        await openAtEnd(page, server.url);
        for (const [node, instance] of decided) {
          expect(await page.locator(`#cursor-status tr[data-node="${node}"] .paxos-state`).textContent(), node).to.match(new RegExp(`^decided ≤ ${instance}(;|$)`));
        }
      } finally {
        await server.close();
      }
    });

    it('writes a self-contained page that works from a file with no network at all', async () => {
      const out = join(dir, 'failure.html');
      writeFileSync(out, selfContainedPage(loadArtifact(folder!)));
      const urls = requests(page);
      await page.route('**/*', (route) => (route.request().url().startsWith('file:') ? route.continue() : route.abort()));
      await page.goto(pathToFileURL(out).href);
      await page.waitForSelector('#verdict');
      expect(await page.locator('#verdict').textContent()).to.match(/^not linearizable/);
      expect(urls.every((u) => u.startsWith('file:'))).to.equal(true);
    });

    it('scrolls and zooms a 50,000-event trace drawn on one canvas', async () => {
      const cluster = new SimCluster({ lab: 'rsm', app: 'kv', nodes: 3, seed: 1 });
      for (let i = 0; i < 3; i++) await cluster.start(i);
      const load = new BackgroundLoad(cluster, [0, 1, 2].map((i) => cluster.id(i)), { app: 'kv', clients: 3, ops: 1300 }, seededRandom(1));
      await load.finish(cluster, 3_600_000);
      const file = join(dir, 'big.jsonl');
      writeFileSync(file, await cluster.traceJsonl());
      await cluster.close();
      const view = loadArtifact(file);
      expect(view.traces[0]!.events.length).to.be.at.least(50_000);
      const server = await DashboardServer.start({ mode: 'view', port: 0, view });
      try {
        await page.goto(server.url);
        await page.waitForSelector('#verdict');
        const model = await page.evaluate<{ rows: number; arrows: number; scrollTop: number }>('rsmlabViewer.model()');
        expect(model.rows).to.be.greaterThan(20_000);
        for (const fraction of [0.25, 0.5, 0.9, 0.1]) {
          const top = await page.evaluate<number>(`(() => {
            const d = document.getElementById('diagram');
            d.scrollTop = ${fraction} * d.scrollHeight;
            return new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve(d.scrollTop))));
          })()`);
          expect(top).to.be.greaterThan(0);
        }
        await page.locator('#zoom').fill('3');
        await page.evaluate('new Promise((resolve) => requestAnimationFrame(resolve))');
        expect(await page.evaluate<number>("document.getElementsByTagName('*').length"), 'DOM elements (the diagram is one canvas)').to.be.lessThan(2000);
        await page.mouse.move(500, 500);
        await shot(page, 'viewer-50k');
      } finally {
        await server.close();
      }
    });
  });

  describe('the trace viewer on a VSR run (every peer message travels as vsr.message, or several as one vsr.batch)', () => {
    let dir: string;
    let file: string;
    /** The same trace as real nodes write it: a label on each send only (a receiver's line has none). */
    let realFile: string;
    /** The trace's deliver and drop events (each an arrow) of messages and batches that carry one of these commands (by their labels). */
    let arrowsOf: (commands: string[]) => TraceEvent[];

    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'rsmlab-viewer-vsr-'));
      file = join(dir, 'vsr-8.jsonl');
      // Scenario 8 (every do_view_change lost until the cluster heals): do_view_change goes alone and, after a start_view_change, in one batch with it.
      const run = spawnSync(process.execPath, [cli, 'sim', 'vsr', '8', '--seed', '1', '--trace', file], { encoding: 'utf8' });
      expect(run.status, run.stdout + run.stderr).to.equal(0);
      const events = loadArtifact(file).traces[0]!.events;
      arrowsOf = (commands) => events.filter((e) => (e.kind === 'deliver' || e.kind === 'drop') && (e.msg!.label ?? '').split('+').some((c) => commands.includes(c)));
      const labels = new Set(arrowsOf(['do_view_change']).map((e) => `${e.msg!.method} ${e.msg!.label!}`));
      expect([...labels].sort(), 'do_view_change alone and batched').to.deep.equal(['vsr.batch start_view_change+do_view_change', 'vsr.message do_view_change']);
      realFile = join(dir, 'vsr-8-real.jsonl');
      writeFileSync(realFile, events.map((e) => formatEvent(e.kind === 'send' || e.msg === undefined ? e : { ...e, msg: { ...e.msg, label: undefined } })).join('\n'));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    for (const [world, trace] of [['as the simulator writes it', () => file], ['as real nodes write it (labels on sends only)', () => realFile]] as const) {
      it(`filters the messages by VSR command, batched or not: only do_view_change and start_view, each named in its tooltip; a trace ${world}`, async () => {
        const server = await DashboardServer.start({ mode: 'view', port: 0, view: loadArtifact(trace()) });
        try {
          await page.goto(server.url);
          await page.waitForSelector('#kind-filter');
          const kind = (k: string) => page.locator(`[id="kind-${k}"]`);
          for (const command of ['prepare', 'prepare_ok', 'commit', 'start_view_change', 'do_view_change', 'start_view', 'vsr.request']) expect(await kind(command).count(), command).to.equal(1);
          for (const method of ['vsr.message', 'vsr.batch']) expect(await kind(method).count(), `${method} is split by command`).to.equal(0);
          await page.locator('#kinds-none').click();
          expect(await page.evaluate<number>('rsmlabViewer.model().arrows')).to.equal(0);
          await kind('do_view_change').check();
          await kind('start_view').check();
          const model = await page.evaluate<{ arrows: number; kinds: string[] }>('rsmlabViewer.model()');
          expect(model.kinds).to.deep.equal(['do_view_change', 'start_view', 'start_view_change+do_view_change']);
          expect(model.arrows).to.equal(arrowsOf(['do_view_change', 'start_view']).length);
          await page.evaluate(`rsmlabViewer.jumpTo(${arrowsOf(['start_view'])[0]!.seq})`);
          const point = await page.evaluate<{ x: number; y: number } | null>("rsmlabViewer.arrowPoint('start_view')");
          expect(point, 'a start_view arrow on screen').to.not.equal(null);
          await page.mouse.move(point!.x, point!.y);
          await page.waitForSelector('#tip', { state: 'visible' });
          expect(await page.locator('#tip').textContent()).to.match(/^#\d+ .*\nnotice vsr\.message start_view p\d → p\d/);
          // each arrow on screen is labelled with the commands it carries, and only while the rows are tall enough to read them
          const painted = () => page.evaluate('new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))'); // the page paints on the next frame
          await painted();
          const labels = await page.evaluate<string[]>('rsmlabViewer.arrowLabels()');
          expect(labels).to.include('start_view');
          expect(new Set(labels), 'only the kinds shown, named without the lab prefix').to.satisfy((shown: Set<string>) => [...shown].every((l) => ['do_view_change', 'start_view', 'start_view_change+do_view_change'].includes(l)));
          await shot(page, 'viewer-vsr-commands');
          await page.evaluate("(() => { const z = document.getElementById('zoom'); z.value = '6'; z.dispatchEvent(new Event('input')); })()");
          await painted();
          expect(await page.evaluate<string[]>('rsmlabViewer.arrowLabels()'), 'no labels on 6-pixel rows').to.deep.equal([]);
          await page.locator('#kinds-all').click();
          expect(await page.evaluate<string[]>('rsmlabViewer.model().kinds')).to.include.members(['prepare', 'commit', 'vsr.request']);
        } finally {
          await server.close();
        }
      });
    }
  });

  describe('the trace viewer on a failed VSR run: the time cursor shows each replica\'s state', () => {
    let dir: string;
    let folder: string;

    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'rsmlab-viewer-vsr-failed-'));
      // The old primary, cut off from the other replicas, commits on its own (the mutant): scenario 7 catches it at seed 2 (its check, not an engine assertion).
      const run = spawnSync(process.execPath, [cli, 'sim', 'vsr', '7', '--seed', '2', '--mutant', 'commit-before-quorum', '--artifacts', dir], { encoding: 'utf8' });
      expect(run.status, run.stdout + run.stderr).to.equal(1);
      folder = join(dir, readdirSync(dir)[0]!);
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('at the end of the run: the cut-off old primary still normal in view 0 with the commit it should not have, the others in one later view', async () => {
      const server = await DashboardServer.start({ mode: 'view', port: 0, view: loadArtifact(folder) });
      try {
        await page.goto(server.url);
        await page.waitForSelector('#to-failure');
        const failure = (await page.locator('#failure pre').textContent()) ?? '';
        const committed = /p0 committed ops \d+\.\.(\d+) while cut off/.exec(failure);
        expect(committed, failure).to.not.equal(null);
        await page.locator('#to-failure').click();
        const state = async (node: string) => (await page.locator(`#cursor-status tr[data-node="${node}"] .vsr-state`).textContent()) ?? '';
        expect(await page.locator('#cursor-status tr[data-node="p0"] .node-state').textContent()).to.equal('up, partitioned');
        expect(await state('p0')).to.equal(`normal view 0, commit ${committed![1]}`);
        const later = /^normal view ([1-9]\d*), commit \d+$/.exec(await state('p1'));
        expect(later, 'p1 normal in a later view').to.not.equal(null);
        expect(await state('p2'), 'p2 in the same view').to.match(new RegExp(`^normal view ${later![1]}, commit \\d+$`));
        const commitOf = async (node: string) => Number(/commit (\d+)$/.exec(await state(node))![1]);
        expect(await commitOf('p0'), 'the old primary committed past what the new view holds').to.be.greaterThan(await commitOf('p1'));
        await shot(page, 'viewer-vsr-cursor-state');
      } finally {
        await server.close();
      }
    });
  });
});
