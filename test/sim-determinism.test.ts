// Same seed, same trace, byte for byte: in one process, in two separate processes, and through a
// trace's round trip by the reader; a different seed gives a different trace.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { replay } from './fixtures/sim-replay.js';

const run = promisify(execFile);
const main = fileURLToPath(new URL('./fixtures/sim-replay-main.js', import.meta.url));

describe('sim determinism', () => {
  it('gives the same trace hash for the same seed and a different one for another seed', async () => {
    const a = await replay(42);
    expect(a.events).to.be.greaterThan(200);
    expect(a.absorbed).to.be.greaterThan(20); // the hash covers the disk operations (and any long message) too
    expect((await replay(42)).hash).to.equal(a.hash);
    expect((await replay(43)).hash).to.not.equal(a.hash);
  });

  it('gives the same trace hash when other runs share the process at the same time', async () => {
    const alone = await replay(42);
    const together = await Promise.all([replay(42), replay(7), replay(42)]);
    expect(together[0]).to.deep.equal(alone);
    expect(together[2]).to.deep.equal(alone);
  });

  it('gives the same full-text trace hash (lines, full wire texts, disk operations) in two separate processes', async () => {
    const [one, two] = await Promise.all([run(process.execPath, [main, '42']), run(process.execPath, [main, '42'])]);
    expect(one.stdout).to.match(/^[0-9a-f]{32}\n$/);
    expect(two.stdout).to.equal(one.stdout);
    expect(one.stdout.trim()).to.equal((await replay(42)).hash);
  });
});
