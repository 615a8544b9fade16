// The test-control plane's messages (port p+1), declared once with zod: partition/heal, breakpoints,
// status, link faults and disk faults. Both the server (control/server.ts) and every client
// (control/client.ts, the CLI, the tester, the dashboard) use these declarations. No behaviour here.
import { z } from 'zod';
import { method } from '../env/method.js';
import { diskFaultResultSchema, diskFaultSchema, fileNameSchema } from '../env/disk-faults.js';
import { FAULT_POINT_NAME } from './fault-control.js';

/** A method name as labs declare them ('rsm.invoke', 'vsr.prepare'), for the link faults' filter. */
const methodNameSchema = z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'a method name: letters, digits and . _ : - (1 to 64)');
/** At most this many methods in one filter. */
const METHODS_MAX = 32;

export const faultSettings = z.object({
  /** Probability in [0, 1] that a message on the node's links is lost. */
  loss: z.number().min(0).max(1),
  /** Probability in [0, 1] that a message on the node's links is delivered twice. */
  dup: z.number().min(0).max(1),
  /** Extra delay in ms for each message on the node's links. */
  delayMs: z.int().min(0).max(600_000),
  /** The RPC methods the faults strike (absent: every message; [] in a change: every message again). */
  methods: z.array(methodNameSchema).max(METHODS_MAX).optional(),
});

/** Present (true) while the node's cut, taken or armed, is from the other nodes only: clients still reach it. */
const peersOnly = z.literal(true).optional();

const partitionState = z.object({ partitioned: z.boolean(), partitionArmed: z.boolean(), peersOnly });

/**
 * heal=false arms a partition (cut at the next partitionPoint(), or at once with now=true), from
 * everyone or, with peersOnly, from the other nodes only (HOST:PORT ids; `client:…` ids still get through); heal=true heals at once.
 */
export const netRepair = method('net_repair', z.strictObject({ heal: z.boolean(), now: z.boolean().optional(), peersOnly: z.boolean().optional() }), partitionState);

/** A breakpoint's number: what env.breakpoint(n) takes. */
const breakpointNumber = z.literal([1, 2, 3, 4]);

/** Arm breakpoint n: the node exits(1) the next time its code calls env.breakpoint(n). */
export const breakpoint = method('breakpoint', z.strictObject({ n: breakpointNumber }), z.object({ breakpoints: z.array(z.int()) }));

/** The fault sites the node's lab reaches (Lab.sites): what arming a breakpoint, deferred partition or fault point can hit. */
export const faultSitesSchema = z.object({
  breakpoints: z.array(breakpointNumber),
  partitionPoint: z.boolean(),
  faultPoints: z.array(z.string()),
});

/** Arm the named fault point: the node exits(1) the next time its code calls env.faultPoint(name). */
export const faultPoint = method('fault_point', z.strictObject({ name: z.string().regex(FAULT_POINT_NAME) }), z.object({ faultPoints: z.array(z.string()) }));

export const nodeStatus = z.object({
  node: z.string(),
  lab: z.string(),
  pid: z.int(),
  /** CPU microseconds (user + system) this node's process has used so far (benchmarks' per-op CPU). */
  cpu_us: z.int().nonnegative().optional(),
  partitioned: z.boolean(),
  partitionArmed: z.boolean(),
  peersOnly,
  /** Armed breakpoints. */
  breakpoints: z.array(z.int()),
  /** Armed named fault points. */
  faultPoints: z.array(z.string()),
  /** What the lab reaches at all (the dashboard offers only these). */
  sites: faultSitesSchema,
  faults: faultSettings,
  /** Whether the lab's start() has returned; until then `state` is null (a node serves its control plane first). */
  started: z.boolean(),
  /** The lab's LabNode.status(), or null while the lab is still starting. */
  state: z.json(),
});
export type NodeStatus = z.infer<typeof nodeStatus>;

export const status = method('status', z.object({}), nodeStatus);

/**
 * Change some link fault settings (the others keep their values); returns all of them. Methods the
 * node's lab does not serve are refused; while its lab is starting they cannot be checked, and
 * `warning` says so.
 */
export const faults = method('faults', z.strictObject(faultSettings.shape).partial(), faultSettings.extend({ warning: z.string().optional() }));

/**
 * Apply or arm a disk fault of any kind (src/env/disk-faults.ts). Params without a `kind` are the
 * instructors' original `corrupt`: XOR `length` bytes from `offset` with random non-zero bytes now.
 */
export const diskFault = method(
  'disk_fault',
  z.preprocess((v) => (typeof v === 'object' && v !== null && !('kind' in v) ? { ...v, kind: 'corrupt' } : v), diskFaultSchema),
  diskFaultResultSchema,
);

/** Drop the armed faults and latent errors of one file (of every file when absent); they would otherwise outlive restarts until spent. */
export const diskClear = method('disk_clear', z.strictObject({ file: fileNameSchema.optional() }), z.object({ cleared: z.int() }));

export const diskFiles = method('disk_files', z.object({}), z.object({ files: z.array(z.object({ name: z.string(), size: z.int() })) }));
