/**
 * Scrape benchmark: one target serving a node_exporter-sized body (~1,000 series, text
 * format, from a child process so its CPU is not counted), scraped back to back into the
 * in-memory store, with and without the per-target scrape cache. Prints scrapes/s and CPU
 * per scrape (user+system of this process); the last line is one JSON object.
 *
 *   npx tsx aggregator/src/bench/scrape.ts [scrapes=2000] [series=1000] [gzip=0] [both|cache|nocache] [store]
 *
 * `store`: `memory` (default, MemoryStorage), `head` (the TSDB head, no WAL), or
 * `head-noref` (the head behind a wrapper that drops SeriesRefs, so every append looks its
 * series up by labels: the cost the refs save, in the same run as `head`). Several may be
 * given, comma-separated.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Labels, ManualClock } from '@edgeprom/shared';
import { MemoryStorage } from '../storage/memory.js';
import type { Appendable } from '../storage/interface.js';
import { Head } from '../tsdb/head.js';
import { compileRelabel } from '../relabel/relabel.js';
import { ScrapeLoop } from '../scrape/scrape-loop.js';
import { Target, populateLabels } from '../scrape/target.js';
import { scrapeJob } from '../scrape/types.js';

const [scrapes = 2000, nSeries = 1000, gzip = 0] = process.argv.slice(2, 5).map(Number);
/** both (default), cache or nocache. */
const mode = process.argv[5] ?? 'both';
const stores = (process.argv[6] ?? 'memory').split(',');
for (const s of stores) {
  if (s !== 'memory' && s !== 'head' && s !== 'head-noref') {
    throw new Error(`bench:scrape: store must be memory, head or head-noref, got ${JSON.stringify(s)}`);
  }
}

function makeStore(kind: string, clock: ManualClock): Appendable & { numSeries: number } {
  if (kind === 'memory') return new MemoryStorage();
  // The bench moves scrape time on without moving the clock.
  const head = new Head({ clock, futureToleranceMs: Infinity });
  if (kind === 'head') return head;
  return {
    appender: (opts) => {
      const app = head.appender(opts);
      return {
        append: (l, t, v) => {
          app.append(l, t, v);
          return 0;
        },
        commit: () => app.commit(),
        rollback: () => app.rollback(),
      };
    },
    get numSeries() {
      return head.numSeries;
    },
  };
}

/** A body shaped like node_exporter's: families of a few to a few dozen series. */
const SERVER = `
const http = require('node:http');
const zlib = require('node:zlib');
const n = ${nSeries};
let out = '';
let i = 0;
const fams = [['node_cpu_seconds_total', 'counter', (k) => 'cpu="' + (k >> 3) + '",mode="' + ['idle','iowait','irq','nice','softirq','steal','system','user'][k & 7] + '"'],
  ['node_network_receive_bytes_total', 'counter', (k) => 'device="eth' + k + '"'],
  ['node_filesystem_avail_bytes', 'gauge', (k) => 'device="/dev/sda' + k + '",fstype="ext4",mountpoint="/mnt/' + k + '"'],
  ['node_disk_io_time_seconds_total', 'counter', (k) => 'device="sd' + k + '"'],
  ['go_gc_duration_seconds', 'summary', (k) => 'quantile="0.' + k + '"']];
for (let f = 0; i < n; f++) {
  const [name, type, lab] = fams[f % fams.length];
  const fam = name + '_' + f;
  out += '# HELP ' + fam + ' Bench family ' + f + '.\\n# TYPE ' + fam + ' ' + (type === 'summary' ? 'gauge' : type) + '\\n';
  for (let k = 0; k < 40 && i < n; k++, i++) out += fam + '{' + lab(k) + '} ' + (Math.random() * 1e6).toFixed(3) + '\\n';
}
const plain = Buffer.from(out);
const gz = zlib.gzipSync(plain);
const server = http.createServer((req, res) => {
  const useGz = ${gzip ? 'true' : 'false'} && /gzip/.test(req.headers['accept-encoding'] || '');
  res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8', ...(useGz ? { 'Content-Encoding': 'gzip' } : {}) });
  res.end(useGz ? gz : plain);
});
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + ' ' + plain.length + '\\n'));
`;

async function main(): Promise<void> {
  const child = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  const [port, bodyBytes] = line.toString().trim().split(' ').map(Number);
  const results: Record<string, number> = { series: nSeries, bodyBytes, scrapes };
  try {
    for (const kind of stores)
    for (const useCache of mode === 'cache' ? [true] : mode === 'nocache' ? [false] : [true, false]) {
      const job = scrapeJob({ job_name: 'node', scrape_interval: 15_000, scrape_timeout: 10_000 });
      const l = populateLabels(Labels.from({ __address__: `127.0.0.1:${port}` }), job, []).labels!;
      const target = new Target(l, l, {});
      const clock = new ManualClock(Date.UTC(2026, 0, 1));
      const store = makeStore(kind, clock);
      const loop = new ScrapeLoop({
        target,
        job,
        metricProgram: compileRelabel([]),
        appendable: store,
        clock,
        intervalMs: 15_000,
        timeoutMs: 10_000,
        useCache,
      });
      let t = clock.now();
      // Warm up (JIT, first-scrape series creation), then measure.
      for (let i = 0; i < 50; i++) await loop.scrapeAndReport((t += 15_000));
      const cpu0 = process.cpuUsage();
      const w0 = performance.now();
      for (let i = 0; i < scrapes; i++) {
        const r = await loop.scrapeAndReport((t += 15_000));
        if (r.error) throw r.error;
      }
      const wall = performance.now() - w0;
      const cpu = process.cpuUsage(cpu0);
      const cpuMs = (cpu.user + cpu.system) / 1000 / scrapes;
      const tag = (kind === 'memory' ? '' : kind + ':') + (useCache ? 'cache' : 'nocache');
      results[`${tag}ScrapesPerSec`] = Math.round((scrapes / wall) * 1000);
      results[`${tag}CpuMsPerScrape`] = Number(cpuMs.toFixed(3));
      results[`${tag}SamplesPerCpuSec`] = Math.round((nSeries / cpuMs) * 1000);
      console.log(
        `${tag.padEnd(8)} ${results[`${tag}ScrapesPerSec`]} scrapes/s, ${cpuMs.toFixed(3)} ms CPU/scrape, ` +
          `${results[`${tag}SamplesPerCpuSec`].toLocaleString('en')} samples per CPU second (${store.numSeries} series stored)`,
      );
    }
  } finally {
    child.kill();
  }
  console.log(JSON.stringify(results));
}

await main();
