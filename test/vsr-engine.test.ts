// The VSR engine's handlers, driven by events with no driver and no world: a tiny in-memory bus
// delivers the commands of three replicas by hand, so each test states exactly which messages,
// ticks and write completions happen, and checks the exact commands that come out.
import { expect } from 'chai';
import { contradictsExecuted, countsDoViewChange, joinsLog, step, type EngineCommand, type Event } from '../labs/vsr/engine.js';
import { cloneState, createState, TICKS } from '../labs/vsr/state.js';
import { rootEntry, type Message } from '../labs/vsr/protocol.js';
import { Bench } from './vsr-helpers.js';
import { vsrStatus } from '../labs/vsr/status.js';

function sent(commands: EngineCommand[], command: Message['command']): Message[] {
  return commands.flatMap((c) => (c.kind === 'send' && c.message.command === command ? [c.message] : []));
}

/**
 * The view change to view 1 of r1 and r2 (r0 down), by hand: r2 hears r1's start_view_change, r1
 * hears r2's; r2's do_view_change makes r1 primary. Returns r1's start_view to r2, undelivered.
 */
function startViewOneByHand(b: Bench): Message {
  b.run(2, { kind: 'message', message: { command: 'start_view_change', cluster: 7, replica: 1, view: 1 } });
  b.run(1, { kind: 'message', message: { command: 'start_view_change', cluster: 7, replica: 2, view: 1 } });
  const dvc = b.inbox.find((m) => m.to === 1 && m.message.command === 'do_view_change')!;
  b.inbox = [];
  b.run(1, { kind: 'message', message: dvc.message });
  const startView = b.inbox.find((m) => m.to === 2 && m.message.command === 'start_view')!;
  b.inbox = [];
  return startView.message;
}

