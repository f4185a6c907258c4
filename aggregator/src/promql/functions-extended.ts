/**
 * The `anchored` and `smoothed` range-selector modifiers (experimental extended range
 * selectors): windows that reach back one lookback delta (and, smoothed, forward one) so
 * the values at the range boundaries can be taken (anchored) or interpolated (smoothed).
 */
import { executionError } from './errors.js';
import type { RangeWindow } from './eval-types.js';
import { HistogramError, type FloatHistogram } from '../storage/index.js';
import { interpolateHistogram } from './functions-histogram.js';

const ANCHORED_OK = ['changes', 'delta', 'increase', 'rate', 'resets'];
const SMOOTHED_OK = ['delta', 'increase', 'rate'];

export function checkExtendedModifier(fn: string, anchored: boolean, smoothed: boolean): void {
  if (anchored && !ANCHORED_OK.includes(fn)) {
    throw executionError(`anchored modifier can only be used with: ${ANCHORED_OK.join(', ')} - not with ${fn}`);
  }
  if (smoothed && !SMOOTHED_OK.includes(fn)) {
    throw executionError(`smoothed modifier can only be used with: ${SMOOTHED_OK.join(', ')} - not with ${fn}`);
  }
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

function interpolate(t1: number, y1: number, t2: number, y2: number, t: number, isCounter: boolean): number {
  if (isCounter && y2 < y1) y1 = 0;
  return y1 + ((y2 - y1) * (t - t1)) / (t2 - t1);
}

/** rate/increase/delta over an anchored or smoothed window: no extrapolation. */
export function extendedRate(
  w: RangeWindow,
  rangeStart: number,
  rangeEnd: number,
  rangeMs: number,
  smoothed: boolean,
  isCounter: boolean,
  isRate: boolean,
): number | null {
  const { ts, vs, lo } = w;
  const n = w.hi - lo;
  if (n === 0) return null;
  const T = (i: number): number => ts[lo + i];
  const V = (i: number): number => vs[lo + i];
  let last = n - 1;
  let first = Math.max(0, search(last, (i) => T(i) > rangeStart) - 1);
  if (smoothed) last = search(last, (i) => T(i) >= rangeEnd);
  if (T(last) <= rangeStart) return null;
  if (smoothed && T(first) > rangeEnd) return null;
  const left = smoothed && T(first) < rangeStart ? interpolate(T(first), V(first), T(first + 1), V(first + 1), rangeStart, isCounter) : V(first);
  const right = smoothed && last > 0 && T(last) > rangeEnd ? interpolate(T(last - 1), V(last - 1), T(last), V(last), rangeEnd, isCounter) : V(last);
  let result = right - left;
  if (isCounter) {
    if (T(first) <= rangeStart) first++;
    if (T(last) >= rangeEnd) last--;
    let prev = left;
    for (let i = first; i <= last; i++) {
      if (V(i) < prev) result += prev;
      prev = V(i);
    }
    if (right < prev) result += prev;
  }
  if (isRate) result /= rangeMs / 1000;
  return result;
}

/**
 * An anchored window trimmed to [mint, maxt] with a point on each boundary: the last
 * sample at or before mint, and the last sample. Null when nothing is in range.
 */
export function anchoredPoints(w: RangeWindow, mint: number, maxt: number): RangeWindow | null {
  const { ts, vs, lo } = w;
  const n = w.hi - lo;
  if (n === 0) return null;
  let last = n - 1;
  let first = Math.max(0, search(last, (i) => ts[lo + i] > mint) - 1);
  if (ts[lo + last] <= mint) return null;
  const left = vs[lo + first];
  const right = vs[lo + last];
  const hs = w.hs;
  const leftH = hs?.[lo + first];
  const rightH = hs?.[lo + last];
  if (ts[lo + first] <= mint) first++;
  if (ts[lo + last] >= maxt) last--;
  const ots = [mint];
  const ovs = [left];
  const ohs = hs === undefined ? undefined : [leftH];
  for (let i = first; i <= last; i++) {
    ots.push(ts[lo + i]);
    ovs.push(vs[lo + i]);
    ohs?.push(hs![lo + i]);
  }
  ots.push(maxt);
  ovs.push(right);
  ohs?.push(rightH);
  return { ts: ots, vs: ovs, hs: ohs, lo: 0, hi: ots.length };
}

/**
 * A smoothed window: boundary values interpolated between the samples around them
 * (histograms too; a boundary between a float and a histogram, or between exponential and
 * custom buckets, cannot be interpolated and gives no window).
 */
export function smoothedPoints(w: RangeWindow, mint: number, maxt: number): RangeWindow | null {
  const { ts, vs, lo } = w;
  const hs = w.hs;
  const n = w.hi - lo;
  if (n === 0) return null;
  let last = n - 1;
  let first = Math.max(0, search(last, (i) => ts[lo + i] > mint) - 1);
  last = search(last, (i) => ts[lo + i] >= maxt);
  if (ts[lo + last] <= mint) return null;
  const at = (i: number, j: number, t: number): [number, FloatHistogram | undefined] | null => {
    const a = hs?.[lo + i];
    const b = hs?.[lo + j];
    if (a === undefined && b === undefined) return [interpolate(ts[lo + i], vs[lo + i], ts[lo + j], vs[lo + j], t, false), undefined];
    if (a === undefined || b === undefined) return null;
    try {
      return [0, interpolateHistogram(a, ts[lo + i], b, ts[lo + j], t, false)];
    } catch (e) {
      if (e instanceof HistogramError) return null;
      throw e;
    }
  };
  const left = ts[lo + first] < mint ? at(first, first + 1, mint) : ([vs[lo + first], hs?.[lo + first]] as const);
  const right = last > 0 && ts[lo + last] > maxt ? at(last - 1, last, maxt) : ([vs[lo + last], hs?.[lo + last]] as const);
  if (left === null || right === null) return null;
  if (ts[lo + first] <= mint) first++;
  if (ts[lo + last] >= maxt) last--;
  const ots = [mint];
  const ovs = [left[0]];
  const ohs = hs === undefined ? undefined : [left[1]];
  for (let i = first; i <= last; i++) {
    ots.push(ts[lo + i]);
    ovs.push(vs[lo + i]);
    ohs?.push(hs![lo + i]);
  }
  ots.push(maxt);
  ovs.push(right[0]);
  ohs?.push(right[1]);
  return { ts: ots, vs: ovs, hs: ohs, lo: 0, hi: ots.length };
}
