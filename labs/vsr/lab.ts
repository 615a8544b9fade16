// Lab 3 as the framework sees it: a node runs one VSR replica engine under the framework's driver
// (src/engine/driver.ts) and reports the replica's status. It owns only this wiring: the replica
// set and quorums from LabOptions, the tick length from Timing; the protocol lives in engine.ts.
import type { Env, Json } from '../../src/env/types.js';
import { faultSites, type Lab, type LabNode, type LabOptions } from '../../src/lab.js';
import type { Timing } from '../../src/timing.js';
import { isAppName } from '../../src/apps/app.js';
import { checksum } from '../../src/engine/checksum.js';
import { EngineDriver, FAULT_POINTS } from '../../src/engine/driver.js';
import { LOG_BODY_BYTES_MAX, type VsrStorage } from '../../src/engine/storage.js';
import { JOURNAL_SHAPE, opBytesMax, type JournalShape } from '../../src/engine/journal-storage.js';
import type { EngineCommand, Event } from './engine.js';
import type { JournalState } from './journal/journal.js';
import type { RecoveryBends } from './journal/recovery.js';
import { majority, type ReplicaState, type VsrConfig } from './state.js';
import { vsrStatus } from './status.js';

export interface VsrLabOptions {
  /** Default: a majority. */
  quorum_replication?: number;
  /** Default: a majority. */
  quorum_view_change?: number;
  /** Default 64 (the throughput bench's client count: every client keeps one write in flight). */
  pipeline_max?: number;
  /** Client writes one prepare carries at most (default 1: no batching; see VsrConfig.batch_max). */
  batch_max?: number;
  /** Called after every engine step of every replica (the tester's state checker, clone tests). */
  afterStep?: (state: ReplicaState, event: Event, commands: EngineCommand[]) => void;
  /** Lab 3's append-only log (default, lab `vsr`) or Lab 4's two-ring journal (lab `par`). */
  storage?: VsrStorage;
  /** The journal's shape (default JOURNAL_SHAPE). */
  journal?: JournalShape;
  /** Lab 4: a test's broken journal recovery (default: the reference's). */
  recovery?: RecoveryBends;
}

/** A VSR node: its status, and (for the simulator's state checker) its replica's live state. */
export interface VsrNode extends LabNode {
  state(): ReplicaState;
  /** Lab 4: the journal's state in memory (null on Lab 3's log), for the tester's journal checks. */
  journal(): JournalState | null;
}

/** The replica state of a LabNode of this lab, or null for any other LabNode. */
export function replicaState(node: LabNode): ReplicaState | null {
  return 'state' in node && typeof node.state === 'function' ? (node as VsrNode).state() : null;
}

/** One engine tick: a tenth of the heartbeat (300 ms classic, 30 ms at the tests' 0.1 scale). */
export function tickMs(timing: Timing): number {
  return Math.max(1, Math.round(timing.heartbeatMs / 10));
}

/** The cluster id: a number derived from the replica set, so nodes of two clusters never mix. */
export function clusterId(replicas: readonly string[]): number {
  return parseInt(checksum(replicas.slice()).slice(0, 8), 16);
}

/** The config's batching field: none with batch_max 1 (the config and behaviour as without batching). */
function batching(batch_max: number): Pick<VsrConfig, 'batch_max'> {
  return batch_max === 1 ? {} : { batch_max };
}

/** What Labs 3 and 4 reach: the driver's named fault points; the engine has no breakpoints and no partitionPoint(). */
export const VSR_SITES = faultSites({ faultPoints: Object.values(FAULT_POINTS) });

/** The journal shape a replica runs on: `base` (the lab's), on the ring a scenario asks for (LabOptions.engine.slot_count), if it asks. */
export function journalShapeOf(base: JournalShape, options: LabOptions): JournalShape {
  const slot_count = options.engine?.slot_count;
  return slot_count === undefined ? base : { ...base, slot_count };
}

export function makeVsrLab(o: VsrLabOptions = {}): Lab {
  const storage = o.storage ?? 'log';
  const name = storage === 'journal' ? 'par' : 'vsr';
  return {
    name,
    sites: VSR_SITES,
    async start(env: Env, options: LabOptions): Promise<LabNode> {
      const shape = journalShapeOf(o.journal ?? JOURNAL_SHAPE, options);
      const { replicas, index } = options;
      if (replicas === undefined || index === undefined) throw new Error(`${name} lab: needs the replica set (rsmlab node --replicas HOST:PORT,... --index I)`);
      const app = options.app ?? 'kv';
      if (!isAppName(app)) throw new Error(`${name} lab: unknown app '${app}' (known: kv, lock)`);
      const config: VsrConfig = {
        cluster: clusterId(replicas),
        replica: index,
        replicas: [...replicas],
        quorum_replication: o.quorum_replication ?? majority(replicas.length),
        quorum_view_change: o.quorum_view_change ?? majority(replicas.length),
        pipeline_max: options.engine?.pipeline_max ?? o.pipeline_max ?? 64,
        ...batching(options.engine?.batch_max ?? o.batch_max ?? 1),
        body_bytes_max: storage === 'journal' ? opBytesMax(shape) : LOG_BODY_BYTES_MAX,
        app,
        ...(storage === 'journal' && { journal: { slot_count: shape.slot_count } }),
      };
      const driver = await EngineDriver.start(env, {
        config,
        tickMs: tickMs(options.timing),
        requestTimeoutMs: options.timing.clientTimeoutMs,
        afterStep: o.afterStep,
        storage,
        journal: shape,
        recovery: o.recovery,
      });
      const journal = storage === 'journal' ? { journal: { cluster: config.cluster, ...shape } } : {};
      const status = (): Json => ({ ...vsrStatus(driver.state), fsyncs: driver.fsyncs, ...journal, ...(storage === 'journal' && { faulty: [...driver.state.faulty] }) });
      const node: VsrNode = { status, state: () => driver.state, journal: () => driver.journal };
      return node;
    },
  };
}

export const vsrLab: Lab = makeVsrLab();

/** Lab 4 (protocol-aware recovery): Lab 3's engine on the two-ring journal. */
export const parLab: Lab = makeVsrLab({ storage: 'journal' });
