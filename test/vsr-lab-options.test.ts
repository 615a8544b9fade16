// LabOptions.replicas/index: the static replica set a VSR node is started with. The simulated
// cluster fills them, and `rsmlab node` refuses a replica set that does not match the node.
import { expect } from 'chai';
import type { Lab } from '../src/lab.js';
import { nodeCommand, replicaPlacement } from '../src/cli/node-command.js';
import { SimCluster } from '../tester/sim-cluster.js';

describe('vsr: LabOptions.replicas and index', () => {
  it('the simulated cluster gives every node the whole replica set and its own index', async () => {
    const lab: Lab = { name: 'options', start: async (env, options) => ({ status: () => ({ me: env.me, replicas: options.replicas ?? null, index: options.index ?? null }) }) };
    const cluster = new SimCluster({ lab, seed: 1, nodes: 3 });
    try {
      for (const i of [0, 1, 2]) await cluster.start(i);
      const ids = [0, 1, 2].map((i) => cluster.id(i));
      for (const i of [0, 1, 2]) expect(await cluster.status(i)).to.deep.equal({ me: ids[i], replicas: ids, index: i });
    } finally {
      await cluster.close();
    }
  });

  it('rsmlab node derives the index from its own address and refuses inconsistent flags', () => {
    const set = ['h:1', 'h:2', 'h:3'];
    expect(replicaPlacement('h:2', set, undefined)).to.deep.equal({ replicas: set, index: 1 });
    expect(replicaPlacement('h:2', set, 1)).to.deep.equal({ replicas: set, index: 1 });
    expect(replicaPlacement('h:2', undefined, undefined)).to.deep.equal({});
    expect(() => replicaPlacement('h:2', set, 0)).to.throw('--index 0 disagrees');
    expect(() => replicaPlacement('h:9', set, undefined)).to.throw('does not include this node (h:9)');
    expect(() => replicaPlacement('h:1', ['h:1', 'h:1'], undefined)).to.throw('names a node twice');
    expect(() => replicaPlacement('h:1', [], undefined)).to.throw('at least one');
    expect(() => replicaPlacement('h:1', undefined, 0)).to.throw('--index needs --replicas');
  });

  it('rsmlab node --lab vsr without --replicas is refused before anything starts', async () => {
    const o = { lab: 'vsr', port: 1, first: '127.0.0.1:1', dir: '/nonexistent/vsr', host: '127.0.0.1', controlHost: '127.0.0.1', timingScale: 1 };
    let error: unknown;
    await nodeCommand(o).catch((e: unknown) => (error = e));
    expect(String(error)).to.include('--lab vsr needs --replicas');
  });
});
