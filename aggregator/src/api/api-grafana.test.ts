// Requests as Grafana's Prometheus data source sends them (method, parameters, encoding).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../promql/index.js';
import { load, startTestApi, type TestApi } from './test-helpers.js';

const START = 1_700_000_000;
const END = START + 3600;

describe('Grafana data source requests', () => {
  let t: TestApi;
  beforeAll(async () => {
    t = await startTestApi({ engine: createEngine(), buildInfo: { version: '0.1.0' } });
    const samples: [Record<string, string>, number, number][] = [];
    for (let i = 0; i < 240; i++) {
      samples.push([{ __name__: 'node_cpu_seconds_total', job: 'node', instance: 'pi:9100', mode: 'idle' }, (START + i * 15) * 1000, i * 14.5]);
      samples.push([{ __name__: 'up', job: 'node', instance: 'pi:9100' }, (START + i * 15) * 1000, 1]);
    }
    await load(t.storage, samples);
  });
  afterAll(() => t.close());

  it('buildinfo (version detection)', async () => {
    const r = await t.get('/api/v1/status/buildinfo');
    expect(r.json().data.version).toBe('0.1.0');
  });

  it('range query, POST form with integer step', async () => {
    const r = await t.post('/api/v1/query_range', {
      query: 'sum by (mode) (rate(node_cpu_seconds_total{job="node"}[1m]))',
      start: String(START + 60),
      end: String(END),
      step: '60',
    });
    expect(r.status).toBe(200);
    const [series] = r.json().data.result;
    expect(series.metric).toEqual({ mode: 'idle' });
    expect(series.values[0]).toEqual([START + 60, expect.any(String)]);
  });

  it('instant query, POST form', async () => {
    const r = await t.post('/api/v1/query', { query: 'up', time: String(END) });
    expect(r.json().data.resultType).toBe('vector');
  });

  it('metric names for the metrics browser', async () => {
    const r = await t.get('/api/v1/label/__name__/values', { start: String(START), end: String(END), limit: '40000' });
    expect(r.json().data).toEqual(['node_cpu_seconds_total', 'up']);
  });

  it('label names and values filtered by a selector', async () => {
    const names = await t.get('/api/v1/labels', { 'match[]': '{__name__="up"}', start: String(START), end: String(END) });
    expect(names.json().data).toEqual(['__name__', 'instance', 'job']);
    const values = await t.get('/api/v1/label/instance/values', { 'match[]': 'up{job="node"}', start: String(START), end: String(END) });
    expect(values.json().data).toEqual(['pi:9100']);
  });

  it('series for template variables', async () => {
    const r = await t.get('/api/v1/series', { 'match[]': 'up', start: String(START), end: String(END) });
    expect(r.json().data).toEqual([{ __name__: 'up', instance: 'pi:9100', job: 'node' }]);
  });

  it('metadata for hover help', async () => {
    expect((await t.get('/api/v1/metadata')).json()).toEqual({ status: 'success', data: {} });
  });

  it('exemplars (none stored)', async () => {
    const r = await t.post('/api/v1/query_exemplars', { query: 'up', start: String(START), end: String(END) });
    expect(r.json()).toEqual({ status: 'success', data: [] });
    const none = await t.post('/api/v1/query_exemplars', { query: '1 + 1' });
    expect([none.status, none.text]).toEqual([204, '']);
  });

  it('format query button', async () => {
    const r = await t.get('/api/v1/format_query', { query: 'sum(up)by(job)' });
    expect(r.json().data).toBe('sum by (job) (up)');
  });
});
