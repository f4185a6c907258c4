/**
 * Head benchmark (a start for `pnpm bench:tsdb`): 10,000 node_exporter-like series × 240
 * samples (1h at 15s), appended one scrape (one target, one transaction) at a time.
 * Prints append throughput, head bytes per series (measured on the V8 heap after GC, and the
 * head's own estimate), chunk bytes per sample, and select throughput; last line is JSON.
 *
 * Append is measured two ways, on fresh heads: by labels (every append looks its series up
 * by label set, as a writer without a cache does; `appendSamplesPerSec`/`PerCpuSec`, the
 * figure recorded since the start) and by ref (each series' SeriesRef kept from its previous
 * append and passed back, as the scrape loop's cache and push ingest do: the steady state;
 * `appendByRefSamplesPerSec`/`PerCpuSec`). The two runs alternate `APPEND_ROUNDS` times and
 * the median of each is reported; memory is measured on the first by-labels head.
 *
 * With `--chunks-dir`, every head gets a temporary directory for its sealed chunks (as the
 * Tsdb's `chunks_head/`): the heap figure is then what a head keeps per active series, and
 * `chunkFileBytesPerSeries` what went to its files.
 *
 *   npx tsx aggregator/src/bench/tsdb-head.ts [targets=100] [seriesPerTarget=100] [samples=240] [--chunks-dir]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { ManualClock, type Labels } from '@edgeprom/shared';
import { ValueType, type SampleIterator } from '../storage/interface.js';
import { Matcher } from '../storage/matcher.js';
import { Head } from '../tsdb/head.js';
import { nodeLikeSeries, scrapeTimes, seriesValues } from './node-like-data.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

function heapBytes(): number {
  for (let i = 0; i < 3; i++) gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

const args = process.argv.slice(2);
const [targets = 100, perTarget = 100, samples = 240] = args.filter((a) => !a.startsWith('--')).map(Number);
// Sealed chunks in files (a directory per head, removed at exit) rather than on the heap.
const chunksRoot = args.includes('--chunks-dir') ? fs.mkdtempSync(path.join(os.tmpdir(), 'tsdb-head-bench-')) : undefined;
if (chunksRoot !== undefined) process.on('exit', () => fs.rmSync(chunksRoot, { recursive: true, force: true }));
let heads = 0;
const chunksDir = () => (chunksRoot === undefined ? undefined : path.join(chunksRoot, String(heads++)));
const nSeries = targets * perTarget;
const start = Date.UTC(2026, 0, 1);

// Data generated up front and kept for the whole run, so it sits in the memory baseline.
const times = scrapeTimes(targets, samples, start);
const values = (() => {
  const specs = nodeLikeSeries(targets, perTarget);
  return seriesValues(specs, samples);
})();

/**
 * Appends everything, one transaction per target scrape, as a scrape loop would: by labels,
 * or (with `refs`, one per series, 0 at first) passing back the ref each append returned.
 */
async function load(head: Head, labels: Labels[], refs?: Float64Array): Promise<void> {
  for (let k = 0; k < samples; k++) {
    for (let tg = 0; tg < targets; tg++) {
      const app = head.appender();
      const t = times[tg * samples + k];
      const end = (tg + 1) * perTarget;
      if (refs === undefined) {
        for (let i = tg * perTarget; i < end; i++) app.append(labels[i], t, values[i * samples + k]);
      } else {
        for (let i = tg * perTarget; i < end; i++) refs[i] = app.append(labels[i], t, values[i * samples + k], refs[i]);
      }
      await app.commit();
    }
  }
}
const newHead = () => new Head({ clock: new ManualClock(start + samples * 15_000), chunksDir: chunksDir() });
const seriesLabels = () => nodeLikeSeries(targets, perTarget).map((s) => s.labels);

/** One measured load on a fresh head: wall and CPU milliseconds. */
async function timedLoad(head: Head, labels: Labels[], byRef: boolean): Promise<{ ms: number; cpuMs: number }> {
  const refs = byRef ? new Float64Array(labels.length) : undefined;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  await load(head, labels, refs);
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000 };
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];

// Two runs of each first let the JIT settle (after one, our runs still measured ~0.9 vs 1.3+
// M/s), so the measured runs show the steady state of a long-running aggregator.
for (let r = 0; r < 2; r++) {
  await load(newHead(), seriesLabels());
  await load(newHead(), seriesLabels(), new Float64Array(nSeries));
}

const before = heapBytes();
// Labels are built after the baseline and dropped before the final measurement: the head
// keeps (interned copies of) what it needs, and that is what we want to count.
let labels: Labels[] | undefined = seriesLabels();
const head = newHead();
const byLabelsRuns = [await timedLoad(head, labels, false)];
labels = undefined;
const after = heapBytes();

// Touching the data here keeps it alive until now: unused bindings of a module with
// top-level await can be collected early, which would shrink the baseline under our feet.
const totalSamples = Math.min(values.length, times.length * perTarget);
const st = head.stats();
const headBytesPerSeries = (after - before) / nSeries;
const arena = head.store.arena.stats();
// What stays in memory per active series once sealed chunks move to disk (as Prometheus's
// mmapped head chunks do): everything except the sealed chunk bytes.
const activeBytesPerSeries = (after - before - arena.sealedBytes) / nSeries;

