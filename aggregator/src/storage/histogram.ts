/**
 * Native histograms as PromQL sees them: Prometheus's FloatHistogram (model/histogram), every
 * count a float64 and every bucket count absolute (not a delta).
 *
 * Buckets are kept as sorted absolute indexes with their counts (`pIdx`/`pCnt` for the
 * positive side, `nIdx`/`nCnt` for the negative side) instead of Prometheus's spans: the
 * same information, simpler to merge. Spans exist only at the edges (the promqltest
 * notation's `offset:`, the JSON encoding walks buckets with their boundaries).
 *
 * Exponential schemas -4..8: bucket `i` of schema `s` covers (2^((i-1)·2^-s), 2^(i·2^-s)];
 * negative buckets mirror that below zero; a zero bucket [-zeroThreshold, zeroThreshold]
 * holds what is too close to zero. Schema -53 means custom buckets (NHCB): positive bucket
 * `i` covers (customValues[i-1], customValues[i]], the first from -Inf, the last to +Inf.
 */

export const CUSTOM_BUCKETS_SCHEMA = -53;

/** Counter reset information carried by each histogram sample. */
export const CounterResetHint = { Unknown: 0, Reset: 1, NotReset: 2, Gauge: 3 } as const;
export type CounterResetHint = (typeof CounterResetHint)[keyof typeof CounterResetHint];

/** Raised by arithmetic between histograms that cannot be combined. */
export class HistogramError extends Error {
  constructor(
    readonly code: 'ERR_MIXED_SCHEMAS' | 'ERR_INCOMPATIBLE_BOUNDS',
    message: string,
  ) {
    super(message);
    this.name = 'HistogramError';
  }
}

/** One bucket with its boundaries, as the JSON API and histogram functions walk them. */
export interface HistogramBucket {
  lower: number;
  upper: number;
  lowerInclusive: boolean;
  upperInclusive: boolean;
  count: number;
}

export class FloatHistogram {
  counterResetHint: CounterResetHint = CounterResetHint.Unknown;
  schema = 0;
  zeroThreshold = 0;
  zeroCount = 0;
  count = 0;
  sum = 0;
  /** Upper bounds of the custom buckets (schema -53 only), without +Inf. */
  customValues: number[] = [];
  pIdx: number[] = [];
  pCnt: number[] = [];
  nIdx: number[] = [];
  nCnt: number[] = [];

  usesCustomBuckets(): boolean {
    return this.schema === CUSTOM_BUCKETS_SCHEMA;
  }

  copy(): FloatHistogram {
    const c = new FloatHistogram();
    c.counterResetHint = this.counterResetHint;
    c.schema = this.schema;
    c.zeroThreshold = this.zeroThreshold;
    c.zeroCount = this.zeroCount;
    c.count = this.count;
    c.sum = this.sum;
    c.customValues = this.customValues; // never mutated in place: shared
    c.pIdx = this.pIdx.slice();
    c.pCnt = this.pCnt.slice();
    c.nIdx = this.nIdx.slice();
    c.nCnt = this.nCnt.slice();
    return c;
  }

  /** Scales counts, sum and buckets in place; returns this. */
  mul(f: number): this {
    this.zeroCount *= f;
    this.count *= f;
    this.sum *= f;
    for (let i = 0; i < this.pCnt.length; i++) this.pCnt[i] *= f;
    for (let i = 0; i < this.nCnt.length; i++) this.nCnt[i] *= f;
    return this;
  }

  /** Divides counts, sum and buckets in place; returns this. Division by zero drops the buckets. */
  div(f: number): this {
    this.zeroCount /= f;
    this.count /= f;
    this.sum /= f;
    if (f === 0) {
      this.pIdx = [];
      this.pCnt = [];
      this.nIdx = [];
      this.nCnt = [];
      return this;
    }
    for (let i = 0; i < this.pCnt.length; i++) this.pCnt[i] /= f;
    for (let i = 0; i < this.nCnt.length; i++) this.nCnt[i] /= f;
    return this;
  }

