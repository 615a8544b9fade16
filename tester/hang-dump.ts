// What a hung run leaves behind. A run that keeps its trace registers, while it runs, how to write
// its artifacts; when its worker hangs, the lane pauses the stuck code through the inspector
// (tester/stuck-stack.ts) and calls that function there, on the stuck thread, by a global name,
// before it kills the worker. It only holds the one function; it writes nothing itself.
import { runAs } from '../src/env/sim/guard.js';

/** The dump's global name: a symbol in the global registry, which the inspector's expression names too. */
const KEY_NAME = 'rsmlab.hangDump';
const KEY = Symbol.for(KEY_NAME);

type Dump = (message: string) => string;

/** Register `dump` (it writes the run's artifacts with `message` as its failure and returns their folder) until the returned function is called. */
export function onHang(dump: Dump): () => void {
  const slot = globalThis as { [KEY]?: Dump };
  const guarded: Dump = (message) => {
    // The stuck code is a node's lab code, whose guards refuse fs: the dump is the tester's.
    runAs(null);
    return dump(message);
  };
  slot[KEY] = guarded;
  return () => {
    if (slot[KEY] === guarded) delete slot[KEY];
  };
}

/** The expression the inspector evaluates in the stuck thread: the artifacts' folder, or undefined when no run registered a dump. */
export function hangDumpExpression(message: string): string {
  return `globalThis[Symbol.for(${JSON.stringify(KEY_NAME)})]?.(${JSON.stringify(message)})`;
}
