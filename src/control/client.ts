// Talking to a node's test-control plane (port p+1) from outside: one short-lived connection per
// call. `ctl` is the whole of `rsmlab ctl HOST:PORT <command> [args]`, a thin parser over the one
// fault-and-control interface (remote-control.ts), so the CLI only prints. It never keeps
// connections open and never reaches a node's protocol port.
import { parseArgs } from 'node:util';
import type { Method } from '../env/method.js';
import { describeIssues } from '../env/method.js';
import { isRpcError, type Json, type NodeId } from '../env/types.js';
import { controlAddressOf, linkUrl } from '../env/real/address.js';
import { PeerLink } from '../env/real/peer-link.js';
import { encodeRequest } from '../wire/frame.js';
import type { BreakpointNumber } from '../env/types.js';
import { RemoteFaultControl } from './remote-control.js';
import { diskFaultKinds, diskFaultSchema, type DiskFault } from '../env/disk-faults.js';
import { corruptUsage, journalCorruption } from '../cli/corrupt-command.js';

export const defaultControlTimeoutMs = 2000;

/** Call a control method on node `node` ("HOST:PORT"; the control plane listens on PORT+1). Rejects with RpcError. */
export async function controlCall<P, R>(node: NodeId, method: Method<P, R>, params: P, timeoutMs = defaultControlTimeoutMs, token?: string): Promise<R> {
  const address = controlAddressOf(node);
  const peer = `${address.host}:${address.port}`;
  const checked = method.params.safeParse(params);
  if (!checked.success) throw new Error(`invalid params for ${method.name}: ${describeIssues(checked.error)}`);
  const url = linkUrl(address, 'client:ctl');
  const link = new PeerLink(peer, token === undefined ? url : `${url}&token=${encodeURIComponent(token)}`);
  try {
    const reply = link.expect(1, method as Method<unknown, R>, timeoutMs);
    link.transmit(encodeRequest(1, JSON.stringify(method.name), JSON.stringify(checked.data)));
    return await reply;
  } finally {
    link.close();
  }
}

export const ctlCommands = ['status', 'pid', 'breakpoint', 'fault-point', 'partition', 'heal', 'faults', 'disk-fault', 'disk-clear', 'disk-files', 'corrupt'] as const;
/** How many arguments (besides flags) each command takes at most: extras are refused, never ignored. */
const MAX_ARGS: Record<(typeof ctlCommands)[number], number> = { status: 0, pid: 0, breakpoint: 1, 'fault-point': 1, partition: 0, heal: 0, faults: 0, 'disk-fault': 3, 'disk-clear': 1, 'disk-files': 0, corrupt: 0 };

export const ctlUsage = [
  'status                  the node, what is armed, and sites: the breakpoints, partitionPoint() and',
  '                        fault points its lab reaches (arming any other is refused)',
  'pid                     the node process\'s pid, for kill -9 $(rsmlab ctl HOST:PORT pid)',
  'breakpoint N            arm breakpoint N (1..4), one its lab reaches (Lab 1: 3, 4; Lab 2: 1-4)',
  'fault-point NAME        arm the named fault point (the node dies at env.faultPoint(NAME))',
  'partition [--now] [--peers-only]',
  '                        cut at the lab\'s next partitionPoint() (only Lab 2 has one), or at once;',
  '                        --peers-only: from the other nodes only (HOST:PORT), while clients still',
  '                        reach the node and hear back',
  'heal',
  'faults [--loss P] [--dup P] [--delay MS] [--methods M,M]',
  '                        --methods: the faults strike only those methods\' messages (e.g. rsm.invoke;',
  '                        a method the node\'s lab does not serve is refused);',
  '                        --methods \'\' strikes every message again',
  'disk-fault FILE OFFSET LENGTH [--kind K] [--latent] [--count N] [--to OFFSET]',
  '                        K: corrupt (XOR the bytes now; the default), corrupt-read, corrupt-write,',
  '                        misdirect, lost-write (armed: they strike the next --count IOs on those sectors)',
  'disk-clear [FILE]       drop the armed faults and latent errors of FILE (of every file); they outlive restarts',
  'disk-files',
  corruptUsage,
  '(any command) --token T  the control plane\'s token, when it binds a non-loopback address (or RSMLAB_CONTROL_TOKEN)',
].join('\n');

