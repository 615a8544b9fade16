// What the dashboard's live feed (src/dashboard/live.ts) says of a node's events: its log tail and
// event stream name a fault point as one (never a breakpoint), and a failed restart, whose error
// carries the end of the node's log, takes one stream line (first line, last line), not twenty.
// handout: framework test (passes without the lab solutions)
import { expect } from 'chai';
import type { FaultControl, FaultStatus } from '../src/control/fault-control.js';
import { noNetFaults } from '../src/env/net-faults.js';
import type { NodeId } from '../src/env/types.js';
import { LiveFeed, type LiveSource } from '../src/dashboard/live.js';
import type { TraceEvent } from '../src/trace/event.js';

/** A down node whose restart fails as RealCluster's does: a first line, then the node's log tail. */
function downNode(): FaultControl {
  const status = async (node: NodeId): Promise<FaultStatus> => ({ node, alive: false, lab: 'vsr', pid: null, partitioned: false, partitionArmed: false, breakpoints: [], faultPoints: [], faults: noNetFaults, state: null });
  const unused = async (): Promise<never> => {
    throw new Error('not used here');
  };
  const log = Array.from({ length: 18 }, (_, i) => `12:00:00.${100 + i} log vsr.journal slot=${i}`);
  return {
    world: 'real',
    crash: unused,
    restart: async (node) => {
      throw new Error(`node 0 (${node}) exited ({"code":2,"signal":null}) while starting:\n${log.join('\n')}\nrsmlab: vsr.log: a corrupt record at offset 4096, not a torn tail: refusing to start\n`);
    },
    partition: unused,
    heal: unused,
    breakpoint: unused,
    faultPoint: unused,
    netFaults: unused,
    diskFault: unused,
    clearDiskFaults: unused,
    diskFiles: unused,
    status,
  };
}

describe('dashboard live feed: what it says of events', () => {
  const node = '127.0.0.1:7000';
  const event = (seq: number, detail: TraceEvent['detail']): TraceEvent => ({ seq, t: 1000 + seq, node, kind: 'breakpoint', detail });

  it('names a fault point and a breakpoint, armed or hit, in the log tail and the stream', async () => {
    const events = [event(1, { point: 'vsr.after_prepare_ok', hit: false }), event(2, { n: 3, hit: true })];
    const source: LiveSource = { world: 'real', title: 't', nodes: [node], control: downNode(), events: () => events.splice(0), now: () => 2000 };
    const update = await new LiveFeed(source).tick();
    expect(update.nodes[0]!.logTail).to.deep.equal(['fault-point vsr.after_prepare_ok armed', 'breakpoint 3 hit']);
    expect(update.stream.map((e) => `${e.kind}: ${e.text}`)).to.deep.equal(['fault-point: vsr.after_prepare_ok armed', 'breakpoint: 3 hit']);
  });

  it("gives a failed restart one stream line: the failure's first line and the node's last", async () => {
    const source: LiveSource = { world: 'real', title: 't', nodes: [node], control: downNode(), events: () => [], now: () => 2000 };
    const feed = new LiveFeed(source);
    const failure = await feed.act({ action: 'restart', node }).then(() => '', (e: unknown) => String(e));
    expect(failure, 'the answer to the page keeps the whole log tail').to.include('slot=17');
    const lines = (await feed.tick()).stream.filter((e) => e.text.includes('failed'));
    expect(lines.map((e) => e.text)).to.deep.equal([
      `restart failed: node 0 (${node}) exited ({"code":2,"signal":null}) while starting: … rsmlab: vsr.log: a corrupt record at offset 4096, not a torn tail: refusing to start (18 lines more in the node's log)`,
    ]);
  });
});
