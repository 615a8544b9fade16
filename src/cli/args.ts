// Parsers for the rsmlab command's flag values: each refuses a bad value with a message that says
// what it must be (commander turns that into exit 2). Nothing here runs a command.
import { InvalidArgumentError } from 'commander';

/** A whole number in [min, max]: counts (`--seeds`, `--jobs`, `--clients`), ports, milliseconds. */
export function whole(name: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isInteger(n)) throw new InvalidArgumentError(`${name} must be a whole number`);
    if (n < min || n > max) throw new InvalidArgumentError(`${name} must be ${max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `between ${min} and ${max}`}`);
    return n;
  };
}

/** A number above zero (`--timing-scale`: a zero scale would make every timeout fire at once). */
export function positive(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a number above 0`);
    return n;
  };
}

/** A comma-separated list with at least one entry (`--only 0,1`, `--members a,b`). */
export function list(name: string) {
  return (value: string): string[] => {
    const items = value.split(',').map((s) => s.trim()).filter(Boolean);
    if (items.length === 0) throw new InvalidArgumentError(`${name} needs at least one comma-separated value`);
    return items;
  };
}
