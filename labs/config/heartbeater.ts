// Failure detection (the seed's config::heartbeater, provided): every heartbeatMs the smallest-id
// member pings the others and the others ping it; a failed or out-of-view answer makes this node
// propose the current view minus that member. It never changes a view except through Config.remove.
import { isRpcError, type Env, type NodeId } from '../../src/env/types.js';
import { sortNodeIds } from '../../src/env/node-id.js';
import type { Timing } from '../../src/timing.js';
import type { Config } from './config.js';
import { configHeartbeat } from './protocol.js';

/**
 * Answer heartbeats. ok unless the caller is behind us: then it is told (ok: false) and catches
 * up by proposing, which returns the decided view through oldinstance. As in the seed, a caller
 * one view behind is ok while a round runs here. Unlike the seed, a caller *ahead* of us is ok:
 * we are the stale one (say, a joiner just before its join reply lands), and removing us for it
 * would be a spurious view change; our own heartbeat will catch us up.
 */
export function serveHeartbeat(env: Env, cfg: Config): void {
  env.serve(configHeartbeat, ({ vid }) => ({
    ok: vid >= cfg.vid || (cfg.proposerRunning() && vid === cfg.vid - 1),
    vid: cfg.vid,
  }));
}

/** The heartbeat loop; it runs as long as the node lives. */
export async function runHeartbeater(env: Env, timing: Timing, cfg: Config): Promise<void> {
  for (;;) {
    await env.sleep(timing.heartbeatMs, 'heartbeat');
    await beat(env, timing, cfg);
  }
}

async function beat(env: Env, timing: Timing, cfg: Config): Promise<void> {
  const vid = cfg.vid;
  const members = cfg.members;
  if (!members.includes(env.me)) return;
  const hub = sortNodeIds(members)[0]!;
  const targets = hub === env.me ? members.filter((m) => m !== env.me) : [hub];
  const answers = await Promise.all(targets.map((m) => ping(env, timing, m, vid)));
  const failed = targets.find((_, i) => !answers[i]);
  if (failed !== undefined) await cfg.remove(failed, vid);
}

/** true: `peer` answered and is in view `vid` with us. */
async function ping(env: Env, timing: Timing, peer: NodeId, vid: number): Promise<boolean> {
  try {
    return (await env.call(peer, configHeartbeat, { vid }, { timeoutMs: timing.rpcTimeoutMs })).ok;
  } catch (e) {
    if (isRpcError(e)) return false;
    throw e;
  }
}
