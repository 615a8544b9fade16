// What the dashboard shows of one node's lab status, whatever the lab: view and members, the node's
// role and protocol status, op and commit numbers, the tail of its replicated log. It reads the
// status JSON the labs already publish (paxos, rsm, vsr) and never asks a node anything itself.
import type { Json, NodeId } from '../env/types.js';

export interface NodeSummary {
  view: number | null;
  members: NodeId[];
  primary: NodeId | null;
  role: 'primary' | 'backup' | 'joining' | 'unknown';
  /**
   * The latest op this node holds, and the latest it committed: vsr's op and commit_min; for the
   * primary/backup RSM, whose ops are committed as they are executed, both are the viewstamp of
   * the last op executed ("2.6": view 2, seqno 6).
   */
  op: string | null;
  commit: string | null;
  /** The replica's protocol status when the lab has one (vsr: normal, view_change, recovering; rsm: view_change while inviewchange). */
  status: string | null;
  /** The last entries of the replica's own log, when its status carries one (vsr: the log's last ops, a bounded suffix). */
  log: string[];
}

/** How many of the replica's log entries the dashboard shows. */
const LOG_SHOWN = 6;

type Obj = { [key: string]: Json };

function obj(x: Json | undefined): Obj | undefined {
  return typeof x === 'object' && x !== null && !Array.isArray(x) ? x : undefined;
}

function num(x: Json | undefined): number | null {
  return typeof x === 'number' ? x : null;
}

function numText(x: Json | undefined): string | null {
  return typeof x === 'number' ? String(x) : null;
}

/** A viewstamp {vid, seqno} as "vid.seqno". */
function viewstamp(x: Json | undefined): string | null {
  const vs = obj(x);
  return vs !== undefined && typeof vs.vid === 'number' && typeof vs.seqno === 'number' ? `${vs.vid}.${vs.seqno}` : null;
}

export function summarize(node: NodeId, state: Json): NodeSummary {
  const s = obj(state);
  if (s === undefined) return { view: null, members: [], primary: null, role: 'unknown', op: null, commit: null, status: null, log: [] };
  const view = num(s.vid) ?? num(s.view);
  const rawMembers = s.members ?? s.replicas;
  const members = Array.isArray(rawMembers) ? rawMembers.filter((m): m is string => typeof m === 'string') : [];
  const primary = typeof s.primary === 'string' ? s.primary : typeof s.primary_id === 'string' ? s.primary_id : null;
  const executed = viewstamp(s.last_myvs);
  const op = numText(s.op) ?? executed;
  const commit = numText(s.commit_min) ?? numText(s.commit) ?? executed;
  const joining = s.joining === true || (members.length > 0 && !members.includes(node));
  const role = joining ? 'joining' : primary === null ? 'unknown' : primary === node ? 'primary' : 'backup';
  // Lab 2 says it is in a view change with a flag; its primary is then the last committed view's.
  const status = typeof s.status === 'string' ? s.status : s.inviewchange === true ? 'view_change' : null;
  return { view, members, primary, role, op, commit, status, log: logTail(s.log) };
}

/**
 * A node's view as the narration and the dashboard's events say it (after "node x "): the view it
 * is in, or the one it is changing to (no primary yet: the view has not started, whatever its
 * number), or that it is recovering or joining; undefined before it has any view. Each begins
 * "now": "node x is HOST:PORT" is the narration's line that names a node's address.
 */
export function viewSentence(s: NodeSummary): string | undefined {
  if (s.view === null) return undefined;
  if (s.role === 'joining' || s.members.length === 0) return 'now joining (no view yet)';
  const view = `view ${s.view} = {${s.members.join(', ')}}`;
  if (s.status === 'recovering') return `now recovering (last in ${view})`;
  if (s.status === 'view_change') return `now changing to ${view}: no primary until it starts`;
  return `now in ${view}${s.primary ? ` primary ${s.primary}` : ''}`;
}

/** The last log entries as text: "op 7 v2 put c1#3" (vsr headers), or each entry's JSON. */
function logTail(log: Json | undefined): string[] {
  if (!Array.isArray(log)) return [];
  return log.slice(-LOG_SHOWN).map((entry) => {
    const e = obj(entry);
    if (e === undefined || typeof e.op !== 'number') return JSON.stringify(entry);
    return `op ${e.op} v${String(e.view)} ${String(e.operation ?? '')} ${e.client ? `${String(e.client)}#${String(e.request)}` : ''}`.trim();
  });
}
