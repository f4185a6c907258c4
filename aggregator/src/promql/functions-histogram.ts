/**
 * Range functions over windows that hold native histograms, as Prometheus 3 evaluates
 * them: rate/increase/delta with counter-reset handling and extrapolation, irate/idelta,
 * resets/changes, sum/avg/last/first_over_time; the float-only functions (deriv,
 * quantile_over_time, min_over_time, ...) ignore histograms, flagged by an info annotation
 * when the window also holds floats.
 */
import type { Labels } from '@edgeprom/shared';
import { CounterResetHint, HistogramError, type FloatHistogram } from '../storage/index.js';
import type { Annotations, RangeWindow } from './eval-types.js';
import type { RangeEnv, RangeFn } from './functions-range.js';
import { HistogramSum } from './histogram-util.js';

export interface HistEnv {
  annotations: Annotations;
  /** Position of the range argument, which annotations name. */
  pos: { start: number };
  metric: Labels;
}

type Out = number | FloatHistogram | null;

/** Functions that read only timestamps or sample counts: histograms need no special case. */
const TIME_ONLY = new Set(['count_over_time', 'present_over_time', 'ts_of_last_over_time', 'ts_of_first_over_time']);

/** Whether [lo, hi) of the window holds a histogram sample. */
export function windowHasHistogram(w: RangeWindow): boolean {
  const hs = w.hs;
  if (hs === undefined) return false;
  for (let i = w.lo; i < w.hi; i++) if (hs[i] !== undefined) return true;
  return false;
}

const name = (env: HistEnv): string => JSON.stringify(env.metric.get('__name__'));

function mixedWarning(env: HistEnv): null {
  env.annotations.warn(`encountered a mix of histograms and floats for metric name ${name(env)}`, env.pos);
  return null;
}

function schemaMixWarning(env: HistEnv): null {
  env.annotations.warn(`vector contains a mix of histograms with exponential and custom buckets schemas for metric name ${name(env)}`, env.pos);
  return null;
}

/**
 * One function over a window that holds at least one histogram. `fn` is the float
 * implementation, used on the window's floats by the functions that ignore histograms.
 */
export function histogramRangeFn(fname: string, fn: RangeFn | undefined, w: RangeWindow, env: RangeEnv, henv: HistEnv): Out {
  if (TIME_ONLY.has(fname)) return fn!(w, env);
  const hs = w.hs!;
  switch (fname) {
    case 'rate':
    case 'increase':
    case 'delta':
      return histogramExtrapolatedRate(w, env, henv, fname !== 'delta', fname === 'rate');
    case 'irate':
    case 'idelta':
      return histogramInstant(w, henv, fname === 'irate');
    case 'resets':
    case 'changes':
      return resetsOrChanges(w, fname === 'resets');
    case 'last_over_time':
      return hs[w.hi - 1] ?? w.vs[w.hi - 1];
    case 'first_over_time':
      return hs[w.lo] ?? w.vs[w.lo];
    case 'sum_over_time':
    case 'avg_over_time': {
      const acc = new HistogramSum(fname === 'avg_over_time');
      for (let i = w.lo; i < w.hi; i++) {
        const h = hs[i];
        if (h === undefined) return mixedWarning(henv);
        acc.add(h);
      }
      const r = fname === 'avg_over_time' ? acc.mean() : acc.result();
      if (r === undefined) return schemaMixWarning(henv);
      if (acc.reconciled) henv.annotations.info('mismatched custom buckets were reconciled during aggregation', henv.pos);
      return r;
    }
    default:
      break;
  }
  if (fn === undefined) return null;
  // Float-only functions: drop the histograms; say so when floats remain.
  const ts: number[] = [];
  const vs: number[] = [];
  for (let i = w.lo; i < w.hi; i++) {
    if (hs[i] !== undefined) continue;
    ts.push(w.ts[i]);
    vs.push(w.vs[i]);
  }
  if (ts.length === 0) return null;
  henv.annotations.info(`ignored histograms in a range containing both floats and histograms for metric name ${name(henv)}`, henv.pos);
  return fn({ ts, vs, lo: 0, hi: ts.length }, env);
}

function resetsOrChanges(w: RangeWindow, resets: boolean): number {
  const hs = w.hs!;
  let n = 0;
  for (let i = w.lo + 1; i < w.hi; i++) {
    const ph = hs[i - 1];
    const ch = hs[i];
    if (ph === undefined && ch === undefined) {
      const p = w.vs[i - 1];
      const c = w.vs[i];
      if (resets) {
        if (c < p) n++;
      } else if (!(c === p || (Number.isNaN(c) && Number.isNaN(p)))) n++;
    } else if (ph === undefined || ch === undefined) n++;
    else if (resets ? ch.detectReset(ph) : !ch.equals(ph)) n++;
  }
  return n;
}

