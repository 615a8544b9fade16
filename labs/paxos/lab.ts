// Lab 1 as the framework sees it: a node runs Config (views) over Paxos and reports its views and
// Paxos state as status. It owns only this wiring; the protocols live in config/ and paxos/.
import type { Env } from '../../src/env/types.js';
import { faultSites, type Lab, type LabNode, type LabOptions } from '../../src/lab.js';
import { Config } from '../config/config.js';
import { primaryOf } from '../config/primary.js';
import type { PaxosKinds } from './paxos.js';
import type { PaxosStatus } from './status.js';

/**
 * What Lab 1's code reaches: the proposer's breakpoints 3 (after a prepare majority) and 4 (after an
 * accept majority); no partitionPoint() (cut a node with partition --now) and no named fault points.
 */
export const PAXOS_SITES = faultSites({ breakpoints: [3, 4] });

/** The Paxos lab built from the given Paxos classes (tests pass broken variants). */
export function makePaxosLab(kinds: PaxosKinds = {}): Lab {
  return {
    name: 'paxos',
    sites: PAXOS_SITES,
    async start(env: Env, options: LabOptions): Promise<LabNode> {
      const cfg = await Config.start(env, { first: options.first, timing: options.timing, paxos: kinds });
      return { status: () => paxosStatus(cfg) };
    },
  };
}

export const paxosLab: Lab = makePaxosLab();

/** The Lab-1 status of a node (labs/rsm reports the same fields). */
export function paxosStatus(cfg: Config): PaxosStatus {
  const { acceptor, proposer } = cfg.paxos;
  return {
    vid: cfg.vid,
    members: cfg.members,
    primary: cfg.vid === 0 ? null : primaryOf((v) => cfg.viewOf(v), cfg.vid),
    views: cfg.views(),
    acceptor: acceptor.state(),
    proposer: { running: proposer.isRunning(), my_n: proposer.proposal() },
    dropped: acceptor.dropped(),
    joining: cfg.isJoining(),
  };
}