/** A ctl command's arguments are wrong: `ctl` adds the lines of the usage that describe that command. */
class UsageError extends Error {}

/** The lines of the usage that describe `command`: its own and those indented under it (the whole usage for an unknown one). */
export function usageOf(command: string): string {
  const lines = ctlUsage.split('\n');
  const first = lines.findIndex((line) => line === command || line.startsWith(`${command} `));
  if (first < 0) return ctlUsage;
  let end = first + 1;
  while (end < lines.length && lines[end]!.startsWith(' ')) end++;
  return lines.slice(first, end).join('\n');
}

/** A number `ctl` was given for `what`: every one it takes (a count, an offset, a delay, a probability) is ≥ 0. */
function number(text: string | undefined, what: string): number {
  const n = Number(text);
  if (text === undefined || text.trim() === '' || !Number.isFinite(n)) throw new UsageError(`${what} must be a number`);
  if (n < 0) throw new UsageError(`${what} must be a number ≥ 0, not ${text}`);
  return n;
}

/** `--methods a,b`: the method names (the control plane checks each); '' is none, every message again. */
function methodList(text: string): string[] {
  return text === '' ? [] : text.split(',').map((m) => m.trim());
}

/**
 * Why a flag of `disk-fault` (`--latent`, `--count`, `--to`) does not go with `kind`, or undefined: the
 * kinds that take it, read from the schema. Said plainly, never dropped: the default kind, corrupt,
 * would flip the bytes at once instead of arming what the flag asked for.
 */
function flagMismatch(kind: string, flags: readonly string[]): string | undefined {
  const takes = (key: string): string[] => diskFaultSchema.options.filter((o) => key in o.shape).map((o) => o.shape.kind.value);
  const wrong = flags.find((flag) => !takes(flag).includes(kind));
  if (wrong === undefined || !diskFaultKinds.some((k) => k === kind)) return undefined; // an unknown kind: the schema says so
  return `--${wrong} does not apply to --kind ${kind}${kind === 'corrupt' ? ' (the default: it changes the bytes at once)' : ''}; it arms --kind ${takes(wrong).join(', ')}`;
}

/** The DiskFault of `disk-fault FILE OFFSET LENGTH [--kind K] [--latent] [--count N] [--to OFFSET]`, or a clear error. */
function diskFaultOf(positionals: readonly string[], values: { kind?: string; latent?: boolean; count?: string; to?: string }): DiskFault {
  const kind = values.kind ?? 'corrupt';
  const mismatch = flagMismatch(kind, (['latent', 'count', 'to'] as const).filter((flag) => values[flag] !== undefined));
  if (mismatch !== undefined) throw new UsageError(`disk-fault: ${mismatch}`);
  const fault = diskFaultSchema.safeParse({
    kind,
    file: positionals[0] ?? '',
    offset: number(positionals[1], 'OFFSET'),
    length: number(positionals[2], 'LENGTH'),
    ...(values.latent !== undefined && { latent: values.latent }),
    ...(values.count !== undefined && { count: number(values.count, '--count') }),
    ...(values.to !== undefined && { to: number(values.to, '--to') }),
  });
  if (!fault.success) throw new UsageError(`disk-fault: ${describeIssues(fault.error)}`);
  return fault.data;
}

/** Run one `rsmlab ctl` command against node `node` and return the control plane's JSON answer. */
const ctlFlags = {
  now: { type: 'boolean' },
  'peers-only': { type: 'boolean' },
  loss: { type: 'string' },
  dup: { type: 'string' },
  delay: { type: 'string' },
  methods: { type: 'string' },
  token: { type: 'string' },
  kind: { type: 'string' },
  latent: { type: 'boolean' },
  count: { type: 'string' },
  to: { type: 'string' },
  slot: { type: 'string' },
  ring: { type: 'string' },
} as const;
type CtlFlags = ReturnType<typeof parseArgs<{ options: typeof ctlFlags; allowPositionals: true }>>['values'];

/**
 * `args` with a negative number after a flag that takes a value joined to it (`--delay -5` as
 * `--delay=-5`), so that the check of the value refuses it by name. parseArgs would read `-5` as an
 * option of its own and talk about options; a negative number anywhere else is refused here, plainly.
 */
