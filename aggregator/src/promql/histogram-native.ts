/**
 * Statistics of one native histogram, as Prometheus's promql/quantile.go and functions.go:
 * histogram_quantile, histogram_fraction and histogram_stddev/stdvar.
 *
 * Within a bucket, observations are assumed spread exponentially for standard schemas
 * (log-linear interpolation) and linearly for custom buckets and the zero bucket.
 */
import { bucketUpper, type FloatHistogram, type HistogramBucket } from '../storage/index.js';
import { kahanSumInc } from './kahan.js';

/** Buckets in order with the zero bucket narrowed to the side that has buckets. */
function bucketsOf(h: FloatHistogram): HistogramBucket[] {
  const bs = h.buckets();
  for (const b of bs) {
    if (h.usesCustomBuckets()) break;
    if (b.lower < 0 && b.upper > 0) {
      if (h.nIdx.length === 0 && h.pIdx.length > 0) b.lower = 0;
      else if (h.pIdx.length === 0 && h.nIdx.length > 0) b.upper = 0;
    }
  }
  return bs;
}

/**
 * What NaN observations (a NaN sum) did to a quantile: made it NaN (it falls among them),
 * or skewed it higher (they count but sit in no bucket). Prometheus reports either as info.
 */
export type NaNEffect = 'nan' | 'skewed' | null;

/**
 * HistogramQuantile: the q-quantile of the observations in h. Walks the buckets upwards for
 * q < 0.5 (and whenever there are NaN observations), downwards otherwise, as Prometheus does,
 * so a quantile in a run of empty buckets lands on the nearer populated bucket's bound.
 */
export function nativeQuantile(q: number, h: FloatHistogram): [number, NaNEffect] {
  if (q < 0) return [-Infinity, null];
  if (q > 1) return [Infinity, null];
  const hasNaN = Number.isNaN(h.sum);
  if (h.count === 0 || Number.isNaN(q)) return [NaN, null];
  const forward = hasNaN || q < 0.5;
  const bs = bucketsOf(h);
  if (!forward) bs.reverse();
  let rank = forward ? q * h.count : (1 - q) * h.count;
  let count = 0;
  let bucket: HistogramBucket | undefined;
  for (const b of bs) {
    if (b.count === 0) continue;
    bucket = b;
    count += b.count;
    if (count >= rank) break;
  }
  if (bucket === undefined) return [NaN, hasNaN ? 'nan' : null];
  if (count < rank) {
    if (hasNaN) return [NaN, 'nan'];
    return [forward ? bucket.upper : bucket.lower, null];
  }
  const effect: NaNEffect = hasNaN ? 'skewed' : null;
  let { lower, upper } = bucket;
  if (h.usesCustomBuckets()) {
    if (lower === -Infinity) {
      if (upper <= 0) return [upper, effect];
      lower = 0;
    }
    if (upper === Infinity) return [lower, effect];
  }
  const r = forward ? rank - (count - bucket.count) : count - rank;
  const frac = r / bucket.count;
  return [interpolate(h, lower, upper, frac), effect];
}

function interpolate(h: FloatHistogram, lower: number, upper: number, frac: number): number {
  if (h.usesCustomBuckets() || (lower <= 0 && upper >= 0)) return lower + (upper - lower) * frac;
  const logLower = Math.log2(Math.abs(lower));
  const logUpper = Math.log2(Math.abs(upper));
  if (lower > 0) return 2 ** (logLower + (logUpper - logLower) * frac);
  return -(2 ** (logUpper + (logLower - logUpper) * (1 - frac)));
}

