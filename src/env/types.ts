// The environment: everything lab code may touch of the outside world, and nothing else.
// Lab code gets one Env per node and never reaches past it (no Date.now, Math.random, real
// timers or fs). Two worlds implement it: src/env/real (processes, ws, files) and src/env/sim.
import type { Method, Notice } from './method.js';

/** A node's address. Real world: "127.0.0.1:40000". Simulated world: "p0", "p1", ... (as test titles name them) */
export type NodeId = string;

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface CallOptions {
  /** Reject with an RpcError of kind 'timeout' if no reply arrives within this many ms. */
  timeoutMs: number;
}

/** Why a call failed: no reply in time, no connection to the peer, or the peer's handler threw / rejected the params. */
export type RpcErrorKind = 'timeout' | 'unreachable' | 'remote';

export class RpcError extends Error {
  constructor(
    readonly kind: RpcErrorKind,
    readonly peer: NodeId,
    readonly method: string,
    /** What went wrong, in words (the message's part in brackets; '' for none). */
    readonly detail: string,
    /** A peer's JSON-RPC error answer (kind 'remote'): its code (-32601 Method not found, ...); absent for any other failure. */
    readonly code?: number,
    /** That answer's own message, as the peer wrote it; absent for any other failure. */
    readonly answer?: string,
  ) {
    super(`${method} to ${peer}: ${kind}${detail ? ` (${detail})` : ''}`);
    this.name = 'RpcError';
  }
}

/** The failure of a call the peer answered with a JSON-RPC error (both worlds make it here): kind 'remote', with its code. */
export function answeredError(peer: NodeId, method: string, code: number, message: string): RpcError {
  return new RpcError('remote', peer, method, `${code}: ${message}`, code, message);
}

export function isRpcError(e: unknown, kind?: RpcErrorKind): e is RpcError {
  return e instanceof RpcError && (kind === undefined || e.kind === kind);
}

export interface TimerHandle {
  readonly id: number;
}

/**
 * A node's disk: named files of bytes. Writes are volatile until fsync: a crash may lose or
 * tear them (the simulator's disk faults). A read returns what is on the medium, corrupt or not.
 */
export interface Disk {
  /** The whole file, or `length` bytes from `offset`; an empty array if the file does not exist. */
  read(file: string, offset?: number, length?: number): Promise<Uint8Array>;
  write(file: string, offset: number, data: Uint8Array): Promise<void>;
  append(file: string, data: Uint8Array): Promise<void>;
  truncate(file: string, size: number): Promise<void>;
  size(file: string): Promise<number>;
  fsync(file: string): Promise<void>;
  list(): Promise<string[]>;
  remove(file: string): Promise<void>;
  /**
   * Optional: make `file` at least `size` bytes long, the new bytes zeros written as data (durable
   * with the file's next fsync), so that later writes inside them change no file-system metadata
   * and their fsyncs flush data alone. A disk whose fsyncs cost no metadata (the simulator's)
   * leaves it out, and callers then do without (src/storage/record-log.ts).
   */
  preallocate?(file: string, size: number): Promise<void>;
}

/** The yfs breakpoints: 1 and 2 live in the RSM layer, 3 and 4 in the Paxos proposer. */
export type BreakpointNumber = 1 | 2 | 3 | 4;

export type Handler<P, R> = (params: P, from: NodeId) => R | Promise<R>;

export interface Env {
  /** This node's own address. */
  readonly me: NodeId;

  /** Call `method` on `peer`. Params are validated here and again at the peer; the reply is validated before it resolves. */
  call<P, R>(peer: NodeId, method: Method<P, R>, params: P, opts: CallOptions): Promise<R>;
  /**
   * Call `method` on each of `peers` with the same params: one reply promise per peer, in `peers`'
   * order. The same messages, in the same order, as a call to each in turn (so the same trace), but
   * the params are validated and written once (a primary's request to its backups, a broadcast).
   */
  callEach<P, R>(peers: readonly NodeId[], method: Method<P, R>, params: P, opts: CallOptions): Promise<R>[];
  /**
   * Register the handler for `method`. Params that fail the schema are answered with an RpcError of
   * kind 'remote' (the handler never runs). A handler that throws or rejects is a lab error: it fails
   * the simulated run and crashes a real node; no reply is sent.
   */
  serve<P, R>(method: Method<P, R>, handler: Handler<P, R>): void;
  /** One-way message: no reply, no error, may be lost. */
  send<P>(peer: NodeId, notice: Notice<P>, params: P): void;
  /**
   * Send `notice` to each of `peers` with the same params. The same messages, in the same order, as
   * a send to each in turn (so the same trace), but the params are validated and written once (a
   * primary's prepare to its backups).
   */
  sendEach<P>(peers: readonly NodeId[], notice: Notice<P>, params: P): void;
  /** Register the handler for a one-way message. One that fails the schema is dropped (traced); a throw is a lab error, as for serve. */
  on<P>(notice: Notice<P>, handler: (params: P, from: NodeId) => void): void;

  /** `name` (e.g. 'heartbeat') goes into the trace's timer event, so a reader sees which timer fired. */
  setTimer(ms: number, fn: () => void, name?: string): TimerHandle;
  clearTimer(timer: TimerHandle): void;
  /** `name` labels the timer event in the trace, as for setTimer. */
  sleep(ms: number, name?: string): Promise<void>;
  /** Milliseconds: virtual time in the simulator, wall-clock time in the real world. */
  now(): number;
  /** Uniform in [0, 1): the node's own seeded stream in the simulator, or a real PRNG. */
  random(): number;
  /**
   * A unique id (a UUID string), e.g. a recovery nonce: drawn from the node's seeded stream in the
   * simulator (same seed, same nonces), cryptographically random in the real world.
   */
  nonce(): string;

  readonly disk: Disk;

  /** Append a 'log' event to this node's trace. */
  log(what: string, fields?: Record<string, Json>): void;
  /** If breakpoint n is armed on this node, the node dies here and now (exit(1) in the real world, a crash in the simulator). */
  breakpoint(n: BreakpointNumber): void;
  /**
   * If the fault point `name` is armed on this node, the node dies here and now, exactly like a
   * breakpoint. Named fault points serve labs beyond yfs's four (e.g. "vsr.after_prepare_write");
   * they are armed through the fault-and-control interface (src/control/fault-control.ts).
   */
  faultPoint(name: string): void;
  /** If a partition is armed on this node, cut it from every other node now (the seed's partition1()). */
  partitionPoint(): void;
}

/**
 * What both worlds' envs also take, from framework code that runs lab code outside the env's own
 * handlers and timers (the VSR driver steps the engine in promise continuations): a throw of that
 * code, reported as the lab error it is. The simulated run fails (its stack, seed and replay
 * command) and a real node crashes, naming the node and `where`, exactly as for a handler's throw.
 */
export interface LabErrorSink {
  labThrew(where: string, error: unknown): void;
}

/** Whether `env` takes lab errors from the framework (the simulator's and the real world's do; a test's fake may not). */
export function isLabErrorSink(env: Env): env is Env & LabErrorSink {
  return typeof (env as Partial<LabErrorSink>).labThrew === 'function';
}
