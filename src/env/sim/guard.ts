// Determinism guards: while a simulated node's lab code runs, Date.now, new Date(), Math.random,
// node:crypto's random functions (and globalThis.crypto's), performance.*, process.hrtime, real
// timers, process.nextTick, queueMicrotask and fs throw a DeterminismError naming the Env call to use
// instead (console.* stays allowed, even when its write goes through fs). Outside lab code (the tester, mocha, the simulator itself) every patched function behaves
// as before; the simulator's own loop uses the unpatched hostNextTick and hostSetImmediate.
//
// Who is running is one module variable, set by the scheduler for each event and kept through the
// microtask drain that follows it (see scheduler.ts): exact because every event runs the code of
// one context only. AsyncLocalStorage would also be exact but enables promise hooks process-wide,
// measured at 2.5x the cost of a simulator step (787 vs 296 ns), so it is not used. The same
// variable names the node of a promise its code rejected with no handler (ownRejections).
import crypto from 'node:crypto';
import fs from 'node:fs';
import timers from 'node:timers';
import timersPromises from 'node:timers/promises';
import { syncBuiltinESMExports } from 'node:module';

export class DeterminismError extends Error {
  constructor(
    readonly node: string,
    readonly call: string,
    readonly use: string,
  ) {
    super(`${call} is not allowed in lab code under the simulator: use ${use} (node ${node})`);
    this.name = 'DeterminismError';
  }
}

/** What Node hands a rejection nobody handled, when process.domain named it as the promise was rejected (ownRejections). */
export interface RejectionOwner {
  /** Takes `reason`; returns true: it is handled (the node's run fails with it). */
  emit(event: 'error', reason: unknown): boolean;
}

/** Lab code of one node, as the guards see it. */
export interface GuardedCode {
  readonly me: string;
  /** Told before the error is thrown, so a violation fails the run even if lab code catches it. */
  violation(error: DeterminismError): void;
  /**
   * Takes a rejection of this node's promises that nobody handled: asked for as the rejection happens
   * (process.domain, read then), told of it later, when Node reports it.
   */
  rejectionOwner(): RejectionOwner;
}

let running: GuardedCode | null = null;

/** process.nextTick as it was before the guards: the simulator's loop queues its steps with it. */
export const hostNextTick: typeof process.nextTick = process.nextTick.bind(process);
/** setImmediate as it was before the guards: for the simulator's own work whoever's code is current (another world's, mid-step). */
export const hostSetImmediate: typeof setImmediate = setImmediate;

/** Declare whose code runs from now until the next call: a node's lab code, or null (anything else). */
export function runAs(code: GuardedCode | null): void {
  running = code;
}

function check(call: string, use: string): void {
  if (running === null) return;
  const error = new DeterminismError(running.me, call, use);
  running.violation(error);
  throw error;
}

type AnyFunction = (...args: never[]) => unknown;

function guarded<F extends AnyFunction>(original: F, call: string, use: string): F {
  const wrapper = function (this: unknown, ...args: Parameters<F>): ReturnType<F> {
    check(call, use);
    return Reflect.apply(original, this, args) as ReturnType<F>;
  };
  for (const key of Reflect.ownKeys(original)) {
    if (key === 'length' || key === 'name' || key === 'prototype') continue;
    Reflect.defineProperty(wrapper, key, Reflect.getOwnPropertyDescriptor(original, key)!);
  }
  Object.defineProperty(wrapper, 'name', { value: original.name });
  return wrapper as unknown as F;
}

/** Replace every method (lower-case function property) of `target` by its guarded wrapper. */
function guardMethods(target: object, prefix: string, use: string): void {
  const record = target as Record<string, unknown>;
  for (const key of Object.keys(target)) {
    const descriptor = Object.getOwnPropertyDescriptor(target, key);
    const value = descriptor?.value;
    if (typeof value !== 'function' || !/^[a-z]/.test(key) || !descriptor?.writable) continue;
    record[key] = guarded(value as AnyFunction, `${prefix}.${key}()`, use);
  }
}

/**
 * Guard the methods and getters an object inherits from its class (performance, globalThis.crypto):
 * each becomes an own property of `target` that checks, then calls the original on `target`.
 */
function guardInherited(target: object, prefix: string, use: (key: string) => string | undefined): void {
  const proto = Object.getPrototypeOf(target) as object;
  for (const key of Object.getOwnPropertyNames(proto)) {
    const hint = key === 'constructor' ? undefined : use(key);
    const descriptor = Object.getOwnPropertyDescriptor(proto, key);
    if (hint === undefined || descriptor === undefined) continue;
    if (typeof descriptor.value === 'function') {
      const original = descriptor.value as AnyFunction;
      Object.defineProperty(target, key, { value: guarded(original, `${prefix}.${key}()`, hint), writable: true, configurable: true });
    } else if (descriptor.get !== undefined) {
      const get = descriptor.get;
      Object.defineProperty(target, key, {
        get(this: unknown) {
          check(`${prefix}.${key}`, hint);
          return Reflect.apply(get, this, []) as unknown;
        },
        configurable: true,
      });
    }
  }
}

