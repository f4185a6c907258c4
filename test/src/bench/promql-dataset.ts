/**
 * The PromQL benchmark's dataset: what a dashboard over a fleet of HTTP services reads.
 * Per instance (25 by default, so 1,725 series): 40 request counters (5 handlers × 2
 * methods × 4 codes), a classic latency histogram for 2 handlers (10 `le` buckets, `_count`,
 * `_sum`), 4 CPU temperatures and one `bench_build_info` series to join on. Every instance
 * is scraped every 15 s from its own offset with 1–999 ms of jitter (the differential
 * test's `timestamp()`: never on a whole or half second), so all series of one scrape share
 * a timestamp, and query times at a half second never sit on a sample. One instance
 * restarts half way (its counters and histogram reset).
 *
 * Streamed to a file: at full size it is some 300 MB, too big for one string.
 */
import fs from 'node:fs';
import { prng } from '@edgeprom/shared/testing';
import { labelText, num, T0_MS, timestamp } from '../promql-differential/dataset.js';

export const STEP_MS = 15_000;
/** Data starts this long before the queried range, so `[5m]` windows are full at its start. */
export const LEAD_MS = 10 * 60_000;
/** And goes on this long after it. */
export const TAIL_MS = 5 * 60_000;

export interface PromqlBenchDataset {
  series: number;
  samples: number;
  bytes: number;
  /** The queried range: a half second after T0 + LEAD_MS, `hours` long. */
  startMs: number;
  endMs: number;
}

const HANDLERS = ['/api/v1/query', '/api/v1/query_range', '/api/v1/series', '/login', '/static'];
const METHODS = ['GET', 'POST'];
const CODES = ['200', '304', '404', '500'];
const HIST_HANDLERS = HANDLERS.slice(0, 2);
const BUCKETS = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1.0', '2.5', '+Inf'];

