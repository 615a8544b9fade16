// Unit tests of the Paxos lab's checks (tester/paxos/checks.ts) on hand-made statuses: each check
// passes on a consistent cluster and fails, naming the node and view, on a disagreeing one; the same
// for the simulator's per-step safety watcher (tester/paxos/safety.ts).
import { expect } from 'chai';
import type { PaxosStatus } from '../labs/paxos/status.js';
import {
  checkLastView,
  checkNoNewViews,
  checkNotInView,
  checkViewsStartWith,
  checkWellFormed,
  type Observed,
  ViewLedger,
} from '../tester/paxos/checks.js';
import { PaxosSafety } from '../tester/paxos/safety.js';
import { ScenarioFailure } from '../tester/scenario.js';

function node(name: string, views: string[][]): Observed {
  const status: PaxosStatus = {
    vid: views.length,
    members: views.at(-1) ?? [],
    primary: null,
    views: views.map((members, i) => ({ vid: i + 1, members })),
    acceptor: { instance_h: views.length, n_h: { n: 0, m: name }, n_a: { n: 0, m: name }, v_a: null },
    proposer: { running: false, my_n: { n: 0, m: name } },
    dropped: null,
    joining: false,
  };
  return { name, status };
}

const v1 = ['n0'];
const v2 = ['n0', 'n1'];
const v3 = ['n0', 'n1', 'n2'];

