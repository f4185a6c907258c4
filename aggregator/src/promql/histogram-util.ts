/** Native histogram helpers shared by PromQL's operators and functions. */
import { CounterResetHint, sameBounds, type FloatHistogram } from '../storage/index.js';
import { formatFloatV } from './parser/go-text.js';
import { kahanSumInc } from './kahan.js';

/**
 * Go's String() of a FloatHistogram: `{count:20, sum:10, [-2,-1):2, [-0.001,0.001]:2,
 * (0.5,1]:1}`, non-empty buckets from the lowest up (count_values uses it as a label value).
 */
export function histogramGoString(h: FloatHistogram): string {
  const parts = [`count:${formatFloatV(h.count)}`, `sum:${formatFloatV(h.sum)}`];
  for (const b of h.buckets()) {
    if (b.count === 0) continue;
    const lo = b.lowerInclusive ? '[' : '(';
    const hi = b.upperInclusive ? ']' : ')';
    parts.push(`${lo}${formatFloatV(b.lower)},${formatFloatV(b.upper)}${hi}:${formatFloatV(b.count)}`);
  }
  return `{${parts.join(', ')}}`;
}

/** Whether any series of an evaluated vector holds a histogram point. */
export function hasHistograms(series: readonly { hs?: unknown }[]): boolean {
  for (const s of series) if (s.hs !== undefined) return true;
  return false;
}

/**
 * A Kahan-compensated sum of histograms (Prometheus's KahanAdd), for sum/avg and
 * sum/avg_over_time: counts, sum, zero bucket and every bucket carry a compensation term,
 * kept in a histogram with the same layout as the running sum.
 */
export class HistogramSum {
  private h: FloatHistogram | undefined;
  private c: FloatHistogram | undefined;
  /** Custom bucket bounds differed and were reduced to the common ones. */
  reconciled = false;
  /** Exponential and custom buckets met: there is no sum. */
  incompatible = false;
  /** How many histograms went in. */
  n = 0;
  /** The inputs, kept for a mean that overflows the sum. */
  private readonly items: FloatHistogram[] | undefined;

  /** With `forMean`, mean() can fall back to an incremental mean when the sum overflows. */
  constructor(forMean = false) {
    this.items = forMean ? [] : undefined;
  }

  /**
   * The mean: the compensated sum divided by the count, or, when the sum overflowed to
   * ±Inf, the incremental mean (Prometheus switches the same way).
   */
  mean(): FloatHistogram | undefined {
    const s = this.result();
    if (s === undefined) return undefined;
    if (this.items === undefined || isFiniteHistogram(s)) return s.div(this.n);
    // mean_k = mean_(k-1)·(k-1)/k + x_k/k, compensated like the float avg.
    const acc = new HistogramSum();
    acc.add(this.items[0]);
    for (let k = 2; k <= this.items.length; k++) {
      acc.scale((k - 1) / k);
      acc.add(this.items[k - 1].copy().div(k));
    }
    const m = acc.result()!;
    m.counterResetHint = s.counterResetHint;
    return m;
  }

  /** Multiplies the running sum (and its compensation) by f. */
  scale(f: number): void {
    this.h?.mul(f);
    this.c?.mul(f);
  }

  add(o: FloatHistogram): void {
    this.n++;
    this.items?.push(o);
    if (this.incompatible) return;
    if (this.h === undefined) {
      this.h = o.copy();
      this.c = zeroLike(this.h);
      return;
    }
    const h = this.h;
    const c = this.c!;
    if (h.usesCustomBuckets() !== o.usesCustomBuckets()) {
      this.incompatible = true;
      return;
    }
    h.counterResetHint = o.counterResetHint === h.counterResetHint ? h.counterResetHint : CounterResetHint.Unknown;
    let other = o;
    if (h.usesCustomBuckets()) {
      if (!sameBounds(h.customValues, o.customValues)) {
        const common = h.customValues.filter((v) => o.customValues.includes(v));
        h.rebucketCustom(common);
        c.rebucketCustom(common);
        other = o.copy();
        other.rebucketCustom(common);
        this.reconciled = true;
      }
    } else {
      if (o.schema < h.schema) {
        h.reduceResolution(o.schema);
        c.reduceResolution(o.schema);
      } else if (o.schema > h.schema) other = o.copy().reduceResolution(h.schema);
      if (other.zeroThreshold > h.zeroThreshold) {
        h.widenZeroBucket(other.zeroThreshold);
        c.widenZeroBucket(other.zeroThreshold);
      } else if (other.zeroThreshold < h.zeroThreshold) {
        if (other === o) other = o.copy();
        other.widenZeroBucket(h.zeroThreshold);
      }
    }
    [h.count, c.count] = kahanSumInc(other.count, h.count, c.count);
    [h.sum, c.sum] = kahanSumInc(other.sum, h.sum, c.sum);
    [h.zeroCount, c.zeroCount] = kahanSumInc(other.zeroCount, h.zeroCount, c.zeroCount);
    [h.pIdx, h.pCnt, c.pIdx, c.pCnt] = kahanMerge(h.pIdx, h.pCnt, c.pCnt, other.pIdx, other.pCnt);
    [h.nIdx, h.nCnt, c.nIdx, c.nCnt] = kahanMerge(h.nIdx, h.nCnt, c.nCnt, other.nIdx, other.nCnt);
  }

  /** The compensated sum (undefined when nothing was added or it is incompatible). */
  result(): FloatHistogram | undefined {
    if (this.h === undefined || this.incompatible) return undefined;
    const r = this.h.copy();
    const c = this.c!;
    r.count += c.count;
    r.sum += c.sum;
    r.zeroCount += c.zeroCount;
    for (let i = 0; i < r.pCnt.length; i++) r.pCnt[i] += c.pCnt[i];
    for (let i = 0; i < r.nCnt.length; i++) r.nCnt[i] += c.nCnt[i];
    return r.compact();
  }
}

function isFiniteHistogram(h: FloatHistogram): boolean {
  if (!Number.isFinite(h.count) || !Number.isFinite(h.sum) || !Number.isFinite(h.zeroCount)) return false;
  return h.pCnt.every(Number.isFinite) && h.nCnt.every(Number.isFinite);
}

function zeroLike(h: FloatHistogram): FloatHistogram {
  const c = h.copy();
  c.count = 0;
  c.sum = 0;
  c.zeroCount = 0;
  c.pCnt = c.pCnt.map(() => 0);
  c.nCnt = c.nCnt.map(() => 0);
  return c;
}

/** Merges b's buckets into (ai, ac) with compensation terms ac2, Kahan style. */
function kahanMerge(ai: number[], ac: number[], ac2: number[], bi: number[], bc: number[]): [number[], number[], number[], number[]] {
  const ri: number[] = [];
  const rc: number[] = [];
  const rc2: number[] = [];
  let i = 0;
  let j = 0;
  while (i < ai.length || j < bi.length) {
    if (j >= bi.length || (i < ai.length && ai[i] < bi[j])) {
      ri.push(ai[i]);
      rc.push(ac[i]);
      rc2.push(ac2[i++]);
    } else if (i >= ai.length || bi[j] < ai[i]) {
      ri.push(bi[j]);
      rc.push(bc[j++]);
      rc2.push(0);
    } else {
      const [s, c] = kahanSumInc(bc[j++], ac[i], ac2[i]);
      ri.push(ai[i++]);
      rc.push(s);
      rc2.push(c);
    }
  }
  return [ri, rc, ri.slice(), rc2];
}
