import { Labels } from '@edgeprom/shared';
import { describe, expect, it } from 'vitest';
import { bucketUpper, CounterResetHint, CUSTOM_BUCKETS_SCHEMA, FloatHistogram, HistogramError } from './histogram.js';
import { MemoryStorage } from './memory.js';
import { SampleError } from './errors.js';
import { ValueType } from './interface.js';

function exp(schema: number, buckets: Record<number, number>, extra: Partial<FloatHistogram> = {}): FloatHistogram {
  const h = new FloatHistogram();
  h.schema = schema;
  for (const [i, c] of Object.entries(buckets).sort((a, b) => Number(a[0]) - Number(b[0]))) {
    h.pIdx.push(Number(i));
    h.pCnt.push(c);
    h.count += c;
  }
  return Object.assign(h, extra);
}

function custom(bounds: number[], counts: number[]): FloatHistogram {
  const h = new FloatHistogram();
  h.schema = CUSTOM_BUCKETS_SCHEMA;
  h.customValues = bounds;
  h.pIdx = counts.map((_, i) => i);
  h.pCnt = counts.slice();
  h.count = counts.reduce((a, b) => a + b, 0);
  return h;
}

describe('FloatHistogram arithmetic', () => {
  it('adds at the lower of two schemas, merging buckets as Prometheus does', () => {
    // schema 1: (1,√2] and (√2,2] both fall into (1,2] of schema 0.
    const a = exp(1, { 1: 1, 2: 2 }, { sum: 3 });
    const b = exp(0, { 1: 3, 3: 1 }, { sum: 10 });
    expect(a.addScaled(b, 1)).toBe(false);
    expect([a.schema, a.pIdx, a.pCnt, a.count, a.sum]).toEqual([0, [1, 3], [6, 1], 7, 13]);
    // b is left alone.
    expect([b.schema, b.pIdx, b.pCnt]).toEqual([0, [1, 3], [3, 1]]);
  });

  it('subtracts, and takes the wider zero bucket with the buckets inside it', () => {
    const a = exp(0, { [-5]: 2, 2: 4 });
    const b = exp(0, { 2: 1 }, { zeroThreshold: 0.5, zeroCount: 1 });
    a.addScaled(b, -1);
    // (2^-6, 2^-5] lies within [-0.5, 0.5]: its 2 move into the zero bucket, minus b's 1.
    expect([a.zeroThreshold, a.zeroCount, a.pIdx, a.pCnt, a.count]).toEqual([0.5, 1, [2], [3], 5]);
  });

  it('reconciles mismatched custom bounds to the common ones and says so', () => {
    const a = custom([1, 2, 5], [1, 1, 1, 1]);
    const b = custom([2, 5], [2, 2, 2]);
    expect(a.addScaled(b, 1)).toBe(true);
    expect([a.customValues, a.pIdx, a.pCnt, a.count]).toEqual([[2, 5], [0, 1, 2], [4, 3, 3], 10]);
  });

  it('refuses to combine exponential with custom buckets', () => {
    const a = exp(0, { 1: 1 });
    expect(() => a.addScaled(custom([1], [1, 1]), 1)).toThrow(HistogramError);
  });

  it('scales, and division by zero drops the buckets as upstream', () => {
    const a = exp(0, { 1: 2 }, { sum: 4, zeroCount: 1, zeroThreshold: 0.001 });
    expect(a.copy().mul(0.5).pCnt).toEqual([1]);
    const z = a.copy().div(0);
    expect([z.count, z.sum, z.zeroCount, z.pIdx]).toEqual([Infinity, Infinity, Infinity, []]);
  });

  it('compacts away empty buckets only', () => {
    const a = exp(0, { 0: 0, 1: 2, 2: 0 });
    expect(a.compact().pIdx).toEqual([1]);
  });
});

describe('FloatHistogram counter resets and equality', () => {
  const prev = exp(0, { 0: 2, 1: 3 });
  it('sees a reset when the count, a bucket or the resolution goes the wrong way', () => {
    expect(exp(0, { 0: 2, 1: 4 }).detectReset(prev)).toBe(false);
    expect(exp(0, { 0: 1, 1: 3 }).detectReset(prev)).toBe(true);
    // Same count, but the observations moved down a bucket: a counter never does that.
    expect(exp(0, { 0: 3, 1: 2 }).detectReset(prev)).toBe(true);
    // A higher resolution than before is a new counter.
    expect(exp(1, { 0: 2, 1: 3, 2: 3 }).detectReset(prev)).toBe(true);
    // A lower resolution compares the previous buckets merged down to it: no bucket shrank.
    expect(exp(-1, { 0: 2, 1: 3 }).detectReset(prev)).toBe(false);
  });

  it('follows explicit hints', () => {
    expect(exp(0, { 0: 9, 1: 9 }, { counterResetHint: CounterResetHint.Reset }).detectReset(prev)).toBe(true);
    expect(exp(0, { 0: 0 }, { counterResetHint: CounterResetHint.NotReset }).detectReset(prev)).toBe(false);
  });

  it('compares exactly, empty buckets included', () => {
    expect(prev.equals(prev.copy())).toBe(true);
    expect(prev.equals(exp(0, { 0: 2, 1: 3, 2: 0 }))).toBe(false);
    expect(prev.equals(exp(0, { 0: 2, 1: 3 }, { sum: 1 }))).toBe(false);
  });
});

