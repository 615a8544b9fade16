// A real node that died of an error in its lab code, worded as a failing run reports it: the node,
// what the lab code threw and where, and the stack, all read from the crash event its process traced
// before it exited (src/env/real/node-process.ts). RealCluster decides which exits count; this only words them.
import type { Json, NodeId } from '../src/env/types.js';
import { UNHANDLED_REJECTION } from '../src/lab.js';

/** A run's failure when a node it did not kill died of a lab error: the facts the simulator gives for one. */
export class NodeCrashed extends Error {
  constructor(
    message: string,
    /** What the lab code threw and whose code it was, as `lab code threw: …` shows it (undefined: the node traced none). */
    readonly labError: string | undefined,
  ) {
    super(message);
    this.name = 'NodeCrashed';
    this.stack = `${this.name}: ${message}`; // the node's stack; the tester's frames that noticed the crash say nothing
  }
}

/** The detail of a node's crash event, as node-process.ts writes it for a lab error. */
type CrashDetail = Partial<Record<'reason' | 'error' | 'thrown' | 'where', Json>>;

/** The detail of the last crash event in one node's trace (JSONL), if it has one. */
function lastCrash(trace: string): CrashDetail | undefined {
  const line = trace.split('\n').findLast((l) => l.includes('"kind":"crash"'));
  return line === undefined ? undefined : ((JSON.parse(line) as { detail?: CrashDetail }).detail ?? {});
}

function text(value: Json | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Whose code threw: the node, and the handler (or an unhandled rejection) when the node could tell. */
function whose(name: string, crash: CrashDetail): string {
  const where = text(crash.where) ?? (crash.reason === UNHANDLED_REJECTION ? UNHANDLED_REJECTION : undefined);
  return where === undefined ? name : `${name}, ${where}`;
}

/**
 * Node `name` (`id`) exited (`exit`, e.g. "exit 70") of a lab error: what its `trace` says it threw,
 * with the stack frames it traced; a node that traced no lab error is told by the end of its `log`.
 */
export function nodeCrashed(name: string, id: NodeId, exit: string, trace: string, log: string): NodeCrashed {
  const crash = lastCrash(trace);
  const thrown = text(crash?.thrown);
  if (crash === undefined || thrown === undefined) return new NodeCrashed(`${name} (${id}) crashed (${exit}) and traced no lab error; its node.log ends:\n${log}`, undefined);
  const frames = (text(crash.error) ?? '').split('\n').filter((l) => /^\s+at /.test(l));
  const by = whose(name, crash);
  return new NodeCrashed([`${name} (${id}) crashed (${exit}): lab code threw: ${thrown.split('\n')[0]} (in ${by})`, ...frames].join('\n'), `${thrown} (in ${by})`);
}
