// Failure detection (the seed's config::heartbeater, provided): every heartbeatMs the smallest-id
// member pings the others and the others ping it; an out-of-view answer, or no answer to a ping and
// to the one confirming it, makes this node propose the current view minus that member. It never
// changes a view except through Config.remove.
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

/**
 * One round of pings. Unlike the seed, a silent peer is pinged once more, at once, before it is
 * removed: one late reply (a slow host, a busy link) must not drop a live node, for a two-member
 * view that then loses its other member is stuck for good (no majority is left in it).
 */
async function beat(env: Env, timing: Timing, cfg: Config): Promise<void> {
  const vid = cfg.vid;
  const members = cfg.members;
  if (!members.includes(env.me)) return;
  const hub = sortNodeIds(members)[0]!;
  const targets = hub === env.me ? members.filter((m) => m !== env.me) : [hub];
  const answers = await Promise.all(targets.map((m) => ping(env, timing, m, vid)));
  const failed = targets.findIndex((_, i) => answers[i] !== 'ok');
  if (failed === -1) return;
  const suspect = targets[failed]!;
  if (answers[failed] === 'silent' && (await ping(env, timing, suspect, vid)) === 'ok') return;
  await cfg.remove(suspect, vid);
}

/** ok: `peer` answered and is in view `vid` with us; stale: it answered that we are behind; silent: no answer in time. */
type Answer = 'ok' | 'stale' | 'silent';

async function ping(env: Env, timing: Timing, peer: NodeId, vid: number): Promise<Answer> {
  try {
    return (await env.call(peer, configHeartbeat, { vid }, { timeoutMs: timing.rpcTimeoutMs })).ok ? 'ok' : 'stale';
  } catch (e) {
    if (isRpcError(e)) return 'silent';
    throw e;
  }
}
