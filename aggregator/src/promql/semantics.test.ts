/** Focused checks of evaluation details the conformance files touch only in passing. */
import { Labels, ManualClock } from '@edgeprom/shared';
import { describe, expect, it } from 'vitest';
import { MemoryStorage } from '../storage/index.js';
import { createEngine } from './engine.js';
import type { QueryValue } from './value.js';

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
    values.forEach((v, i) => {
      if (v !== null) app.append(Labels.from(pairs), i * intervalMs, v);
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

describe('subqueries', () => {
  it('evaluate at absolute multiples of their step inside (t - range, t]', async () => {
    const s = await store({ m: [0, 1, 2, 3, 4, 5, 6] });
    const r = await engine.instantQuery(s, 'm[3m:1m]', 330_000);
    if (r.value.type !== 'matrix') throw new Error('matrix');
    // Steps at 3m, 4m, 5m (multiples of 1m after 330s - 180s = 150s).
    expect(r.value.series[0].points).toEqual([
      { t: 180_000, f: 3 },
      { t: 240_000, f: 4 },
      { t: 300_000, f: 5 },
    ]);
    const sum = await engine.instantQuery(s, 'sum_over_time(m[3m:1m])', 330_000);
    expect(vector(sum.value)).toEqual({ '{}': 12 });
  });
});

describe('functions', () => {
  it('absent takes its labels from equality matchers', async () => {
    const s = await store({ m: [1] });
    const r = await engine.instantQuery(s, 'absent(nope{a="1", b=~"x", c="3", c="4"})', 0);
    expect(vector(r.value)).toEqual({ '{a="1"}': 1 });
    expect(vector((await engine.instantQuery(s, 'absent(m)', 0)).value)).toEqual({});
  });

  it('label_replace expands like Go: $1x names group "1x"', async () => {
    const s = await store({ 'm{src="abc"}': [1] });
    const r = await engine.instantQuery(s, 'label_replace(m, "dst", "$1x-${1}x", "src", "(a)bc")', 0);
    expect(vector(r.value)).toEqual({ 'm{dst="-ax", src="abc"}': 1 });
  });

  it('count_values formats values without exponents', async () => {
    const s = await store({ 'm{i="1"}': [1e21], 'm{i="2"}': [1e21], 'm{i="3"}': [0.5] });
    const r = await engine.instantQuery(s, 'count_values("v", m)', 0);
    expect(vector(r.value)).toEqual({ '{v="1000000000000000000000"}': 2, '{v="0.5"}': 1 });
  });

  it('warns that sort is ineffective in range queries', async () => {
    const s = await store({ m: [1, 2] });
    const r = await engine.rangeQuery(s, 'sort(m)', 0, 60_000, 60_000);
    expect(r.warnings).toEqual(['PromQL warning: sort is ineffective for range queries since results are always ordered by labels (1:1)']);
  });

  it('informs when rate is applied to something not named like a counter', async () => {
    const s = await store({ gauge: [1, 2, 3] });
    const r = await engine.instantQuery(s, 'rate(gauge[5m])', 120_000);
    expect(r.infos).toEqual([
      'PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: "gauge" (1:6)',
    ]);
  });
});

describe('metric name removal', () => {
  it('drops the name at each node by default, at the end when delayed', async () => {
    const s = await store({ m_total: [0, 60, 120] });
    const q = 'label_replace(rate(m_total[2m]), "was", "$1", "__name__", "(.*)")';
    const plain = await engine.instantQuery(s, q, 120_000);
    expect(Object.keys(vector(plain.value))).toEqual(['{}']);
    const delayed = createEngine({ enableDelayedNameRemoval: true });
    const d = await delayed.instantQuery(s, q, 120_000);
    expect(Object.keys(vector(d.value))).toEqual(['{was="m_total"}']);
  });
});

describe('limits', () => {
  it('times out on the engine clock', async () => {
    const clock = new ManualClock();
    let mono = 0;
    clock.monotonic = () => (mono += 1000);
    const slow = createEngine({ clock, timeoutMs: 500 });
    const s = await store({ m: [1] });
    await expect(slow.instantQuery(s, 'm', 0)).rejects.toMatchObject({ code: 'ERR_PROMQL_TIMEOUT', errorType: 'timeout' });
  });

  it('refuses range vectors in range queries as bad_data', async () => {
    const s = await store({ m: [1] });
    await expect(engine.rangeQuery(s, 'm[5m]', 0, 60_000, 60_000)).rejects.toMatchObject({
      errorType: 'bad_data',
      message: 'invalid expression type "range vector" for range query, must be Scalar or instant Vector',
    });
  });
});

describe('range evaluation', () => {
  it('aggregates series that start late and series with gaps at the right steps', async () => {
    const s = await store({
      'm{s="a"}': [1, 3, 1, 3, 5, 1, 4],
      'm{s="b"}': [3, 3, 3, 3, 3, 3, 3],
      'm{s="c"}': [null, null, null, 4, 4, 4, 4],
    });
    const points = async (q: string): Promise<[number, number][]> => {
      const r = await engine.rangeQuery(s, q, 0, 360_000, 60_000);
      if (r.value.type !== 'matrix') throw new Error('matrix');
      expect(r.value.series).toHaveLength(1);
      return r.value.series[0].points.map((p) => [p.t / 60_000, p.f]);
    };
    // c joins at step 3 (no point for it before), every step of it present from then on.
    expect(await points('sum(m)')).toEqual([[0, 4], [1, 6], [2, 4], [3, 10], [4, 12], [5, 8], [6, 11]]);
    // a's comparison output has gaps: its points are matched by time, not by position.
    expect(await points('sum(m > 2)')).toEqual([[0, 3], [1, 6], [2, 3], [3, 10], [4, 12], [5, 7], [6, 11]]);
    expect(await points('count(m > 2)')).toEqual([[0, 1], [1, 2], [2, 1], [3, 3], [4, 3], [5, 2], [6, 3]]);
  });
});
