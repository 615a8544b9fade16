// Benchmark of the linearizability checker on the Porcupine corpus (../shared/testdata/porcupine):
// read, parse and check all 108 histories, the median of several runs. The total's limit is the
// 1.5 s goal; each part's limit is Porcupine's own time for that part on this machine kind.
import { fileURLToPath } from 'node:url';
import { checkConformanceCase, readConformanceCases, type ConformanceCase } from '../src/check/conformance.js';
import { figure, median, type Figure } from './figure.js';
import { count, short } from './mode.js';

const CORPUS = fileURLToPath(new URL('../../../shared/testdata/porcupine/', import.meta.url));
const RUNS = count(7, 1);
const GOAL_MS = 1500;
const PORCUPINE_ETCD_MS = 700;
const PORCUPINE_KV_MS = 440;

export async function run(): Promise<Figure[]> {
  const cases = readConformanceCases(CORPUS);
  const etcd = cases.filter((c) => c.model === 'register');
  const kv = cases.filter((c) => c.model === 'kv');
  if (!short) timeAll(cases); // warm-up
  const etcdMs = median(Array.from({ length: RUNS }, () => timeAll(etcd)));
  const kvMs = median(Array.from({ length: RUNS }, () => timeAll(kv)));
  const totalMs = median(Array.from({ length: RUNS }, () => timeAll(cases)));
  return [
    figure(`checker: all ${cases.length} Porcupine histories`, totalMs, 'ms', GOAL_MS),
    figure(`checker: ${etcd.length} etcd histories (limit: Porcupine's time)`, etcdMs, 'ms', PORCUPINE_ETCD_MS),
    figure(`checker: ${kv.length} kv histories (limit: Porcupine's time)`, kvMs, 'ms', PORCUPINE_KV_MS),
  ];
}

/** Check every case once; ms taken. Throws if a verdict is wrong: a fast wrong checker is no result. */
function timeAll(cases: readonly ConformanceCase[]): number {
  const start = performance.now();
  for (const c of cases) {
    const verdict = checkConformanceCase(CORPUS, c).verdict;
    const want = c.linearizable ? 'linearizable' : 'not linearizable';
    if (verdict !== want) throw new Error(`${c.file}: got ${verdict}, expected ${want}`);
  }
  return performance.now() - start;
}
