// LabOptions.replicas/index: the static replica set a VSR node is started with. The simulated
// cluster fills them, and `rsmlab node` refuses a replica set that does not match the node.
import { expect } from 'chai';
import { faultSites, wrapping, type Lab } from '../src/lab.js';
import { engineLimits, nodeCommand, replicaPlacement } from '../src/cli/node-command.js';
import { SimCluster } from '../tester/sim-cluster.js';
import { parLab, replicaState, vsrLab } from '../labs/vsr/lab.js';
import { JOURNAL_SHAPE, opBytesMax } from '../src/engine/journal-storage.js';
import { LOG_BODY_BYTES_MAX } from '../src/engine/storage.js';
import type { VsrConfig } from '../labs/vsr/state.js';

describe('vsr: LabOptions.replicas and index', () => {
  it('the simulated cluster gives every node the whole replica set and its own index', async () => {
    const lab: Lab = { name: 'options', sites: faultSites(), start: async (env, options) => ({ status: () => ({ me: env.me, replicas: options.replicas ?? null, index: options.index ?? null }) }) };
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

  it('LabOptions.engine (rsmlab node --pipeline-max/--batch-max) sets the engine\'s limits; a prepare\'s body is bounded by the storage (Lab 3: LOG_BODY_BYTES_MAX, Lab 4: its prepare cell); none given, the config is as without batching', async () => {
    const configOf = async (lab: Lab, engine?: { pipeline_max?: number; batch_max?: number }): Promise<VsrConfig> => {
      const wrapped = wrapping(lab, (env, options) => lab.start(env, { ...options, ...(engine && { engine }) }));
      const cluster = new SimCluster({ lab: wrapped, seed: 1, nodes: 3 });
      try {
        await cluster.start(0);
        return replicaState(cluster.labNode(0)!)!.config;
      } finally {
        await cluster.close();
      }
    };
    const par = await configOf(parLab, { pipeline_max: 2, batch_max: 16 });
    expect([par.pipeline_max, par.batch_max, par.body_bytes_max]).to.deep.equal([2, 16, opBytesMax(JOURNAL_SHAPE)]);
    const vsr = await configOf(vsrLab, { batch_max: 8 });
    expect([vsr.pipeline_max, vsr.batch_max, vsr.body_bytes_max]).to.deep.equal([64, 8, LOG_BODY_BYTES_MAX]);
    const plain = await configOf(vsrLab);
    expect(['batch_max' in plain, plain.body_bytes_max, plain.pipeline_max]).to.deep.equal([false, LOG_BODY_BYTES_MAX, 64]);
    expect(engineLimits('vsr', undefined, undefined)).to.equal(undefined);
    expect(engineLimits('par', 4, undefined)).to.deep.equal({ pipeline_max: 4 });
    expect(() => engineLimits('rsm', undefined, 8)).to.throw('--pipeline-max and --batch-max are for the vsr and par labs');
  });
});