  /**
   * Adds `other` (scaled by `sign`: 1 adds, -1 subtracts) into this histogram, as
   * Prometheus's Add/Sub: the lower schema wins, the wider zero bucket wins, custom bucket
   * bounds that differ are reconciled to their common bounds. Returns whether custom bounds
   * had to be reconciled (Prometheus reports that as an info annotation). Throws
   * HistogramError for exponential mixed with custom buckets.
   */
  addScaled(other: FloatHistogram, sign: 1 | -1): boolean {
    if (sign === 1) this.counterResetHint = combineHints(this.counterResetHint, other.counterResetHint);
    let reconciled = false;
    let o = other;
    if (this.usesCustomBuckets() !== other.usesCustomBuckets()) {
      throw new HistogramError('ERR_MIXED_SCHEMAS', 'histograms with exponential and custom buckets schemas cannot be combined');
    }
    if (this.usesCustomBuckets()) {
      if (!sameBounds(this.customValues, other.customValues)) {
        const common = this.customValues.filter((v) => other.customValues.includes(v));
        this.rebucketCustom(common);
        o = other.copy();
        o.rebucketCustom(common);
        reconciled = true;
      }
    } else {
      if (o.schema < this.schema) this.reduceResolution(o.schema);
      else if (o.schema > this.schema) o = o.copy().reduceResolution(this.schema);
      if (o.zeroThreshold > this.zeroThreshold) this.widenZeroBucket(o.zeroThreshold);
      else if (o.zeroThreshold < this.zeroThreshold) {
        if (o === other) o = o.copy();
        o.widenZeroBucket(this.zeroThreshold);
      }
    }
    this.zeroCount += sign * o.zeroCount;
    this.count += sign * o.count;
    this.sum += sign * o.sum;
    [this.pIdx, this.pCnt] = mergeBuckets(this.pIdx, this.pCnt, o.pIdx, o.pCnt, sign);
    [this.nIdx, this.nCnt] = mergeBuckets(this.nIdx, this.nCnt, o.nIdx, o.nCnt, sign);
    return reconciled;
  }

  /** Lowers the resolution in place to `target` (≤ schema), merging buckets; returns this. */
  reduceResolution(target: number): this {
    if (target >= this.schema || this.usesCustomBuckets()) return this;
    const delta = this.schema - target;
    [this.pIdx, this.pCnt] = rescale(this.pIdx, this.pCnt, delta);
    [this.nIdx, this.nCnt] = rescale(this.nIdx, this.nCnt, delta);
    this.schema = target;
    return this;
  }

  /** Moves buckets entirely inside [-t, t] into the zero bucket and sets the threshold. */
  widenZeroBucket(t: number): void {
    const keep = (idx: number[], cnt: number[]): [number[], number[]] => {
      const ni: number[] = [];
      const nc: number[] = [];
      for (let i = 0; i < idx.length; i++) {
        if (bucketUpper(idx[i], this.schema) <= t) this.zeroCount += cnt[i];
        else {
          ni.push(idx[i]);
          nc.push(cnt[i]);
        }
      }
      return [ni, nc];
    };
    [this.pIdx, this.pCnt] = keep(this.pIdx, this.pCnt);
    [this.nIdx, this.nCnt] = keep(this.nIdx, this.nCnt);
    this.zeroThreshold = t;
  }

  /** Re-buckets custom buckets onto `bounds` (a subset of the current bounds). */
  rebucketCustom(bounds: number[]): void {
    const idx: number[] = [];
    const cnt: number[] = [];
    for (let i = 0; i < this.pIdx.length; i++) {
      const upper = this.pIdx[i] < this.customValues.length ? this.customValues[this.pIdx[i]] : Infinity;
      let j = 0;
      while (j < bounds.length && bounds[j] < upper) j++;
      if (idx.length > 0 && idx[idx.length - 1] === j) cnt[cnt.length - 1] += this.pCnt[i];
      else {
        idx.push(j);
        cnt.push(this.pCnt[i]);
      }
    }
    this.pIdx = idx;
    this.pCnt = cnt;
    this.customValues = bounds;
  }

  /** Drops buckets with a count of zero (Compact(0) in Prometheus); returns this. */
  compact(): this {
    const strip = (idx: number[], cnt: number[]): [number[], number[]] => {
      if (!cnt.includes(0)) return [idx, cnt];
      const ni: number[] = [];
      const nc: number[] = [];
      for (let i = 0; i < idx.length; i++) {
        if (cnt[i] !== 0) {
          ni.push(idx[i]);
          nc.push(cnt[i]);
        }
      }
      return [ni, nc];
    };
    [this.pIdx, this.pCnt] = strip(this.pIdx, this.pCnt);
    [this.nIdx, this.nCnt] = strip(this.nIdx, this.nCnt);
    return this;
  }

