import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, OPENMETRICS_CONTENT_TYPE, TEXT_CONTENT_TYPE, parseExposition, type MetricFamily } from '@edgeprom/shared';
import { FamilySet } from '@edgeprom/shared';
import { ScrapeStats } from './scrape-stats.js';
import { WebServer, acceptsGzip, type MetricsSource } from './server.js';
import { displayUrl, parseListenAddress } from './listen-address.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function get(url: string, opts: { method?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const FAMILIES: MetricFamily[] = new FamilySet()
  .counter('node_cpu_seconds_total', 'Seconds the CPUs spent in each mode.', { cpu: '0', mode: 'idle' }, 4103.1)
  .counter('node_cpu_seconds_total', 'Seconds the CPUs spent in each mode.', { cpu: '0', mode: 'user' }, 60.39)
  .gauge('node_load1', '1m load average.', undefined, 0.5)
  .gauge('node_uname_info', 'Labeled system information.', { nodename: 'pi "4"\\x' }, 1)
  .list();

function source(families = FAMILIES): MetricsSource & { calls: number; ready: boolean; fail?: Error } {
  const s = {
    calls: 0,
    ready: true,
    fail: undefined as Error | undefined,
    async snapshot() {
      s.calls++;
      if (s.fail) throw s.fail;
      return families;
    },
  };
  return s;
}

let server: WebServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

async function start(src: MetricsSource, stats?: ScrapeStats): Promise<string> {
  server = new WebServer({ source: src, listen: '127.0.0.1:0', scrapeStats: stats, agentId: 'pi-1', version: '0.1.0' });
  const addr = await server.start();
  expect(addr.port).toBeGreaterThan(0);
  return `http://127.0.0.1:${addr.port}`;
}

