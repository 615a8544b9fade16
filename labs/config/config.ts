// Config (the seed's config.cc, provided): the sequence of views, agreed with Paxos. View i is
// Paxos instance i; its value is the member list in join order; view 1 = {first node}. It owns
// membership changes (add, remove, restore), the join loop, and which values can be a view (Paxos
// asks it before accepting or deciding one: see ValueCheck); it never holds anything across an
// upcall and never sends application messages.
//
// API for the layer above (Lab 2, labs/rsm, codes against exactly this):
//   const cfg = await Config.start(env, { first, timing, onCommit, join });
//   cfg.vid: number                 latest view this node knows (0: none yet)
//   cfg.members: NodeId[]           members of view cfg.vid, in join order
//   cfg.isMember(node, vid?)        membership in view vid (default: the latest)
//   cfg.viewOf(vid): NodeId[] | undefined
//   cfg.views(): View[]             every decided view this node knows, [{vid, members}] for vids 1..cfg.vid
//   cfg.add(node, vid): Promise<boolean>
//                                   propose view vid+1 = members + node, only if vid is still the
//                                   latest and node is not a member; true if a round decided vid+1
//                                   (possibly another proposal's value: check isMember after).
//   cfg.remove(node, vid): Promise<boolean>
//                                   propose view vid+1 = members - node (same rules; never an empty view).
//   cfg.restore(views): Promise<void>
//                                   learn views from another node (a joinreq reply): commits, in
//                                   order, every view past cfg.vid, each one upcalled like any decision.
//   onCommit(vid, members)          ConfigOptions.onCommit: called once per view this node learns,
//                                   in vid order, after the decision is on disk, with no lock held.
//                                   It may call back into cfg (add, views, ...). View 1 of a founding
//                                   node is upcalled inside Config.start, before it resolves.
//   join                            ConfigOptions.join: how this node gets added while it is not a
//                                   member of its latest view (at start, and after a view removes it).
//                                   Called every timing.joinRetryMs until it is a member; it returns
//                                   the views its helper knows (Config restores them) or null.
//                                   Default joinThroughFirst (Lab 1: config.join to `first`);
//                                   Lab 2 passes its own (rsm.joinreq to the primary); null: never join.
import type { Env, NodeId } from '../../src/env/types.js';
import type { Timing } from '../../src/timing.js';
import { inBackground } from '../../src/lab.js';
import { type Paxos, type PaxosKinds, startPaxos } from '../paxos/paxos.js';
import { runHeartbeater, serveHeartbeat } from './heartbeater.js';
import { joinThroughFirst, serveJoin } from './join.js';
import { decodeMembers, encodeMembers, type View, viewProblem } from './view.js';

/** Told about each newly decided view (see the API above). */
export type ViewListener = (vid: number, members: NodeId[]) => void;

/** One attempt to get this node added; the views the helper returned, or null if the attempt failed. */
export type JoinStrategy = (cfg: Config) => Promise<View[] | null>;

export interface ConfigOptions {
  /** The node to join through (Lab 1); a node whose first is itself founds view 1. */
  first: NodeId;
  timing: Timing;
  onCommit?: ViewListener;
  /** Default: joinThroughFirst. null: never join automatically. */
  join?: JoinStrategy | null;
  /** Paxos classes (tests substitute broken variants). */
  paxos?: PaxosKinds;
}

export class Config {
  private joining = false;
  private readonly join: JoinStrategy | null;

  private constructor(
    private readonly env: Env,
    private readonly options: ConfigOptions,
    /** This node's Paxos, for status and tests; the layer above never needs it. */
    readonly paxos: Paxos,
  ) {
    this.join = options.join === undefined ? joinThroughFirst(env, options.first, options.timing) : options.join;
  }