describe('vsr engine: normal operation', () => {
  it('request → prepare → durable write → prepare_ok → commit → one reply, over a hash chain', () => {
    const b = new Bench();
    b.writeSome('c', 3);
    const oks = b.replies.filter((r) => r.reply.status === 'ok');
    expect(oks.map((r) => [r.request_kind, r.request])).to.deep.equal([['register', 0], ['write', 1], ['write', 2], ['write', 3]]);
    expect(b.states.map((s) => [s.op, s.commit_max])).to.deep.equal([[4, 4], [4, 3], [4, 3]]); // backups learn the last commit from the heartbeat
    for (const s of b.states) {
      expect(s.log[0]!.header.checksum).to.equal(rootEntry(7).header.checksum);
      for (let op = 1; op <= s.op; op++) expect(s.log[op]!.header.parent).to.equal(s.log[op - 1]!.header.checksum);
    }
    b.tick(TICKS.commit); // the commit heartbeat tells the backups to execute
    expect(new Set(b.states.map((s) => vsrStatus(s).state_hash)).size).to.equal(1);
    expect(b.states.map((s) => s.commit_min)).to.deep.equal([4, 4, 4]);
  });

  it('a backup sends prepare_ok only once its write is durable, and the primary commits only with a quorum', () => {
    const b = new Bench();
    b.request({ client: 'c', request: 0, kind: 'register' });
    const prepare = b.inbox.shift()!;
    b.inbox = [];
    expect(prepare.message.command).to.equal('prepare');
    const onPrepare = b.run(1, { kind: 'message', message: prepare.message });
    expect(sent(onPrepare, 'prepare_ok')).to.deep.equal([]);
    expect(onPrepare.filter((c) => c.kind === 'write')).to.have.length(1);
    const backupWrite = b.writes.find((w) => w.replica === 1)!;
    const onWritten = b.run(1, { kind: 'written', op: backupWrite.op, checksum: backupWrite.checksum });
    const [ok] = sent(onWritten, 'prepare_ok');
    expect(ok).to.include({ command: 'prepare_ok', op: 1, view: 0, replica: 1 });
    // The primary's own write is not done: one prepare_ok is not a quorum of 2 with itself.
    b.run(0, { kind: 'message', message: ok! });
    expect(b.states[0]!.commit_max).to.equal(0);
    expect(b.replies).to.deep.equal([]);
    const own = b.writes.find((w) => w.replica === 0)!;
    b.run(0, { kind: 'written', op: own.op, checksum: own.checksum });
    expect(b.states[0]!.commit_max).to.equal(1);
    expect(b.replies.map((r) => r.reply.status)).to.deep.equal(['ok']);
  });

  it('a duplicate request gets the cached reply and is never prepared again; one in flight gets no second prepare', () => {
    const b = new Bench();
    b.writeSome('c', 1);
    const before = b.states[0]!.op;
    b.replies = [];
    b.request({ client: 'c', request: 1, kind: 'write', op: { f: 'append', key: 'k', value: 'again' } });
    expect(b.states[0]!.op).to.equal(before);
    expect(b.replies.map((r) => r.reply)).to.deep.equal([{ status: 'ok', view: 0, request: 1, op: 2, result: { ok: true, value: null } }]);
    // Request 2 twice before it commits: prepared once.
    b.request({ client: 'c', request: 2, kind: 'write', op: { f: 'append', key: 'k', value: 'x' } });
    b.request({ client: 'c', request: 2, kind: 'write', op: { f: 'append', key: 'k', value: 'x' } });
    expect(b.states[0]!.op).to.equal(before + 1);
    b.settle();
    b.tick(TICKS.commit);
    expect(b.states.map((s) => JSON.stringify(s.app))).to.deep.equal(Array(3).fill(JSON.stringify([['k', 'c.1x']])));
  });

  it('answers not_primary from a backup, rejects a write without a session or with a gap', () => {
    const b = new Bench();
    b.request({ client: 'c', request: 1, kind: 'write', op: { f: 'get', key: 'k' } }, 1);
    b.request({ client: 'c', request: 1, kind: 'write', op: { f: 'get', key: 'k' } }, 0);
    b.writeSome('d', 0);
    b.request({ client: 'd', request: 3, kind: 'write', op: { f: 'get', key: 'k' } }, 0);
    expect(b.replies.map((r) => r.reply.status)).to.deep.equal(['not_primary', 'rejected', 'ok', 'rejected']);
    expect(b.replies[0]!.reply).to.deep.equal({ status: 'not_primary', view: 0, primary: 'r0' });
  });

  it('configurable quorums: with 5 replicas and a replication quorum of 2, one backup\'s prepare_ok commits', () => {
    const b = new Bench(5, { replication: 2, view_change: 4 });
    b.request({ client: 'c', request: 0, kind: 'register' });
    const toR1 = b.inbox.find((m) => m.to === 1)!;
    b.inbox = [];
    b.flushWrites(); // the primary's own write
    b.run(1, { kind: 'message', message: toR1.message });
    b.flushWrites();
    b.settle();
    expect(b.states[0]!.commit_max).to.equal(1);
    expect(b.replies.map((r) => r.reply.status)).to.deep.equal(['ok']);
    expect(() => new Bench(5, { replication: 2, view_change: 3 })).to.throw('must intersect');
  });

  it('a primary whose prepare_oks are lost resends the prepare (not a bare commit) at its timeout', () => {
    const b = new Bench();
    b.request({ client: 'c', request: 0, kind: 'register' });
    b.inbox = []; // the prepares are lost
    b.flushWrites();
    let resent: Message[] = [];
    for (let t = 0; t < TICKS.prepare && resent.length === 0; t++) resent = sent(b.run(0, { kind: 'tick' }), 'prepare');
    expect(resent.map((m) => m.command === 'prepare' && m.entry.header.op)).to.deep.equal([1, 1]);
  });
});

