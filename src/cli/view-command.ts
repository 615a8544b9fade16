// `rsmlab view FOLDER|FILE`: open a failure artifact (a failures/ folder or a trace file) in the
// trace viewer, served on 127.0.0.1 until Ctrl-C, or with --html write it as one self-contained page.
import { untilStopped } from './until-stopped.js';
import { writeFileSync } from 'node:fs';
import { loadArtifact } from '../dashboard/artifact.js';
import { selfContainedPage } from '../dashboard/page.js';
import { DashboardServer } from '../dashboard/server.js';

export interface ViewCommandOptions {
  html?: string;
  port: number;
  host?: string;
  token?: string;
  /** Stop serving after this many seconds (default: until Ctrl-C). */
  seconds?: number;
  print?: (line: string) => void;
}

export async function viewCommand(target: string, o: ViewCommandOptions): Promise<number> {
  const print = o.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const data = loadArtifact(target);
  const events = data.traces.reduce((n, t) => n + t.events.length, 0);
  if (o.html !== undefined) {
    writeFileSync(o.html, selfContainedPage(data));
    print(`wrote ${o.html}: ${events} events${data.traces.length > 1 ? ` in ${data.traces.length} traces` : ''}; open it in any browser, no server needed`);
    return 0;
  }
  const server = await DashboardServer.start({ mode: 'view', view: data, port: o.port, ...(o.host !== undefined && { host: o.host }), ...(o.token !== undefined && { token: o.token }) });
  const stopped = untilStopped(o.seconds); // before the address is printed: a Ctrl-C right after it is a stop
  print(`rsmlab: trace viewer for ${target} (${events} events) at ${server.url}\nCtrl-C stops it.`);
  await stopped;
  await server.close();
  return 0;
}