/** HistogramFraction: the share of observations between lower and upper. */
export function nativeFraction(lower: number, upper: number, h: FloatHistogram): number {
  if (h.count === 0 || Number.isNaN(lower) || Number.isNaN(upper)) return NaN;
  if (lower >= upper) return 0;
  let rank = 0;
  let lowerRank = 0;
  let upperRank = 0;
  let lowerSet = false;
  let upperSet = false;
  for (const b of bucketsOf(h)) {
    const zero = !h.usesCustomBuckets() && b.lower <= 0 && b.upper >= 0;
    let lo = b.lower;
    const hi = b.upper;
    if (h.usesCustomBuckets() && lo === -Infinity && hi > 0) lo = 0;
    // A bucket of infinite width takes no share of a partial range.
    const linear = (v: number): number =>
      lo === -Infinity ? rank + b.count : hi === Infinity ? rank : rank + (b.count * (v - lo)) / (hi - lo);
    const exponential = (v: number): number => {
      const logLower = Math.log2(Math.abs(lo));
      const logUpper = Math.log2(Math.abs(hi));
      const logV = Math.log2(Math.abs(v));
      const fraction = v > 0 ? (logV - logLower) / (logUpper - logLower) : 1 - (logV - logUpper) / (logLower - logUpper);
      return rank + b.count * fraction;
    };
    const at = (v: number): number => (h.usesCustomBuckets() || zero ? linear(v) : exponential(v));
    if (!lowerSet && lo >= lower) {
      lowerRank = rank;
      lowerSet = true;
    }
    if (!upperSet && lo >= upper) {
      upperRank = rank;
      upperSet = true;
    }
    if (lowerSet && upperSet) break;
    if (!lowerSet && lo < lower && hi > lower) {
      lowerRank = at(lower);
      lowerSet = true;
    }
    if (!upperSet && lo < upper && hi > upper) {
      upperRank = at(upper);
      upperSet = true;
    }
    if (lowerSet && upperSet) break;
    rank += b.count;
  }
  // NaN observations are in no bucket: a bound beyond every bucket takes in only the others.
  let all = h.count;
  if (Number.isNaN(h.sum)) {
    all = h.zeroCount;
    for (const c of h.pCnt) all += c;
    for (const c of h.nCnt) all += c;
  }
  if (!lowerSet || lowerRank > all) lowerRank = all;
  if (!upperSet || upperRank > all) upperRank = all;
  return (upperRank - lowerRank) / h.count;
}

/**
 * The estimated variance of the observations: each bucket's observations sit at its
 * geometric mean (arithmetic for custom buckets, 0 in the zero bucket).
 */
export function nativeVariance(h: FloatHistogram): number {
  const mean = h.sum / h.count;
  let v = 0;
  let c = 0;
  for (const b of h.buckets()) {
    if (b.count === 0) continue;
    let val: number;
    if (h.usesCustomBuckets()) val = (b.upper + b.lower) / 2;
    else if (b.lower <= 0 && b.upper >= 0) val = 0;
    else {
      val = Math.sqrt(b.upper * b.lower);
      if (b.upper < 0) val = -val;
    }
    const d = val - mean;
    [v, c] = kahanSumInc(b.count * d * d, v, c);
  }
  return (v + c) / h.count;
}

/**
 * The trim operators: `h </ x` keeps the observations below x, `h >/ x` those above, as
 * Prometheus's TRIM_UPPER and TRIM_LOWER. A bucket cut by x keeps the share of its count
 * that interpolation puts on the kept side (log-linear for exponential buckets, linear for
 * custom buckets and the zero bucket). When anything is trimmed, the sum is re-estimated
 * from the kept buckets, each count at the (geometric, for exponential buckets) middle of
 * its kept part. A custom bucket reaching to ±Inf holds its observations at that infinity:
 * it is kept whole or dropped whole, its observations then taken to sit at its finite end
 * (or at x). The first custom bucket counts as starting at 0 when its upper bound is
 * positive and x is not negative, as histogram_quantile assumes.
 */