describe('vsr engine: prepare_ok again (liveness)', () => {
  it('a backup that gets a prepare it holds durably sends prepare_ok again (the first was lost), but not while its write is pending', () => {
    const b = new Bench();
    b.request({ client: 'c', request: 0, kind: 'register' });
    const prepare = b.inbox.find((m) => m.to === 1)!.message;
    b.inbox = [];
    b.run(1, { kind: 'message', message: prepare });
    expect(sent(b.run(1, { kind: 'message', message: prepare }), 'prepare_ok'), 'held, not yet durable').to.deep.equal([]);
    b.flushWrites();
    expect(b.inbox.map((m) => m.message.command)).to.deep.equal(['prepare_ok']);
    b.inbox = []; // the first prepare_ok is lost
    const again = sent(b.run(1, { kind: 'message', message: prepare }), 'prepare_ok');
    expect(again).to.deep.equal([{ command: 'prepare_ok', cluster: 7, replica: 1, view: 0, op: 1, checksum: b.states[1]!.log[1]!.header.checksum }]);
    expect(b.states[1]!.op, 'held once').to.equal(1);
    b.run(0, { kind: 'message', message: again[0]! });
    expect(b.states[0]!.commit_max).to.equal(1);
  });

  it('after start_view, a backup whose last entry is durable sends prepare_ok for it: the new primary commits without waiting to resend', () => {
    const b = new Bench();
    b.writeSome('c', 1); // ops 1, 2 committed in view 0
    // Op 3 reaches both backups' disks; every prepare_ok for it is lost, and r0 dies.
    b.request({ client: 'c', request: 2, kind: 'write', op: { f: 'append', key: 'k', value: 'c.2' } });
    for (const m of b.inbox.splice(0)) b.run(m.to, { kind: 'message', message: m.message });
    b.flushWrites();
    b.inbox = [];
    b.down.add(0);
    const [, r1, r2] = b.states;
    expect([r1!.op, r1!.log_durable, r1!.commit_max, r2!.op, r2!.log_durable]).to.deep.equal([3, 3, 2, 3, 3]);
    const startView = startViewOneByHand(b);
    expect([r1!.status, r1!.view, r1!.commit_max]).to.deep.equal(['normal', 1, 2]);
    const oks = sent(b.run(2, { kind: 'message', message: startView }), 'prepare_ok');
    expect(oks).to.deep.equal([{ command: 'prepare_ok', cluster: 7, replica: 2, view: 1, op: 3, checksum: r2!.log[3]!.header.checksum }]);
    b.run(1, { kind: 'message', message: oks[0]! });
    expect(r1!.commit_max).to.equal(3);
  });
});

