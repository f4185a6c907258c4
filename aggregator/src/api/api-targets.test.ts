import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gunzipSync } from 'node:zlib';
import type { TargetsParams, TargetsSource } from './sources.js';
import { rawRequest, startTestApi, type TestApi } from './test-helpers.js';

describe('/api/v1/targets', () => {
  const seen: TargetsParams[] = [];
  const source: TargetsSource = {
    targets(params) {
      seen.push(params);
      if (params.scrapePool === 'boom') throw new Error('retriever failed');
      return { activeTargets: [], droppedTargets: [], droppedTargetCounts: null, echo: params };
    },
  };
  let t: TestApi;
  let none: TestApi;
  beforeAll(async () => {
    t = await startTestApi({ targets: source });
    none = await startTestApi();
  });
  afterAll(async () => {
    await t.close();
    await none.close();
  });

  it('is 404 without a TargetsSource, as an unknown path', async () => {
    const r = await none.get('/api/v1/targets');
    expect(r.status).toBe(404);
    expect(r.text).toBe('404 page not found\n');
  });

  it('wraps the source data in the success envelope', async () => {
    const r = await t.get('/api/v1/targets');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/application\/json/);
    expect(r.json()).toEqual({
      status: 'success',
      data: { activeTargets: [], droppedTargets: [], droppedTargetCounts: null, echo: {} },
    });
  });

  it('passes state lower-cased and scrapePool, leaving out empty ones', async () => {
    seen.length = 0;
    await t.get('/api/v1/targets', { state: 'ACTIVE', scrapePool: 'edgeprom' });
    await t.get('/api/v1/targets', { state: '', scrapePool: '' });
    await t.get('/api/v1/targets', { state: 'bogus' });
    expect(seen).toEqual([{ state: 'active', scrapePool: 'edgeprom' }, {}, { state: 'bogus' }]);
  });

  it('is GET only (405 with Allow otherwise)', async () => {
    const r = await t.post('/api/v1/targets', {});
    expect(r.status).toBe(405);
    expect(r.headers.allow).toBe('GET, OPTIONS');
  });

  it('answers a failing source as internal', async () => {
    const r = await t.get('/api/v1/targets', { scrapePool: 'boom' });
    expect(r.status).toBe(500);
    expect(r.json()).toMatchObject({ status: 'error', errorType: 'internal', error: 'retriever failed' });
  });

  it('gzips when asked, like the other endpoints', async () => {
    const r = await rawRequest(t.base, '/api/v1/targets', { headers: { 'Accept-Encoding': 'gzip' } });
    expect(r.status).toBe(200);
    expect(r.headers['content-encoding']).toBe('gzip');
    expect(JSON.parse(gunzipSync(r.body).toString('utf8')).status).toBe('success');
  });
});
