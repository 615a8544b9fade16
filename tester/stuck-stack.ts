// Where a hung worker's code is stuck: SIGUSR1 opens the worker's inspector (on a port it picks,
// forkWorker's --inspect-port=0, named on its stderr), and one Debugger.pause stops the code that
// never returns, in the middle of its loop; the stack read there is what a student needs to find
// the loop. It only reads; the caller kills the worker. It never throws: a worker that cannot be
// asked (no inspector, gone, too slow) gives no stack.
import type { ChildProcess } from 'node:child_process';
import WebSocket from 'ws';
import { isFrame } from './failure-text.js';

/** How long the whole attempt may take before the caller kills the worker without a stack. */
const STUCK_STACK_MS = 3_000;

/** Stack frames a hang report shows at most. */
const FRAMES_SHOWN = 6;

/** The largest inspector message read (a pause names every frame with its scopes: a few hundred KB for a deep stack). */
const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

/** What the inspector prints on the worker's stderr once it listens. */
const LISTENING = /Debugger listening on (ws:\/\/\S+)/;

/** The stack frames of the worker's main thread where it is stuck (frames of node's own code left out), or undefined. */
export function stuckStack(child: ChildProcess): Promise<string | undefined> {
  return new Promise((resolve) => {
    let socket: WebSocket | undefined;
    let said = '';
    const finish = (stack: string | undefined): void => {
      clearTimeout(timer);
      child.stderr?.off('data', heard);
      socket?.terminate();
      resolve(stack);
    };
    const timer = setTimeout(() => finish(undefined), STUCK_STACK_MS);
    const heard = (chunk: Buffer): void => {
      said += chunk.toString();
      const url = LISTENING.exec(said)?.[1];
      if (url !== undefined && socket === undefined) socket = ask(url, finish);
    };
    child.stderr?.on('data', heard);
    if (!child.kill('SIGUSR1')) finish(undefined);
  });
}

/** Pause the inspected thread and evaluate a stack trace in its top frame (so it comes source-mapped, as the worker formats stacks). */
function ask(url: string, finish: (stack: string | undefined) => void): WebSocket {
  // The worker runs student code, which could answer in its inspector's place: bound what it can send.
  const socket = new WebSocket(url, { perMessageDeflate: false, maxPayload: MAX_ANSWER_BYTES });
  let id = 0;
  const send = (method: string, params?: object): void => socket.send(JSON.stringify({ id: ++id, method, params }));
  socket.on('error', () => finish(undefined));
  socket.on('open', () => {
    send('Debugger.enable');
    send('Debugger.pause');
  });
  socket.on('message', (data: Buffer) => {
    const m = parsed(data.toString());
    if (m?.method === 'Debugger.paused') {
      const top = m.params?.callFrames?.[0]?.callFrameId;
      if (top === undefined) return finish(undefined);
      send('Debugger.evaluateOnCallFrame', { callFrameId: top, expression: 'new Error().stack', silent: true });
    } else if (m?.id !== undefined && typeof m.result?.result?.value === 'string') {
      finish(framesOf(m.result.result.value));
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