function negativesJoined(command: string, args: readonly string[]): string[] {
  const joined: string[] = [];
  for (const arg of args) {
    if (!/^-\.?\d/.test(arg)) joined.push(arg);
    else if (takesValue(joined.at(-1))) joined.push(`${joined.pop()!}=${arg}`);
    else throw new UsageError(`ctl ${command}: '${arg}': no argument of ${command} is a negative number`);
  }
  return joined;
}

/** Whether `arg` is a flag of ctlFlags that takes a value and was given none with `=`. */
function takesValue(arg: string | undefined): boolean {
  const name = arg?.startsWith('--') === true ? arg.slice(2) : '';
  return name in ctlFlags && ctlFlags[name as keyof typeof ctlFlags].type === 'string';
}

export async function ctl(node: NodeId, command: string, args: readonly string[], timeoutMs = defaultControlTimeoutMs): Promise<Json> {
  try {
    const { values, positionals } = parseArgs({ args: negativesJoined(command, args), options: ctlFlags, allowPositionals: true });
    const most = (MAX_ARGS as Record<string, number | undefined>)[command];
    const token = values.token ?? process.env.RSMLAB_CONTROL_TOKEN;
    const control = new RemoteFaultControl({ timeoutMs, ...(token !== undefined && { token }) });
    if (most !== undefined && positionals.length > most) throw new UsageError(`ctl ${command} takes ${most === 0 ? 'no arguments' : `at most ${most} arguments`} besides its flags, not '${positionals.join(' ')}'`);
    return await run(control, node, command, values, positionals);
  } catch (e) {
    if (e instanceof UsageError) throw new Error(`${e.message} (usage:\n${usageOf(command)})`);
    throw withPortHint(e, node);
  }
}

/**
 * A failure to reach `node`'s control plane, with a hint when the port looks wrong: nothing answered
 * at port + 1, or something that serves no control method did (`Method not found`): most often
 * another node's protocol port, because ctl was given a control port (p+1), not a node's own.
 */
function withPortHint(e: unknown, node: NodeId): unknown {
  const hint = "ctl reaches a node's control plane at that port + 1";
  if (isRpcError(e, 'unreachable')) return new Error(`${e.message}: is ${node} up, and is it the node's own port? ${hint}`);
  if (isRpcError(e, 'remote') && e.code === -32601) return new Error(`${e.message}: that is no control plane; is ${node} a control port, not a node's own? ${hint}`);
  return e;
}

/** Carry out `ctl` command `command` (its flags `values`, its arguments `positionals`) against `node` through `control`. */
async function run(control: RemoteFaultControl, node: NodeId, command: string, values: CtlFlags, positionals: readonly string[]): Promise<Json> {
  switch (command) {
    case 'status':
      return control.status(node);
    case 'pid':
      return (await control.status(node)).pid;
    case 'breakpoint':
      return control.breakpoint(node, number(positionals[0], 'N') as BreakpointNumber);
    case 'fault-point':
      return control.faultPoint(node, positionals[0] ?? '');
    case 'partition':
      return control.partition(node, values.now === true, values['peers-only'] === true ? 'peers' : 'all');
    case 'heal':
      return control.heal(node);
    case 'faults':
      return control.netFaults(node, {
        ...(values.loss !== undefined && { loss: number(values.loss, '--loss') }),
        ...(values.dup !== undefined && { dup: number(values.dup, '--dup') }),
        ...(values.delay !== undefined && { delayMs: number(values.delay, '--delay') }),
        ...(values.methods !== undefined && { methods: methodList(values.methods) }),
      });
    case 'disk-fault':
      return control.diskFault(node, diskFaultOf(positionals, values));
    case 'disk-clear':
      return control.clearDiskFaults(node, positionals[0]);
    case 'disk-files':
      return { files: await control.diskFiles(node) };
    case 'corrupt': {
      // Loaded here, not at the top: it brings Lab 4's journal format, and lab code the `rsmlab`
      // command loads at its start would keep dist/*.js lines in its stack traces (main.ts).
      const { corruptJournal } = await import('./journal-corrupt.js');
      return { ...(await corruptJournal(control, node, journalCorruption(values, positionals))) };
    }
    default:
      throw new Error(`unknown ctl command '${command}' (one of: ${ctlCommands.join(', ')})\n${ctlUsage}`);
  }
}
