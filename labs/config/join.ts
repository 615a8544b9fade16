// Lab 1's join: a node outside its latest view asks `first` (config.join) to add it, and the first
// node answers with every view it knows. Lab 2 replaces the asking side (ConfigOptions.join); this
// module never decides views itself (the first node's Config.add does).
import { isRpcError, type Env, type NodeId } from '../../src/env/types.js';
import type { Timing } from '../../src/timing.js';
import type { Config, JoinStrategy } from './config.js';
import { configJoin } from './protocol.js';

/** The first node's side: add the joiner unless it is a member already, then send the views. */
export function serveJoin(env: Env, cfg: Config): void {
  env.serve(configJoin, async ({ node }) => {
    if (!cfg.isMember(node)) await cfg.add(node, cfg.vid);
    return { views: cfg.views() };
  });
}

/** The joiner's side: one config.join call to `first`, bounded by timing.joinTimeoutMs. */
export function joinThroughFirst(env: Env, first: NodeId, timing: Timing): JoinStrategy {
  return async () => {
    try {
      return (await env.call(first, configJoin, { node: env.me }, { timeoutMs: timing.joinTimeoutMs })).views;
    } catch (e) {
      if (isRpcError(e)) return null;
      throw e;
    }
  };
}
