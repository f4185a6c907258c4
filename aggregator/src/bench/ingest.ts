/**
 * `pnpm bench:ingest`: how samples get into the aggregator, the two ways issue 6 measures.
 *
 * (a) scrape (`ingest-scrape.ts`): our aggregator binary and Debian's Prometheus scrape the
 *     same synthetic targets (default 100 targets x 1,000 series every 5 s for 150 s) at the
 *     same time; CPU seconds and peak RSS of each process and the ratios.
 * (b) MQTT push (`ingest-push.ts`): devices publish batches to the embedded broker, the ingest
 *     decodes, dedupes, appends, commits to the WAL with fsync and acks; samples/s.
 *
 * The last line is one JSON object `{ scrape, push, goals }`.
 *
 *   node aggregator/dist/bench/ingest.js [--part=both|scrape|push]
 *     [--targets=100] [--series=1000] [--gzip] [--interval=5] [--duration=150] [--prometheus=/usr/bin/prometheus]
 *     [--our-node-args='--cpu-prof --cpu-prof-dir=/tmp/prof']   (after the #! line's flags)
 *     [--our-log=FILE]   (our aggregator's stdout and stderr, e.g. with --our-node-args=--trace-gc)
 *     [--devices=50] [--batches=20] [--push-series=200] [--per-series=20] [--rounds=3]
 *     [--dir=os.tmpdir()]
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { PUSH_DEFAULTS, runPushIngest } from './ingest-push.js';
import { runScrapeCompare, SCRAPE_DEFAULTS } from './ingest-scrape.js';

const { values: v } = parseArgs({
  options: {
    part: { type: 'string', default: 'both' },
    targets: { type: 'string', default: String(SCRAPE_DEFAULTS.targets) },
    series: { type: 'string', default: String(SCRAPE_DEFAULTS.series) },
    gzip: { type: 'boolean', default: false },
    interval: { type: 'string', default: String(SCRAPE_DEFAULTS.intervalSeconds) },
    duration: { type: 'string', default: String(SCRAPE_DEFAULTS.durationSeconds) },
    prometheus: { type: 'string', default: '/usr/bin/prometheus' },
    'our-node-args': { type: 'string', default: '' },
    'our-log': { type: 'string' },
    devices: { type: 'string', default: String(PUSH_DEFAULTS.devices) },
    batches: { type: 'string', default: String(PUSH_DEFAULTS.batches) },
    'push-series': { type: 'string', default: String(PUSH_DEFAULTS.series) },
    'per-series': { type: 'string', default: String(PUSH_DEFAULTS.perSeries) },
    rounds: { type: 'string', default: String(PUSH_DEFAULTS.rounds) },
    dir: { type: 'string', default: os.tmpdir() },
  },
  strict: true,
});

function positive(name: string, s: string | undefined): number {
  const n = Number(s);
  if (!Number.isFinite(n) || n <= 0) {
    console.error(`bench:ingest: --${name} must be a positive number, got ${JSON.stringify(s)}`);
    process.exit(2);
  }
  return n;
}

if (!['both', 'scrape', 'push'].includes(v.part!)) {
  console.error(`bench:ingest: --part must be both, scrape or push, got ${JSON.stringify(v.part)}`);
  process.exit(2);
}
const log = (line: string): void => console.log(line);

const scrape =
  v.part === 'push'
    ? undefined
    : await runScrapeCompare({
        targets: positive('targets', v.targets),
        series: positive('series', v.series),
        gzip: v.gzip === true,
        intervalSeconds: positive('interval', v.interval),
        durationSeconds: positive('duration', v.duration),
        prometheus: v.prometheus!,
        ourNodeArgs: v['our-node-args']!.split(/\s+/).filter(Boolean),
        ...(v['our-log'] === undefined ? {} : { ourLogFile: v['our-log'] }),
        baseDir: v.dir!,
        log,
      });

const push =
  v.part === 'scrape'
    ? undefined
    : await runPushIngest({
        devices: positive('devices', v.devices),
        batches: positive('batches', v.batches),
        series: positive('push-series', v['push-series']),
        perSeries: positive('per-series', v['per-series']),
        rounds: positive('rounds', v.rounds),
        baseDir: v.dir!,
        log,
      });

const goals = {
  scrape_cpu_ratio_max: 1.5,
  scrape_peak_rss_ratio_max: 1.5,
  push_samples_per_second_min: 300_000,
  ...(scrape ? { scrape_cpu_met: scrape.cpu_ratio <= 1.5, scrape_peak_rss_met: scrape.peak_rss_ratio <= 1.5 } : {}),
  ...(push ? { push_met: push.samples_per_second >= 300_000 } : {}),
};
console.log(JSON.stringify({ bench: 'ingest', scrape, push, goals }));
// A side that did not ingest everything makes the figures meaningless: fail the run.
if (scrape && !scrape.ingest_ok) process.exitCode = 1;
if (push && push.samples_appended !== push.samples) process.exitCode = 1;