  /**
   * Whether this histogram, following `prev` in a counter series, means the counter was reset
   * (Prometheus's DetectReset): a hint says so, or a count, the zero bucket or any bucket
   * went down, or the layout changed in a way a counter never does.
   */
  detectReset(prev: FloatHistogram): boolean {
    if (this.counterResetHint === CounterResetHint.Reset) return true;
    if (this.counterResetHint === CounterResetHint.NotReset) return false;
    if (this.count < prev.count) return true;
    if (this.usesCustomBuckets() !== prev.usesCustomBuckets()) return true;
    if (this.usesCustomBuckets()) {
      if (!sameBounds(this.customValues, prev.customValues)) {
        // Compared on the bounds both have, as addition reconciles them.
        const common = this.customValues.filter((v) => prev.customValues.includes(v));
        const cur = this.copy();
        cur.rebucketCustom(common);
        const p = prev.copy();
        p.rebucketCustom(common);
        return bucketsDecreased(p.pIdx, p.pCnt, cur.pIdx, cur.pCnt);
      }
    } else {
      if (this.schema > prev.schema) return true;
      if (this.zeroThreshold < prev.zeroThreshold) return true;
    }
    let p = prev;
    if (!p.usesCustomBuckets() && (p.schema > this.schema || p.zeroThreshold < this.zeroThreshold)) {
      p = p.copy().reduceResolution(this.schema);
      if (p.zeroThreshold < this.zeroThreshold) p.widenZeroBucket(this.zeroThreshold);
    }
    if (this.zeroCount < p.zeroCount) return true;
    return bucketsDecreased(p.pIdx, p.pCnt, this.pIdx, this.pCnt) || bucketsDecreased(p.nIdx, p.nCnt, this.nIdx, this.nCnt);
  }

  /** Exact equality of everything but the counter reset hint (Prometheus's Equals). */
  equals(o: FloatHistogram): boolean {
    if (this.schema !== o.schema || this.zeroThreshold !== o.zeroThreshold) return false;
    if (!sameNum(this.zeroCount, o.zeroCount) || !sameNum(this.count, o.count) || !sameNum(this.sum, o.sum)) return false;
    if (this.usesCustomBuckets() && !sameBounds(this.customValues, o.customValues)) return false;
    return sameArr(this.pIdx, o.pIdx) && sameArr(this.pCnt, o.pCnt) && sameArr(this.nIdx, o.nIdx) && sameArr(this.nCnt, o.nCnt);
  }

  /**
   * Every bucket with its boundaries, from the most negative up: negative buckets, the zero
   * bucket (when it has a width or a count), positive buckets. Zero-count buckets are kept.
   */
  buckets(): HistogramBucket[] {
    const out: HistogramBucket[] = [];
    if (this.usesCustomBuckets()) {
      const cv = this.customValues;
      for (let i = 0; i < this.pIdx.length; i++) {
        const k = this.pIdx[i];
        out.push({
          lower: k === 0 ? -Infinity : cv[k - 1],
          upper: k < cv.length ? cv[k] : Infinity,
          lowerInclusive: false,
          upperInclusive: true,
          count: this.pCnt[i],
        });
      }
      return out;
    }
    for (let i = this.nIdx.length - 1; i >= 0; i--) {
      const k = this.nIdx[i];
      out.push({ lower: -bucketUpper(k, this.schema), upper: -bucketUpper(k - 1, this.schema), lowerInclusive: true, upperInclusive: false, count: this.nCnt[i] });
    }
    if (this.zeroThreshold !== 0 || this.zeroCount !== 0) {
      out.push({ lower: -this.zeroThreshold, upper: this.zeroThreshold, lowerInclusive: true, upperInclusive: true, count: this.zeroCount });
    }
    for (let i = 0; i < this.pIdx.length; i++) {
      const k = this.pIdx[i];
      out.push({ lower: bucketUpper(k - 1, this.schema), upper: bucketUpper(k, this.schema), lowerInclusive: false, upperInclusive: true, count: this.pCnt[i] });
    }
    return out;
  }

