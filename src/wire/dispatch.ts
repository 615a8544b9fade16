// The receiving end of declared messages: method/notice name -> handler, with params validated
// against the declared zod schema once, here at the wire boundary. It turns every outcome into a
// reply frame (never throws on peer input) and never touches sockets, faults or traces.
import type { Method, Notice } from '../env/method.js';
import { describeIssues } from '../env/method.js';
import type { Handler, NodeId } from '../env/types.js';
import { clip, decodeFrame, encodeError, encodeResult, ErrorCode, type RpcId } from './frame.js';
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
  text: string;
  summary: string;
}

function failure(id: RpcId, code: number, message: string): Reply {
  return { text: encodeError(id, code, message), summary: `error ${code}: ${message}` };
}

function success(id: RpcId, result: unknown): Reply {
  let resultJson: string;
  try {
    resultJson = JSON.stringify(result ?? null) ?? 'null'; // undefined for a function or symbol
  } catch (e) {
    return failure(id, ErrorCode.server, `result is not JSON: ${errorText(e)}`);
  }
  return { text: encodeResult(id, resultJson), summary: resultJson };
}

/** A promise, or anything that behaves like one. */
export function isThenable(x: unknown): x is PromiseLike<unknown> {
  return typeof (x as PromiseLike<unknown> | null)?.then === 'function';
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class Dispatcher {
  private readonly methods = new Map<string, MethodRoute>();
  private readonly notices = new Map<string, NoticeRoute>();

  addMethod<P, R>(method: Method<P, R>, handler: Handler<P, R>): void {
    if (this.methods.has(method.name)) throw new Error(`method ${method.name} is already served`);
    this.methods.set(method.name, { params: method.params, handler: handler as Handler<unknown, unknown> });
  }

  addNotice<P>(notice: Notice<P>, handler: (params: P, from: NodeId) => void): void {
    if (this.notices.has(notice.name)) throw new Error(`notice ${notice.name} already has a handler`);
    this.notices.set(notice.name, { params: notice.params, handler: handler as (params: unknown, from: NodeId) => void });
  }

  /** Answer one raw frame directly, with no faults or traces (the control plane's way). Never throws. */
  answer(text: string, from: NodeId, reply: (text: string) => void): void {
    const frame = decodeFrame(text);
    if (frame.type === 'request') this.request(frame.id, frame.method, frame.params, from, (r) => reply(r.text));
    else if (frame.type === 'notice') this.notify(frame.method, frame.params, from);
    else if (frame.type === 'invalid') reply(encodeError(frame.id, frame.code, frame.message));
  }

  /** Run the method's handler and hand its reply frame to `respond`: at once if the handler returns a value, later if a promise. Never throws. */
  request(id: RpcId, name: string, params: unknown, from: NodeId, respond: (reply: Reply) => void): void {
    const route = this.methods.get(name);
    if (route === undefined) return respond(failure(id, ErrorCode.methodNotFound, `Method not found: ${clip(name)}`));
    const checked = route.params.safeParse(params ?? {});
    if (!checked.success) return respond(failure(id, ErrorCode.invalidParams, `Invalid params for ${name}: ${describeIssues(checked.error)}`));
    let result: unknown;
    try {
      result = route.handler(checked.data, from);
    } catch (e) {
      return respond(failure(id, ErrorCode.server, errorText(e)));
    }
    if (!isThenable(result)) return respond(success(id, result));
    result.then(
      (value) => respond(success(id, value)),
      (e: unknown) => respond(failure(id, ErrorCode.server, errorText(e))),
    );
  }

  /** Run the notice's handler. Returns why it was not handled, or undefined. Never throws. */
  notify(name: string, params: unknown, from: NodeId): string | undefined {
    const route = this.notices.get(name);
    if (route === undefined) return `no handler for notice ${clip(name)}`;
    const checked = route.params.safeParse(params ?? {});
    if (!checked.success) return `invalid params for ${name}: ${describeIssues(checked.error)}`;
    try {
      route.handler(checked.data, from);
      return undefined;
    } catch (e) {
      return `handler of ${name} threw: ${errorText(e)}`;
    }
  }
}
