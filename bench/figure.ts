// One benchmark figure, as `npm run bench` prints it: a measured value, the limit it is compared
// with (measured in the same run where there is one), and ratio = value / limit. Benchmarks
// report; they never pass or fail.

export interface Figure {
  name: string;
  value: number;
  unit: string;
  limit: number;
  ratio: number;
}

export function figure(name: string, value: number, unit: string, limit: number): Figure {
  return { name, value: round(value), unit, limit: round(limit), ratio: round(value / limit) };
}

/**
 * `x` to 3 decimals, or to 3 significant digits below 0.1, where 3 decimals would keep fewer (a
 * figure of 0.000412 s or a ratio of 0.0004 is shown, not rounded to 0).
 */
export function round(x: number): number {
  return Math.abs(x) >= 0.1 ? Math.round(x * 1000) / 1000 : Number(x.toPrecision(3));
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of nothing');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
