/**
 * The aggregator's own /metrics, end to end: a real aggregator on 127.0.0.1 (embedded broker,
 * TSDB in a temp dir), scraped over HTTP, read back with our parser and checked with
 * Debian's `promtool check metrics`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Labels, OPENMETRICS_CONTENT_TYPE, parseExposition, SCRAPE_ACCEPT_HEADER, TEXT_CONTENT_TYPE, type MetricFamily } from '@edgeprom/shared';
import { encodeBatch, encodePresence } from '@edgeprom/shared/wire';
import { connect } from '../mqtt/test-util.js';
import { parseServeFlags } from '../main/flags.js';
import { startAggregator, type Aggregator } from '../main/serve.js';
import { pushingDevice } from '../main/test-harness.js';

const silent = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silent;
  },
};

async function scrape(url: string): Promise<MetricFamily[]> {
  const r = await fetch(`${url}/metrics`);
  expect(r.status).toBe(200);
  return parseExposition(await r.text(), { format: 'text' });
}

/** The value of the one sample named `name` with (at least) these labels; undefined if none. */
function value(fams: readonly MetricFamily[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found: number[] = [];
  for (const f of fams) {
    for (const s of f.samples) {
      if (s.labels.name === name && Object.entries(labels).every(([k, v]) => s.labels.get(k) === v)) found.push(s.value);
    }
  }
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0];
}

/** Polls /metrics until `ok` holds (no timing is asserted: the test's own timeout bounds it). */
async function until(url: string, ok: (fams: MetricFamily[]) => boolean): Promise<MetricFamily[]> {
  for (;;) {
    const fams = await scrape(url);
    if (ok(fams)) return fams;
    await new Promise((r) => setTimeout(r, 50));
  }
}