/** Buffers lines and writes them with fs.writeSync in ~1 MiB pieces. */
class LineWriter {
  #parts: string[] = [];
  #size = 0;
  bytes = 0;
  constructor(readonly fd: number) {}
  line(s: string): void {
    this.#parts.push(s);
    this.#size += s.length + 1;
    if (this.#size >= 1 << 20) this.flush();
  }
  flush(): void {
    if (this.#parts.length === 0) return;
    const buf = Buffer.from(this.#parts.join('\n') + '\n', 'utf8');
    fs.writeSync(this.fd, buf);
    this.bytes += buf.length;
    this.#parts = [];
    this.#size = 0;
  }
}

/** Writes the dataset as OpenMetrics with timestamps to `file`. */
export function writePromqlBenchDataset(file: string, opts: { instances: number; hours: number; seed?: number }): PromqlBenchDataset {
  const { instances, hours } = opts;
  const rnd = prng(opts.seed ?? 7);
  const steps = Math.floor((LEAD_MS + hours * 3_600_000 + TAIL_MS) / STEP_MS);
  const names = Array.from({ length: instances }, (_, i) => `host-${String(i).padStart(3, '0')}:8080`);
  // One scrape timestamp per instance and step, shared by every series of the instance.
  const times = names.map(() => {
    const offset = Math.floor(rnd() * 15) * 1000;
    return Array.from({ length: steps }, (_, i) => timestamp(T0_MS + offset + i * STEP_MS + 1 + Math.floor(rnd() * 999)).text);
  });
  const restartInstance = instances > 1 ? 1 : -1;
  const restartStep = Math.floor(steps / 2);
  const fd = fs.openSync(file, 'w');
  const w = new LineWriter(fd);
  let series = 0;
  let samples = 0;
  try {
    w.line('# HELP bench_http_requests Requests handled.');
    w.line('# TYPE bench_http_requests counter');
    for (let k = 0; k < instances; k++) {
      for (const [h, handler] of HANDLERS.entries()) for (const method of METHODS) for (const [c, code] of CODES.entries()) {
        const prefix = `bench_http_requests_total${labelText({ job: 'api', instance: names[k], handler, method, code })} `;
        // Busy handlers and successful codes see most of the traffic.
        const perSec = (50 / (1 + h)) * (method === 'GET' ? 1 : 0.2) * (c === 0 ? 1 : 0.05 / c) * (0.5 + rnd());
        let v = Math.floor(rnd() * 1e5);
        series++;
        for (let i = 0; i < steps; i++) {
          v = k === restartInstance && i === restartStep ? 0 : v + Math.floor(perSec * 15 * (0.7 + 0.6 * rnd()));
          w.line(`${prefix}${v} ${times[k][i]}`);
          samples++;
        }
      }
    }

    w.line('# HELP bench_http_request_duration_seconds Request latency.');
    w.line('# TYPE bench_http_request_duration_seconds histogram');
    const bounds = BUCKETS.map((b) => (b === '+Inf' ? Infinity : Number(b)));
    for (let k = 0; k < instances; k++) {
      for (const [h, handler] of HIST_HANDLERS.entries()) {
        const ls = { job: 'api', instance: names[k], handler };
        // OpenMetrics keeps a histogram point together: every bucket, _count and _sum of a
        // step at its timestamp, then the next step.
        const acc = new Float64Array(BUCKETS.length);
        const bucketPrefix = BUCKETS.map((le) => `bench_http_request_duration_seconds_bucket${labelText({ ...ls, le })} `);
        const countPrefix = `bench_http_request_duration_seconds_count${labelText(ls)} `;
        const sumPrefix = `bench_http_request_duration_seconds_sum${labelText(ls)} `;
        let sum = 0;
        for (let i = 0; i < steps; i++) {
          if (k === restartInstance && i === restartStep) {
            acc.fill(0);
            sum = 0;
          }
          const n = Math.floor(rnd() * 40);
          for (let r = 0; r < n; r++) {
            const d = rnd() ** (3 + h) * 3;
            sum += d;
            for (let j = 0; j < bounds.length; j++) if (d <= bounds[j]) acc[j]++;
          }
          const t = times[k][i];
          for (let j = 0; j < BUCKETS.length; j++) w.line(`${bucketPrefix[j]}${acc[j]} ${t}`);
          w.line(`${countPrefix}${acc[BUCKETS.length - 1]} ${t}`);
          w.line(`${sumPrefix}${num(Math.round(sum * 1e6) / 1e6)} ${t}`);
        }
        series += BUCKETS.length + 2;
        samples += steps * (BUCKETS.length + 2);
      }
    }

    w.line('# HELP bench_cpu_temperature_celsius CPU temperature.');
    w.line('# TYPE bench_cpu_temperature_celsius gauge');
    for (let k = 0; k < instances; k++) {
      for (let cpu = 0; cpu < 4; cpu++) {
        const prefix = `bench_cpu_temperature_celsius${labelText({ job: 'api', instance: names[k], cpu: String(cpu) })} `;
        let v = 45 + rnd() * 10;
        series++;
        for (let i = 0; i < steps; i++) {
          v = Math.min(95, Math.max(30, v + (rnd() - 0.5) * 2));
          w.line(`${prefix}${num(Math.round(v * 10) / 10)} ${times[k][i]}`);
          samples++;
        }
      }
    }

    w.line('# HELP bench_build_info Build information.');
    w.line('# TYPE bench_build_info gauge');
    for (let k = 0; k < instances; k++) {
      const prefix = `bench_build_info${labelText({ job: 'api', instance: names[k], version: `1.${k % 3}.0` })} `;
      series++;
      for (let i = 0; i < steps; i++) {
        w.line(`${prefix}1 ${times[k][i]}`);
        samples++;
      }
    }
    w.line('# EOF');
    w.flush();
  } finally {
    fs.closeSync(fd);
  }
  const startMs = T0_MS + LEAD_MS + 500;
  return { series, samples, bytes: w.bytes, startMs, endMs: startMs + hours * 3_600_000 };
}

export interface BenchQuery {
  id: string;
  query: string;
}

/** Typical dashboard panels, each asked as a range query over the whole range. */
export const BENCH_QUERIES: readonly BenchQuery[] = [
  { id: 'selector', query: 'bench_cpu_temperature_celsius' },
  { id: 'rate', query: 'rate(bench_http_requests_total[5m])' },
  { id: 'sum by rate', query: 'sum by (handler, code) (rate(bench_http_requests_total[5m]))' },
  {
    id: 'histogram_quantile',
    query: 'histogram_quantile(0.9, sum by (le) (rate(bench_http_request_duration_seconds_bucket[5m])))',
  },
  { id: 'topk', query: 'topk(5, sum by (instance) (rate(bench_http_requests_total[5m])))' },
  {
    id: 'ratio (one-to-one /)',
    query: 'sum by (instance) (rate(bench_http_requests_total{code="500"}[5m])) / sum by (instance) (rate(bench_http_requests_total[5m]))',
  },
  {
    id: 'join (group_left)',
    query: 'sum by (instance) (rate(bench_http_requests_total[5m])) * on (instance) group_left (version) bench_build_info',
  },
];