describe('paxos checks', () => {
  describe('ViewLedger (agreement of every pair of nodes, over time)', () => {
    it('accepts nodes that agree on every view they share, whatever their lengths', () => {
      const ledger = new ViewLedger();
      ledger.observe(node('p0', [v1, v2, v3]));
      ledger.observe(node('p1', [v1, v2]));
      expect(() => ledger.observe(node('p2', [v1, v2, v3, ['n0', 'n1']]))).to.not.throw();
    });

    it('rejects two nodes that decided different members for one view, naming both', () => {
      const ledger = new ViewLedger();
      ledger.observe(node('p1', [v1, v2, v3, ['n0', 'n1']]));
      expect(() => ledger.observe(node('p2', [v1, v2, v3, ['n1', 'n2']]))).to.throw(ScenarioFailure, /view 4: p2 has \{n1,n2\}, p1 has \{n0,n1\}/);
    });

    it('rejects a different join order for the same view (values are compared exactly)', () => {
      const ledger = new ViewLedger();
      ledger.observe(node('p0', [v1, v2, ['n0', 'n1', 'n2']]));
      expect(() => ledger.observe(node('p1', [v1, v2, ['n0', 'n2', 'n1']]))).to.throw(ScenarioFailure, 'view 3');
    });

    it('remembers a view after its node died: a later node must agree with it too', () => {
      const ledger = new ViewLedger();
      ledger.observe(node('p0', [v1, v2, v3, v2, ['n0', 'n1', 'n2']]));
      expect(() => ledger.observe(node('p1', [v1, v2, v3, v2, ['n1', 'n2', 'n3']]))).to.throw(ScenarioFailure, 'view 5');
    });

    it('rejects a status whose vid, views and members do not fit together', () => {
      const bad = node('p0', [v1, v2]);
      bad.status.vid = 3;
      expect(() => new ViewLedger().observe(bad)).to.throw(ScenarioFailure, 'vid is 3');
      const gap = node('p0', [v1, v2]);
      gap.status.views[1] = { vid: 3, members: v2 };
      expect(() => checkWellFormed(gap)).to.throw(ScenarioFailure, 'position 1 holds view 3');
      const stale = node('p0', [v1, v2]);
      stale.status.members = v1;
      expect(() => checkWellFormed(stale)).to.throw(ScenarioFailure, 'members {n0} differ');
    });
  });

  describe('ViewLedger (a value chosen by a majority of acceptors is the one decided)', () => {
    /** `name` in views v1..v3, having accepted `value` under proposal n/m for instance 4. */
    function accepted(name: string, n: number, m: string, value: string): Observed {
      const o = node(name, [v1, v2, v3]);
      o.status.acceptor = { instance_h: 3, n_h: { n, m }, n_a: { n, m }, v_a: value };
      return o;
    }

    it('fails when instance 4 decides another value than the one a majority accepted under one proposal', () => {
      const ledger = new ViewLedger();
      ledger.observe(accepted('p0', 5, 'n0', 'n0 n1'));
      ledger.observe(accepted('p1', 5, 'n0', 'n0 n1'));
      expect(() => ledger.observe(node('p2', [v1, v2, v3, ['n1', 'n2']]))).to.throw(ScenarioFailure, /view 4 was chosen as \{n0,n1\} \(accepted under proposal 5\/n0 by p0, p1, a majority\), but p2 decided \{n1,n2\}/);
    });

    it('passes when the decision is the chosen value, and when no proposal reached a majority', () => {
      const agreed = new ViewLedger();
      agreed.observe(accepted('p0', 5, 'n0', 'n0 n1'));
      agreed.observe(accepted('p1', 5, 'n0', 'n0 n1'));
      agreed.observe(node('p2', [v1, v2, v3, ['n0', 'n1']]));
      const split = new ViewLedger();
      split.observe(accepted('p0', 5, 'n0', 'n0 n1'));
      split.observe(accepted('p1', 6, 'n1', 'n1 n2'));
      expect(() => split.observe(node('p2', [v1, v2, v3, ['n1', 'n2']]))).to.not.throw();
    });
  });

  describe('exact view membership', () => {
    it('passes exact prefixes (in any order of members) and allows later views', () => {
      checkViewsStartWith(node('p1', [v1, v2, v3, ['n1', 'n0']]), [v1, v2, v3, ['n0', 'n1']]);
      checkLastView(node('p1', [v1, v2, ['n2', 'n0', 'n1']]), v3);
    });

    it('fails a view of the right size with the wrong members (the seed checked sizes only)', () => {
      expect(() => checkViewsStartWith(node('p0', [v1, v2, v3, ['n1', 'n2']]), [v1, v2, v3, ['n0', 'n1']])).to.throw(
        ScenarioFailure,
        'p0: view 4 is {n1,n2}, expected {n0,n1}',
      );
      expect(() => checkLastView(node('p0', [v1, v2, ['n0', 'n1', 'n3']]), v3)).to.throw(ScenarioFailure, 'latest view 3 is {n0,n1,n3}');
    });

    it('fails a node that has too few views', () => {
      expect(() => checkViewsStartWith(node('p2', [v1, v2]), [v1, v2, v3])).to.throw(ScenarioFailure, 'p2: has 2 views, expected at least 3');
    });
  });

  describe('no new view without a majority', () => {
    it('passes while no node knows a view past the bound, and fails naming the node that does', () => {
      checkNoNewViews([node('p0', [v1, v2, v3, v2]), node('p2', [v1, v2, v3])], 4);
      expect(() => checkNoNewViews([node('p0', [v1, v2, v3, v2]), node('p2', [v1, v2, v3, v2, ['n0']])], 4)).to.throw(
        ScenarioFailure,
        'p2: knows view 5 {n0}',
      );
    });

    it('checks who is not in a view', () => {
      checkNotInView(node('p0', [v1, v2, v3, v2]), 4, 'n2');
      expect(() => checkNotInView(node('p0', [v1, v2, v3, v3]), 4, 'n2')).to.throw(ScenarioFailure, 'must not include n2');
      expect(() => checkNotInView(node('p0', [v1, v2, v3]), 4, 'n2')).to.throw(ScenarioFailure, 'does not know view 4');
    });
  });

  describe('PaxosSafety (per instance: one decided value, decided only if a majority accepted it, P2b)', () => {
    /** Node `name` knowing `views`, its acceptor holding v_a under proposal n/m for the next instance (or nothing). */
    function at(name: string, views: string[][], accepted?: [n: number, m: string, v: string[]]): [string, PaxosStatus] {
      const { status } = node(name, views);
      if (accepted) status.acceptor = { ...status.acceptor, n_a: { n: accepted[0], m: accepted[1] }, v_a: accepted[2].join(' ') };
      return [name, status];
    }
    /** Views 2 and 3 accepted by a majority of the view before, then decided: the history every case starts from. */
    const founded = [at('n0', [v1], [1, 'n0', v2]), at('n0', [v1, v2], [2, 'n0', v3]), at('n1', [v1, v2], [2, 'n0', v3]), at('n0', [v1, v2, v3])];
    const watch = (...steps: [string, PaxosStatus][]): PaxosSafety => {
      const safety = new PaxosSafety();
      for (const [name, status] of [...founded, ...steps]) safety.observe(name, status);
      return safety;
    };

    it('passes a round that a majority accepted, then decided, and a higher round with the chosen value', () => {
      expect(() => watch(at('n0', [v1, v2, v3], [3, 'n0', v2]), at('n1', [v1, v2, v3], [3, 'n0', v2]), at('n2', [v1, v2, v3], [5, 'n2', v2]), at('n0', [v1, v2, v3, v2]), at('n2', [v1, v2, v3, v2]))).to.not.throw();
    });

    it('fails a decision no majority accepted, naming the view, the node and what was accepted', () => {
      expect(() => watch(at('n0', [v1, v2, v3], [3, 'n0', v2]), at('n0', [v1, v2, v3, v2]))).to.throw(
        ScenarioFailure,
        'view 4 = {n0,n1} was decided (first seen on n0), but no majority of view 3 {n0,n1,n2} accepted it under one proposal (accepted: {n0,n1} under 3/n0 by n0)',
      );
    });

    it('fails a higher proposal accepted with another value than the chosen one (P2b), before anyone decides', () => {
      expect(() => watch(at('n0', [v1, v2, v3], [3, 'n0', v2]), at('n1', [v1, v2, v3], [3, 'n0', v2]), at('n2', [v1, v2, v3], [4, 'n2', ['n1', 'n2']]))).to.throw(
        ScenarioFailure,
        'view 4 was chosen as {n0,n1} under proposal 3/n0 (accepted by n0, n1, a majority), but n2 accepted {n1,n2} under the higher proposal 4/n2',
      );
    });

    it('fails two decided values for one view, and two values under one proposal', () => {
      expect(() => watch(at('n1', [v1, ['n1']]))).to.throw(ScenarioFailure, 'disagreement on view 2: n1 has {n1}, n0 has {n0,n1}');
      expect(() => watch(at('n0', [v1, v2, v3], [3, 'n0', v2]), at('n1', [v1, v2, v3], [3, 'n0', v3]))).to.throw(ScenarioFailure, 'view 4: proposal 3/n0 carries two values, {n0,n1} and {n0,n1,n2} (n1)');
    });
  });
});