/** irate/idelta on the last two samples, which must both be histograms. */
function histogramInstant(w: RangeWindow, env: HistEnv, isRate: boolean): Out {
  if (w.hi - w.lo < 2) return null;
  const last = w.hs![w.hi - 1];
  const prev = w.hs![w.hi - 2];
  if (last === undefined || prev === undefined) return mixedWarning(env);
  const interval = w.ts[w.hi - 1] - w.ts[w.hi - 2];
  if (isRate && (prev.counterResetHint === CounterResetHint.Gauge || last.counterResetHint === CounterResetHint.Gauge)) {
    env.annotations.warn(`this native histogram metric is not a counter: ${name(env)}`, env.pos);
  }
  if (!isRate && (prev.counterResetHint !== CounterResetHint.Gauge || last.counterResetHint !== CounterResetHint.Gauge)) {
    env.annotations.warn(`this native histogram metric is not a gauge: ${name(env)}`, env.pos);
  }
  const r = last.copy();
  if (!isRate || !last.detectReset(prev)) {
    try {
      if (r.addScaled(prev, -1)) env.annotations.info('mismatched custom buckets were reconciled during subtraction', env.pos);
    } catch (e) {
      if (e instanceof HistogramError) return schemaMixWarning(env);
      throw e;
    }
  }
  r.counterResetHint = CounterResetHint.Gauge;
  r.compact();
  if (isRate) {
    if (interval === 0) return null;
    r.div(interval / 1000);
  }
  return r;
}

/** rate/increase/delta: Prometheus's extrapolatedRate with histogramRate. */
function histogramExtrapolatedRate(w: RangeWindow, env: RangeEnv, henv: HistEnv, isCounter: boolean, isRate: boolean): Out {
  const hs = w.hs!;
  const n = w.hi - w.lo;
  for (let i = w.lo; i < w.hi; i++) if (hs[i] === undefined) return mixedWarning(henv);
  if (n < 2) return null;
  const first = hs[w.lo]!;
  const last = hs[w.hi - 1]!;
  // The increase is last - first + (the sample before each counter reset). A reset right
  // after the first sample cancels the first out: then the two never meet, which lets a
  // counter change between exponential and custom buckets at a reset.
  let minSchema = Infinity;
  let notCounter = false;
  const plus: FloatHistogram[] = [];
  let minusFirst = true;
  if (isCounter) {
    let prev = first;
    for (let i = w.lo; i < w.hi; i++) {
      const h = hs[i]!;
      if (h.counterResetHint === CounterResetHint.Gauge) notCounter = true;
      if (!h.usesCustomBuckets() && h.schema < minSchema) minSchema = h.schema;
      if (i === w.lo) continue;
      if (h.detectReset(prev)) {
        if (prev === first && minusFirst) minusFirst = false;
        else plus.push(prev);
      }
      prev = h;
    }
  } else {
    minSchema = Math.min(first.schema, last.schema);
    if (first.usesCustomBuckets() !== last.usesCustomBuckets()) return schemaMixWarning(henv);
  }
  if (notCounter) henv.annotations.warn(`this native histogram metric is not a counter: ${name(henv)}`, henv.pos);
  const result = last.copy();
  if (!result.usesCustomBuckets() && minSchema < result.schema) result.reduceResolution(minSchema);
  try {
    for (const p of plus) {
      if (result.addScaled(p, 1)) henv.annotations.info('mismatched custom buckets were reconciled during addition', henv.pos);
    }
    if (minusFirst && result.addScaled(first, -1)) {
      henv.annotations.info('mismatched custom buckets were reconciled during subtraction', henv.pos);
    }
    if (!isCounter && (first.counterResetHint !== CounterResetHint.Gauge || last.counterResetHint !== CounterResetHint.Gauge)) {
      henv.annotations.warn(`this native histogram metric is not a gauge: ${name(henv)}`, henv.pos);
    }
  } catch (e) {
    if (e instanceof HistogramError) return schemaMixWarning(henv);
    throw e;
  }
  result.counterResetHint = CounterResetHint.Gauge;
  result.compact();
  const firstT = w.ts[w.lo];
  const lastT = w.ts[w.hi - 1];
  const sampledInterval = (lastT - firstT) / 1000;
  const avgBetween = sampledInterval / (n - 1);
  const threshold = avgBetween * 1.1;
  let durationToStart = (firstT - env.rangeStart) / 1000;
  let durationToEnd = (env.rangeEnd - lastT) / 1000;
  if (durationToStart >= threshold) durationToStart = avgBetween / 2;
  if (isCounter && result.count > 0 && first.count >= 0) {
    // Counters do not go below zero: the count's zero point limits the extrapolation.
    const durationToZero = sampledInterval * (first.count / result.count);
    if (durationToZero < durationToStart) durationToStart = durationToZero;
  }
  if (durationToEnd >= threshold) durationToEnd = avgBetween / 2;
  let factor = (sampledInterval + durationToStart + durationToEnd) / sampledInterval;
  if (isRate) factor /= env.rangeMs / 1000;
  return result.mul(factor);
}

