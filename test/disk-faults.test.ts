// The disk-fault declarations (src/env/disk-faults.ts): the fault kinds as the wire takes them,
// sector arithmetic, and the fault atlas with its "each chunk faulty on at most f replicas" builder.
// handout: framework test (passes without the lab solutions)
import { expect } from 'chai';
import { atlasAllows, chunkAtlas, diskFaultSchema, faultyCopies, sectorBytesSchema, sectorsOf } from '../src/env/disk-faults.js';

describe('disk faults: declarations and the fault atlas', () => {
  it('takes every fault kind and refuses bad ones with a clear reason', () => {
    for (const kind of ['corrupt', 'corrupt-read', 'corrupt-write', 'misdirect', 'lost-write']) {
      expect(diskFaultSchema.safeParse({ kind, file: 'paxos.log', offset: 0, length: 10 }).success, kind).to.equal(true);
    }
    expect(diskFaultSchema.safeParse({ kind: 'melt', file: 'f', offset: 0, length: 1 }).success).to.equal(false);
    expect(diskFaultSchema.safeParse({ kind: 'corrupt', file: '../etc', offset: 0, length: 1 }).success).to.equal(false);
    expect(diskFaultSchema.safeParse({ kind: 'lost-write', file: 'f', offset: -1, length: 1 }).success).to.equal(false);
    expect(diskFaultSchema.safeParse({ kind: 'lost-write', file: 'f', offset: 0, length: 0 }).success).to.equal(false);
    // A misdirected write lands within a file's first GiB: far past it the filesystem refuses it (EFBIG) and the node would die.
    expect(diskFaultSchema.safeParse({ kind: 'misdirect', file: 'f', offset: 0, length: 1, to: 1 << 30 }).success).to.equal(true);
    expect(diskFaultSchema.safeParse({ kind: 'misdirect', file: 'f', offset: 0, length: 1, to: 9007199254740000 }).success).to.equal(false);
    expect(diskFaultSchema.safeParse({ kind: 'corrupt', file: 'f', offset: 2 ** 31, length: 1 }).success).to.equal(false);
    expect(sectorBytesSchema.safeParse(4096).success).to.equal(true);
    expect(sectorBytesSchema.safeParse(1000).success).to.equal(false);
  });

  it('counts the sectors a byte range touches', () => {
    expect(sectorsOf(0, 4096, 4096)).to.deep.equal({ first: 0, count: 1 });
    expect(sectorsOf(4095, 2, 4096)).to.deep.equal({ first: 0, count: 2 });
    expect(sectorsOf(8192, 1, 4096)).to.deep.equal({ first: 2, count: 1 });
    expect(sectorsOf(10, 0, 4096).count).to.equal(0);
  });

  it('builds an atlas in which each chunk is faulty on exactly f of n replicas, and every replica has some', () => {
    const nodes = ['n0', 'n1', 'n2', 'n3', 'n4'];
    for (const f of [0, 1, 2]) {
      const atlas = chunkAtlas({ nodes, files: ['wal'], chunkSectors: 4, chunks: 10, f });
      for (let sector = 0; sector < 40; sector++) expect(faultyCopies(atlas, 'wal', sector), `f=${f} sector ${sector}`).to.have.length(f);
      expect(faultyCopies(atlas, 'wal', 40)).to.deep.equal([]);
      expect(faultyCopies(atlas, 'other', 0)).to.deep.equal([]);
      if (f > 0) for (const n of nodes) expect(atlas.nodes[n]!.length, n).to.be.greaterThan(0);
    }
    expect(() => chunkAtlas({ nodes, chunkSectors: 1, chunks: 1, f: 5 })).to.throw(/f must be/);
    expect(atlasAllows(undefined, 'n0', 'f', 99)).to.equal(true);
    expect(atlasAllows({ nodes: {} }, 'n0', 'f', 0)).to.equal(false);
  });
});
