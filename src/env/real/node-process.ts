// One node as this OS process: lays out its directory (disk/, trace.jsonl), serves the protocol on
// port p and the control plane on p+1 (a start that fails takes back what it made), then starts the
// lab on a RealEnv. It owns the process's signals and exit; it never runs protocol logic or changes the lab's state.
import { closeSync, existsSync, openSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Json } from '../types.js';
import { classicTiming, type Timing } from '../../timing.js';
import { UNHANDLED_REJECTION, type EngineLimits, type Lab, type LabNode } from '../../lab.js';
import { loadLab } from '../../../labs/index.js';
import { TraceRecorder } from '../../trace/recorder.js';
import { startControlPlane } from '../../control/server.js';
import { RealDisk } from './disk.js';
import { FaultyDisk } from './faulty-disk.js';
import { nodeId } from './address.js';
import { LabError, RealEnv } from './env.js';
import { TraceFile } from './trace-file.js';
import { LogLines } from './log-lines.js';
import { claimDir, releaseDir } from './dir-lock.js';
import { StartDebris } from './start-debris.js';
import { watchPeers } from './peer-watch.js';
import { StorageCorrupt } from '../../storage/storage-corrupt.js';
import { portTaken } from './ports.js';

export interface NodeProcessOptions {
  lab: string;
  port: number;
  /** The node to join through; a node whose first is itself founds view 1. */
  first: string;
  /** Data directory: disk/ (the lab's files), trace.jsonl (appended to across restarts). */
  dir: string;
  timing: Timing;
  app?: string;
  /** Address to bind the protocol port and to be known by (default 127.0.0.1). */
  host?: string;
  /** Address the control plane binds (default 127.0.0.1). Any other needs controlToken. */
  controlHost?: string;
  /** The token every control call must carry (required for a non-loopback controlHost). */
  controlToken?: string;
  /** The static replica set and this node's index in it (LabOptions.replicas/index). */
  replicas?: string[];
  index?: number;
  /** The VSR engine's limits (LabOptions.engine). */
  engine?: EngineLimits;
}

/** The longest delay Node's timers take: a longer one fires at once (TimeoutOverflowWarning). */
const TIMER_MAX_MS = 2 ** 31 - 1;

/** The Timing in `--timing <json>`: every constant of classicTiming, each a positive number a timer can wait. */
export function timingFromJson(text: string): Timing {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new Error(`--timing: not a JSON object of timing constants (${e instanceof Error ? e.message : String(e)})`);
  }
  const timing = { ...classicTiming };
  for (const key of Object.keys(classicTiming) as (keyof Timing)[]) {
    const v = (value as Record<string, unknown> | null)?.[key];
    if (typeof v !== 'number' || !(v > 0) || v > TIMER_MAX_MS) throw new Error(`--timing: ${key} must be a positive number of ms, at most ${TIMER_MAX_MS} (Node's longest timer)`);
    timing[key] = v;
  }
  return timing;
}

function hasFiles(dir: string): boolean {
  return existsSync(dir) && readdirSync(dir).length > 0;
}

/** Exit codes: 1 at a breakpoint (as the seed), these otherwise (a RealCluster fails its run on EXIT_LAB_ERROR). */
export const EXIT_LAB_ERROR = 70;
const EXIT_SIGNAL = { SIGTERM: 143, SIGINT: 130 } as const;

/** Record the process's death in the trace (a stop signal, its cluster's death, or a lab error such as a violated invariant), then exit. */
function recordDeath(env: RealEnv): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      env.note('crash', { reason: 'signal', signal });
      env.trace.flush();
      process.exit(EXIT_SIGNAL[signal]);
    });
  }
  const orphaned = (): void => {
    // Started by a RealCluster whose process has died: do not outlive it as an orphan.
    env.note('crash', { reason: 'parent exited' });
    env.trace.flush();
    process.exit(EXIT_SIGNAL.SIGTERM);
  };
  process.once('disconnect', orphaned);
  // The parent may have died while this node was still starting, before the listener above: then
  // 'disconnect' has already fired and never fires again.
  if (process.send !== undefined && !process.connected) orphaned();
  // A rejection nobody handled comes here too (Node's default): say so, as the simulator does.
  process.once('uncaughtException', (e, origin) => dieOfError(env, origin === 'unhandledRejection' ? UNHANDLED_REJECTION : 'error', e));
}

