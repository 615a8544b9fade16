// Where a hung worker's code is stuck: SIGUSR1 opens the worker's inspector (on a port it picks,
// forkWorker's --inspect-port=0, named on its stderr), and one Debugger.pause stops the code that
// never returns, in the middle of its loop; the stack read there is what a student needs to find
// the loop. A run that keeps its trace has registered a dump (tester/hang-dump.ts): it is called
// there too, so the hung run's trace and notes are written up to the moment it stopped. The caller
// kills the worker. It never throws: a worker that cannot be asked (no inspector, gone, too slow)
// gives nothing.
import type { ChildProcess } from 'node:child_process';
import WebSocket from 'ws';
import { isFrame } from './failure-text.js';
import { hangDumpExpression } from './hang-dump.js';

/** How long the whole attempt may take before the caller kills the worker without a stack (a dump writes the trace so far). */
const STUCK_STACK_MS = 10_000;

/** Stack frames a hang report shows at most. */
const FRAMES_SHOWN = 6;

/** The largest inspector message read (a pause names every frame with its scopes: a few hundred KB for a deep stack). */
const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

/** What the inspector prints on the worker's stderr once it listens. */
const LISTENING = /Debugger listening on (ws:\/\/\S+)/;

/** Where a hung worker was stuck, and the folder of the artifacts its run wrote there, if it registered a dump. */
export interface Stuck {
  stack?: string;
  artifacts?: string;
}

/**
 * The stack frames of the worker's main thread where it is stuck (frames of node's own code left
 * out), and the artifacts its run's dump wrote, given the failure `describe` makes of the stack.
 */
export function stuckStack(child: ChildProcess, describe: (stack: string) => string): Promise<Stuck> {
  return new Promise((resolve) => {
    let socket: WebSocket | undefined;
    let said = '';
    /** What is known so far: a dump that outlasts the time bound still leaves the stack. */
    const stuck: Stuck = {};
    const finish = (): void => {
      clearTimeout(timer);
      child.stderr?.off('data', heard);
      socket?.terminate();
      resolve(stuck);
    };
    const timer = setTimeout(finish, STUCK_STACK_MS);
    const heard = (chunk: Buffer): void => {
      said += chunk.toString();
      const url = LISTENING.exec(said)?.[1];
      if (url !== undefined && socket === undefined) socket = ask(url, describe, stuck, finish);
    };
    child.stderr?.on('data', heard);
    if (!child.kill('SIGUSR1')) finish();
  });
}

/**
 * Pause the inspected thread, evaluate a stack trace in its top frame (so it comes source-mapped,
 * as the worker formats stacks), then the run's dump with the failure made of it; `stuck` gets each.
 */
function ask(url: string, describe: (stack: string) => string, stuck: Stuck, finish: () => void): WebSocket {
  // The worker runs student code, which could answer in its inspector's place: bound what it can send.
  const socket = new WebSocket(url, { perMessageDeflate: false, maxPayload: MAX_ANSWER_BYTES });
  let id = 0;
  let top: string | undefined;
  /** The ids of the two evaluations: the stack's, then the dump's. */
  let stackId = -1;
  let dumpId = -1;
  const send = (method: string, params?: object): number => {
    socket.send(JSON.stringify({ id: ++id, method, params }));
    return id;
  };
  const evaluate = (expression: string): number => send('Debugger.evaluateOnCallFrame', { callFrameId: top, expression, silent: true, returnByValue: true });
  socket.on('error', finish);
  socket.on('open', () => {
    send('Debugger.enable');
    send('Debugger.pause');
  });
  socket.on('message', (data: Buffer) => {
    const m = parsed(data.toString());
    const value = m?.result?.result?.value;
    if (m?.method === 'Debugger.paused' && top === undefined) {
      top = m.params?.callFrames?.[0]?.callFrameId;
      if (top === undefined) return finish();
      stackId = evaluate('new Error().stack');
    } else if (m?.id === stackId) {
      const stack = typeof value === 'string' ? framesOf(value) : undefined;
      if (stack === undefined) return finish();
      stuck.stack = stack;
      dumpId = evaluate(hangDumpExpression(describe(stack)));
    } else if (m?.id === dumpId) {
      if (typeof value === 'string') stuck.artifacts = value;
      finish();
    }
  });
  return socket;
}

interface InspectorMessage {
  id?: number;
  method?: string;
  params?: { callFrames?: { callFrameId?: string }[] };
  result?: { result?: { value?: unknown } };
}

function parsed(text: string): InspectorMessage | undefined {
  try {
    return JSON.parse(text) as InspectorMessage;
  } catch {
    return undefined;
  }
}

/** The frames of an evaluated `new Error().stack`, less the evaluation's own frame and node's internals. */
function framesOf(stack: string): string | undefined {
  const frames = stack.split('\n').filter((l) => isFrame(l) && !/\(eval at |<anonymous>:\d+:\d+\)$|\(node:/.test(l));
  return frames.length === 0 ? undefined : frames.slice(0, FRAMES_SHOWN).join('\n');
}