describe('FloatHistogram buckets', () => {
  it('gives boundaries with their inclusiveness', () => {
    const h = exp(0, { 0: 1, 1: 2 }, { zeroThreshold: 0.001, zeroCount: 3 });
    h.nIdx = [0];
    h.nCnt = [4];
    expect(h.buckets()).toEqual([
      { lower: -1, upper: -0.5, lowerInclusive: true, upperInclusive: false, count: 4 },
      { lower: -0.001, upper: 0.001, lowerInclusive: true, upperInclusive: true, count: 3 },
      { lower: 0.5, upper: 1, lowerInclusive: false, upperInclusive: true, count: 1 },
      { lower: 1, upper: 2, lowerInclusive: false, upperInclusive: true, count: 2 },
    ]);
    expect(custom([5], [1, 2]).buckets().map((b) => [b.lower, b.upper])).toEqual([
      [-Infinity, 5],
      [5, Infinity],
    ]);
  });

  it('computes exponential bounds for every schema', () => {
    expect(bucketUpper(1, 3)).toBeCloseTo(2 ** (1 / 8), 15);
    expect(bucketUpper(-1, 0)).toBe(0.5);
    expect(bucketUpper(2, -2)).toBe(256);
    expect(bucketUpper(300, 2)).toBe(2 ** 75);
  });

  it('writes the promqltest notation', () => {
    const h = exp(0, { 1: 2, 3: 1 }, { sum: 5, counterResetHint: CounterResetHint.Gauge });
    expect(h.toString()).toBe('{{count:3 sum:5 offset:1 buckets:[2 0 1] counter_reset_hint:gauge}}');
  });
});

describe('MemoryStorage with native histograms', () => {
  const l = Labels.from([['__name__', 'h']]);

  it('stores histograms and floats in one series and iterates them by type', async () => {
    const s = new MemoryStorage();
    const app = s.appender();
    app.append(l, 1000, 1);
    app.appendHistogram!(l, 2000, exp(0, { 1: 1 }));
    app.append(l, 3000, 2);
    await app.commit();
    const q = s.querier(0, 10_000);
    const [series] = [...q.select([])];
    const it = series.iterator();
    expect(it.next()).toBe(ValueType.Float);
    expect(it.atV()).toBe(1);
    expect(it.next()).toBe(ValueType.FloatHistogram);
    expect([it.atT(), it.atFloatHistogram!().count]).toEqual([2000, 1]);
    expect(it.next()).toBe(ValueType.Float);
    expect(it.seek(2000)).toBe(ValueType.Float); // never moves backwards
    expect(it.next()).toBe(ValueType.None);
    q.close();
  });

  it('ignores an equal histogram at a stored timestamp and refuses a different one', async () => {
    const s = new MemoryStorage();
    const a1 = s.appender();
    a1.appendHistogram!(l, 1000, exp(0, { 1: 1 }));
    await a1.commit();
    const a2 = s.appender();
    a2.appendHistogram!(l, 1000, exp(0, { 1: 1 }));
    expect(() => a2.appendHistogram!(l, 1000, exp(0, { 1: 2 }))).toThrow(SampleError);
    expect(() => a2.append(l, 1000, 1)).toThrow(/ERR_DUPLICATE_SAMPLE_FOR_TIMESTAMP|duplicate/i);
    expect(() => a2.appendHistogram!(l, 500, exp(0, { 1: 1 }))).toThrow(SampleError);
    a2.rollback();
  });

  it('keeps out-of-order histograms in time order when the store takes them', async () => {
    const s = new MemoryStorage({ outOfOrder: true });
    const app = s.appender();
    app.appendHistogram!(l, 3000, exp(0, { 1: 3 }));
    app.append(l, 1000, 7);
    app.appendHistogram!(l, 2000, exp(0, { 1: 2 }));
    await app.commit();
    const it = [...s.querier(0, 5000).select([])][0].iterator();
    const seen: (number | string)[] = [];
    for (let vt = it.next(); vt; vt = it.next()) seen.push(vt === ValueType.Float ? it.atV() : `h${it.atFloatHistogram!().count}`);
    expect(seen).toEqual([7, 'h2', 'h3']);
  });
});