function promtool(body: string): { status: number | null; out: string } {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: body, encoding: 'utf8' });
  if (r.error) throw r.error;
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('GET /metrics of a running aggregator (built-in config)', () => {
  let dir: string;
  let agg: Aggregator;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'edgeprom-selfmetrics-'));
    const flags = parseServeFlags([`--storage.tsdb.path=${path.join(dir, 'data')}`, '--web.listen-address=127.0.0.1:0', '--mqtt.listen-address=127.0.0.1:0']);
    agg = await startAggregator(flags, { logger: silent, discoveryUpdateInterval: 20 });
  });
  afterAll(async () => {
    await agg?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the text format, which our parser reads and promtool accepts, with every part present', async () => {
    const r = await fetch(`${agg.url}/metrics`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe(TEXT_CONTENT_TYPE);
    const body = await r.text();
    const fams = parseExposition(body, { format: 'text' });
    const names = new Set(fams.map((f) => f.name));
    for (const n of [
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_heap_size_used_bytes',
      'nodejs_eventloop_lag_seconds',
      'edgeprom_build_info',
      'prometheus_config_last_reload_successful',
      'prometheus_http_requests_total',
      'prometheus_engine_query_duration_seconds',
      'prometheus_tsdb_head_series',
      'prometheus_sd_discovered_targets',
      'prometheus_target_interval_length_seconds',
      'prometheus_target_scrape_pool_targets',
      'prometheus_target_scrapes_exceeded_sample_limit_total',
      'edgeprom_ingest_batches_total',
      'edgeprom_mqtt_clients_connected',
      'edgeprom_self_metrics_collector_failures_total',
    ]) {
      expect(names, n).toContain(n);
    }
    expect(value(fams, 'edgeprom_build_info', { component: 'aggregator' })).toBe(1);
    expect(value(fams, 'prometheus_config_last_reload_successful')).toBe(1);
    // The aggregator's own MQTT client is connected to its broker.
    expect(value(fams, 'edgeprom_mqtt_clients_connected')).toBeGreaterThanOrEqual(1);
    const check = promtool(body);
    expect(check.out).toBe('');
    expect(check.status).toBe(0);
  });

  it('serves OpenMetrics when the Accept header prefers it, gzipped when accepted', async () => {
    const r = await fetch(`${agg.url}/metrics`, { headers: { Accept: SCRAPE_ACCEPT_HEADER, 'Accept-Encoding': 'gzip' } });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe(OPENMETRICS_CONTENT_TYPE);
    expect(r.headers.get('content-encoding')).toBe('gzip');
    // fetch inflates the body itself: read the raw bytes with node:http.
    const raw = await new Promise<Buffer>((resolve, reject) => {
      get(`${agg.url}/metrics`, { headers: { Accept: SCRAPE_ACCEPT_HEADER, 'Accept-Encoding': 'gzip' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks)));
        res.on('error', reject);
      }).on('error', reject);
    });
    const text = gunzipSync(raw).toString('utf8');
    expect(text.endsWith('# EOF\n')).toBe(true);
    const fams = parseExposition(text, { format: 'openmetrics' });
    expect(fams.find((f) => f.name === 'prometheus_http_requests')?.type).toBe('counter');
    expect(fams.find((f) => f.name === 'prometheus_target_interval_length_seconds')?.type).toBe('summary');
  });

  it('counts HTTP requests by route pattern and code, and queries in the engine', async () => {
    const before = await scrape(agg.url);
    expect((await fetch(`${agg.url}/api/v1/query?query=vector(1)`)).status).toBe(200);
    expect((await fetch(`${agg.url}/api/v1/label/job/values`)).status).toBe(200);
    expect((await fetch(`${agg.url}/no/such/path`)).status).toBe(404);
    expect((await fetch(`${agg.url}/api/v1/query?query=sum(`)).status).toBe(400);
    // The request that reads /metrics is counted when its response is finished: poll.
    const after = await until(agg.url, (f) => (value(f, 'prometheus_http_requests_total', { handler: 'other', code: '404' }) ?? 0) >= 1);
    const req = (fams: MetricFamily[], handler: string, code: string) => value(fams, 'prometheus_http_requests_total', { handler, code }) ?? 0;
    expect(req(after, '/api/v1/query', '200') - req(before, '/api/v1/query', '200')).toBe(1);
    expect(req(after, '/api/v1/query', '400') - req(before, '/api/v1/query', '400')).toBe(1);
    expect(req(after, '/api/v1/label/:name/values', '200') - req(before, '/api/v1/label/:name/values', '200')).toBe(1);
    expect(req(after, '/metrics', '200')).toBeGreaterThanOrEqual(1);
    // No raw path became a label value.
    const handlers = after.find((f) => f.name === 'prometheus_http_requests_total')!.samples.map((s) => s.labels.get('handler'));
    expect(handlers).not.toContain('/no/such/path');
    expect(handlers).not.toContain('/api/v1/label/job/values');
    const count = (fams: MetricFamily[]) => value(fams, 'prometheus_engine_query_duration_seconds_count', { slice: 'inner_eval' }) ?? 0;
    expect(count(after) - count(before)).toBe(2);
    expect((value(after, 'edgeprom_engine_query_failures_total') ?? 0) - (value(before, 'edgeprom_engine_query_failures_total') ?? 0)).toBe(1);
    expect(value(after, 'prometheus_http_request_duration_seconds_count', { handler: '/api/v1/query' })).toBeGreaterThanOrEqual(2);
  });

  it('counts pushed batches per device, malformed ones, broker traffic, retained messages and refused logins', async () => {
    const mqttUrl = agg.mqttUrl!;
    const before = await scrape(agg.url);
    // Anonymous from loopback, as local agents connect in the built-in config.
    const dev = await pushingDevice(mqttUrl, 'selfm-1');
    try {
      const t = Date.now();
      const batch = encodeBatch({
        agent: 'selfm-1',
        boot: 'boot1',
        seqFrom: 1,
        seqTo: 3,
        series: [{ labels: Labels.from({ __name__: 'temp', sensor: 's1' }), timestamps: [t - 3000, t - 2000, t - 1000], values: [1, 2, 3], seqs: [1, 2, 3] }],
      });
      await dev.push(batch);
      await dev.client.publishAsync('edgeprom/push/selfm-1', Buffer.from('not cbor at all'), { qos: 1 });
      const presence = encodePresence({ agent: 'selfm-1', boot: 'boot1', bootSeq: 1, state: 'offline', version: 'test', ts: t });
      await dev.client.publishAsync('edgeprom/presence/selfm-1', Buffer.from(presence), { qos: 1, retain: true });
    } finally {
      await dev.client.endAsync();
    }
    await expect(connect(mqttUrl, { clientId: 'x', username: 'nobody', password: 'wrong' })).rejects.toBeDefined();

    const after = await until(
      agg.url,
      (f) =>
        value(f, 'edgeprom_ingest_batches_total', { agent: 'selfm-1', result: 'malformed' }) === 1 &&
        (value(f, 'edgeprom_mqtt_auth_failures_total', { reason: 'bad-credentials' }) ?? 0) >= 1 &&
        (value(f, 'edgeprom_mqtt_retained_messages') ?? 0) >= 1,
    );
    expect(value(after, 'edgeprom_ingest_batches_total', { agent: 'selfm-1', result: 'ok' })).toBe(1);
    expect((value(after, 'edgeprom_ingest_samples_total', { result: 'appended' }) ?? 0) - (value(before, 'edgeprom_ingest_samples_total', { result: 'appended' }) ?? 0)).toBe(3);
    expect(value(after, 'edgeprom_ingest_devices')).toBeGreaterThanOrEqual(1);
    // Three publishes in, and at least the ack out.
    expect((value(after, 'edgeprom_mqtt_messages_received_total') ?? 0) - (value(before, 'edgeprom_mqtt_messages_received_total') ?? 0)).toBeGreaterThanOrEqual(3);
    expect((value(after, 'edgeprom_mqtt_messages_sent_total') ?? 0) - (value(before, 'edgeprom_mqtt_messages_sent_total') ?? 0)).toBeGreaterThanOrEqual(1);
    // The ingest samples land in the TSDB, which counts them too.
    expect(value(after, 'prometheus_tsdb_head_samples_appended_total', { type: 'float' })).toBeGreaterThanOrEqual(3);
  });

  it('scrapes itself: the built-in config has a `self` job with the aggregator\'s own /metrics', async () => {
    const wanted = `${agg.url}/metrics`;
    for (;;) {
      const body = (await (await fetch(`${agg.url}/api/v1/targets?state=active`)).json()) as {
        data: { activeTargets: { labels: Record<string, string>; scrapeUrl: string }[] };
      };
      const self = body.data.activeTargets.find((t) => t.labels.job === 'self');
      if (self) {
        expect(self.scrapeUrl).toBe(wanted);
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const fams = await scrape(agg.url);
    expect(value(fams, 'prometheus_sd_discovered_targets', { config: 'self', name: 'scrape' })).toBe(1);
    expect(value(fams, 'prometheus_target_scrape_pool_targets', { scrape_job: 'self' })).toBe(1);
  });
});

