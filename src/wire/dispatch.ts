// The receiving end of declared messages: method/notice name -> handler, with params validated
// against the declared zod schema once, here at the wire boundary. Peer input that fails there is
// answered with a JSON-RPC error (a request) or refused with a reason (a notice), never thrown.
// A lab's handler that throws or rejects is a lab error, handed to the env's `fatal` (the run fails,
// the real node crashes); it never becomes a polite reply. Never touches sockets, faults or traces.
import type { Method, Notice } from '../env/method.js';
import { describeIssues } from '../env/method.js';
import { checkParsed } from '../env/json-value.js';
import type { Handler, NodeId } from '../env/types.js';
import { clip, decodeFrame, encodeError, encodeResult, ErrorCode, oversizedFrame, type RpcId } from './frame.js';
import type { z } from 'zod';

interface MethodRoute {
  readonly params: z.ZodType;
  readonly handler: Handler<unknown, unknown>;
}

interface NoticeRoute {
  readonly params: z.ZodType;
  readonly handler: (params: unknown, from: NodeId) => void;
}

/** A reply frame, and a short text of what it says (the result JSON or the error) for traces. */
export interface Reply {
  readonly text: string;
  readonly summary: string;
  /** A result refused as too large to send (`text` is then the server error sent instead): its JSON, and oversizedFrame's reason. */
  readonly refused?: RefusedResult;
}

export interface RefusedResult {
  readonly resultJson: string;
  readonly why: string;
}

/** How a handler's result becomes its reply: success() writes its JSON into a frame (the simulator's keeps a copy instead). */
export type ReplyEncoder = (id: RpcId, result: unknown) => Reply;

function failure(id: RpcId, code: number, message: string): Reply {
  return { text: encodeError(id, code, message), summary: `error ${code}: ${message}` };
}

/** The reply to a handler's result that JSON cannot write (a BigInt, a cycle: `e` is JSON's error): a server error. */
export function notJson(id: RpcId, e: unknown): Reply {
  return failure(id, ErrorCode.server, `result is not JSON: ${errorText(e)}`);
}

function success(id: RpcId, result: unknown): Reply {
  let resultJson: string;
  try {
    resultJson = JSON.stringify(result ?? null) ?? 'null'; // undefined for a function or symbol
  } catch (e) {
    return notJson(id, e);
  }
  const text = encodeResult(id, resultJson);
  const oversized = oversizedFrame(text);
  if (oversized === undefined) return { text, summary: resultJson };
  return { ...failure(id, ErrorCode.server, `result not sent: ${oversized}`), refused: { resultJson, why: oversized } };
}

/** A promise, or anything that behaves like one. */
export function isThenable(x: unknown): x is PromiseLike<unknown> {
  return typeof (x as PromiseLike<unknown> | null)?.then === 'function';
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Where a lab handler's throw or rejection goes: `where` names the handler ("handler paxos.prepare",
 * "notice vsr.prepare_ok"). It must end the run or the process; no reply is sent.
 */
export type Fatal = (where: string, error: unknown) => void;

/** What a method-not-found answer adds while the node's lab is starting (Dispatcher.starting). */
const STILL_STARTING = 'the node is still starting';

/** Whether a method-not-found answer's message says the node was still starting: the method may well be served once it has. */
export function saysStillStarting(message: string): boolean {
  return message.includes(STILL_STARTING);
}

/** A validated notice, ready to run its handler; or, as a string, why it was refused. */
export type NoticeDelivery = (() => void) | string;

export class Dispatcher {
  private readonly methods = new Map<string, MethodRoute>();
  private readonly notices = new Map<string, NoticeRoute>();
  /** A node's lab is in its start() (see starting()): a method it has not registered yet may be one it serves once started. */
  private inStart = false;

  /**
   * `fatal`: a lab's env passes where handler errors go. Without it (the control plane, framework
   * code) a method handler's error is answered as a JSON-RPC server error, and notices are not served.
   */
  constructor(private readonly fatal?: Fatal) {}

  addMethod<P, R>(method: Method<P, R>, handler: Handler<P, R>): void {
    if (this.methods.has(method.name)) throw new Error(`method ${method.name} is already served`);
    this.methods.set(method.name, { params: method.params, handler: handler as Handler<unknown, unknown> });
  }

