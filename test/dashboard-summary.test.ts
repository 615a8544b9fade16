// What the dashboard reads from each lab's status: view, members, role, op/commit and the replica's
// log, from the status JSON the paxos, rsm and vsr labs publish.
// handout: framework test (passes without the lab solutions)
import { expect } from 'chai';
import { summarize, viewSentence } from '../src/dashboard/node-summary.js';

describe('dashboard node summary', () => {
  it('reads a paxos/rsm status: view and members of the latest view, primary by address, the last viewstamp executed as op/commit', () => {
    const rsm = { vid: 3, vid_commit: 3, members: ['a', 'b', 'c'], primary: 'a', joining: false, myvs: { vid: 3, seqno: 42 }, last_myvs: { vid: 3, seqno: 41 } };
    expect(summarize('a', rsm)).to.deep.equal({ view: 3, members: ['a', 'b', 'c'], primary: 'a', role: 'primary', op: '3.41', commit: '3.41', status: null, log: [] });
    expect(summarize('b', rsm).role).to.equal('backup');
    expect(summarize('d', rsm).role, 'not a member of its latest view').to.equal('joining');
    expect(summarize('a', { ...rsm, joining: true }).role).to.equal('joining');
  });

  it('reads a vsr status: view, replicas, primary_id, op, commit_min, status and the log tail', () => {
    const log = Array.from({ length: 9 }, (_, op) => ({ op, view: 1, operation: op === 0 ? 'root' : 'put', client: op === 0 ? '' : 'c1', request: op }));
    const vsr = { replica: 1, replicas: ['a', 'b', 'c'], status: 'view_change', view: 1, op: 8, commit_min: 6, commit_max: 7, primary: 1, primary_id: 'b', log };
    const s = summarize('b', vsr);
    expect(s).to.deep.include({ view: 1, members: ['a', 'b', 'c'], primary: 'b', role: 'primary', op: '8', commit: '6', status: 'view_change' });
    expect(s.log).to.deep.equal(['op 3 v1 put c1#3', 'op 4 v1 put c1#4', 'op 5 v1 put c1#5', 'op 6 v1 put c1#6', 'op 7 v1 put c1#7', 'op 8 v1 put c1#8']);
  });

  it("reads a long vsr log's tail from the status's bounded suffix (the last 256 headers: ops 745..1000)", () => {
    const log = Array.from({ length: 256 }, (_, i) => ({ op: 745 + i, view: 2, operation: 'request', client: 'c1', request: 700 + i }));
    const s = summarize('a', { replica: 0, replicas: ['a', 'b', 'c'], status: 'normal', view: 2, op: 1000, commit_min: 1000, commit_max: 1000, primary: 2, primary_id: 'c', log });
    expect([s.op, s.commit, s.role]).to.deep.equal(['1000', '1000', 'backup']);
    expect(s.log).to.deep.equal([995, 996, 997, 998, 999, 1000].map((op) => `op ${op} v2 request c1#${op - 45}`));
  });

  it("narrates a view change under way as one, never as a view with the last view's primary (Lab 2's flag, VSR's status)", () => {
    // Lab 2 after two kills and restarts: Config's latest view 4 of two members, its primary still the last committed view's, not among them.
    const rsm = { vid: 4, vid_commit: 2, members: ['b', 'c'], primary: 'a', inviewchange: true, joined: false, myvs: { vid: 2, seqno: 1 }, last_myvs: { vid: 2, seqno: 0 } };
    expect(summarize('b', rsm).status).to.equal('view_change');
    expect(viewSentence(summarize('b', rsm))).to.equal('now changing to view 4 = {b, c}: no primary until it starts');
    expect(viewSentence(summarize('b', { ...rsm, vid_commit: 4, primary: 'b', inviewchange: false }))).to.equal('now in view 4 = {b, c} primary b');
    const vsr = { replica: 0, replicas: ['a', 'b', 'c'], view: 7, op: 3, commit_min: 3, commit_max: 3, primary: 1, primary_id: 'b', log: [] };
    expect(viewSentence(summarize('a', { ...vsr, status: 'view_change' }))).to.equal('now changing to view 7 = {a, b, c}: no primary until it starts');
    expect(viewSentence(summarize('a', { ...vsr, status: 'recovering' }))).to.equal('now recovering (last in view 7 = {a, b, c})');
    expect(viewSentence(summarize('a', { ...vsr, status: 'normal' }))).to.equal('now in view 7 = {a, b, c} primary b');
    expect(viewSentence(summarize('d', { ...rsm, inviewchange: false }))).to.equal('now joining (no view yet)');
    expect(viewSentence(summarize('a', null))).to.equal(undefined);
  });

  it('says unknown for a node that has no status yet', () => {
    expect(summarize('a', null)).to.deep.equal({ view: null, members: [], primary: null, role: 'unknown', op: null, commit: null, status: null, log: [] });
  });
});
