// The live dashboard's view of a real cluster (rsmlab start): it follows the trace files still being
// written (the nodes' and the open client envs') and reads each closed client env's file to its end
// once, then forgets it. rsmlab start's load closes ~40 client envs a minute; following every file the
// clients/ folder ever got would stat thousands of finished files on each 300 ms tick of a lecture.
import { expect } from 'chai';
import { RealCluster } from '../tester/real-cluster.js';
import { RealLiveSource } from '../src/dashboard/real-source.js';
import { classicTiming, scaleTiming } from '../src/timing.js';

describe('RealLiveSource: the client trace files it follows', function () {
  let cluster: RealCluster | undefined;

  after(async function () {
    await cluster?.close();
  });

  it(`reads each closed client env's events once, then stops following its file: each of 5 rounds of 3 clients, the nodes' 3 files and that round's 3`, async function () {
    cluster = new RealCluster({ lab: 'echo', nodes: 3, timing: scaleTiming(classicTiming, 0.1) });
    const source = new RealLiveSource(cluster, 3, 'test');
    const seen: string[] = [];
    const following: number[] = [];
    for (let round = 1; round <= 5; round++) {
      for (let c = 0; c < 3; c++) cluster.recordClient(`r${round}${c}`, { type: 'invoke', f: 'put', key: 'k', value: `${round}` });
      await cluster.closeClients();
      seen.push(...source.events().filter((e) => e.kind === 'client').map((e) => e.node));
      following.push(source.following);
    }
    const expected = [1, 2, 3, 4, 5].flatMap((round) => [0, 1, 2].map((c) => `client:r${round}${c}`));
    expect([...seen].sort()).to.deep.equal([...expected].sort());
    expect(following).to.deep.equal([6, 6, 6, 6, 6]); // not 6, 9, 12, ...: a round's files are dropped once read to their end
    // A client env of a name already used (its file closed and no longer followed) is followed again, from where it was read to.
    cluster.recordClient('r10', { type: 'ok', f: 'put', key: 'k', value: 'again' });
    await cluster.closeClients();
    const again = source.events().filter((e) => e.kind === 'client');
    expect(again.map((e) => [e.node, e.detail?.value])).to.deep.equal([['client:r10', 'again']]);
  });
});