describe('vsr engine: view change and recovery', () => {
  it('backups that stop hearing from the primary elect the next one, keep every committed op, and go on', () => {
    const b = new Bench();
    b.writeSome('c', 3);
    b.down.add(0);
    b.tick(3 * TICKS.normal);
    const [, r1, r2] = b.states;
    expect([r1!.status, r1!.view, r2!.status, r2!.view]).to.deep.equal(['normal', 1, 'normal', 1]);
    expect(r1!.op).to.equal(4);
    b.replies = [];
    b.request({ client: 'c', request: 4, kind: 'write', op: { f: 'append', key: 'k', value: 'c.4' } }, 1);
    b.settle();
    expect(b.replies.map((r) => r.reply.status)).to.deep.equal(['ok']);
    b.tick(TICKS.commit);
    expect(r2!.app).to.deep.equal([['k', 'c.1c.2c.3c.4']]);
  });

  it('the new primary takes the log of the highest log_view, not the longest', () => {
    const b = new Bench();
    b.writeSome('c', 1); // ops 1, 2 committed in view 0
    const [r0, r1, r2] = b.states;
    // Op 3 of view 0 reaches only r0's own log.
    b.request({ client: 'c', request: 2, kind: 'write', op: { f: 'put', key: 'k', value: 'view0' } }, 0);
    b.inbox = [];
    b.writes = [];
    // r0 is cut off; r1 and r2 move to view 1 (primary r1), where op 3' reaches only r1.
    b.down.add(0);
    b.tick(3 * TICKS.normal);
    expect([r1!.view, r1!.status, r2!.view, r2!.log_view]).to.deep.equal([1, 'normal', 1, 1]);
    b.request({ client: 'c', request: 2, kind: 'write', op: { f: 'put', key: 'k', value: 'view1' } }, 1);
    b.inbox = [];
    b.writes = [];
    // Now r1 is cut off and r0 is back: r0 (log_view 0, op 3) and r2 (log_view 1, op 2) elect r2 for view 2.
    b.down.delete(0);
    b.down.add(1);
    b.tick(3 * TICKS.view_change);
    expect([r2!.view, r2!.status]).to.deep.equal([2, 'normal']);
    expect(r0!.op, 'r0 dropped its op 3 of view 0 for the log of view 1').to.equal(r2!.op);
    expect(r2!.log.slice(1).map((e) => e.body)).to.not.deep.include({ f: 'put', key: 'k', value: 'view0' });
  });

  it('a recovering replica ignores answers with another nonce and needs the leader of the highest view', () => {
    const b = new Bench();
    b.writeSome('c', 2);
    const restarted = createState(b.states[2]!.config, { superblock: { view: 0, log_view: 0 }, entries: b.states[2]!.log.slice(1) });
    b.states[2] = restarted;
    expect(restarted.status).to.equal('recovering');
    b.run(2, { kind: 'nonce', nonce: 'fresh' });
    const recoveries = b.inbox.filter((m) => m.message.command === 'recovery');
    expect(recoveries.map((m) => m.to)).to.deep.equal([0, 1]);
    b.inbox = [];
    const answer = (replica: number, nonce: string, primary: boolean): Message => ({
      command: 'recovery_response', cluster: 7, replica, view: 0, nonce, log_view: 0, op: 3, commit_max: 3,
      entries: primary ? b.states[0]!.log.slice(1) : null,
    });
    b.run(2, { kind: 'message', message: answer(0, 'stale', true) });
    b.run(2, { kind: 'message', message: answer(1, 'stale', false) });
    expect(restarted.status).to.equal('recovering');
    b.run(2, { kind: 'message', message: answer(1, 'fresh', false) });
    expect(restarted.status, 'a quorum without the leader').to.equal('recovering');
    b.run(2, { kind: 'message', message: answer(0, 'fresh', true) });
    expect([restarted.status, restarted.view, restarted.commit_max]).to.deep.equal(['normal', 0, 3]);
    expect(restarted.commit_min).to.equal(3);
  });

  it('a recovering replica takes no part in a view change', () => {
    const b = new Bench();
    const s = createState(b.states[2]!.config, { superblock: { view: 0, log_view: 0 }, entries: [] });
    b.states[2] = s;
    b.run(2, { kind: 'nonce', nonce: 'n' });
    b.inbox = [];
    const commands = b.run(2, { kind: 'message', message: { command: 'start_view_change', cluster: 7, replica: 1, view: 1 } });
    expect(commands).to.deep.equal([]);
    expect([s.status, s.view]).to.deep.equal(['recovering', 0]);
  });
});

describe('vsr engine: which do_view_changes a new primary counts (by log_view)', () => {
  it('counts an honest laggard (its log_view or older), drops a log that changes an executed op (its log_view or later) or a later one that ends before them', () => {
    const b = new Bench();
    b.writeSome('c', 3);
    const s = b.states[0]!; // normal in view 0, every op executed
    const ours = s.log.slice(1);
    const other = new Bench();
    other.writeSome('other', 3);
    const forked = other.states[0]!.log.slice(1); // another chain at the ops s executed
    const short = ours.slice(0, 2);
    expect([s.log_view, s.commit_min]).to.deep.equal([0, ours.length]);
    expect(countsDoViewChange(s, 0, 1, ours)).to.equal(true);
    expect(countsDoViewChange(s, 0, 1, short), 'our log_view, ending before commit_min: a laggard').to.equal(true);
    expect(countsDoViewChange(s, 0, 1, forked), 'our log_view, another op where we executed one').to.equal(false);
    expect(countsDoViewChange(s, 1, 1, ours)).to.equal(true);
    expect(countsDoViewChange(s, 1, 1, short), 'a later log_view holds every op we executed').to.equal(false);
    expect(countsDoViewChange(s, 1, 1, forked)).to.equal(false);
    const later = { ...cloneState(s), view: 2, log_view: 2 }; // as if normal in view 2 since
    expect(countsDoViewChange(later, 1, 1, short), 'an older log_view, lagging').to.equal(true);
    expect(countsDoViewChange(later, 1, 1, forked), 'an older log_view, an op replaced in a later view').to.equal(true);
    // A start_view or recovery_response replaces the log: the strict rule.
    expect([contradictsExecuted(s, 1, short), contradictsExecuted(s, 1, forked), contradictsExecuted(s, 1, ours)]).to.deep.equal([true, true, false]);
  });
});

