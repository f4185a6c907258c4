/**
 * Functions over a range of samples: rate and friends with Prometheus's extrapolation, the
 * `*_over_time` family, deriv, predict_linear, changes, resets, double_exponential_smoothing.
 * Each computes one output value from one window, or null for no output.
 */
import { executionError } from './errors.js';
import type { RangeWindow } from './eval-types.js';
import { kahanSumInc, quantile } from './kahan.js';

export interface RangeEnv {
  /** The evaluation step's time (ms). */
  t: number;
  /** The window is (rangeStart, rangeEnd]. */
  rangeStart: number;
  rangeEnd: number;
  rangeMs: number;
  /** Scalar arguments at this step, in argument order (excluding the range). */
  args: number[];
}

export type RangeFn = (w: RangeWindow, env: RangeEnv) => number | null;

function extrapolatedRate(w: RangeWindow, env: RangeEnv, isCounter: boolean, isRate: boolean): number | null {
  const { ts, vs, lo, hi } = w;
  const n = hi - lo;
  if (n < 2) return null;
  let result = vs[hi - 1] - vs[lo];
  const resets = w.resets;
  // Most windows hold no reset: the prefix counts say so without scanning the window.
  if (isCounter && (resets === undefined || resets[hi - 1] !== resets[lo])) {
    let prev = vs[lo];
    for (let i = lo + 1; i < hi; i++) {
      const cur = vs[i];
      if (cur < prev) result += prev;
      prev = cur;
    }
  }
  const firstT = ts[lo];
  const lastT = ts[hi - 1];
  const sampledInterval = (lastT - firstT) / 1000;
  const avgBetween = sampledInterval / (n - 1);
  const threshold = avgBetween * 1.1;
  let durationToStart = (firstT - env.rangeStart) / 1000;
  let durationToEnd = (env.rangeEnd - lastT) / 1000;
  if (durationToStart >= threshold) durationToStart = avgBetween / 2;
  if (isCounter) {
    let durationToZero = durationToStart;
    if (result > 0 && vs[lo] >= 0) durationToZero = sampledInterval * (vs[lo] / result);
    if (durationToZero < durationToStart) durationToStart = durationToZero;
  }
  if (durationToEnd >= threshold) durationToEnd = avgBetween / 2;
  let factor = (sampledInterval + durationToStart + durationToEnd) / sampledInterval;
  if (isRate) factor /= env.rangeMs / 1000;
  return result * factor;
}

/** RangeWindow.resets for the first n values of vs. */
export function counterResets(vs: ArrayLike<number>, n: number): Int32Array {
  const out = new Int32Array(n);
  let count = 0;
  for (let i = 1; i < n; i++) {
    if (vs[i] < vs[i - 1]) count++;
    out[i] = count;
  }
  return out;
}

function instantValue(w: RangeWindow, isRate: boolean): number | null {
  const { ts, vs, hi, lo } = w;
  if (hi - lo < 2) return null;
  const last = vs[hi - 1];
  const prev = vs[hi - 2];
  let result = isRate && last < prev ? last : last - prev;
  const interval = ts[hi - 1] - ts[hi - 2];
  if (interval === 0) return null;
  if (isRate) result /= interval / 1000;
  return result;
}

/** Least-squares fit with Kahan sums; x in seconds relative to interceptTime. */
export function linearRegression(w: RangeWindow, interceptTime: number): [number, number] {
  const { ts, vs, lo, hi } = w;
  let n = 0;
  let sumX = 0, cX = 0, sumY = 0, cY = 0, sumXY = 0, cXY = 0, sumX2 = 0, cX2 = 0;
  const initY = vs[lo];
  let constY = true;
  for (let i = lo; i < hi; i++) {
    const y = vs[i];
    if (constY && i > lo && y !== initY) constY = false;
    n += 1;
    const x = (ts[i] - interceptTime) / 1e3;
    [sumX, cX] = kahanSumInc(x, sumX, cX);
    [sumY, cY] = kahanSumInc(y, sumY, cY);
    [sumXY, cXY] = kahanSumInc(x * y, sumXY, cXY);
    [sumX2, cX2] = kahanSumInc(x * x, sumX2, cX2);
  }
  if (constY) {
    if (initY === Infinity || initY === -Infinity) return [NaN, NaN];
    return [0, initY];
  }
  sumX += cX;
  sumY += cY;
  sumXY += cXY;
  sumX2 += cX2;
  const covXY = sumXY - (sumX * sumY) / n;
  const varX = sumX2 - (sumX * sumX) / n;
  const slope = covXY / varX;
  const intercept = sumY / n - (slope * sumX) / n;
  return [slope, intercept];
}

function values(w: RangeWindow): number[] {
  const out: number[] = [];
  for (let i = w.lo; i < w.hi; i++) out.push(w.vs[i]);
  return out;
}

function avgOverTime(w: RangeWindow): number {
  const { vs, lo, hi } = w;
  let sum = vs[lo];
  let count = 1;
  let mean = 0;
  let c = 0;
  let incremental = false;
  for (let i = lo + 1; i < hi; i++) {
    const f = vs[i];
    count = i - lo + 1;
    if (!incremental) {
      const [ns, nc] = kahanSumInc(f, sum, c);
      if (ns !== Infinity && ns !== -Infinity) {
        sum = ns;
        c = nc;
        continue;
      }
      incremental = true;
      mean = sum / (count - 1);
      c /= count - 1;
    }
    const q = (count - 1) / count;
    [mean, c] = kahanSumInc(f / count, q * mean, q * c);
  }
  if (incremental) return mean + c;
  return sum / count + c / count;
}

