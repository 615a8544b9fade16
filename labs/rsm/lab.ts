// Lab 2 as the framework sees it: a node runs the RSM (over Config and Paxos) with a replicated
// app, and reports Lab-1 status plus its replication state. It owns only this wiring; the
// protocol lives in rsm.ts, the apps in src/apps.
import type { Env } from '../../src/env/types.js';
import { faultSites, type Lab, type LabNode, type LabOptions } from '../../src/lab.js';
import { PAXOS_SITES } from '../paxos/lab.js';
import { isAppName } from '../../src/apps/app.js';
import { Rsm, type RsmOptions } from './rsm.js';

/** The Rsm class a node runs (tests pass deliberately broken subclasses). */
export type RsmKind = new (env: Env, options: RsmOptions) => Rsm;

/**
 * What Lab 2's code reaches: rsm.ts's breakpoint 1 (mid-request, on the primary and on a backup) and
 * 2 (a member when a view commits) and its partitionPoint() (mid-request, on the primary), plus the
 * breakpoints of the Paxos it runs its views over. No named fault points.
 */
export const RSM_SITES = faultSites({ breakpoints: [1, 2, ...PAXOS_SITES.breakpoints], partitionPoint: true });

export function makeRsmLab(kind: RsmKind = Rsm): Lab {
  return {
    name: 'rsm',
    sites: RSM_SITES,
    async start(env: Env, options: LabOptions): Promise<LabNode> {
      const app = options.app ?? 'kv';
      if (!isAppName(app)) throw new Error(`rsm lab: unknown app '${app}' (known: kv, lock)`);
      const rsm = new kind(env, { first: options.first, timing: options.timing, app });
      await rsm.start();
      return { status: () => rsm.status() };
    },
  };
}

export const rsmLab: Lab = makeRsmLab();
