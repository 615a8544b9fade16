// `npm run bench`: runs every benchmark and prints one JSON object per figure on stdout,
// {name, value, unit, limit, ratio}. Progress goes to stderr. Benchmarks report; they never fail
// on a number (the machine is shared and noisy), only when they cannot run.
import type { Figure } from './figure.js';

const benches: ReadonlyArray<{ name: string; load: () => Promise<{ run: () => Promise<Figure[]> }> }> = [
  { name: 'transport', load: () => import('./transport.js') },
  { name: 'sim', load: () => import('./sim.js') },
  { name: 'checker', load: () => import('./checker.js') },
  { name: 'rsm', load: () => import('./rsm.js') },
  { name: 'vsr', load: () => import('./vsr.js') },
  { name: 'par', load: () => import('./par.js') },
  { name: 'shrink', load: () => import('./shrink.js') },
];

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  for (const bench of benches.filter((b) => only.length === 0 || only.includes(b.name))) {
    process.stderr.write(`bench ${bench.name}...\n`);
    const figures = await (await bench.load()).run();
    for (const f of figures) process.stdout.write(`${JSON.stringify(f)}\n`);
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(2);
  },
);
