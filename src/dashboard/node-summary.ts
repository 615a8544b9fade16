// What the dashboard shows of one node's lab status, whatever the lab: view and members, the node's
// role, op and commit numbers. It reads the status JSON the lab already publishes (paxos, rsm, and
// VSR-style fields) and never asks a node anything itself.
import type { Json, NodeId } from '../env/types.js';

export interface NodeSummary {
  view: number | null;
  members: NodeId[];
  primary: NodeId | null;
  role: 'primary' | 'backup' | 'joining' | 'unknown';
  /** The latest op this node holds (rsm: the next viewstamp's seqno - 1; vsr: op). */
  op: number | null;
  /** The latest op it executed/committed (rsm: last executed viewstamp's seqno; vsr: commit). */
  commit: number | null;
}

type Obj = { [key: string]: Json };

function obj(x: Json | undefined): Obj | undefined {
  return typeof x === 'object' && x !== null && !Array.isArray(x) ? x : undefined;
}

function num(x: Json | undefined): number | null {
  return typeof x === 'number' ? x : null;
}

export function summarize(node: NodeId, state: Json): NodeSummary {
  const s = obj(state);
  if (s === undefined) return { view: null, members: [], primary: null, role: 'unknown', op: null, commit: null };
  const view = num(s.vid_commit) ?? num(s.vid) ?? num(s.view);
  const rawMembers = s.members ?? s.replicas;
  const members = Array.isArray(rawMembers) ? rawMembers.filter((m): m is string => typeof m === 'string') : [];
  const primary = typeof s.primary === 'string' ? s.primary : null;
  const seqno = (x: Json | undefined): number | null => num(obj(x)?.seqno);
  const nextVs = seqno(s.myvs);
  const op = num(s.op) ?? (nextVs === null ? null : nextVs - 1);
  const commit = num(s.commit) ?? num(s.commit_min) ?? seqno(s.last_myvs);
  const joining = s.joining === true || (members.length > 0 && !members.includes(node));
  const role = joining ? 'joining' : primary === null ? 'unknown' : primary === node ? 'primary' : 'backup';
  return { view, members, primary, role, op, commit };
}