  addNotice<P>(notice: Notice<P>, handler: (params: P, from: NodeId) => void): void {
    if (this.fatal === undefined) throw new Error(`notice ${notice.name}: this dispatcher has nowhere to report a handler's error`);
    if (this.notices.has(notice.name)) throw new Error(`notice ${notice.name} already has a handler`);
    this.notices.set(notice.name, { params: notice.params, handler: handler as (params: unknown, from: NodeId) => void });
  }

  /**
   * The node's lab is starting (true) or has started (false). While it starts, a call of a method it
   * has not registered yet is answered as before (method not found), with why: the caller learns
   * the node is still starting, not that it named a method that does not exist.
   */
  starting(inStart: boolean): void {
    this.inStart = inStart;
  }

  /** The names of the methods and notices it serves so far, sorted. */
  served(): string[] {
    return [...this.methods.keys(), ...this.notices.keys()].sort();
  }

  private notFound(name: string): string {
    const text = `Method not found: ${clip(name)}`;
    return this.inStart ? `${text} (${STILL_STARTING}: its lab has not finished start(), where it registers its handlers)` : text;
  }

  /** Answer one raw frame directly, with no faults or traces (the control plane's way). Never throws. */
  answer(text: string, from: NodeId, reply: (text: string) => void): void {
    const frame = decodeFrame(text);
    if (frame.type === 'request') this.request(frame.id, frame.method, frame.params, from, (r) => reply(r.text));
    else if (frame.type === 'notice') this.runNotice(frame.method, frame.params, from);
    else if (frame.type === 'invalid') reply(encodeError(frame.id, frame.code, frame.message));
  }

  /**
   * Run the method's handler and hand its reply (made by `encode` from its result) to `respond`: at
   * once if the handler returns a value, later if a promise. A handler that throws or rejects goes
   * to `fatal` (no reply). Never throws. `params` here and in notice() are what JSON.parse made of a
   * frame (or the simulator's jsonCopy, the same values), so they are checked with checkParsed.
   */
  request(id: RpcId, name: string, params: unknown, from: NodeId, respond: (reply: Reply) => void, encode: ReplyEncoder = success): void {
    const route = this.methods.get(name);
    if (route === undefined) return respond(failure(id, ErrorCode.methodNotFound, this.notFound(name)));
    const checked = checkParsed(route.params, params ?? {});
    if (!checked.success) return respond(failure(id, ErrorCode.invalidParams, `Invalid params for ${name}: ${describeIssues(checked.error)}`));
    let result: unknown;
    try {
      result = route.handler(checked.data, from);
    } catch (e) {
      return this.failed(id, name, respond, e);
    }
    if (!isThenable(result)) return respond(encode(id, result));
    result.then(
      (value) => respond(encode(id, value)),
      (e: unknown) => this.failed(id, name, respond, e),
    );
  }

  /** A method handler threw or rejected: `fatal`, or (without one) a server error reply. */
  private failed(id: RpcId, name: string, respond: (reply: Reply) => void, e: unknown): void {
    if (this.fatal === undefined) respond(failure(id, ErrorCode.server, errorText(e)));
    else this.fatal(`handler ${name}`, e);
  }

  /** Run a notice's handler if it passes validation; returns why it was refused, or undefined. */
  runNotice(name: string, params: unknown, from: NodeId): string | undefined {
    const delivery = this.notice(name, params, from);
    if (typeof delivery === 'string') return delivery;
    delivery();
    return undefined;
  }

  /**
   * Validate a notice at the wire boundary: the call that runs its handler (a throw or rejection
   * goes to `fatal`), or why it is refused (no handler, invalid params). Never throws.
   */
  notice(name: string, params: unknown, from: NodeId): NoticeDelivery {
    const route = this.notices.get(name);
    if (route === undefined) return `no handler for notice ${clip(name)}`;
    const checked = checkParsed(route.params, params ?? {});
    if (!checked.success) return `invalid params for ${name}: ${describeIssues(checked.error)}`;
    const fatal = this.fatal!;
    return () => {
      let result: unknown;
      try {
        result = route.handler(checked.data, from);
      } catch (e) {
        return fatal(`notice ${name}`, e);
      }
      if (isThenable(result)) result.then(undefined, (e: unknown) => fatal(`notice ${name}`, e));
    };
  }
}