export function trimHistogram(h: FloatHistogram, x: number, keepBelow: boolean): FloatHistogram {
  if (h.count === 0 && h.zeroCount === 0 && h.pCnt.every((c) => c === 0) && h.nCnt.every((c) => c === 0)) return h;
  const r = h.copy();
  let sum = 0;
  let count = 0;
  let trimmed = false;
  const custom = h.usesCustomBuckets();
  /** An exponential or zero bucket: finite, interpolated. */
  const finite = (lo: number, hi: number, n: number, kind: 'exp' | 'linear'): number => {
    if (n === 0) return 0;
    const { kept, rep } = share(lo, hi, n, kind);
    if (kept !== n) trimmed = true;
    count += kept;
    if (kept !== 0) sum += kept * rep;
    return kept;
  };
  /** Kept count of a custom bucket, which may reach to ±Inf. */
  const cut = (lower: number, upper: number, n: number, kind: 'exp' | 'linear'): number => {
    if (n === 0) return 0;
    let lo = lower;
    const hi = upper;
    let kept: number;
    let rep: number;
    const infLo = lo === -Infinity;
    const infHi = hi === Infinity;
    if (keepBelow ? x === -Infinity : x === Infinity) {
      kept = 0;
      rep = 0;
    } else if (infLo && infHi) {
      // The one bucket of custom buckets without bounds: kept only by an infinite x.
      kept = (keepBelow ? x === Infinity : x === -Infinity) ? n : 0;
      rep = 0;
    } else if (infHi) {
      // Observations of (lo, +Inf] sit at +Inf, taken to be at the kept part's lower end.
      kept = keepBelow ? (x === Infinity ? n : 0) : n;
      rep = Math.max(lo, x);
    } else if (infLo && hi <= 0) {
      // Observations of (-Inf, hi] sit at -Inf, taken to be at the kept part's upper end.
      kept = keepBelow ? n : 0;
      rep = Math.min(hi, x);
    } else if (infLo && !keepBelow && x < 0 && x > -Infinity) {
      kept = 0;
      rep = 0;
    } else {
      if (infLo) lo = 0; // (-Inf, hi] with hi > 0 counts as [0, hi], as histogram_quantile has it
      ({ kept, rep } = share(lo, hi, n, kind));
    }
    if (kept !== n) trimmed = true;
    count += kept;
    if (kept !== 0) sum += kept * rep;
    return kept;
  };
  /** A finite bucket [lo, hi] cut at x. */
  const share = (lo: number, hi: number, n: number, kind: 'exp' | 'linear'): { kept: number; rep: number } => {
    let kept: number;
    let rep: number;
    if (keepBelow ? hi <= x : lo >= x) {
      kept = n;
      rep = middle(lo, hi, kind);
    } else if (keepBelow ? lo >= x : hi <= x) {
      kept = 0;
      rep = 0;
    } else {
      const f = below(lo, hi, x, kind);
      kept = n * (keepBelow ? f : 1 - f);
      rep = keepBelow ? middle(lo, x, kind) : middle(x, hi, kind);
    }
    return { kept, rep };
  };
  if (custom) {
    const cv = h.customValues;
    r.pCnt = h.pIdx.map((k, i) => cut(k === 0 ? -Infinity : cv[k - 1], k < cv.length ? cv[k] : Infinity, h.pCnt[i], 'linear'));
  } else {
    let zl = -h.zeroThreshold;
    let zu = h.zeroThreshold;
    if (h.nIdx.length === 0 && h.pIdx.length > 0) zl = 0;
    else if (h.pIdx.length === 0 && h.nIdx.length > 0) zu = 0;
    r.nCnt = h.nIdx.map((k, i) => finite(-bucketUpper(k, h.schema), -bucketUpper(k - 1, h.schema), h.nCnt[i], 'exp'));
    r.zeroCount = finite(zl, zu, h.zeroCount, 'linear');
    r.pCnt = h.pIdx.map((k, i) => finite(bucketUpper(k - 1, h.schema), bucketUpper(k, h.schema), h.pCnt[i], 'exp'));
  }
  if (!trimmed) return h;
  r.count = count;
  r.sum = sum;
  return r;
}

/** The middle of [lo, hi]: geometric for exponential buckets, arithmetic otherwise. */
function middle(lo: number, hi: number, kind: 'exp' | 'linear'): number {
  if (kind === 'linear' || lo === 0 || hi === 0) return (lo + hi) / 2;
  const g = Math.sqrt(lo * hi);
  return hi < 0 ? -g : g;
}

/** The share of a bucket's observations below x (lo < x < hi). */
function below(lo: number, hi: number, x: number, kind: 'exp' | 'linear'): number {
  if (kind === 'linear') return (x - lo) / (hi - lo);
  const logLo = Math.log2(Math.abs(lo));
  const logHi = Math.log2(Math.abs(hi));
  const logX = Math.log2(Math.abs(x));
  return x > 0 ? (logX - logLo) / (logHi - logLo) : 1 - (logX - logHi) / (logLo - logHi);
}
