// `rsmlab node`: one node as this process. It turns the command's flags into runNode's options
// (timing, the replica set and this node's index in it) and refuses inconsistent ones before
// anything starts; it never runs protocol logic.
import { nodeId } from '../env/real/address.js';
import { classicTiming, realTiming } from '../timing.js';
import { controlPlaneToken } from '../control/access.js';
import { appNames, isAppName } from '../apps/app.js';
import type { EngineLimits } from '../lab.js';

export interface NodeCommandOptions {
  lab: string;
  port: number;
  first: string;
  dir: string;
  app?: string;
  host: string;
  controlHost: string;
  /** Required with a non-loopback --control-host: every control call must carry it. */
  controlToken?: string;
  timingScale: number;
  timing?: string;
  /** The static replica set (HOST:PORT, in replica-index order), for labs with one (vsr). */
  replicas?: string[];
  /** This node's index in --replicas (default: where HOST:PORT appears in it). */
  index?: number;
  /** The VSR engine's limits (labs vsr and par). */
  pipelineMax?: number;
  batchMax?: number;
}

/** The replica set and this node's index in it, or an error naming what is inconsistent. */
export function replicaPlacement(me: string, replicas: string[] | undefined, index: number | undefined): { replicas?: string[]; index?: number } {
  if (replicas === undefined) {
    if (index !== undefined) throw new Error('--index needs --replicas');
    return {};
  }
  if (replicas.length === 0) throw new Error('--replicas must name at least one HOST:PORT');
  if (new Set(replicas).size !== replicas.length) throw new Error(`--replicas names a node twice: ${replicas.join(',')}`);
  const found = replicas.indexOf(me);
  if (found < 0) throw new Error(`--replicas ${replicas.join(',')} does not include this node (${me})`);
  if (index !== undefined && index !== found) throw new Error(`--index ${index} disagrees with --replicas, where ${me} is at index ${found}`);
  return { replicas, index: found };
}

/** The labs with a static replica set, given by --replicas. */
const STATIC_LABS = ['vsr', 'par'];

/** The labs that replicate an app (src/apps). */
const APP_LABS = ['rsm', 'vsr', 'par'];

/** `--app` names one of the apps, and only a lab that replicates one takes it: refused before anything listens. */
export function checkApp(lab: string, app: string | undefined): void {
  if (app === undefined) return;
  if (!APP_LABS.includes(lab)) throw new Error(`--app is for the ${listed(APP_LABS)} labs (lab ${lab} has no apps)`);
  if (!isAppName(app)) throw new Error(`unknown app '${app}' (known: ${appNames.join(', ')})`);
}

export async function nodeCommand(o: NodeCommandOptions): Promise<void> {
  const { runNode, timingFromJson } = await import('../env/real/node-process.js');
  const timing = o.timing === undefined ? realTiming(classicTiming, o.timingScale) : timingFromJson(o.timing);
  if (STATIC_LABS.includes(o.lab) && o.replicas === undefined) throw new Error(`--lab ${o.lab} needs --replicas HOST:PORT,... (the replica set, in replica-index order)`);
  const placement = replicaPlacement(nodeId(o.host, o.port), o.replicas, o.index);
  const controlToken = controlPlaneToken(o.controlHost, o.controlToken); // refused before anything listens
  checkApp(o.lab, o.app);
  const engine = engineLimits(o.lab, o.pipelineMax, o.batchMax);
  await runNode({ lab: o.lab, port: o.port, first: o.first, dir: o.dir, app: o.app, host: o.host, controlHost: o.controlHost, ...(controlToken !== undefined && { controlToken }), timing, ...placement, ...(engine !== undefined && { engine }) });
}

/** --pipeline-max and --batch-max as the lab's engine limits (none given: undefined); only the VSR labs take them, refused before anything listens. */
export function engineLimits(lab: string, pipeline_max: number | undefined, batch_max: number | undefined): EngineLimits | undefined {
  if (pipeline_max === undefined && batch_max === undefined) return undefined;
  if (!STATIC_LABS.includes(lab)) throw new Error(`--pipeline-max and --batch-max are for the ${listed(STATIC_LABS)} labs (lab ${lab} has no VSR engine)`);
  return { ...(pipeline_max !== undefined && { pipeline_max }), ...(batch_max !== undefined && { batch_max }) };
}

/** 'a', 'a and b', 'a, b and c'. */
function listed(names: readonly string[]): string {
  return names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]!}`;
}
