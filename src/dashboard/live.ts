// The live feed behind the dashboard's live page: every tick it reads each node's status through
// the one fault-and-control interface and the new trace events of the world, and turns them into
// one update for the page (node cards, log tails, client ops, a rate-limited message stream, the
// event stream). Control requests from the page go through the same interface, observed so that
// each appears in the event stream. It never touches a node except through FaultControl.
import { z } from 'zod';
import type { Json, NodeId } from '../env/types.js';
import type { TraceEvent } from '../trace/event.js';
import { eventWords, fieldWords } from '../trace/event-words.js';
import { diskFaultSchema } from '../env/disk-faults.js';
import { observed, type ControlAction, type FaultControl, type FaultStatus } from '../control/fault-control.js';
import { faultSettings } from '../control/protocol.js';
import { summarize, viewSentence, type NodeSummary } from './node-summary.js';

/** Where a live feed's world comes from: a real cluster's folder, or a simulated run. */
export interface LiveSource {
  readonly world: 'real' | 'sim';
  readonly title: string;
  readonly nodes: readonly NodeId[];
  readonly control: FaultControl;
  /** Trace events that happened since the last call, in order. */
  events(): TraceEvent[];
  /** Set once the world is over (a finished simulated run): the page keeps its last state, faults are refused. */
  readonly over?: string | null;
  /** The world's clock (ms), the one its trace events are stamped with: virtual time in a simulated run, Date.now() by default. */
  now?(): number;
  /** A simulated run's player state (play/pause, speed, virtual time), shown in the page's player bar. */
  player?(): Json;
  /**
   * False when the feed watches processes it did not start (rsmlab dashboard --members): it can
   * neither kill nor restart them, and the page offers neither. Default true.
   */
  readonly owned?: boolean;
  /** Why this world has no client load (a Paxos cluster, --clients 0), when it has none: the page says so where client operations would show. */
  readonly clientless?: string;
}

/** At most this many message events go to the page per tick; the rest are counted. */
export const MESSAGES_PER_TICK = 40;
const LOG_TAIL = 8;
const CLIENT_OPS = 12;
const EVENTS_KEPT = 200;

export interface NodeView {
  status: Omit<FaultStatus, 'state'>;
  summary: NodeSummary;
  /** The node's last lifecycle, fault and log events, as text. */
  logTail: string[];
  /** The last client requests this node received. */
  clientRequests: string[];
}

/** One line of the event stream: a world event, a view change seen in status, or a control action. */
export interface StreamEvent {
  t: number;
  node: NodeId;
  kind: string;
  text: string;
}

export interface LiveUpdate {
  type: 'update';
  world: 'real' | 'sim';
  /** Whether the page may kill and restart nodes (LiveSource.owned). */
  owned: boolean;
  title: string;
  tick: number;
  nodes: NodeView[];
  /** New stream events since the previous update. */
  stream: StreamEvent[];
  /** New message events (send/deliver/drop), at most MESSAGES_PER_TICK. */
  messages: TraceEvent[];
  /** Message events left out of this update by the rate limit. */
  skipped: number;
  clientOps: string[];
  /** LiveSource.clientless: why no client operation will show, when none will. */
  clientless?: string;
  totals: { sent: number; delivered: number; dropped: number };
  player?: Json;
}

const nodeField = z.string().min(1).max(200);
export const controlRequestSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('crash'), node: nodeField, signal: z.enum(['SIGTERM', 'SIGKILL']).optional() }),
  z.object({ action: z.literal('restart'), node: nodeField }),
  z.object({ action: z.literal('partition'), node: nodeField, now: z.boolean().optional() }),
  z.object({ action: z.literal('heal'), node: nodeField }),
  z.object({ action: z.literal('breakpoint'), node: nodeField, n: z.literal([1, 2, 3, 4]) }),
  z.object({ action: z.literal('faultPoint'), node: nodeField, name: z.string() }),
  // The control plane's own `faults` params (its rules for loss, dup, delay and method names): `methods: []` is every method again.
  faultSettings.partial().extend({ action: z.literal('netFaults'), node: nodeField }),
  z.object({ action: z.literal('diskFault'), node: nodeField, fault: diskFaultSchema }),
  z.object({ action: z.literal('clearDiskFaults'), node: nodeField, file: z.string().min(1).optional() }),
  z.object({ action: z.literal('diskFiles'), node: nodeField }),
]);
export type ControlRequest = z.infer<typeof controlRequestSchema>;