  /** Build the node's config from its disk, serve its messages, found view 1 or join, start heartbeats. */
  static async start(env: Env, options: ConfigOptions): Promise<Config> {
    const cfg = new Config(env, options, await startPaxos(env, options.timing, options.paxos));
    cfg.paxos.acceptor.serve(
      (instance, value) => cfg.paxosCommit(instance, value),
      (instance, value) => viewProblem(instance, value, cfg.viewOf(instance - 1)),
    );
    serveHeartbeat(env, cfg);
    serveJoin(env, cfg);
    if (cfg.vid === 0 && options.first === env.me) await cfg.paxos.acceptor.commit(1, encodeMembers([env.me]));
    inBackground(env, 'config heartbeater', runHeartbeater(env, options.timing, cfg));
    void cfg.joinWhileOutside();
    return cfg;
  }

  get vid(): number {
    return this.paxos.acceptor.instance();
  }

  get members(): NodeId[] {
    return this.viewOf(this.vid) ?? [];
  }

  viewOf(vid: number): NodeId[] | undefined {
    const value = this.paxos.acceptor.value(vid);
    return value === undefined ? undefined : decodeMembers(value);
  }

  isMember(node: NodeId, vid: number = this.vid): boolean {
    return this.viewOf(vid)?.includes(node) ?? false;
  }

  views(): View[] {
    return Array.from({ length: this.vid }, (_, i) => ({ vid: i + 1, members: this.viewOf(i + 1) ?? [] }));
  }

  /** Whether a Paxos round is running here (the heartbeat handler tolerates a one-view lag then). */
  proposerRunning(): boolean {
    return this.paxos.proposer.isRunning();
  }

  /** Whether the join loop is running (this node is not a member of its latest view). */
  isJoining(): boolean {
    return this.joining;
  }

  async add(node: NodeId, vid: number): Promise<boolean> {
    if (vid !== this.vid || this.isMember(node)) return false;
    this.env.log('config.add', { node, vid });
    return this.propose([...this.members, node]);
  }

  /** Propose view vid+1 = members - node, only if vid is still the latest and leaves someone (the heartbeater's remove_wo). */
  async remove(node: NodeId, vid: number): Promise<boolean> {
    if (vid !== this.vid || !this.isMember(node) || this.members.length === 1) return false;
    this.env.log('config.remove', { node, vid });
    return this.propose(this.members.filter((m) => m !== node));
  }

  async restore(views: readonly View[]): Promise<void> {
    for (const view of [...views].sort((a, b) => a.vid - b.vid)) {
      if (view.vid === this.vid + 1) await this.paxos.acceptor.commit(view.vid, encodeMembers(view.members));
    }
  }

  private propose(next: NodeId[]): Promise<boolean> {
    return this.paxos.proposer.run(this.vid + 1, this.members, encodeMembers(next));
  }

  /**
   * The acceptor's upcall: tell the layer above, then rejoin if this view left us out. A view may
   * leave out a node that is alive: a value accepted in a round that never finished (a heartbeat's
   * removal whose accepts were lost) is the value of the next round of its instance, whatever that
   * round wanted, for no proposer can tell it was not chosen (Paxos; the yfs tests 6 and 7 rest on
   * it). The node left out learns the view from the decide or, if it did not accept it, from its
   * next heartbeat (answered stale, its round gets the value as oldinstance), and joins again: here
   * (Lab 1, scenario ghost-leftover), or in Lab 2 (join: null) through the RSM's recovery loop, as
   * any live node a view left out (rsm test 16).
   */
  private paxosCommit(instance: number, value: string): void {
    this.options.onCommit?.(instance, decodeMembers(value));
    inBackground(this.env, 'config join loop', this.joinWhileOutside());
  }

  private async joinWhileOutside(): Promise<void> {
    if (this.joining || this.join === null || this.isMember(this.env.me)) return;
    this.joining = true;
    try {
      for (;;) {
        const views = await this.join(this);
        if (views) await this.restore(views);
        if (this.isMember(this.env.me)) return;
        await this.env.sleep(this.options.timing.joinRetryMs, 'config.join_retry');
      }
    } finally {
      this.joining = false;
    }
  }
}