function variance(w: RangeWindow): number {
  let count = 0;
  let mean = 0, cMean = 0, aux = 0, cAux = 0;
  for (let i = w.lo; i < w.hi; i++) {
    const f = w.vs[i];
    count++;
    const delta = f - (mean + cMean);
    [mean, cMean] = kahanSumInc(delta / count, mean, cMean);
    [aux, cAux] = kahanSumInc(delta * (f - (mean + cMean)), aux, cAux);
  }
  return (aux + cAux) / count;
}

function calcTrendValue(i: number, tf: number, s0: number, s1: number, b: number): number {
  if (i === 0) return b;
  return tf * (s1 - s0) + (1 - tf) * b;
}

export const RANGE_FUNCTIONS: Readonly<Record<string, RangeFn>> = {
  rate: (w, env) => extrapolatedRate(w, env, true, true),
  increase: (w, env) => extrapolatedRate(w, env, true, false),
  delta: (w, env) => extrapolatedRate(w, env, false, false),
  irate: (w) => instantValue(w, true),
  idelta: (w) => instantValue(w, false),
  deriv: (w) => (w.hi - w.lo < 2 ? null : linearRegression(w, w.ts[w.lo])[0]),
  predict_linear: (w, env) => {
    if (w.hi - w.lo < 2) return null;
    const [slope, intercept] = linearRegression(w, env.t);
    return slope * env.args[0] + intercept;
  },
  avg_over_time: avgOverTime,
  sum_over_time: (w) => {
    let sum = 0, c = 0;
    for (let i = w.lo; i < w.hi; i++) [sum, c] = kahanSumInc(w.vs[i], sum, c);
    return sum + c;
  },
  count_over_time: (w) => w.hi - w.lo,
  max_over_time: (w) => {
    let m = w.vs[w.lo];
    for (let i = w.lo + 1; i < w.hi; i++) if (w.vs[i] > m || Number.isNaN(m)) m = w.vs[i];
    return m;
  },
  min_over_time: (w) => {
    let m = w.vs[w.lo];
    for (let i = w.lo + 1; i < w.hi; i++) if (w.vs[i] < m || Number.isNaN(m)) m = w.vs[i];
    return m;
  },
  last_over_time: (w) => w.vs[w.hi - 1],
  first_over_time: (w) => w.vs[w.lo],
  ts_of_last_over_time: (w) => w.ts[w.hi - 1] / 1000,
  ts_of_first_over_time: (w) => w.ts[w.lo] / 1000,
  ts_of_max_over_time: (w) => {
    let m = w.vs[w.lo];
    let t = w.ts[w.lo];
    for (let i = w.lo + 1; i < w.hi; i++) {
      if (w.vs[i] >= m || Number.isNaN(m)) {
        m = w.vs[i];
        t = w.ts[i];
      }
    }
    return t / 1000;
  },
  ts_of_min_over_time: (w) => {
    let m = w.vs[w.lo];
    let t = w.ts[w.lo];
    for (let i = w.lo + 1; i < w.hi; i++) {
      if (w.vs[i] <= m || Number.isNaN(m)) {
        m = w.vs[i];
        t = w.ts[i];
      }
    }
    return t / 1000;
  },
  present_over_time: () => 1,
  quantile_over_time: (w, env) => quantile(env.args[0], values(w)),
  stddev_over_time: (w) => Math.sqrt(variance(w)),
  stdvar_over_time: variance,
  mad_over_time: (w) => {
    const vals = values(w);
    if (vals.some((v) => Number.isNaN(v))) return NaN;
    const median = quantile(0.5, vals);
    return quantile(0.5, vals.map((v) => Math.abs(v - median)));
  },
  changes: (w) => {
    let changes = 0;
    let prev = w.vs[w.lo];
    for (let i = w.lo + 1; i < w.hi; i++) {
      const cur = w.vs[i];
      if (!(cur === prev || (Number.isNaN(cur) && Number.isNaN(prev)))) changes++;
      prev = cur;
    }
    return changes;
  },
  resets: (w) => {
    let resets = 0;
    let prev = w.vs[w.lo];
    for (let i = w.lo + 1; i < w.hi; i++) {
      const cur = w.vs[i];
      if (cur < prev) resets++;
      prev = cur;
    }
    return resets;
  },
  double_exponential_smoothing: (w, env) => {
    const [sf, tf] = env.args;
    if (!(sf > 0 && sf < 1)) throw executionError(`invalid smoothing factor. Expected: 0 < sf < 1, got: ${goF(sf)}`);
    if (!(tf > 0 && tf < 1)) throw executionError(`invalid trend factor. Expected: 0 < tf < 1, got: ${goF(tf)}`);
    const l = w.hi - w.lo;
    if (l < 2) return null;
    let s0 = 0;
    let s1 = w.vs[w.lo];
    let b = w.vs[w.lo + 1] - w.vs[w.lo];
    for (let i = 1; i < l; i++) {
      const x = sf * w.vs[w.lo + i];
      b = calcTrendValue(i - 1, tf, s0, s1, b);
      const y = (1 - sf) * (s1 + b);
      s0 = s1;
      s1 = x + y;
    }
    return s1;
  },
};

/** Go's %f. */
function goF(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  return v.toFixed(6);
}

/** Range functions whose output keeps the metric name. */
export const KEEPS_NAME = new Set(['last_over_time', 'first_over_time']);