function ring<T>(list: T[], item: T, keep: number): void {
  list.push(item);
  if (list.length > keep) list.splice(0, list.length - keep);
}

function detailText(detail: Record<string, Json> | undefined): string {
  return fieldWords(detail).join(' ');
}

function isMessage(e: TraceEvent): boolean {
  return e.kind === 'send' || e.kind === 'deliver' || e.kind === 'drop';
}

export class LiveFeed {
  private readonly logTails = new Map<NodeId, string[]>();
  private readonly requests = new Map<NodeId, string[]>();
  private readonly clientOps: string[] = [];
  private readonly views = new Map<NodeId, string | undefined>();
  private pending: StreamEvent[] = [];
  /** The event stream so far (bounded), for a page that connects late. */
  readonly history: StreamEvent[] = [];
  private tickCount = 0;
  private readonly totals = { sent: 0, delivered: 0, dropped: 0 };
  /** The stream shows times from the moment the feed began. */
  private readonly origin: number;

  private lastNodes: NodeView[] = [];
  private overSeen = false;

  constructor(private readonly source: LiveSource) {
    this.origin = this.clock();
  }

  private clock(): number {
    return this.source.now ? this.source.now() : Date.now();
  }

  private now(): number {
    return this.clock() - this.origin;
  }

  private stream(t: number, node: NodeId, kind: string, text: string): void {
    const event = { t, node, kind, text };
    this.pending.push(event);
    ring(this.history, event, EVENTS_KEPT);
  }

  /** Read the world once and build the next update. */
  async tick(): Promise<LiveUpdate> {
    const events = this.source.events();
    const messages: TraceEvent[] = [];
    let skipped = 0;
    for (const e of events) {
      if (isMessage(e)) {
        this.count(e);
        if (e.msg?.from.startsWith('client:') && e.kind === 'deliver') ring(this.requestsOf(e.node), `${e.msg.method} ${e.msg.summary}`, 5);
        if (messages.length < MESSAGES_PER_TICK) messages.push(e);
        else skipped++;
      } else if (e.kind === 'client') {
        ring(this.clientOps, `${e.node.replace(/^client:/, '')} ${detailText(e.detail)}`, CLIENT_OPS);
      } else if (e.kind !== 'timer') {
        const [kind = e.kind, ...words] = eventWords(e.kind, e.detail);
        ring(this.logTailOf(e.node), [kind, ...words].join(' '), LOG_TAIL);
        if (e.kind !== 'log') this.stream(e.t - this.origin, e.node, kind, words.join(' '));
      }
    }
    const over = this.source.over ?? null;
    if (over !== null && !this.overSeen) {
      this.overSeen = true;
      this.stream(this.now(), '*', 'over', `the run is over: ${over}`);
    }
    const nodes = over !== null ? this.lastNodes : (await Promise.all(this.source.nodes.map((n) => this.source.control.status(n)))).map((s) => this.nodeView(s));
    this.lastNodes = nodes;
    const stream = this.pending;
    this.pending = [];
    return {
      type: 'update',
      world: this.source.world,
      owned: this.source.owned !== false,
      title: this.source.title,
      tick: ++this.tickCount,
      nodes,
      stream,
      messages,
      skipped,
      clientOps: [...this.clientOps],
      ...(this.source.clientless !== undefined && { clientless: this.source.clientless }),
      totals: { ...this.totals },
      ...(this.source.player && { player: this.source.player() }),
    };
  }

  private count(e: TraceEvent): void {
    if (e.kind === 'send') this.totals.sent++;
    else if (e.kind === 'deliver') this.totals.delivered++;
    else this.totals.dropped++;
  }

  private logTailOf(node: NodeId): string[] {
    let tail = this.logTails.get(node);
    if (tail === undefined) this.logTails.set(node, (tail = []));
    return tail;
  }

  private requestsOf(node: NodeId): string[] {
    let list = this.requests.get(node);
    if (list === undefined) this.requests.set(node, (list = []));
    return list;
  }

