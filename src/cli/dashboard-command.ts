// `rsmlab dashboard`: the live page for a cluster that is already running (--members: status,
// faults and breakpoints through its control planes; killing needs the processes' owner, `rsmlab
// start`), or for a simulated run watched live (--sim LAB TEST --seed N: play, pause, step, speed;
// faults from the page land in the run and its trace). Runs until Ctrl-C or --seconds.
import { untilStopped } from './until-stopped.js';
import type { NodeId } from '../env/types.js';
import type { TraceEvent } from '../trace/event.js';
import { RemoteFaultControl } from '../control/remote-control.js';
import { LiveFeed, type LiveSource } from '../dashboard/live.js';
import { DashboardServer } from '../dashboard/server.js';
import { startSimRun } from '../dashboard/sim-run.js';
import { viewCommand as viewerCommand } from '../dashboard/view-command.js';
import { watchLoop } from './loop-watchdog.js';
import { replayCommand } from '../../tester/run.js';

/** How long the live simulation's lab code may hold the process before the dashboard gives up on it. */
const STUCK_MS = 10_000;

export interface DashboardCommandOptions {
  members?: string[];
  sim?: string[];
  seed: number;
  port: number;
  host?: string;
  token?: string;
  seconds?: number;
  /** Start the simulated run paused (default: playing). */
  paused?: boolean;
  print?: (line: string) => void;
}

/** A running cluster known only by its members' addresses: control planes only, no trace files. */
function membersSource(members: NodeId[]): LiveSource {
  return { world: 'real', owned: false, title: `cluster ${members.join(', ')}`, nodes: members, control: new RemoteFaultControl({ timeoutMs: 1000, silentIsDown: true, ...(process.env.RSMLAB_CONTROL_TOKEN !== undefined && { token: process.env.RSMLAB_CONTROL_TOKEN }) }), events: (): TraceEvent[] => [] };
}

export async function dashboardCommand(o: DashboardCommandOptions): Promise<number> {
  const print = o.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const access = { port: o.port, ...(o.host !== undefined && { host: o.host }), ...(o.token !== undefined && { token: o.token }) };
  if ((o.members === undefined) === (o.sim === undefined)) throw new Error('give either --members HOST:PORT,... or --sim LAB TEST');
  if (o.members !== undefined) {
    if (o.members.length === 0) throw new Error('--members: no addresses');
    const server = await DashboardServer.start({ mode: 'live', ...access, feed: new LiveFeed(membersSource(o.members)) });
    const stopped = untilStopped(o.seconds); // before the address is printed: a Ctrl-C right after it is a stop
    print(`rsmlab: dashboard for ${o.members.join(', ')} at ${server.url}\nCtrl-C stops it.`);
    await stopped;
    await server.close();
    return 0;
  }
  const [lab, test, ...rest] = o.sim ?? [];
  if (lab === undefined || test === undefined || rest.length > 0) throw new Error('--sim takes a lab and a test: --sim paxos 7');
  const run = await startSimRun({ lab, test, seed: o.seed, ...access, ...(o.paused !== undefined && { paused: o.paused }) });
  const stopped = untilStopped(o.seconds); // before the address is printed: a Ctrl-C right after it is a stop
  print(`rsmlab: simulated run of ${lab} ${test} seed ${o.seed}, live at ${run.server.url}\nCtrl-C stops it.`);
  const unwatch = watchLoop(STUCK_MS, `rsmlab: the simulated run's lab code has not returned for ${STUCK_MS / 1000} s (a loop that never ends?): the page and Ctrl-C cannot go on, so the dashboard stops. Where the code is stuck: ${replayCommand({ lab, id: test }, 'sim', o.seed)}`);
  void run.result.then((result) => {
    if (run.player.done === 'stopped') return;
    print(`run finished: ${run.player.done}${result.artifacts ? `\n  trace and notes: ${result.artifacts}\n  see it: ${viewerCommand(result.artifacts)}` : ''}`);
  });
  await stopped;
  unwatch();
  await run.close();
  return 0;
}