/** Go's sort.Search over [0, n). */
function search(n: number, f: (i: number) => boolean): number {
  let i = 0;
  let j = n;
  while (i < j) {
    const h = (i + j) >>> 1;
    if (!f(h)) i = h + 1;
    else j = h;
  }
  return i;
}

/**
 * The histogram at t between h1 (at t1) and h2 (at t2). For counters a reset between them
 * means the counter restarted from zero: h2 scaled by the elapsed fraction (keeping h2's
 * hint). Throws HistogramError for exponential mixed with custom buckets.
 */
export function interpolateHistogram(h1: FloatHistogram, t1: number, h2: FloatHistogram, t2: number, t: number, isCounter: boolean): FloatHistogram {
  if (h1.usesCustomBuckets() !== h2.usesCustomBuckets()) {
    throw new HistogramError('ERR_MIXED_SCHEMAS', 'histograms with exponential and custom buckets schemas cannot be interpolated');
  }
  const f = (t - t1) / (t2 - t1);
  if (isCounter && h2.detectReset(h1)) return h2.copy().mul(f);
  const d = h2.copy();
  d.addScaled(h1, -1);
  const r = h1.copy();
  r.addScaled(d.mul(f), 1);
  r.counterResetHint = CounterResetHint.Unknown;
  return r.compact();
}

/**
 * rate/increase/delta over an `anchored` or `smoothed` window of histograms, as the float
 * version (functions-extended.ts): no extrapolation; the boundary values are the samples at
 * the range edges, interpolated when smoothed. Counter resets between the boundaries add
 * the value before the reset, except where an interpolated boundary already accounts for
 * one, so that no reset is counted twice.
 */
export function histogramExtendedRate(
  w: RangeWindow,
  rangeStart: number,
  rangeEnd: number,
  rangeMs: number,
  smoothed: boolean,
  isCounter: boolean,
  isRate: boolean,
  env: HistEnv,
): FloatHistogram | null {
  const { ts, lo } = w;
  const hs = w.hs!;
  const n = w.hi - lo;
  if (n === 0) return null;
  for (let i = lo; i < w.hi; i++) if (hs[i] === undefined) return mixedWarning(env);
  const T = (i: number): number => ts[lo + i];
  const H = (i: number): FloatHistogram => hs[lo + i]!;
  let last = n - 1;
  let first = Math.max(0, search(last, (i) => T(i) > rangeStart) - 1);
  if (smoothed) last = search(last, (i) => T(i) >= rangeEnd);
  if (T(last) <= rangeStart) return null;
  if (smoothed && T(first) > rangeEnd) return null;
  let notCounter = false;
  for (let i = first; i <= last; i++) if (H(i).counterResetHint === CounterResetHint.Gauge) notCounter = true;
  if (isCounter && notCounter) env.annotations.warn(`this native histogram metric is not a counter: ${name(env)}`, env.pos);
  if (!isCounter && (H(first).counterResetHint !== CounterResetHint.Gauge || H(last).counterResetHint !== CounterResetHint.Gauge)) {
    env.annotations.warn(`this native histogram metric is not a gauge: ${name(env)}`, env.pos);
  }
  try {
    const leftInterp = smoothed && T(first) < rangeStart;
    const rightInterp = smoothed && last > 0 && T(last) > rangeEnd;
    const left = leftInterp ? interpolateHistogram(H(first), T(first), H(first + 1), T(first + 1), rangeStart, isCounter) : H(first);
    const right = rightInterp ? interpolateHistogram(H(last - 1), T(last - 1), H(last), T(last), rangeEnd, isCounter) : H(last);
    const result = right.copy();
    result.addScaled(left, -1);
    if (isCounter) {
      // Both boundaries interpolated within one pair of samples: nothing in between.
      const samePair = leftInterp && rightInterp && first + 1 === last;
      let a = first;
      let b = last;
      if (T(a) <= rangeStart) a++;
      if (T(b) >= rangeEnd) b--;
      let prev = left;
      for (let i = a; i <= b && !samePair; i++) {
        // The sample a left interpolation ran up to was compared already.
        if (H(i) !== prev && !(leftInterp && i === first + 1) && H(i).detectReset(prev)) result.addScaled(prev, 1);
        prev = H(i);
      }
      // The right boundary, unless it is the last sample just compared.
      const rightDone = !rightInterp && b === last;
      if (!samePair && !rightDone && right.detectReset(prev)) result.addScaled(prev, 1);
    }
    result.counterResetHint = CounterResetHint.Gauge;
    result.compact();
    if (isRate) result.div(rangeMs / 1000);
    return result;
  } catch (e) {
    if (e instanceof HistogramError) return schemaMixWarning(env);
    throw e;
  }
}