const NONCE = 'env.nonce() for unique ids, env.random() for numbers';

/** node:crypto's random functions and the Web Crypto ones (globalThis.crypto, crypto.webcrypto). */
function guardCrypto(): void {
  const record = crypto as unknown as Record<string, AnyFunction>;
  for (const key of ['randomUUID', 'randomBytes', 'randomFill', 'randomFillSync', 'randomInt', 'pseudoRandomBytes']) {
    if (Object.getOwnPropertyDescriptor(crypto, key)?.writable) record[key] = guarded(record[key]!, `crypto.${key}()`, NONCE);
  }
  // crypto.getRandomValues is a fixed getter that calls crypto.webcrypto's, which is globalThis.crypto.
  guardInherited(crypto.webcrypto, 'crypto', (key) => (key === 'getRandomValues' || key === 'randomUUID' ? NONCE : undefined));
}

/** process.nextTick, queueMicrotask and process.hrtime: a lab runs in events and reads env.now(). */
function guardProcess(): void {
  process.nextTick = guarded(process.nextTick, 'process.nextTick()', 'env.setTimer(0, fn)');
  globalThis.queueMicrotask = guarded(globalThis.queueMicrotask, 'queueMicrotask()', 'env.setTimer(0, fn) or an await');
  const bigint = guarded(process.hrtime.bigint, 'process.hrtime.bigint()', 'env.now()');
  process.hrtime = Object.assign(guarded(process.hrtime, 'process.hrtime()', 'env.now()'), { bigint });
}

function guardDate(): void {
  const OriginalDate = Date;
  OriginalDate.now = guarded(OriginalDate.now, 'Date.now()', 'env.now()');
  const proxy = new Proxy(OriginalDate, {
    construct(target, args: unknown[], newTarget) {
      if (args.length === 0) check('new Date()', 'env.now()');
      return Reflect.construct(target, args, newTarget) as object;
    },
    apply(target, self, args: unknown[]) {
      check('Date()', 'env.now()');
      return Reflect.apply(target, self, args) as unknown;
    },
  });
  Object.defineProperty(OriginalDate.prototype, 'constructor', { value: proxy, writable: true, configurable: true });
  globalThis.Date = proxy;
}

function guardTimers(): void {
  const use = { setTimeout: 'env.setTimer() or env.sleep()', setInterval: 'env.setTimer()', setImmediate: 'env.setTimer(0, fn)' };
  const g = globalThis as unknown as Record<string, AnyFunction>;
  const t = timers as unknown as Record<string, AnyFunction>;
  const tp = timersPromises as unknown as Record<string, AnyFunction>;
  for (const [name, hint] of Object.entries(use)) {
    const wrapper = guarded(g[name]!, `${name}()`, hint);
    g[name] = wrapper;
    t[name] = wrapper;
    tp[name] = guarded(tp[name]!, `timers/promises ${name}()`, hint);
  }
}

/**
 * console.* stays usable in lab code: printing cannot change a run, and students debug with it. Its
 * write may reach fs.writeSync (stdout redirected to a file), so the guards rest while it runs.
 */
function exemptConsole(): void {
  const record = console as unknown as Record<string, unknown>;
  for (const key of ['log', 'info', 'warn', 'error', 'debug', 'trace', 'dir', 'table']) {
    const original = record[key];
    if (typeof original !== 'function') continue;
    record[key] = function (this: unknown, ...args: unknown[]): void {
      const code = running;
      running = null;
      try {
        Reflect.apply(original as AnyFunction, this, args as never[]);
      } finally {
        running = code;
      }
    };
  }
}

/**
 * A rejection of lab code that nobody handles names its node. Node reads process.domain when a
 * promise is rejected with no handler, and reports the rejection later (at the host's next turn,
 * after many steps of many nodes) to that value's emit('error', reason), not to process
 * 'unhandledRejection': the domain module's routing, without its async hooks. So while a node's
 * code runs, process.domain reads as a RejectionOwner of that node's, made at that read: the run
 * fails at the instant of the rejection, not of its report. Elsewhere it reads as before. On a
 * Node that stops doing this, such a rejection still fails the run, by crash.ts, unnamed.
 */
function ownRejections(): void {
  let value: unknown = Reflect.get(process, 'domain');
  Object.defineProperty(process, 'domain', {
    get: () => (running === null ? value : running.rejectionOwner()),
    set: (v: unknown) => {
      value = v;
    },
    enumerable: true,
    configurable: true,
  });
}

let installed = false;

/** Install the guards (and ownRejections) in this process (idempotent). Until runAs() names a node they change nothing. */
export function installGuards(): void {
  if (installed) return;
  installed = true;
  guardDate();
  Math.random = guarded(Math.random, 'Math.random()', 'env.random()');
  guardInherited(performance, 'performance', () => 'env.now()');
  guardCrypto();
  guardProcess();
  guardTimers();
  guardMethods(fs, 'fs', 'env.disk');
  guardMethods(fs.promises, 'fs.promises', 'env.disk');
  exemptConsole();
  ownRejections();
  syncBuiltinESMExports();
}