describe('an aggregator scraping its own /metrics as a job', () => {
  let dir: string;
  let agg: Aggregator;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'edgeprom-selfscrape-'));
    const cfg = path.join(dir, 'aggregator.yml');
    writeFileSync(cfg, 'global:\n  scrape_interval: 1s\n');
    const flags = parseServeFlags([
      `--config.file=${cfg}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      '--web.listen-address=127.0.0.1:0',
      '--mqtt.listen-address=127.0.0.1:0',
    ]);
    agg = await startAggregator(flags, { logger: silent, discoveryUpdateInterval: 20 });
    const port = new URL(agg.url).port;
    writeFileSync(
      cfg,
      `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: self\n    static_configs:\n      - targets: ['127.0.0.1:${port}']\n` +
        'push:\n  enabled: true\n  insecure: true\n',
    );
    await agg.reload();
  });
  afterAll(async () => {
    await agg?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('parses what it serves: up is 1 with hundreds of samples, and the scrape metrics move', async () => {
    // Two scrapes give one interval observation.
    const fams = await until(agg.url, (f) => (value(f, 'prometheus_target_interval_length_seconds_count', { interval: '1s' }) ?? 0) >= 1);
    expect(value(fams, 'prometheus_target_scrape_pool_sync_total', { scrape_job: 'self' })).toBeGreaterThanOrEqual(1);
    expect(value(fams, 'prometheus_target_scrape_pool_targets', { scrape_job: 'self' })).toBe(1);
    expect(value(fams, 'prometheus_target_scrape_pools_total')).toBe(1);
    expect(value(fams, 'prometheus_target_interval_length_seconds', { interval: '1s', quantile: '0.5' })).toBeGreaterThan(0);
    const q = async (query: string) => {
      const r = (await (await fetch(`${agg.url}/api/v1/query?query=${encodeURIComponent(query)}`)).json()) as {
        data: { result: { value: [number, string] }[] };
      };
      return r.data.result.map((s) => Number(s.value[1]));
    };
    expect(await q('up{job="self"}')).toEqual([1]);
    const [scraped] = await q('scrape_samples_scraped{job="self"}');
    expect(scraped).toBeGreaterThan(100);
    expect((await q('prometheus_http_requests_total{job="self",handler="/metrics",code="200"}'))[0]).toBeGreaterThanOrEqual(1);
  });

  it('reports the push API once enabled, and counts its requests by route pattern', async () => {
    const before = await scrape(agg.url);
    expect(value(before, 'edgeprom_push_groups')).toBe(0);
    const r = await fetch(`${agg.url}/metrics/job/backup/instance/db1`, { method: 'PUT', body: 'backup_last_success_seconds 1.7e9\nbackup_bytes 42\n' });
    expect(r.status).toBe(200);
    const after = await until(agg.url, (f) => value(f, 'prometheus_http_requests_total', { handler: '/metrics/job/*', code: '200' }) === 1);
    expect(value(after, 'edgeprom_push_groups')).toBe(1);
    expect(value(after, 'edgeprom_push_series')).toBeGreaterThanOrEqual(2);
  });
});