describe('vsr engine: reads with authority verification', () => {
  it('a partitioned old primary never answers a read; a connected one answers after a quorum acks a later beat', () => {
    const b = new Bench();
    b.writeSome('c', 1);
    b.replies = [];
    // Connected: the read triggers a heartbeat; one backup's commit_ok makes 2 of 3.
    b.request({ client: 'c', request: 1, kind: 'read', op: { f: 'get', key: 'k' } });
    expect(b.replies).to.deep.equal([]);
    b.settle();
    expect(b.replies.map((r) => r.reply)).to.deep.equal([{ status: 'ok', view: 0, request: 1, op: 2, result: { ok: true, value: 'c.1' } }]);
    // Partitioned: no ack ever arrives; the read expires busy, never answered with data.
    b.replies = [];
    b.down.add(1);
    b.down.add(2);
    b.request({ client: 'c', request: 2, kind: 'read', op: { f: 'get', key: 'k' } });
    b.tick(TICKS.read + 1);
    expect(b.replies.map((r) => r.reply.status)).to.deep.equal(['busy']);
  });
});

describe('vsr engine: a read counts only acks of beats sent after it arrived', () => {
  it('acks of a beat sent before a read came do not verify it, even from every backup; an ack of the beat it started does', () => {
    const b = new Bench();
    b.writeSome('c', 1);
    b.replies = [];
    const read = (request: number): void => void b.request({ client: 'c', request, kind: 'read', op: { f: 'get', key: 'k' } });
    read(1);
    const first = b.inbox.splice(0); // beat 1, for read 1
    read(2);
    const second = b.inbox.splice(0); // beat 2, for read 2
    expect([...first, ...second].map((m) => m.message.command === 'commit' && m.message.beat)).to.deep.equal([1, 1, 2, 2]);
    // Both backups ack beat 1, sent before read 2 arrived: read 1 is verified, read 2 is not.
    for (const m of first) b.run(m.to, { kind: 'message', message: m.message });
    b.settle();
    expect(b.replies.map((r) => r.request)).to.deep.equal([1]);
    // One backup acks beat 2: with the primary itself, a quorum after read 2 arrived.
    b.run(second[0]!.to, { kind: 'message', message: second[0]!.message });
    b.settle();
    expect(b.replies.map((r) => [r.request, r.reply.status])).to.deep.equal([[1, 'ok'], [2, 'ok']]);
  });
});

describe('vsr engine: state is plain data', () => {
  it('an invariant broken by a handler names the event it handled, not only the check (its stack shows step alone)', () => {
    const b = new Bench();
    b.writeSome('c', 2);
    // A state no handler should leave: commit_min past commit_max on a normal backup.
    const broken = (): ReturnType<typeof cloneState> => ({ ...cloneState(b.states[1]!), commit_min: b.states[1]!.commit_max + 1 });
    expect(() => step(broken(), { kind: 'tick' })).to.throw(/^vsr: commit_min \d+ > commit_max \d+ \(after event tick\)$/);
    const commit = b.sentLog.find((m) => m.command === 'commit' || m.command === 'prepare')!;
    expect(() => step(broken(), { kind: 'message', message: commit })).to.throw(new RegExp(`\\(after ${commit.command} from replica 0 \\(view 0\\)\\)$`));
  });

  it('a clone taken mid-run continues identically: same commands, same state', () => {
    const b = new Bench();
    b.writeSome('c', 2);
    b.down.add(0);
    b.tick(TICKS.normal); // mid view change on some replicas
    const twin = b.states.map(cloneState);
    expect(twin).to.deep.equal(b.states);
    const events: Event[] = [
      { kind: 'tick' },
      { kind: 'message', message: { command: 'start_view_change', cluster: 7, replica: 2, view: 1 } },
      { kind: 'tick' },
      { kind: 'requests', requests: [{ client: 'c', request: 3, kind: 'write', op: { f: 'put', key: 'k', value: 'v' } }], time: 5 },
    ];
    for (const e of events) expect(step(twin[1]!, structuredClone(e))).to.deep.equal(step(b.states[1]!, structuredClone(e)));
    expect(twin[1]).to.deep.equal(b.states[1]);
    expect(JSON.parse(JSON.stringify(b.states[1]))).to.deep.equal(b.states[1]);
  });
});

