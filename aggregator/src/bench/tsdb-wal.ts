/**
 * WAL benchmark: append + commit throughput with the WAL, scrape-shaped (one transaction of
 * 100 samples per target scrape) from 100 concurrent writers, under each fsync policy and
 * against the bare head; WAL bytes per sample; replay speed at reopen. Last line is JSON.
 *
 *   npx tsx aggregator/src/bench/tsdb-wal.ts [targets=100] [seriesPerTarget=100] [samples=120] [dir=os.tmpdir()]
 *
 * The fsync cost depends entirely on the disk under `dir`: run it on the disk the aggregator
 * will use.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ManualClock, RealClock, type Labels } from '@edgeprom/shared';
import type { Appendable } from '../storage/interface.js';
import { Head } from '../tsdb/head.js';
import { openTsdb } from '../tsdb/tsdb.js';
import type { FsyncPolicy } from '../tsdb/wal-writer.js';
import { nodeLikeSeries, scrapeTimes, seriesValues } from './node-like-data.js';

const args = process.argv.slice(2);
const [targets = 100, perTarget = 100, samples = 120] = args.slice(0, 3).map(Number);
const baseDir = args[3] ?? os.tmpdir();
const start = Date.UTC(2026, 0, 1);
const totalSamples = targets * perTarget * samples;

const times = scrapeTimes(targets, samples, start);
const values = seriesValues(nodeLikeSeries(targets, perTarget), samples);
const seriesLabels = () => nodeLikeSeries(targets, perTarget).map((s) => s.labels);

/** Every target scrapes `samples` times, all targets concurrently, one commit per scrape. */
async function load(store: Appendable, labels: Labels[]): Promise<number> {
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: targets }, async (_, tg) => {
      for (let k = 0; k < samples; k++) {
        const app = store.appender();
        const t = times[tg * samples + k];
        for (let i = tg * perTarget, end = i + perTarget; i < end; i++) {
          app.append(labels[i], t, values[i * samples + k]);
        }
        await app.commit();
      }
    }),
  );
  return performance.now() - t0;
}

const clock = () => new ManualClock(start + samples * 15_000);
const tmp = fs.mkdtempSync(path.join(baseDir, 'edgeprom-bench-wal-'));
let run = 0;
// A real clock for the WAL: fsync durations are measured on it (the data is in the past, so
// the future-timestamp check passes).
const openDb = (fsync: FsyncPolicy, dir = path.join(tmp, String(run++))) =>
  openTsdb({ dir, clock: new RealClock(), fsync });

// Warm-up: lets the JIT settle on the append and encode paths.
await load(new Head({ clock: clock() }), seriesLabels());
{
  const db = await openDb('never');
  await load(db, seriesLabels());
  await db.close();
}

// The VM is shared, so each configuration runs ROUNDS times and the best run counts: the
// fastest run is the one least disturbed by neighbours. CPU time is printed as well.
const ROUNDS = 3;
interface Run {
  ms: number;
  cpuMs: number;
  fsyncs: number;
  commits: number;
  fsyncMsSum: number;
  fsyncMsMax: number;
  bytes: number;
  dir?: string;
}
const best = (runs: Run[]): Run => runs.reduce((a, b) => (b.ms < a.ms ? b : a));

async function measure(policy: FsyncPolicy | 'head'): Promise<Run> {
  const runs: Run[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const store = policy === 'head' ? new Head({ clock: clock() }) : await openDb(policy);
    const labels = seriesLabels();
    const cpu0 = process.cpuUsage();
    const ms = await load(store, labels);
    const cpu = process.cpuUsage(cpu0);
    const m = store instanceof Head ? undefined : store.metrics.wal;
    runs.push({
      ms,
      cpuMs: (cpu.user + cpu.system) / 1000,
      fsyncs: m?.fsyncs ?? 0,
      commits: m?.commits ?? targets * samples,
      fsyncMsSum: m?.fsyncMsSum ?? 0,
      fsyncMsMax: m?.fsyncMsMax ?? 0,
      bytes: m?.bytesWritten ?? 0,
      dir: store instanceof Head ? undefined : store.dir,
    });
    if (!(store instanceof Head)) await store.close();
  }
  const b = best(runs);
  console.log(
    `${policy === 'head' ? 'head only   ' : `fsync ${policy.padEnd(6)}`}: ` +
      `${(totalSamples / (b.ms / 1000) / 1e6).toFixed(2)} M samples/s wall, ` +
      `${(b.commits / (b.ms / 1000)).toFixed(0)} commits/s, ` +
      `${(totalSamples / (b.cpuMs / 1000) / 1e6).toFixed(2)} M/s of CPU time` +
      (policy === 'head'
        ? ' (no WAL)'
        : `; ${b.fsyncs} fsyncs (${(b.commits / Math.max(1, b.fsyncs)).toFixed(1)} commits each, ` +
          `mean ${(b.fsyncMsSum / Math.max(1, b.fsyncs)).toFixed(2)} ms, max ${b.fsyncMsMax.toFixed(2)} ms)`),
  );
  return b;
}

const head = await measure('head');
const never = await measure('never');
const always = await measure('always');
const walBytes = always.bytes;

// Replay: what a restart costs. The best of ROUNDS; reads come from the page cache, as they
// usually do after a process restart (not after a reboot).
let replay = { ms: Infinity, samples: 0 };
for (let r = 0; r < ROUNDS; r++) {
  const t0 = performance.now();
  const again = await openTsdb({ dir: always.dir!, clock: clock(), fsync: 'always' });
  const ms = performance.now() - t0;
  if (ms < replay.ms) replay = { ms, samples: again.replay.samples };
  await again.close();
}
fs.rmSync(tmp, { recursive: true, force: true });

const result = {
  series: targets * perTarget,
  samples: totalSamples,
  writers: targets,
  samplesPerCommit: perTarget,
  headOnlySamplesPerSec: Math.round(totalSamples / (head.ms / 1000)),
  headOnlySamplesPerCpuSec: Math.round(totalSamples / (head.cpuMs / 1000)),
  walNeverSamplesPerSec: Math.round(totalSamples / (never.ms / 1000)),
  walNeverSamplesPerCpuSec: Math.round(totalSamples / (never.cpuMs / 1000)),
  walAlwaysSamplesPerSec: Math.round(totalSamples / (always.ms / 1000)),
  walAlwaysSamplesPerCpuSec: Math.round(totalSamples / (always.cpuMs / 1000)),
  walAlwaysCommitsPerSec: Math.round(always.commits / (always.ms / 1000)),
  walAlwaysFsyncs: always.fsyncs,
  commitsPerFsync: +(always.commits / Math.max(1, always.fsyncs)).toFixed(1),
  fsyncMeanMs: +(always.fsyncMsSum / Math.max(1, always.fsyncs)).toFixed(2),
  walBytesPerSample: +(walBytes / totalSamples).toFixed(3),
  replaySamplesPerSec: Math.round(replay.samples / (replay.ms / 1000)),
  replayMs: Math.round(replay.ms),
};
console.log(
  `WAL        : ${result.walBytesPerSample} bytes/sample ` +
    `(${(walBytes / 2 ** 20).toFixed(1)} MiB for ${totalSamples} samples, series records included)`,
);
console.log(
  `replay     : ${(result.replaySamplesPerSec / 1e6).toFixed(2)} M samples/s (${result.replayMs} ms for ${replay.samples} samples, ` +
    `${targets * perTarget} series)`,
);
console.log(JSON.stringify(result));
