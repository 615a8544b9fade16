// Parsers for the rsmlab command's flag values: each refuses a bad value with a message that says
// what it must be (commander turns that into exit 2). Nothing here runs a command.
import { InvalidArgumentError } from 'commander';
import { parseAddress } from '../env/real/address.js';

/** A whole number in [min, max]: counts (`--seeds`, `--jobs`, `--clients`), ports, milliseconds. */
export function whole(name: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isInteger(n)) throw new InvalidArgumentError(`${name} must be a whole number`);
    if (n < min || n > max) throw new InvalidArgumentError(`${name} must be ${max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `between ${min} and ${max}`}`);
    return n;
  };
}

/** A 50-minute heartbeat: far past any use, far inside Node's timers. */
const TIMING_SCALE_MAX = 1000;

/**
 * A timing scale above zero and at most TIMING_SCALE_MAX (`--timing-scale`): a zero scale would make
 * every timeout fire at once, and past the bound the longest constant (the 120 s join timeout)
 * would outgrow Node's longest timer, which then fires at once too.
 */
export function timingScale(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n <= 0 || n > TIMING_SCALE_MAX) throw new InvalidArgumentError(`${name} must be a number above 0 and at most ${TIMING_SCALE_MAX}`);
    return n;
  };
}

/** A comma-separated list with at least one entry and no empty one (`--only 0,1`, `--members a,b`). */
export function list(name: string) {
  return (value: string): string[] => {
    const items = value.split(',').map((s) => s.trim());
    if (items.every((item) => item === '')) throw new InvalidArgumentError(`${name} needs at least one comma-separated value`);
    if (items.includes('')) throw new InvalidArgumentError(`${name} ${value}: an empty item between commas`);
    return items;
  };
}

/** A node's address, HOST:PORT (`--first`): what a node is known by in both its ports' worlds. */
export function address(name: string) {
  return (value: string): string => {
    if (parseAddress(value) === undefined) throw new InvalidArgumentError(`${name} '${value}' is not a node address (HOST:PORT, a port from 1 to 65534)`);
    return value;
  };
}

/** A comma-separated list of node addresses (`--members`, `--replicas`). */
export function addresses(name: string) {
  const items = list(name);
  const one = address(name);
  return (value: string): string[] => items(value).map(one);
}