// Select throughput: 1,000 series (10 targets) over the whole hour, every sample read.
const matchers = [Matcher.equal('job', 'node'), Matcher.regex('instance', `10\\.0\\.0\\.[0-9]:9100`)];
const t1 = performance.now();
const cpu1 = process.cpuUsage();
let read = 0;
let selected = 0;
const rounds = 5;
for (let r = 0; r < rounds; r++) {
  const q = head.querier(start, start + samples * 15_000 + 60_000);
  let it: SampleIterator | undefined;
  for (const s of q.select(matchers)) {
    selected++;
    it = s.iterator(it);
    while (it.next() !== ValueType.None) read++;
  }
  q.close();
}
const selectMs = performance.now() - t1;
const selectCpu = process.cpuUsage(cpu1);
const selectCpuMs = (selectCpu.user + selectCpu.system) / 1000;

// More append runs, alternating by ref and by labels (fresh heads, dropped after each).
const APPEND_ROUNDS = 3;
const byRefRuns: { ms: number; cpuMs: number }[] = [];
for (let r = 0; r < APPEND_ROUNDS; r++) {
  byRefRuns.push(await timedLoad(newHead(), seriesLabels(), true));
  if (r > 0) byLabelsRuns.push(await timedLoad(newHead(), seriesLabels(), false));
}
const appendMs = median(byLabelsRuns.map((x) => x.ms));
const appendCpuMs = median(byLabelsRuns.map((x) => x.cpuMs));
const byRefMs = median(byRefRuns.map((x) => x.ms));
const byRefCpuMs = median(byRefRuns.map((x) => x.cpuMs));

const result = {
  series: nSeries,
  samples: totalSamples,
  appendSamplesPerSec: Math.round(totalSamples / (appendMs / 1000)),
  appendSamplesPerCpuSec: Math.round(totalSamples / (appendCpuMs / 1000)),
  appendByRefSamplesPerSec: Math.round(totalSamples / (byRefMs / 1000)),
  appendByRefSamplesPerCpuSec: Math.round(totalSamples / (byRefCpuMs / 1000)),
  headBytesPerSeries: Math.round(headBytesPerSeries),
  headBytesPerSeriesEstimate: Math.round(st.approxBytes / nSeries),
  activeBytesPerSeriesWithoutSealedChunks: Math.round(activeBytesPerSeries),
  chunkBytesPerSample: +(st.chunkBytes / totalSamples).toFixed(3),
  chunks: st.chunks,
  arenaPageBytes: arena.pageBytes,
  chunksOnDisk: chunksRoot !== undefined,
  chunkFileBytesPerSeries: Math.round(head.store.chunks.stats().fileBytes / nSeries),
  selectSeries: selected / rounds,
  selectSamplesPerSec: Math.round(read / (selectMs / 1000)),
  selectSamplesPerCpuSec: Math.round(read / (selectCpuMs / 1000)),
};

console.log(`head: ${nSeries} series × ${samples} samples, one transaction per target scrape (after warm-up runs)`);
// CPU time as well as wall time: on a shared machine the wall clock also measures neighbours.
const cpuRange = (runs: { cpuMs: number }[]) =>
  runs.map((x) => (totalSamples / x.cpuMs / 1000).toFixed(2)).join(', ');
console.log(
  `append by labels: ${(result.appendSamplesPerSec / 1e6).toFixed(2)} M samples/s wall (${appendMs.toFixed(0)} ms), ` +
    `${(result.appendSamplesPerCpuSec / 1e6).toFixed(2)} M samples/s of CPU time (median of ${cpuRange(byLabelsRuns)})`,
);
console.log(
  `append by ref:    ${(result.appendByRefSamplesPerSec / 1e6).toFixed(2)} M samples/s wall (${byRefMs.toFixed(0)} ms), ` +
    `${(result.appendByRefSamplesPerCpuSec / 1e6).toFixed(2)} M samples/s of CPU time (median of ${cpuRange(byRefRuns)})`,
);
console.log(
  `memory:  ${result.headBytesPerSeries} B/series measured (head estimate ${result.headBytesPerSeriesEstimate} B); ` +
    `${result.activeBytesPerSeriesWithoutSealedChunks} B/series without sealed chunks`,
);
console.log(
  `chunks:  ${result.chunks} chunks, ${result.chunkBytesPerSample} B/sample; arena ${(arena.pageBytes / 2 ** 20).toFixed(1)} MiB = ` +
    `sealed ${(arena.sealedBytes / nSeries).toFixed(0)} + open regions ${(arena.regionBytes / nSeries).toFixed(0)} + ` +
    `free ${(arena.freeRegionBytes / nSeries).toFixed(0)} B/series (+ page tails)` +
    (chunksRoot === undefined ? '' : `; chunks_head files ${result.chunkFileBytesPerSeries} B/series`),
);
console.log(
  `select:  ${result.selectSeries} series over 1h, ${(result.selectSamplesPerSec / 1e6).toFixed(2)} M samples/s read wall, ` +
    `${(result.selectSamplesPerCpuSec / 1e6).toFixed(2)} M/s of CPU time`,
);
console.log(JSON.stringify(result));
