/**
 * The `anchored` and `smoothed` range-selector modifiers (experimental extended range
 * selectors): windows that reach back one lookback delta (and, smoothed, forward one) so
 * the values at the range boundaries can be taken (anchored) or interpolated (smoothed).
 */
import { executionError } from './errors.js';
import type { RangeWindow } from './eval-types.js';

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
  if (ts[lo + first] <= mint) first++;
  if (ts[lo + last] >= maxt) last--;
  const ots = [mint];
  const ovs = [left];
  for (let i = first; i <= last; i++) {
    ots.push(ts[lo + i]);
    ovs.push(vs[lo + i]);
  }
  ots.push(maxt);
  ovs.push(right);
  return { ts: ots, vs: ovs, lo: 0, hi: ots.length };
}

/** A smoothed window: boundary values interpolated between the samples around them. */
export function smoothedPoints(w: RangeWindow, mint: number, maxt: number): RangeWindow | null {
  const { ts, vs, lo } = w;
  const n = w.hi - lo;
  if (n === 0) return null;
  let last = n - 1;
  let first = Math.max(0, search(last, (i) => ts[lo + i] > mint) - 1);
  last = search(last, (i) => ts[lo + i] >= maxt);
  if (ts[lo + last] <= mint) return null;
  const left = ts[lo + first] < mint ? interpolate(ts[lo + first], vs[lo + first], ts[lo + first + 1], vs[lo + first + 1], mint, false) : vs[lo + first];
  const right =
    last > 0 && ts[lo + last] > maxt ? interpolate(ts[lo + last - 1], vs[lo + last - 1], ts[lo + last], vs[lo + last], maxt, false) : vs[lo + last];
  if (ts[lo + first] <= mint) first++;
  if (ts[lo + last] >= maxt) last--;
  const ots = [mint];
  const ovs = [left];
  for (let i = first; i <= last; i++) {
    ots.push(ts[lo + i]);
    ovs.push(vs[lo + i]);
  }
  ots.push(maxt);
  ovs.push(right);
  return { ts: ots, vs: ovs, lo: 0, hi: ots.length };
}
