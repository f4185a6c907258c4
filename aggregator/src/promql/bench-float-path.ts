/**
 * `node aggregator/dist/promql/bench-float-path.js <baseline-dist>`: CPU time of float-only
 * dashboard queries in this engine against another build of it (for instance the last
 * commit's, compiled from `git archive HEAD aggregator/src/{promql,storage,regex}`), side by
 * side in one process, so that a change such as native histogram support can show it keeps
 * the float path's speed. `<baseline-dist>` holds that build's promql/ and storage/.
 *
 * Each engine reads its own MemoryStorage holding the same data: 1,000 counter series and
 * 20 classic histograms of 10 buckets, 6 h at 15 s. Every query runs as a range query over
 * the 6 h at 15 s steps, alternating engines, RUNS times each; the median CPU time (user +
 * system) of each is reported, then one JSON line with the ratios ours/baseline.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Labels } from '@edgeprom/shared';
import { createEngine } from './engine.js';
import { MemoryStorage } from '../storage/index.js';

const RUNS = Number(process.env.RUNS ?? 15);
const STEP = 15_000;
const SPAN = 6 * 3600_000;
const T0 = 1_700_000_000_000;

const QUERIES: Record<string, string> = {
  rate: 'rate(req_total[5m])',
  sum_rate: 'sum by (job) (rate(req_total[5m]))',
  histogram_quantile: 'histogram_quantile(0.9, sum by (le) (rate(lat_bucket[5m])))',
  topk: 'topk(5, rate(req_total[5m]))',
  join: 'req_total * on (instance) group_left () up',
};

interface EngineLike {
  execSync(q: unknown, expr: string, start: number, end: number, step: number, range: boolean): unknown;
}

async function fill(storage: { appender(): { append(l: Labels, t: number, v: number): void; commit(): Promise<void> } }): Promise<void> {
  const app = storage.appender();
  for (let t = T0, k = 0; t <= T0 + SPAN; t += STEP, k++) {
    for (let i = 0; i < 1000; i++) {
      const l = LABELS[i];
      app.append(l, t, k * (1 + (i % 7)) + (i % 13));
    }
    for (let i = 0; i < 50; i++) app.append(UP[i], t, 1);
    for (let h = 0; h < 20; h++) {
      for (let b = 0; b < 10; b++) app.append(BUCKETS[h * 10 + b], t, k * (b + 1) + h);
    }
  }
  await app.commit();
}

const LABELS = Array.from({ length: 1000 }, (_, i) =>
  Labels.from([['__name__', 'req_total'], ['instance', `i${i % 50}`], ['job', `j${i % 5}`], ['path', `/p${i}`]]),
);
const UP = Array.from({ length: 50 }, (_, i) => Labels.from([['__name__', 'up'], ['instance', `i${i}`]]));
const LE = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '+Inf'];
const BUCKETS = Array.from({ length: 200 }, (_, i) =>
  Labels.from([['__name__', 'lat_bucket'], ['instance', `i${Math.floor(i / 10)}`], ['le', LE[i % 10]]]),
);

function cpuMs(f: () => void): number {
  const before = process.cpuUsage();
  f();
  const d = process.cpuUsage(before);
  return (d.user + d.system) / 1000;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main(): Promise<void> {
  const baseDir = process.argv[2];
  if (baseDir === undefined) {
    console.error('usage: bench-float-path.js <baseline-dist-dir>');
    process.exitCode = 2;
    return;
  }
  const baseEngineMod = (await import(pathToFileURL(resolve(baseDir, 'promql/engine.js')).href)) as { createEngine: typeof createEngine };
  const baseStorageMod = (await import(pathToFileURL(resolve(baseDir, 'storage/memory.js')).href)) as { MemoryStorage: typeof MemoryStorage };
  const opts = { lookbackDeltaMs: 300_000, maxSamples: 50_000_000, timeoutMs: 600_000 };
  const ours = { engine: createEngine(opts) as unknown as EngineLike, storage: new MemoryStorage() };
  const base = { engine: baseEngineMod.createEngine(opts) as unknown as EngineLike, storage: new baseStorageMod.MemoryStorage() };
  await fill(ours.storage);
  await fill(base.storage as unknown as MemoryStorage);
  const ratios: Record<string, number> = {};
  for (const [name, q] of Object.entries(QUERIES)) {
    const run = (e: { engine: EngineLike; storage: unknown }): number =>
      cpuMs(() => e.engine.execSync(e.storage, q, T0, T0 + SPAN, STEP, true));
    run(ours);
    run(base); // warm-up
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      a.push(run(ours));
      b.push(run(base));
    }
    ratios[name] = Number((median(a) / median(b)).toFixed(3));
    console.log(`${name.padEnd(20)} ours ${median(a).toFixed(1)} ms  baseline ${median(b).toFixed(1)} ms  ratio ${ratios[name]}`);
  }
  console.log(JSON.stringify({ runs: RUNS, ratios }));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
