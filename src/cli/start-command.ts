// `rsmlab start` (what `npm start` runs): a local cluster of real node processes, narrated.
// It starts the nodes, prints every view as the nodes agree on it and the commands an
// instructor can use to break things, and stops everything cleanly on Ctrl-C or after --seconds.
import { RealCluster } from '../../tester/real-cluster.js';
import type { Json } from '../env/types.js';
import { classicTiming, scaleTiming } from '../timing.js';

export interface StartCommandOptions {
  lab: string;
  app?: string;
  nodes: number;
  timingScale: number;
  /** Stop by itself after this many seconds (default: run until Ctrl-C). */
  seconds?: number;
  print?: (line: string) => void;
}

interface ViewLine {
  vid: number;
  members: string[];
  primary?: string;
}

function viewOf(status: Json | null): ViewLine | undefined {
  if (status === null || typeof status !== 'object' || Array.isArray(status)) return undefined;
  const { vid, members, primary } = status;
  if (typeof vid !== 'number' || !Array.isArray(members)) return undefined;
  return { vid, members: members.map(String), ...(typeof primary === 'string' && { primary }) };
}

function untilStopped(seconds: number | undefined): Promise<string> {
  return new Promise((resolve) => {
    const stop = (why: string) => () => resolve(why);
    process.once('SIGINT', stop('Ctrl-C'));
    process.once('SIGTERM', stop('SIGTERM'));
    if (seconds !== undefined) setTimeout(stop(`${seconds} s elapsed`), seconds * 1000);
  });
}

export async function startCommand(o: StartCommandOptions): Promise<number> {
  const print = o.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const timing = scaleTiming(classicTiming, o.timingScale);
  const cluster = new RealCluster({ lab: o.lab, app: o.app, nodes: o.nodes, timing });
  const began = Date.now();
  const stamp = (): string => `[${((Date.now() - began) / 1000).toFixed(1).padStart(5)} s]`;
  print(`rsmlab: starting a ${o.nodes}-node ${o.lab}${o.app ? `/${o.app}` : ''} cluster of real processes (heartbeat ${timing.heartbeatMs} ms); data in ${cluster.dir}`);
  const stopped = untilStopped(o.seconds);
  const seen = new Map<number, string>();
  const watch = setInterval(() => {
    void Promise.all(Array.from({ length: o.nodes }, (_, i) => cluster.status(i))).then((all) => {
      all.forEach((status, i) => {
        const view = viewOf(status);
        if (!view) return;
        const text = view.vid === 0 ? 'no view yet (joining)' : `view ${view.vid} = {${view.members.join(', ')}}${view.primary ? ` primary ${view.primary}` : ''}`;
        if (seen.get(i) !== text) print(`${stamp()} node ${i} now in ${text}`);
        seen.set(i, text);
      });
    });
  }, Math.max(100, timing.heartbeatMs / 3));
  for (let i = 0; i < o.nodes; i++) {
    await cluster.start(i, { first: 0 });
    print(`${stamp()} node ${i} is ${cluster.id(i)} (control plane on port+1)`);
  }
  print(`Break it from another terminal:\n  npx rsmlab ctl ${cluster.id(0)} status\n  npx rsmlab ctl ${cluster.id(o.nodes - 1)} partition --now\n  npx rsmlab ctl ${cluster.id(o.nodes - 1)} heal\nCtrl-C stops the cluster.`);
  const why = await stopped;
  clearInterval(watch);
  await cluster.close();
  print(`${stamp()} stopped (${why}); all nodes killed and their data removed`);
  return 0;
}
