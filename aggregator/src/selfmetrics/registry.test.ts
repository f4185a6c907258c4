import { afterEach, describe, expect, it } from 'vitest';
import { FamilySet, parseExposition, type MetricFamily } from '@edgeprom/shared';
import { createApiServer, type ApiServer } from '../api/index.js';
import { MemoryStorage } from '../storage/memory.js';
import { CounterVec, HistogramVec, SummaryVec } from './metric-types.js';
import { createSelfMetrics, type SelfMetrics } from './registry.js';

const gauge = (name: string, v: number): MetricFamily[] => new FamilySet().gauge(name, 'A test gauge.', undefined, v).list();

function value(fams: readonly MetricFamily[], name: string, labels: Record<string, string> = {}): number | undefined {
  for (const f of fams) {
    for (const s of f.samples) {
      if (s.labels.name === name && Object.entries(labels).every(([k, v]) => s.labels.get(k) === v)) return s.value;
    }
  }
  return undefined;
}

let api: ApiServer | undefined;
let self: SelfMetrics | undefined;
afterEach(async () => {
  await api?.stop();
  self?.stop();
  api = self = undefined;
});

describe('SelfMetrics: a failing collector', () => {
  it('is skipped, counted and logged once, over HTTP, while the others are served', async () => {
    const warnings: string[] = [];
    self = createSelfMetrics({ logger: { warn: (o: object) => warnings.push(JSON.stringify(o)) } });
    self.register('good', () => gauge('test_good', 1));
    self.register('throws', () => {
      throw new Error('sensor on fire');
    });
    self.register('rejects', () => Promise.reject(new Error('disk gone')));
    self.register('good_async', async () => gauge('test_good_async', 2));
    api = createApiServer({ queryable: new MemoryStorage(), metrics: self });
    const { url } = await api.start({ host: '127.0.0.1', port: 0 });

    for (const round of [1, 2]) {
      const r = await fetch(`${url}/metrics`);
      expect(r.status).toBe(200);
      const fams = parseExposition(await r.text(), { format: 'text' });
      expect(value(fams, 'test_good')).toBe(1);
      expect(value(fams, 'test_good_async')).toBe(2);
      expect(value(fams, 'process_cpu_seconds_total')).toBeGreaterThan(0);
      expect(value(fams, 'edgeprom_self_metrics_collector_failures_total', { collector: 'throws' })).toBe(round);
      expect(value(fams, 'edgeprom_self_metrics_collector_failures_total', { collector: 'rejects' })).toBe(round);
      expect(value(fams, 'edgeprom_self_metrics_collector_failures_total', { collector: 'good' })).toBe(0);
    }
    // The same error twice is logged once per collector.
    expect(warnings.filter((w) => w.includes('sensor on fire'))).toHaveLength(1);
    expect(warnings.filter((w) => w.includes('disk gone'))).toHaveLength(1);
  });

  it('cannot add a family another collector already produced (it would make the exposition invalid)', async () => {
    const warnings: string[] = [];
    self = createSelfMetrics({ builtins: false, logger: { warn: (o: object) => warnings.push(JSON.stringify(o)) } });
    self.register('first', () => gauge('test_dup', 1));
    self.register('second', () => gauge('test_dup', 2));
    const fams = await self.gather();
    expect(fams.filter((f) => f.name === 'test_dup')).toHaveLength(1);
    expect(value(fams, 'test_dup')).toBe(1);
    expect(warnings).toHaveLength(1);
    expect(() => self!.register('first', () => [])).toThrow(/already registered/);
  });

  it('answers 405 to other methods and 404 without a gatherer', async () => {
    self = createSelfMetrics({ builtins: false });
    api = createApiServer({ queryable: new MemoryStorage(), metrics: self });
    const { url } = await api.start({ host: '127.0.0.1', port: 0 });
    const r = await fetch(`${url}/metrics`, { method: 'DELETE' });
    expect(r.status).toBe(405);
    expect(r.headers.get('allow')).toBe('GET, HEAD');
    await api.stop();
    api = createApiServer({ queryable: new MemoryStorage() });
    const bare = await api.start({ host: '127.0.0.1', port: 0 });
    expect((await fetch(`${bare.url}/metrics`)).status).toBe(404);
  });
});

describe('metric kinds', () => {
  it('a histogram counts cumulatively per bucket, with +Inf, sum and count', () => {
    const h = new HistogramVec('test_seconds', 'x', ['h'], [0.1, 1]);
    for (const v of [0.05, 0.1, 0.5, 5]) h.observe(['a'], v);
    const f = h.family();
    expect(value([f], 'test_seconds_bucket', { le: '0.1' })).toBe(2);
    expect(value([f], 'test_seconds_bucket', { le: '1' })).toBe(3);
    expect(value([f], 'test_seconds_bucket', { le: '+Inf' })).toBe(4);
    expect(value([f], 'test_seconds_sum')).toBeCloseTo(5.65);
    expect(value([f], 'test_seconds_count')).toBe(4);
  });

  it('a summary reports nearest-rank quantiles over its window and sum/count over all time', () => {
    const s = new SummaryVec('test_seconds', 'x', [], [0.5, 0.99], 100);
    for (let i = 1; i <= 300; i++) s.observe([], i);
    const f = s.family();
    // The window holds 201..300.
    expect(value([f], 'test_seconds', { quantile: '0.5' })).toBe(250);
    expect(value([f], 'test_seconds', { quantile: '0.99' })).toBe(299);
    expect(value([f], 'test_seconds_count')).toBe(300);
    expect(value([f], 'test_seconds_sum')).toBe(45150);
    const empty = new SummaryVec('test_empty_seconds', 'x', ['l']);
    empty.init(['v']);
    expect(value([empty.family()], 'test_empty_seconds', { quantile: '0.5' })).toBeNaN();
  });

  it('a counter keeps one child per label values', () => {
    const c = new CounterVec('test_total', 'x', ['a', 'b']);
    c.inc(['1', '2']);
    c.inc(['1', '2'], 2);
    c.init(['x', 'y']);
    const f = c.family();
    expect(f.samples.map((s) => [s.labels.toString(), s.value])).toEqual([
      ['test_total{a="1", b="2"}', 3],
      ['test_total{a="x", b="y"}', 0],
    ]);
  });
});
