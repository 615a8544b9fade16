// Where grading finds an upload's lab code (src/grade/upload.ts; rsmlab grade, so run_autograder too), for uploads of
// every shape students make: labs/ at the top or one folder down, the lab's files alone, nothing.
// The hand-out's labs/ here is this tree's: only its folders' and files' names matter.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { findLabs, placeFiles, placementNote, type Placement } from '../src/grade/upload.js';
import { filesUnder } from '../src/files-under.js';

const stubs = fileURLToPath(new URL('../../labs', import.meta.url));

describe('Gradescope uploads: where the lab code is', () => {
  let root: string;
  let n = 0;
  before(() => (root = mkdtempSync(join(tmpdir(), 'rsmlab-upload-'))));
  after(() => rmSync(root, { recursive: true, force: true }));

  /** A fresh upload holding `files` (path → text). */
  function upload(files: Record<string, string>): string {
    const dir = join(root, `upload-${n++}`);
    mkdirSync(dir);
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    return dir;
  }

  const found = (files: Record<string, string>): Placement => findLabs(upload(files), stubs);

  it('takes labs/ at the top, or the one labs/ one folder down (a repository zipped in its folder)', () => {
    expect(found({ 'labs/paxos/acceptor.ts': '', 'src/x.ts': '', 'README.md': '' })).to.deep.equal({ kind: 'labs', from: 'labs' });
    expect(found({ 'rsmlab-main/labs/paxos/acceptor.ts': '', 'rsmlab-main/package.json': '', '__MACOSX/rsmlab-main/labs/._x': '' })).to.deep.equal({ kind: 'labs', from: 'rsmlab-main/labs' });
    const two = found({ 'a/labs/index.ts': '', 'b/labs/index.ts': '' });
    expect(two).to.deep.equal({ kind: 'refused', reason: 'it holds 2 labs/ folders (a/labs/, b/labs/) and only one can be graded' });
  });

  it('places the files of one folder of labs/ where they belong: Lab 1\'s files, a lab\'s folder, the journal', () => {
    const paxos = found({ 'acceptor.ts': '', 'proposer.ts': '', 'lab.ts': '', 'protocol.ts': '', '.DS_Store': '', 'notes.txt': '' });
    expect(paxos).to.deep.equal({ kind: 'placed', at: 'paxos', names: ['acceptor.ts', 'lab.ts', 'proposer.ts', 'protocol.ts'] });
    expect(found({ 'paxos/acceptor.ts': '', 'rsm/rsm.ts': '' })).to.deep.equal({ kind: 'placed', at: '', names: ['paxos', 'rsm'] });
    expect(found({ 'journal/journal.ts': '', 'engine.ts': '' })).to.deep.equal({ kind: 'placed', at: 'vsr', names: ['engine.ts', 'journal'] });
  });

  it('refuses, saying why, what fits no folder or more than one, and an empty upload', () => {
    expect(found({})).to.deep.equal({ kind: 'refused', reason: 'the upload is empty' });
    expect(found({ '.DS_Store': '' })).to.deep.equal({ kind: 'refused', reason: 'the upload is empty' });
    expect(found({ 'notes.txt': '' })).to.deep.equal({ kind: 'refused', reason: 'it holds no labs/ folder and no .ts file (only notes.txt)' });
    expect(found({ 'lab.ts': '', 'protocol.ts': '', 'status.ts': '' })).to.deep.equal({ kind: 'refused', reason: 'it holds no labs/ folder, and lab.ts, protocol.ts, status.ts could belong in labs/paxos/ or labs/rsm/ or labs/vsr/' });
    expect(found({ 'acceptor.ts': '', 'engine.ts': '' })).to.deep.equal({ kind: 'refused', reason: 'it holds no labs/ folder, and acceptor.ts, engine.ts are not together in any folder of labs/' });
  });

  it('copies placed files alone where they belong in labs/ (the grading tree adds the rest) and says so; copies no symlink', () => {
    const dir = upload({ 'acceptor.ts': '// mine\n' });
    symlinkSync('/etc/passwd', join(dir, 'proposer.ts'));
    const placement = findLabs(dir, stubs);
    expect(placement).to.deep.equal({ kind: 'placed', at: 'paxos', names: ['acceptor.ts'] });
    if (placement.kind !== 'placed') return;
    const dest = join(root, 'placed', 'labs');
    placeFiles(placement, dir, dest);
    expect(filesUnder(dest).map((file) => relative(dest, file))).to.deep.equal([join('paxos', 'acceptor.ts')]);
    expect(readFileSync(join(dest, 'paxos', 'acceptor.ts'), 'utf8')).to.equal('// mine\n');
    expect(placementNote(placement)).to.match(/^Your upload has no labs\/ folder: graded labs\/paxos\/acceptor\.ts from it, and the rest of labs\/ as the hand-out has it .* Upload your labs\/ folder itself/);
  });
});
