// How much work `npm run bench` does. By default, the full counts the figures are reported from.
// With RSMLAB_BENCH_SHORT=1 (set by the README test in npm test, which runs `npm run bench` as typed),
// every figure is still measured and printed once, with small counts: the run shows each benchmark
// works and prints its shape, and its numbers mean nothing. It never changes what a figure measures.
export const short = process.env.RSMLAB_BENCH_SHORT === '1';

/** The count to use: `full` normally, `small` in the short mode. */
export function count(full: number, small: number): number {
  return short ? small : full;
}