describe('GET /metrics', () => {
  it('serves the text format by default, parseable by the shared parser', async () => {
    const base = await start(source());
    const r = await get(`${base}/metrics`);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe(TEXT_CONTENT_TYPE);
    expect(r.headers['content-encoding']).toBeUndefined();
    const parsed = parseExposition(r.body.toString(), { format: 'text' });
    expect(parsed.map((f) => [f.name, f.type, f.samples.length])).toEqual([
      ['node_cpu_seconds_total', 'counter', 2],
      ['node_load1', 'gauge', 1],
      ['node_uname_info', 'gauge', 1],
    ]);
    expect(parsed[2].samples[0].labels.get('nodename')).toBe('pi "4"\\x');
  });

  it('serves OpenMetrics when the scraper asks for it', async () => {
    const base = await start(source());
    const r = await get(`${base}/metrics`, {
      headers: { accept: 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1' },
    });
    expect(r.headers['content-type']).toBe(OPENMETRICS_CONTENT_TYPE);
    const body = r.body.toString();
    expect(body.endsWith('# EOF\n')).toBe(true);
    const parsed = parseExposition(body, { format: 'openmetrics' });
    expect(parsed.find((f) => f.name === 'node_cpu_seconds')?.samples.map((s) => s.value)).toEqual([4103.1, 60.39]);
  });

  it('gzips when Accept-Encoding allows it', async () => {
    const base = await start(source());
    const plain = await get(`${base}/metrics`);
    const r = await get(`${base}/metrics`, { headers: { 'accept-encoding': 'gzip, deflate' } });
    expect(r.headers['content-encoding']).toBe('gzip');
    expect(Number(r.headers['content-length'])).toBe(r.body.length);
    expect(gunzipSync(r.body).toString()).toBe(plain.body.toString());
    expect(r.headers.vary).toBe('Accept, Accept-Encoding');
  });

  it('answers HEAD with headers only and does not count it as a scrape', async () => {
    const stats = new ScrapeStats(new ManualClock());
    const base = await start(source(), stats);
    const r = await get(`${base}/metrics`, { method: 'HEAD' });
    expect(r.status).toBe(200);
    expect(r.body.length).toBe(0);
    expect(Number(r.headers['content-length'])).toBeGreaterThan(0);
    expect(stats.scrapes).toBe(0);
  });

  it('records every scrape for the pusher to read', async () => {
    const clock = new ManualClock(1_767_225_600_000);
    const stats = new ScrapeStats(clock);
    const base = await start(source(), stats);
    expect(stats.sinceLastScrapeMs()).toBeUndefined();
    await get(`${base}/metrics`);
    await clock.advance(5000);
    await get(`${base}/metrics`);
    expect(stats.scrapes).toBe(2);
    expect(stats.lastScrapeMs).toBe(1_767_225_605_000);
    await clock.advance(7000);
    expect(stats.sinceLastScrapeMs()).toBe(7000);
    const fams = await stats.exporter().collect();
    expect(fams.map((f) => [f.name, f.samples[0].value])).toEqual([
      ['edgeprom_agent_last_scrape_timestamp_seconds', 1_767_225_605],
      ['edgeprom_agent_scrapes_total', 2],
    ]);
  });

  it('answers 500 with the reason when gathering fails', async () => {
    const src = source();
    src.fail = new Error('collector stopped');
    const base = await start(src);
    const r = await get(`${base}/metrics`);
    expect(r.status).toBe(500);
    expect(r.body.toString()).toContain('collector stopped');
  });
});

describe('other paths', () => {
  it('/-/healthy is 200, /-/ready follows the first collection', async () => {
    const src = source();
    src.ready = false;
    const base = await start(src);
    expect((await get(`${base}/-/healthy`)).status).toBe(200);
    expect((await get(`${base}/-/ready`)).status).toBe(503);
    src.ready = true;
    expect((await get(`${base}/-/ready`)).status).toBe(200);
  });

  it('/ is a small HTML page linking /metrics', async () => {
    const base = await start(source());
    const r = await get(`${base}/`);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(r.body.toString()).toContain('<a href="metrics">/metrics</a>');
    expect(r.body.toString()).toContain('pi-1');
  });

  it('404 for unknown paths, 405 with Allow for other methods', async () => {
    const src = source();
    const base = await start(src);
    expect((await get(`${base}/nope`)).status).toBe(404);
    expect((await get(`${base}/metrics/extra`)).status).toBe(404);
    const r = await get(`${base}/metrics`, { method: 'POST' });
    expect(r.status).toBe(405);
    expect(r.headers.allow).toBe('GET, HEAD');
    expect(src.calls).toBe(0);
    expect((await get(`${base}/metrics?x=1`)).status).toBe(200); // a query string is ignored
  });

  it('reports a port already in use clearly', async () => {
    const base = await start(source());
    const port = Number(new URL(base).port);
    const second = new WebServer({ source: source(), listen: `127.0.0.1:${port}` });
    await expect(second.start()).rejects.toMatchObject({ code: 'ERR_LISTEN', message: expect.stringContaining('EADDRINUSE') });
  });
});

describe('acceptsGzip', () => {
  it('follows Accept-Encoding q-values', () => {
    expect(acceptsGzip(undefined)).toBe(false);
    expect(acceptsGzip('gzip')).toBe(true);
    expect(acceptsGzip('deflate, GZIP;q=0.5')).toBe(true);
    expect(acceptsGzip('gzip;q=0')).toBe(false);
    expect(acceptsGzip('*')).toBe(true);
    expect(acceptsGzip('identity')).toBe(false);
    expect(acceptsGzip('*;q=0, gzip')).toBe(true);
  });
});

describe('listen addresses', () => {
  it('parses Prometheus-style host:port', () => {
    expect(parseListenAddress(':9100')).toEqual({ host: undefined, port: 9100 });
    expect(parseListenAddress('127.0.0.1:0')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseListenAddress('[::1]:9100')).toEqual({ host: '::1', port: 9100 });
    expect(parseListenAddress('localhost:80')).toEqual({ host: 'localhost', port: 80 });
    expect(() => parseListenAddress('9100')).toThrow(/a port is required/);
    expect(() => parseListenAddress('::1:9100')).toThrow(/brackets/);
    expect(() => parseListenAddress(':70000')).toThrow(/is not a port/);
    expect(() => parseListenAddress('a b:1')).toThrow(/bad host/);
  });

  it('shows wildcard hosts as localhost', () => {
    expect(displayUrl('::', 9100)).toBe('http://localhost:9100/');
    expect(displayUrl('::1', 9100, '/metrics')).toBe('http://[::1]:9100/metrics');
  });
});
