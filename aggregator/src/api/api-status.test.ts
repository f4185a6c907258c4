import { parseAggregatorConfig } from '@edgeprom/shared/config';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiLogger } from './context.js';
import type { MetadataSource } from './sources.js';
import { load, rawRequest, startTestApi, type TestApi } from './test-helpers.js';

const CONFIG = `
global:
  scrape_interval: 15s
  external_labels:
    password: shown-because-labels-are-data
scrape_configs:
  - job_name: secured
    basic_auth:
      username: admin
      password: hunter2
    static_configs:
      - targets: ['localhost:9100']
remote_write:
  - url: https://user:pa55@remote.example/api/v1/write
    authorization:
      credentials: tok3n
`;

const METADATA: MetadataSource = {
  metadata: () => [
    { metric: 'up', type: 'gauge', help: 'Up.', unit: '' },
    { metric: 'up', type: 'gauge', help: 'Up.', unit: '' },
    { metric: 'up', type: 'gauge', help: 'Up, other target.', unit: '' },
    { metric: 'http_requests_total', type: 'counter', help: 'Requests.', unit: '' },
  ],
};

describe('status, metadata, admin and health endpoints', () => {
  let t: TestApi;
  let ready = true;
  beforeAll(async () => {
    t = await startTestApi({
      config: parseAggregatorConfig(CONFIG),
      flags: { 'web.enable-admin-api': 'false', 'query.timeout': '2m' },
      buildInfo: { version: '1.2.3', revision: 'abc' },
      metadata: METADATA,
      ready: () => ready,
      corsOrigin: 'https?://grafana\\.example',
      logger: pino({ level: 'silent' }) satisfies ApiLogger,
    });
    await load(t.storage, [
      [{ __name__: 'up', job: 'a' }, 1000, 1],
      [{ __name__: 'up', job: 'b' }, 2000, 1],
      [{ __name__: 'x', job: 'a' }, 3000, 1],
    ]);
  });
  afterAll(() => t.close());

  it('buildinfo has Prometheus fields', async () => {
    const r = await t.get('/api/v1/status/buildinfo');
    expect(Object.keys(r.json().data)).toEqual(['version', 'revision', 'branch', 'buildUser', 'buildDate', 'goVersion']);
    expect(r.json().data.version).toBe('1.2.3');
  });

  it('config is YAML with every secret redacted', async () => {
    const r = await t.get('/api/v1/status/config');
    expect(r.status).toBe(200);
    // Go's encoder escapes <, > and &.
    expect(r.text).toContain('\\u003csecret\\u003e');
    const yaml: string = r.json().data.yaml;
    expect(yaml).not.toMatch(/hunter2|tok3n|pa55/);
    expect(yaml).toContain('password: <secret>');
    expect(yaml).toContain('credentials: <secret>');
    expect(yaml).toContain('https://user:xxxxx@remote.example/api/v1/write');
    expect(yaml).toContain('shown-because-labels-are-data');
    expect(yaml).toContain('scrape_interval: 15s');
  });

  it('flags are the flag map', async () => {
    expect((await t.get('/api/v1/status/flags')).json()).toEqual({
      status: 'success',
      data: { 'web.enable-admin-api': 'false', 'query.timeout': '2m' },
    });
  });

  it('runtimeinfo has Prometheus fields', async () => {
    const d = (await t.get('/api/v1/status/runtimeinfo')).json().data;
    for (const k of ['startTime', 'CWD', 'reloadConfigSuccess', 'lastConfigTime', 'corruptionCount', 'goroutineCount', 'GOMAXPROCS', 'GOGC', 'GODEBUG', 'storageRetention']) {
      expect(d).toHaveProperty(k);
    }
  });

  it('tsdb status counts cardinality', async () => {
    const d = (await t.get('/api/v1/status/tsdb')).json().data;
    expect(d.headStats).toEqual({ numSeries: 3, numLabelPairs: 4, chunkCount: 0, minTime: 1000, maxTime: 3000 });
    expect(d.seriesCountByMetricName).toEqual([
      { name: 'up', value: 2 },
      { name: 'x', value: 1 },
    ]);
    expect(d.labelValueCountByLabelName).toEqual([
      { name: '__name__', value: 2 },
      { name: 'job', value: 2 },
    ]);
    expect((await t.get('/api/v1/status/tsdb', { limit: '1' })).json().data.seriesCountByMetricName).toHaveLength(1);
    const bad = await t.get('/api/v1/status/tsdb', { limit: '0' });
    expect(bad.status).toBe(400);
    expect(bad.json().error).toBe('limit must be a positive number');
  });

  it('metadata merges identical entries and honours limits', async () => {
    expect((await t.get('/api/v1/metadata')).json().data).toEqual({
      http_requests_total: [{ type: 'counter', help: 'Requests.', unit: '' }],
      up: [
        { type: 'gauge', help: 'Up.', unit: '' },
        { type: 'gauge', help: 'Up, other target.', unit: '' },
      ],
    });
    expect((await t.get('/api/v1/metadata', { metric: 'up', limit_per_metric: '1' })).json().data).toEqual({
      up: [{ type: 'gauge', help: 'Up.', unit: '' }],
    });
    expect(Object.keys((await t.get('/api/v1/metadata', { limit: '1' })).json().data)).toHaveLength(1);
    expect((await t.get('/api/v1/metadata', { limit: '0' })).json().data).toEqual({});
    expect((await t.get('/api/v1/metadata', { limit: 'x' })).json()).toEqual({
      status: 'error',
      errorType: 'bad_data',
      error: 'limit must be a number',
    });
  });

  it('answers internal (500) in the envelope when a part throws unexpectedly', async () => {
    const t2 = await startTestApi({
      metadata: {
        metadata: () => {
          throw new TypeError('broken source');
        },
      },
    });
    try {
      const r = await t2.get('/api/v1/metadata');
      expect(r.status).toBe(500);
      expect(r.json()).toEqual({ status: 'error', errorType: 'internal', error: 'broken source' });
    } finally {
      await t2.close();
    }
  });

  it('metadata is an empty object without a source', async () => {
    const t2 = await startTestApi();
    try {
      expect((await t2.get('/api/v1/metadata')).text).toBe('{"status":"success","data":{}}');
    } finally {
      await t2.close();
    }
  });

  it('admin APIs answer Prometheus\'s error while disabled, and unsupported when enabled', async () => {
    const r = await t.post('/api/v1/admin/tsdb/snapshot', {});
    expect(r.status).toBe(500);
    expect(r.json()).toEqual({ status: 'error', errorType: 'unavailable', error: 'admin APIs disabled' });
    const t2 = await startTestApi({ enableAdminApi: true });
    try {
      const e = await rawRequest(t2.base, '/api/v1/admin/tsdb/delete_series?match[]=up', { method: 'PUT' });
      expect(e.json()).toEqual({
        status: 'error',
        errorType: 'unavailable',
        error: 'admin API delete_series is not supported by edgeprom',
      });
    } finally {
      await t2.close();
    }
    const del = await rawRequest(t.base, '/api/v1/series?match[]=up', { method: 'DELETE' });
    expect(del.json()).toEqual({ status: 'error', errorType: 'internal', error: 'not implemented' });
  });

  it('healthy and ready', async () => {
    const h = await t.get('/-/healthy');
    expect([h.status, h.text]).toEqual([200, 'Prometheus Server is Healthy.\n']);
    expect((await t.get('/-/ready')).status).toBe(200);
    ready = false;
    try {
      const r = await t.get('/-/ready');
      expect([r.status, r.text]).toEqual([503, 'Service Unavailable']);
      const api = await t.get('/api/v1/labels');
      expect(api.status).toBe(503);
    } finally {
      ready = true;
    }
  });

  it('404 and 405 as Prometheus\'s router answers them', async () => {
    const nf = await t.get('/api/v1/nope');
    expect([nf.status, nf.text]).toEqual([404, '404 page not found\n']);
    expect((await t.get('/elsewhere')).status).toBe(404);
    const na = await rawRequest(t.base, '/api/v1/status/config', { method: 'POST' });
    expect([na.status, na.text, na.headers.allow]).toEqual([405, 'Method Not Allowed\n', 'GET, OPTIONS']);
    const q = await rawRequest(t.base, '/api/v1/query', { method: 'PUT' });
    expect(q.headers.allow).toBe('GET, OPTIONS, POST');
  });

  it('CORS follows --web.cors.origin', async () => {
    const ok = await t.get('/api/v1/labels', undefined, { Origin: 'https://grafana.example' });
    expect(ok.headers['access-control-allow-origin']).toBe('https://grafana.example');
    expect(ok.headers['access-control-allow-methods']).toBe('GET, POST, OPTIONS');
    expect(ok.headers.vary).toBe('Origin');
    const no = await t.get('/api/v1/labels', undefined, { Origin: 'https://evil.example' });
    expect(no.headers['access-control-allow-origin']).toBeUndefined();
    const none = await t.get('/api/v1/labels');
    expect(none.headers['access-control-allow-methods']).toBeUndefined();
    const notFound = await t.get('/api/v1/nope', undefined, { Origin: 'https://grafana.example' });
    expect(notFound.headers['access-control-allow-origin']).toBeUndefined();
    const pre = await rawRequest(t.base, '/api/v1/query', { method: 'OPTIONS', headers: { Origin: 'http://grafana.example' } });
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe('http://grafana.example');
    const t2 = await startTestApi();
    try {
      const star = await t2.get('/api/v1/labels', undefined, { Origin: 'https://anything' });
      expect(star.headers['access-control-allow-origin']).toBe('*');
    } finally {
      await t2.close();
    }
  });

  it('refuses url-encoded bodies over the size limit', async () => {
    const t2 = await startTestApi({ maxBodyBytes: 100 });
    try {
      const r = await t2.post('/api/v1/labels', { 'match[]': 'x'.repeat(200) });
      expect(r.status).toBe(400);
      expect(r.json()).toEqual({ status: 'error', errorType: 'bad_data', error: 'error parsing form values: http: POST too large' });
    } finally {
      await t2.close();
    }
  });
});