/** `path`, once a file can be appended there: the trace file is written lazily, and a node must not start, then die at its first line. */
function writable(path: string): string {
  try {
    closeSync(openSync(path, 'a'));
  } catch (e) {
    throw new Error(`cannot write the trace file ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
  return path;
}

/** An error with its stack (a LabError's stack is its message, which quotes the handler's error and stack). */
function errorText(e: unknown): string {
  // A disk that cannot be durable history is refused on purpose, with its reason: where in the code does not help.
  if (e instanceof StorageCorrupt) return `${e.name}: ${e.message}`;
  return e instanceof Error ? (e.stack ?? String(e)) : String(e);
}

/** The crash event of a lab error: the error with its stack, what the lab code threw (its message) and, for a handler's, where. */
function crashDetail(reason: string, e: unknown): Record<string, Json> {
  const thrown: unknown = e instanceof LabError ? e.cause : e;
  return { reason, error: errorText(e), thrown: thrown instanceof Error ? thrown.message : String(thrown), ...(e instanceof LabError && { where: e.where }) };
}

/** A lab error (or a lab that cannot start, e.g. on a corrupt disk): traced with its stack if the trace can still be written, told on stderr, exit 70. Nothing half-starts. */
function dieOfError(env: RealEnv, reason: string, e: unknown): never {
  env.note('crash', crashDetail(reason, e));
  try {
    env.trace.flush();
  } catch (flushError) {
    process.stderr.write(`rsmlab node ${env.me}: the trace could not be written: ${flushError instanceof Error ? flushError.message : String(flushError)}\n`);
  }
  const where = reason === UNHANDLED_REJECTION ? `${reason}: ` : '';
  process.stderr.write(`rsmlab node ${env.me}: ${where}${errorText(e)}\n`);
  process.exit(EXIT_LAB_ERROR);
}

/** The nodes this one must reach to take part: the other replicas of a static set, else its --first (none for the node that founds the cluster). */
function peersToReach(me: string, o: NodeProcessOptions): string[] {
  if (o.replicas !== undefined) return o.replicas.filter((r) => r !== me);
  return o.first === me ? [] : [o.first];
}

/** What the control plane reports of the lab: whether it has started, and its status. */
interface LabView {
  started(): boolean;
  state(): Json;
}

/** Run the node until the process is killed, dies at a breakpoint (exit 1) or from a lab error (exit 70). */
export async function runNode(o: NodeProcessOptions): Promise<void> {
  const lab = await loadLab(o.lab);
  let node: LabNode | undefined;
  const view: LabView = { started: () => node !== undefined, state: () => (node === undefined ? null : node.status()) };
  // A start that fails before both ports serve (e.g. one is in use) leaves its --dir as it found it.
  const debris = new StartDebris();
  const { env, restarted } = await serve(o, lab, view, debris).catch((e: unknown) => {
    debris.takeBack();
    throw e;
  });
  env.note('start', { lab: lab.name, first: o.first, restarted, pid: process.pid });
  process.stdout.write(`rsmlab node ${env.me} lab=${lab.name} first=${o.first} control=${o.controlHost ?? '127.0.0.1'}:${o.port + 1} pid=${process.pid} dir=${o.dir}${restarted ? ' (restarted from disk)' : ''}\n`);
  watchPeers(peersToReach(env.me, o), (line) => process.stderr.write(`rsmlab node ${env.me}: ${line}\n`));
  node = await lab.start(env, { first: o.first, timing: o.timing, app: o.app, ...(o.replicas === undefined ? {} : { replicas: o.replicas, index: o.index }), ...(o.engine !== undefined && { engine: o.engine }) }).catch((e: unknown) => dieOfError(env, 'start failed', e));
  env.labStarting(false);
}

/** Claim and lay out the --dir, then serve the protocol port and the control plane; each thing it makes goes into `debris` first. */
async function serve(o: NodeProcessOptions, lab: Lab, view: LabView, debris: StartDebris): Promise<{ env: RealEnv; restarted: boolean }> {
  const host = o.host ?? '127.0.0.1';
  claimDir(debris.path(o.dir));
  debris.step(() => releaseDir(o.dir));
  const disk = new RealDisk(debris.path(join(o.dir, 'disk')));
  const restarted = hasFiles(disk.dir);
  await disk.init();
  const trace = new TraceRecorder({ keep: false, hash: false, sink: new LogLines(new TraceFile(writable(debris.path(join(o.dir, 'trace.jsonl'))))) });
  debris.step(() => trace.flush()); // its file closed before it goes
  let env: RealEnv | undefined;
  const faulty = new FaultyDisk(disk, nodeId(host, o.port), (detail) => env?.note('disk', detail));
  env = await RealEnv.listen({ host, port: o.port, disk: faulty, trace }).catch((e: unknown) => {
    throw portTaken(e, `port ${o.port}`, `an rsmlab node still running? npx rsmlab ctl ${host}:${o.port} pid names its process; or give another --port`);
  });
  env.labStarting(true);
  process.once('exit', () => trace.flush());
  recordDeath(env);
  await startControlPlane({ node: env, disk: faulty, lab: lab.name, sites: lab.sites, started: view.started, state: view.state }, o.controlHost ?? '127.0.0.1', o.port + 1, o.controlToken).catch((e: unknown) => {
    throw new Error(`cannot serve the control plane on port ${o.port + 1}: ${e instanceof Error ? e.message : String(e)}`);
  });
  return { env, restarted };
}
