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
  const round = (x: number): number => Math.round(x * 1000) / 1000;
  return { name, value: round(value), unit, limit: round(limit), ratio: round(value / limit) };
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of nothing');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