  /** The promqltest notation of this histogram (Prometheus's TestExpression). */
  toString(): string {
    const parts: string[] = [];
    if (this.schema !== 0) parts.push(`schema:${this.schema}`);
    if (this.count !== 0) parts.push(`count:${fmt(this.count)}`);
    if (this.sum !== 0) parts.push(`sum:${fmt(this.sum)}`);
    if (this.zeroCount !== 0) parts.push(`z_bucket:${fmt(this.zeroCount)}`);
    if (this.zeroThreshold !== 0) parts.push(`z_bucket_w:${fmt(this.zeroThreshold)}`);
    if (this.usesCustomBuckets()) parts.push(`custom_values:[${this.customValues.map(fmt).join(' ')}]`);
    const side = (idx: number[], cnt: number[], prefix: string): void => {
      if (idx.length === 0) return;
      const first = idx[0];
      const dense: number[] = [];
      for (let i = 0; i < idx.length; i++) {
        while (first + dense.length < idx[i]) dense.push(0);
        dense.push(cnt[i]);
      }
      if (first !== 0) parts.push(`${prefix}offset:${first}`);
      parts.push(`${prefix}buckets:[${dense.map(fmt).join(' ')}]`);
    };
    side(this.pIdx, this.pCnt, '');
    side(this.nIdx, this.nCnt, 'n_');
    const hint = ['', 'counter_reset_hint:reset', 'counter_reset_hint:not_reset', 'counter_reset_hint:gauge'][this.counterResetHint];
    if (hint !== '') parts.push(hint);
    return `{{${parts.join(' ')}}}`;
  }
}

function fmt(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function sameNum(a: number, b: number): boolean {
  return a === b || (a !== a && b !== b);
}

function sameArr(a: number[], b: number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!sameNum(a[i], b[i])) return false;
  return true;
}

export function sameBounds(a: readonly number[], b: readonly number[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function combineHints(a: CounterResetHint, b: CounterResetHint): CounterResetHint {
  if (a === b || a === CounterResetHint.Gauge) return a;
  if (b === CounterResetHint.Gauge) return b;
  return CounterResetHint.Unknown;
}

/** Sorted merge of two bucket lists, adding sign·b's counts. */
function mergeBuckets(ai: number[], ac: number[], bi: number[], bc: number[], sign: number): [number[], number[]] {
  if (bi.length === 0) return [ai, ac];
  const ri: number[] = [];
  const rc: number[] = [];
  let i = 0;
  let j = 0;
  while (i < ai.length || j < bi.length) {
    if (j >= bi.length || (i < ai.length && ai[i] < bi[j])) {
      ri.push(ai[i]);
      rc.push(ac[i++]);
    } else if (i >= ai.length || bi[j] < ai[i]) {
      ri.push(bi[j]);
      rc.push(sign * bc[j++]);
    } else {
      ri.push(ai[i]);
      rc.push(ac[i++] + sign * bc[j++]);
    }
  }
  return [ri, rc];
}

/** Merges buckets for a schema lower by `delta`: index i goes to ((i-1) >> delta) + 1. */
function rescale(idx: number[], cnt: number[], delta: number): [number[], number[]] {
  const ri: number[] = [];
  const rc: number[] = [];
  for (let i = 0; i < idx.length; i++) {
    const t = ((idx[i] - 1) >> delta) + 1;
    if (ri.length > 0 && ri[ri.length - 1] === t) rc[rc.length - 1] += cnt[i];
    else {
      ri.push(t);
      rc.push(cnt[i]);
    }
  }
  return [ri, rc];
}

/** A counter bucket went down, or vanished while it held observations. */
function bucketsDecreased(pi: number[], pc: number[], ci: number[], cc: number[]): boolean {
  let j = 0;
  for (let i = 0; i < pi.length; i++) {
    while (j < ci.length && ci[j] < pi[i]) j++;
    const cur = j < ci.length && ci[j] === pi[i] ? cc[j] : 0;
    if (cur < pc[i]) return true;
  }
  return false;
}

/** Upper bound of exponential bucket `idx` of `schema` (Prometheus's getBound). */
export function bucketUpper(idx: number, schema: number): number {
  if (schema < 0) {
    const exp = idx * 2 ** -schema;
    if (exp > 1024) return Infinity;
    if (exp < -1074) return 0;
    return 2 ** exp;
  }
  const n = 2 ** schema;
  const frac = ((idx % n) + n) % n;
  const exp = (idx - frac) / n;
  if (exp >= 1024) return Infinity;
  return 2 ** exp * 2 ** (frac / n);
}
