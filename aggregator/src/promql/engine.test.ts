import { Labels } from '@edgeprom/shared';
import { describe, expect, it } from 'vitest';
import { MemoryStorage, STALE_NAN } from '../storage/index.js';
import { createEngine } from './engine.js';
import { PromQLError } from './errors.js';
import type { QueryValue } from './value.js';

/** Loads `name{labels}` with one value per `intervalMs` from t=0 (null: no sample). */
async function store(series: Record<string, (number | null)[]>, intervalMs = 60_000): Promise<MemoryStorage> {
  const s = new MemoryStorage();
  const app = s.appender();
  for (const [desc, values] of Object.entries(series)) {
    const m = /^([^{]*)(?:\{(.*)\})?$/.exec(desc)!;
    const pairs: [string, string][] = [['__name__', m[1]]];
    for (const kv of (m[2] ?? '').split(',').filter(Boolean)) {
      const [k, v] = kv.split('=');
      pairs.push([k.trim(), v.replace(/"/g, '')]);
    }
    const labels = Labels.from(pairs);
    values.forEach((v, i) => {
      if (v !== null) app.append(labels, i * intervalMs, v);
    });
  }
  await app.commit();
  return s;
}

function vector(v: QueryValue): Record<string, number> {
  if (v.type !== 'vector') throw new Error(`expected vector, got ${v.type}`);
  return Object.fromEntries(v.samples.map((s) => [s.metric.toString(), s.f]));
}

const engine = createEngine({ enableExperimentalFunctions: true });

describe('engine', () => {
  it('extrapolates rate towards the range boundaries, not below zero', async () => {
    // 0, 60, 120, ... one per minute: a counter rising 1/s.
    const s = await store({ c_total: [0, 60, 120, 180, 240, 300] });
    const r = await engine.instantQuery(s, 'rate(c_total[5m])', 300_000);
    // Samples at 1m..5m in (0, 5m]: 240 over 4m, extrapolated by half an interval at the
    // start would go below zero, so it stops at the zero point: exactly 1/s.
    expect(vector(r.value)).toEqual({ '{}': 1 });
    const inc = await engine.instantQuery(s, 'increase(c_total[5m])', 300_000);
    expect(vector(inc.value)['{}']).toBeCloseTo(300, 9);
  });

  it('handles counter resets in rate and increase', async () => {
    const s = await store({ c_total: [10, 20, 5, 15] });
    const r = await engine.instantQuery(s, 'increase(c_total[3m])', 180_000);
    // Window (0, 3m]: 20, 5, 15 -> 15 - 20 + 20 = 15 over 2m. The first sample is 1m after
    // the window start (under 1.1 intervals), so extrapolate all the way: 15 * 3m / 2m.
    expect(vector(r.value)['{}']).toBeCloseTo(22.5, 9);
  });

  it('uses left-open windows: a sample exactly range ago is excluded', async () => {
    const s = await store({ m: [1, 2, 3] });
    const r = await engine.instantQuery(s, 'count_over_time(m[1m])', 120_000);
    expect(vector(r.value)).toEqual({ '{}': 1 });
  });

  it('looks back at most 5m and stops at a stale marker', async () => {
    const s = await store({ a: [1, null, null, null, null, null, null], b: [1] });
    // Appended on its own: a plain array would lose the stale marker's NaN payload.
    const app = s.appender();
    app.append(Labels.from({ __name__: 'b' }), 60_000, STALE_NAN);
    await app.commit();
    expect(vector((await engine.instantQuery(s, 'a', 4 * 60_000)).value)).toEqual({ a: 1 });
    expect(vector((await engine.instantQuery(s, 'a', 5 * 60_000)).value)).toEqual({});
    expect(vector((await engine.instantQuery(s, 'b', 30_000)).value)).toEqual({ b: 1 });
    expect(vector((await engine.instantQuery(s, 'b', 90_000)).value)).toEqual({});
  });

  it('evaluates range queries step by step, with offset and @', async () => {
    const s = await store({ m: [0, 1, 2, 3, 4, 5] });
    const r = await engine.rangeQuery(s, 'm offset 1m', 60_000, 180_000, 60_000);
    expect(r.value.type).toBe('matrix');
    if (r.value.type !== 'matrix') return;
    expect(r.value.series[0].points).toEqual([
      { t: 60_000, f: 0 },
      { t: 120_000, f: 1 },
      { t: 180_000, f: 2 },
    ]);
    const at = await engine.rangeQuery(s, 'm @ 300', 0, 120_000, 60_000);
    if (at.value.type !== 'matrix') throw new Error('matrix');
    expect(at.value.series[0].points.map((p) => p.f)).toEqual([5, 5, 5]);
  });

  it('raises Prometheus matching errors', async () => {
    const s = await store({ 'a{x="1",y="1"}': [1], 'a{x="1",y="2"}': [2], 'b{x="1"}': [3] });
    await expect(engine.instantQuery(s, 'b + on(x) a', 0)).rejects.toThrow(
      'found duplicate series for the match group {x="1"} on the right hand-side of the operation: [{__name__="a", x="1", y="1"}, {__name__="a", x="1", y="2"}];many-to-many matching not allowed: matching labels must be unique on one side',
    );
    await expect(engine.instantQuery(s, 'a + on(x) b', 0)).rejects.toThrow(
      'multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)',
    );
    expect(vector((await engine.instantQuery(s, 'a + on(x) group_left b', 0)).value)).toEqual({
      '{x="1", y="1"}': 4,
      '{x="1", y="2"}': 5,
    });
  });

  it('reports same-labelset vectors after dropping names', async () => {
    const s = await store({ 'a{x="1"}': [1], 'b{x="1"}': [2] });
    const err = await engine.instantQuery(s, 'abs({x="1"})', 0).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PromQLError);
    expect((err as PromQLError).message).toBe('vector cannot contain metrics with the same labelset');
    expect((err as PromQLError).errorType).toBe('execution');
  });

  it('orders topk results by value and keeps the series labels', async () => {
    const s = await store({ 'm{i="a"}': [3], 'm{i="b"}': [9], 'm{i="c"}': [5], 'm{i="d"}': [NaN] });
    const r = await engine.instantQuery(s, 'topk(3, m)', 0);
    if (r.value.type !== 'vector') throw new Error('vector');
    expect(r.value.samples.map((x) => x.metric.toString())).toEqual(['m{i="b"}', 'm{i="c"}', 'm{i="a"}']);
    const b = await engine.instantQuery(s, 'bottomk(1, m)', 0);
    expect(vector(b.value)).toEqual({ 'm{i="a"}': 3 });
  });

  it('interpolates quantile and warns outside [0, 1]', async () => {
    const s = await store({ 'm{i="a"}': [1], 'm{i="b"}': [2], 'm{i="c"}': [4], 'm{i="d"}': [10] });
    expect(vector((await engine.instantQuery(s, 'quantile(0.5, m)', 0)).value)).toEqual({ '{}': 3 });
    const r = await engine.instantQuery(s, 'quantile(2, m)', 0);
    expect(vector(r.value)).toEqual({ '{}': Infinity });
    expect(r.warnings).toEqual(['PromQL warning: quantile value should be between 0 and 1, got 2 (1:10)']);
  });

  it('computes histogram_quantile on classic buckets, fixing non-monotonic counts', async () => {
    const s = await store({
      'h_bucket{le="0.1"}': [10],
      'h_bucket{le="0.5"}': [30],
      'h_bucket{le="1"}': [25],
      'h_bucket{le="+Inf"}': [40],
    });
    const r = await engine.instantQuery(s, 'histogram_quantile(0.5, h_bucket)', 0);
    // Rank 20 falls in (0.1, 0.5] holding 20 of the observations: 0.1 + 0.4 * 10/20.
    expect(vector(r.value)['{}']).toBeCloseTo(0.3, 12);
    const hi = await engine.instantQuery(s, 'histogram_quantile(0.9, h_bucket)', 0);
    // Rank 36 lies in the +Inf bucket: the answer is the highest finite bound.
    expect(vector(hi.value)['{}']).toBe(1);
    expect(hi.infos.length).toBe(1);
  });

  it('maps parse errors to bad_data and honours cancellation', async () => {
    const s = await store({ m: [1] });
    const err = await engine.instantQuery(s, 'sum(', 0).catch((e: unknown) => e);
    expect((err as PromQLError).errorType).toBe('bad_data');
    const ac = new AbortController();
    ac.abort();
    const c = await engine.instantQuery(s, 'm', 0, { signal: ac.signal }).catch((e: unknown) => e);
    expect((c as PromQLError).code).toBe('ERR_PROMQL_CANCELED');
  });

  it('limits the samples a query may hold', async () => {
    const small = createEngine({ maxSamples: 3 });
    const s = await store({ m: [1, 2, 3, 4, 5] });
    await expect(small.rangeQuery(s, 'm', 0, 240_000, 60_000)).rejects.toMatchObject({
      code: 'ERR_PROMQL_TOO_MANY_SAMPLES',
    });
  });
});