  private nodeView(status: FaultStatus): NodeView {
    const { state, ...rest } = status;
    const summary = summarize(status.node, state);
    const sentence = summary.members.length > 0 ? viewSentence(summary) : undefined;
    if (status.alive && sentence !== undefined && sentence !== this.views.get(status.node)) this.stream(this.now(), status.node, 'view', sentence);
    if (status.alive) this.views.set(status.node, sentence);
    else this.views.delete(status.node);
    return { status: rest, summary, logTail: [...(this.logTails.get(status.node) ?? [])], clientRequests: [...(this.requests.get(status.node) ?? [])] };
  }

  private async checkUpOrDown(r: ControlRequest): Promise<void> {
    const problem = lifecycleProblem(r, this.source.owned !== false) ?? upOrDownProblem(r, (await this.source.control.status(r.node)).alive, this.source.world);
    if (problem !== undefined) throw new BadRequest(problem);
  }

  /** Carry out one control request from the page (already authorized); the answer is JSON. */
  async act(body: unknown): Promise<Json> {
    const checked = controlRequestSchema.safeParse(body);
    if (!checked.success) throw new BadRequest(`bad control request: ${checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    const r = checked.data;
    if (!this.source.nodes.includes(r.node)) throw new BadRequest(`no node ${r.node} (nodes: ${this.source.nodes.join(', ')})`);
    if (this.source.over) throw new BadRequest(`the run is over (${this.source.over}): replay it to try again`);
    const c = observed(this.source.control, (a) => this.stream(this.now(), a.node, 'control', actionText(a)));
    try {
      await this.checkUpOrDown(r);
      switch (r.action) {
        case 'crash':
          await c.crash(r.node, r.signal);
          return { ok: true };
        case 'restart':
          await c.restart(r.node);
          return { ok: true };
        case 'partition':
          return await c.partition(r.node, r.now);
        case 'heal':
          return await c.heal(r.node);
        case 'breakpoint':
          return await c.breakpoint(r.node, r.n);
        case 'faultPoint':
          return await c.faultPoint(r.node, r.name);
        case 'netFaults': {
          const { action, node, ...change } = r;
          return await c.netFaults(node, change);
        }
        case 'diskFault':
          return await c.diskFault(r.node, r.fault);
        case 'clearDiskFaults':
          return await c.clearDiskFaults(r.node, r.file);
        case 'diskFiles':
          return { files: await c.diskFiles(r.node) };
      }
    } catch (e) {
      this.stream(this.now(), r.node, 'control', `${r.action} failed: ${firstAndLast(e instanceof Error ? e.message : String(e))}`);
      throw e;
    }
  }
}

/**
 * Refuse, naming the node, a request its state makes pointless: a kill of a node that is already
 * down (it would answer ok and do nothing), a restart of one that is up, and in the real world any
 * other request to a down node (its control plane went with its process).
 */
function upOrDownProblem(r: ControlRequest, alive: boolean, world: LiveSource['world']): string | undefined {
  if (r.action === 'crash' && !alive) return `${r.node} is already down: restart it first`;
  if (r.action === 'restart' && alive) return `${r.node} is already running: kill it first`;
  if (r.action !== 'restart' && !alive && world === 'real') return `${r.node} is down, and its control plane with it: restart it first`;
  return undefined;
}

/** Refuse a kill or a restart of a node the feed did not start (dashboard --members): it holds no process to act on. */
function lifecycleProblem(r: ControlRequest, owned: boolean): string | undefined {
  if (owned || (r.action !== 'crash' && r.action !== 'restart')) return undefined;
  return `this dashboard watches nodes it did not start: ${r.action === 'crash' ? 'kill' : 'restart'} ${r.node} where it was started`;
}

/**
 * A failure's message as one stream line: a failed restart's carries the end of the node's log
 * (20 lines), whole in the page's answer to the request; the stream keeps its first line and its
 * last, which says why the node would not start.
 */
export function firstAndLast(message: string): string {
  const lines = message.split('\n').map((line) => line.trim()).filter((line) => line !== '');
  return lines.length <= 2 ? lines.join(' ') : `${lines[0]} … ${lines.at(-1)} (${lines.length - 2} lines more in the node's log)`;
}

/** A request the page got wrong (HTTP 400), as opposed to a control action that failed (HTTP 500). */
export class BadRequest extends Error {}

function actionText(a: ControlAction): string {
  const args = detailText(a.args !== null && typeof a.args === 'object' && !Array.isArray(a.args) ? a.args : undefined);
  return `${a.action}${args ? ` ${args}` : ''}`;
}
