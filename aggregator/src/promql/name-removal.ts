/**
 * Removal of the metric name from the results of functions and operators. With delayed
 * name removal (Prometheus's promql-delayed-name-removal) it happens once, at the end of
 * the query; otherwise after every node. Either way two series left with the same labels
 * at the same step are an error.
 */
import { duplicateLabelset } from './errors.js';
import type { ESeries } from './eval-types.js';
import type { FloatHistogram } from '../storage/index.js';

/** Drops `__name__` where delayed removal asked for it; equal label sets then are an error. */
export function dropNames(series: ESeries[]): ESeries[] {
  let changed = false;
  const out = series.map((s) => {
    if (!s.dropName) return s;
    // The metric's type and unit labels (`__type__`, `__unit__`) go with its name.
    const metric = s.metric.without('__name__', '__type__', '__unit__');
    if (metric === s.metric) return s;
    changed = true;
    return { ...s, metric, dropName: false };
  });
  if (!changed) return out;
  const byKey = new Map<string, ESeries>();
  const merged: ESeries[] = [];
  for (const s of out) {
    const prev = byKey.get(s.metric.key);
    if (prev === undefined) {
      byKey.set(s.metric.key, s);
      merged.push(s);
      continue;
    }
    // Same labels after dropping names: fine only where their steps do not overlap.
    const pts = new Map<number, [number, FloatHistogram | undefined]>();
    prev.ts.forEach((t, i) => pts.set(t, [prev.vs[i], prev.hs?.[i]]));
    for (let i = 0; i < s.ts.length; i++) {
      if (pts.has(s.ts[i])) throw duplicateLabelset();
      pts.set(s.ts[i], [s.vs[i], s.hs?.[i]]);
    }
    const ts = [...pts.keys()].sort((a, b) => a - b);
    prev.ts = ts;
    prev.vs = ts.map((t) => pts.get(t)![0]);
    if (prev.hs !== undefined || s.hs !== undefined) prev.hs = ts.map((t) => pts.get(t)![1]);
  }
  return merged;
}

