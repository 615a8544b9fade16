// The echo lab: a tiny, deterministic node for framework tests in both worlds (not a protocol).
// It answers echo.ping, counts echo.note notices durably (disk + fsync), writes and reads disk bytes
// on request, calls breakpoint(1), the fault point 'echo.ping' and partitionPoint() on every ping,
// asserts on echo.check, throws on echo.fail / echo.fail_note (lab errors, in each kind of
// handler) and loops for ever on echo.spin. It touches the world only through Env.
import { z } from 'zod';
import { method, notice } from '../../src/env/method.js';
import type { Env } from '../../src/env/types.js';
import { faultSites, type Lab, type LabNode } from '../../src/lab.js';
import { assert } from '../../src/assert.js';

export const ping = method('echo.ping', z.object({ text: z.string() }), z.object({ text: z.string(), count: z.number() }));
export const note = notice('echo.note', z.object({ text: z.string() }));
/** Asserts `ok`: with ok=false the node violates an invariant (and must crash loudly). */
export const check = method('echo.check', z.object({ ok: z.boolean() }), z.object({ ok: z.literal(true) }));

/** Framework tests of the disk in both worlds: write `length` bytes of value `fill` at `offset` and fsync. */
export const diskWrite = method(
  'echo.disk_write',
  z.object({ file: z.string(), offset: z.int().min(0), length: z.int().min(0).max(1 << 20), fill: z.int().min(0).max(255) }),
  z.object({ ok: z.literal(true) }),
);
/** Read bytes back, as runs [value, how many] (small on the wire); a missing file reads as none. */
export const diskRead = method(
  'echo.disk_read',
  z.object({ file: z.string(), offset: z.int().min(0), length: z.int().min(0).max(1 << 20) }),
  z.object({ runs: z.array(z.tuple([z.int(), z.int()])) }),
);

/** Framework tests of the frame bound: a reply of `chars` x's (at most 128 Mi, twice MAX_FRAME_BYTES). */
export const fill = method('echo.fill', z.object({ chars: z.int().min(0).max(1 << 27) }), z.object({ text: z.string() }));

/** Where echo.fail throws: in its handler, in an async handler, in a timer, or on a disk write's completion. */
export const failIn = z.enum(['handler', 'async', 'timer', 'disk']);
export const fail = method('echo.fail', z.object({ in: failIn }), z.object({ ok: z.literal(true) }));
/** A one-way message whose handler throws. */
export const failNote = notice('echo.fail_note', z.object({}));
/** A one-way message whose handler never returns (a student's endless loop): the node stops answering anything. */
export const spin = notice('echo.spin', z.object({}));

/** The error echo.fail throws: a bug a student could write. */
function bug(where: string): never {
  throw new TypeError(`echo: a lab bug thrown in ${where}`);
}

/** The file holding the durable count: 8 bytes, a little-endian float64. */
export const countFile = 'count';

export type EchoStatus = {
  /** Pings answered by this incarnation. */
  pings: number;
  /** Notes received by this incarnation. */
  notes: number;
  /** Notes ever counted by this node (durable across restarts). */
  count: number;
  /** The count known to be on disk (written and fsynced). */
  synced: number;
};

async function readCount(env: Env): Promise<number> {
  const bytes = await env.disk.read(countFile);
  return bytes.length === 8 ? new DataView(bytes.buffer, bytes.byteOffset, 8).getFloat64(0, true) : 0;
}

/** Bytes as runs of equal values: [value, how many]. */
function runsOf(bytes: Uint8Array): [number, number][] {
  const runs: [number, number][] = [];
  for (const b of bytes) {
    const last = runs[runs.length - 1];
    if (last !== undefined && last[0] === b) last[1]++;
    else runs.push([b, 1]);
  }
  return runs;
}

function encodeCount(count: number): Uint8Array {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setFloat64(0, count, true);
  return bytes;
}

/** What echo.ping reaches: breakpoint 1, the fault point 'echo.ping' and partitionPoint(). */
export const ECHO_SITES = faultSites({ breakpoints: [1], partitionPoint: true, faultPoints: ['echo.ping'] });

export const echoLab: Lab = {
  name: 'echo',
  sites: ECHO_SITES,
  async start(env: Env): Promise<LabNode> {
    const count = await readCount(env);
    const status: EchoStatus = { pings: 0, notes: 0, count, synced: count };
    let persisted = Promise.resolve();
    env.serve(ping, ({ text }) => {
      env.breakpoint(1);
      env.faultPoint('echo.ping');
      env.partitionPoint();
      status.pings++;
      return { text, count: status.count };
    });
    env.serve(check, ({ ok }) => {
      assert(ok, 'echo.check: asked to violate an invariant');
      return { ok };
    });
    env.serve(fail, (params) => {
      if (params.in === 'handler') bug('a handler');
      if (params.in === 'async') return env.sleep(1).then(() => bug('an async handler'));
      if (params.in === 'timer') env.setTimer(1, () => bug('a timer'));
      if (params.in === 'disk') void env.disk.write('scratch', 0, new Uint8Array(1)).then(() => bug('a disk completion'));
      return { ok: true as const };
    });
    env.serve(fill, ({ chars }) => ({ text: 'x'.repeat(chars) }));
    env.on(failNote, () => bug('a notice handler'));
    env.on(spin, () => {
      for (;;) status.pings += 0;
    });
    env.serve(diskWrite, async ({ file, offset, length, fill }) => {
      await env.disk.write(file, offset, new Uint8Array(length).fill(fill));
      await env.disk.fsync(file);
      return { ok: true as const };
    });
    env.serve(diskRead, async ({ file, offset, length }) => ({ runs: runsOf(await env.disk.read(file, offset, length)) }));
    env.on(note, ({ text }) => {
      status.notes++;
      status.count++;
      const count = status.count;
      env.log('note', { text, count });
      persisted = persisted.then(async () => {
        await env.disk.write(countFile, 0, encodeCount(count));
        await env.disk.fsync(countFile);
        status.synced = count;
      });
    });
    return { status: () => ({ ...status }) };
  },
};
