// Builds one node's Paxos: replays the acceptor's log from disk, then makes the acceptor and the
// proposer. It owns the wiring and which classes are used (tests swap in broken variants through
// PaxosKinds); it never registers handlers or starts rounds (Config does both).
import type { Disk, Env, NodeId } from '../../src/env/types.js';
import type { Timing } from '../../src/timing.js';
import { Acceptor } from './acceptor.js';
import { type AcceptorState, PAXOS_LOG_FILE, PaxosLog } from './paxos-log.js';
import { Proposer } from './proposer.js';

export interface Paxos {
  acceptor: Acceptor;
  proposer: Proposer;
}

/** The classes a node's Paxos is made of. Defaults: the lab's own; tests pass subclasses. */
export interface PaxosKinds {
  Log?: new (disk: Disk, me: NodeId) => PaxosLog;
  Acceptor?: new (env: Env, log: PaxosLog, state: AcceptorState) => Acceptor;
  Proposer?: new (env: Env, timing: Timing, acceptor: Acceptor) => Proposer;
}

export async function startPaxos(env: Env, timing: Timing, kinds: PaxosKinds = {}): Promise<Paxos> {
  const log = new (kinds.Log ?? PaxosLog)(env.disk, env.me);
  const acceptor = new (kinds.Acceptor ?? Acceptor)(env, log, await log.replay());
  // Said, not silent: the last record was torn by a crash (or garbled on the medium, which a single copy cannot tell apart).
  if (log.droppedBytes > 0) env.log('paxos.log.torn_tail', { file: PAXOS_LOG_FILE, bytes: log.droppedBytes });
  const proposer = new (kinds.Proposer ?? Proposer)(env, timing, acceptor);
  return { acceptor, proposer };
}