describe('vsr engine: a lost start_view', () => {
  it('a backup still changing views asks the new primary for start_view when it hears from it, and adopts it', () => {
    const b = new Bench();
    b.writeSome('c', 1);
    b.down.add(0);
    b.tick(3 * TICKS.normal);
    const [, r1, r2] = b.states;
    expect([r1!.status, r1!.view, r2!.status]).to.deep.equal(['normal', 1, 'normal']);
    // Put r2 back in view change for view 1, as if r1's start_view never reached it.
    r2!.status = 'view_change';
    r2!.timeouts.normal.ticking = false;
    const commands = b.run(2, { kind: 'message', message: { command: 'commit', cluster: 7, replica: 1, view: 1, commit: r1!.commit_max, beat: 99 } });
    expect(sent(commands, 'request_start_view').map((m) => m.view)).to.deep.equal([1]);
    b.settle();
    expect([r2!.status, r2!.view, r2!.op]).to.deep.equal(['normal', 1, r1!.op]);
  });
});

describe('vsr engine: catch-up across a view change', () => {
  it('a backup that asked the old primary for an op asks the new one for the same op at once, not at its resend timeout', () => {
    const b = new Bench();
    b.writeSome('c', 3); // ops 1-4 committed in view 0
    const [, r1, r2] = b.states;
    b.down.add(0);
    const startView = startViewOneByHand(b); // no tick: no resend timeout clears anything on the way
    // Just before, in view 0, r2 had asked r0 for op 5 (a prepare past it had come): no answer will come.
    r2!.repair_asked = r2!.op + 1;
    b.run(2, { kind: 'message', message: startView });
    b.inbox = [];
    expect([r1!.status, r1!.view, r2!.status, r2!.view, r2!.op]).to.deep.equal(['normal', 1, 'normal', 1, 4]);
    // In view 1, r1 prepares ops 5 and 6; r2 misses 5 and gets 6: it must ask r1 for op 5 now.
    b.request({ client: 'c', request: 4, kind: 'write', op: { f: 'append', key: 'k', value: 'c.4' } }, 1);
    b.request({ client: 'c', request: 5, kind: 'write', op: { f: 'append', key: 'k', value: 'c.5' } }, 1);
    const prepares = b.inbox.splice(0).filter((m) => m.to === 2 && m.message.command === 'prepare');
    expect(prepares.map((m) => m.message.command === 'prepare' && m.message.entry.header.op)).to.deep.equal([5, 6]);
    const asked = sent(b.run(2, { kind: 'message', message: prepares[1]!.message }), 'request_prepare');
    expect(asked).to.deep.equal([{ command: 'request_prepare', cluster: 7, replica: 2, view: 1, op: 5, checksum: null }]);
    b.settle();
    expect(r2!.op).to.equal(5);
    b.tick(TICKS.prepare); // r1 resends op 6, which has no quorum yet
    expect([r1!.commit_max, r2!.op]).to.deep.equal([6, 6]);
  });
});

describe('vsr engine: a new view\'s log that ends at its sender\'s checkpoint', () => {
  // Lab 4's start_view from a primary whose head is its checkpoint carries no entries (first = op + 1),
  // so nothing checks our op first-1 against the new view's: an uncommitted op of an older view there
  // (par vopr-ring seed 11: an old primary's op 128 of view 23) must not be kept and committed.
  it('joins it only where our op before it is committed here', () => {
    const b = new Bench();
    b.request({ client: 'c', request: 0, kind: 'register' });
    const r0 = b.states[0]!;
    expect([r0.op, r0.commit_min]).to.deep.equal([1, 0]);
    expect(joinsLog(r0, 2, []), 'op 1 prepared, not committed').to.equal(false);
    expect(joinsLog(r0, 1, []), 'op 0, the root').to.equal(true);
    b.settle();
    b.tick(TICKS.commit);
    expect(r0.commit_min).to.equal(1);
    expect(joinsLog(r0, 2, []), 'op 1 committed').to.equal(true);
  });
});
