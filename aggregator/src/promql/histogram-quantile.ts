/** histogram_quantile over classic buckets (`le` series), as Prometheus's quantile.go. */
import type { Labels } from '@edgeprom/shared';
import type { Call } from './parser/index.js';
import type { StepSample } from './eval-types.js';
import type { Evaluator } from './evaluator.js';

interface Bucket {
  upper: number;
  count: number;
}

function almostEqual(a: number, b: number, eps: number): boolean {
  if (Number.isNaN(a) && Number.isNaN(b)) return true;
  if (a === b) return true;
  const absSum = Math.abs(a) + Math.abs(b);
  const diff = Math.abs(a - b);
  const minNormal = 2.2250738585072014e-308;
  if (a === 0 || b === 0 || absSum < minNormal) return diff < eps * minNormal;
  return diff / Math.min(absSum, Number.MAX_VALUE) < eps;
}

/** [quantile, forcedMonotonic, fixedPrecision] */
export function bucketQuantile(q: number, buckets: Bucket[]): [number, boolean, boolean] {
  if (Number.isNaN(q)) return [NaN, false, false];
  if (q < 0) return [-Infinity, false, false];
  if (q > 1) return [Infinity, false, false];
  buckets.sort((a, b) => (a.upper < b.upper ? -1 : a.upper > b.upper ? 1 : 0));
  if (buckets[buckets.length - 1].upper !== Infinity) return [NaN, false, false];
  // Coalesce buckets with the same bound.
  const bs: Bucket[] = [];
  for (const b of buckets) {
    const last = bs[bs.length - 1];
    if (last !== undefined && last.upper === b.upper) last.count += b.count;
    else bs.push({ upper: b.upper, count: b.count });
  }
  let forced = false;
  let fixed = false;
  let prev = bs[0].count;
  for (let i = 1; i < bs.length; i++) {
    const curr = bs[i].count;
    if (curr === prev) continue;
    if (almostEqual(prev, curr, 1e-12)) {
      bs[i].count = prev;
      fixed = true;
      continue;
    }
    if (curr < prev) {
      bs[i].count = prev;
      forced = true;
      continue;
    }
    prev = curr;
  }
  if (bs.length < 2) return [NaN, forced, fixed];
  const observations = bs[bs.length - 1].count;
  if (observations === 0) return [NaN, forced, fixed];
  let rank = q * observations;
  let b = 0;
  while (b < bs.length - 1 && !(bs[b].count >= rank)) b++;
  if (b === bs.length - 1) return [bs[bs.length - 2].upper, forced, fixed];
  if (b === 0 && bs[0].upper <= 0) return [bs[0].upper, forced, fixed];
  let start = 0;
  const end = bs[b].upper;
  let count = bs[b].count;
  if (b > 0) {
    start = bs[b - 1].upper;
    count -= bs[b - 1].count;
    rank -= bs[b - 1].count;
  }
  return [start + (end - start) * (rank / count), forced, fixed];
}

/** Fraction of observations between lower and upper, interpolating linearly within buckets. */
export function bucketFraction(lower: number, upper: number, buckets: Bucket[]): number {
  buckets.sort((a, b) => (a.upper < b.upper ? -1 : a.upper > b.upper ? 1 : 0));
  if (buckets.length === 0 || buckets[buckets.length - 1].upper !== Infinity) return NaN;
  const bs: Bucket[] = [];
  for (const b of buckets) {
    const last = bs[bs.length - 1];
    if (last !== undefined && last.upper === b.upper) last.count += b.count;
    else bs.push({ upper: b.upper, count: b.count });
  }
  const count = bs[bs.length - 1].count;
  if (count === 0 || Number.isNaN(lower) || Number.isNaN(upper)) return NaN;
  if (lower >= upper) return 0;
  let rank = 0;
  let lowerRank = 0;
  let upperRank = 0;
  let lowerSet = false;
  let upperSet = false;
  // Buckets whose first bound is above 0 are taken to hold only positive observations.
  let lowerBound = bs[0].upper <= 0 ? -Infinity : 0;
  for (let i = 0; i < bs.length; i++) {
    const b = bs[i];
    if (i > 0) lowerBound = bs[i - 1].upper;
    const upperBound = b.upper;
    const interpolate = (v: number): number =>
      lowerBound === -Infinity ? b.count : rank + ((b.count - rank) * (v - lowerBound)) / (upperBound - lowerBound);
    if (!lowerSet && lowerBound >= lower) {
      lowerRank = rank;
      lowerSet = true;
    }
    if (!upperSet && lowerBound >= upper) {
      upperRank = rank;
      upperSet = true;
    }
    if (lowerSet && upperSet) break;
    if (!lowerSet && lowerBound < lower && upperBound > lower) {
      lowerRank = interpolate(lower);
      lowerSet = true;
    }
    if (!upperSet && lowerBound < upper && upperBound > upper) {
      upperRank = interpolate(upper);
      upperSet = true;
    }
    if (lowerSet && upperSet) break;
    rank = b.count;
  }
  if (!lowerSet || lowerRank > count) lowerRank = count;
  if (!upperSet || upperRank > count) upperRank = count;
  return (upperRank - lowerRank) / count;
}

/** Classic buckets grouped by their labels without `le` (and the name). */
function groupBuckets(ev: Evaluator, e: Call, argIdx: number, vec: StepSample[]): { labels: Labels; buckets: Bucket[] }[] {
  const groups = new Map<string, { labels: Labels; buckets: Bucket[] }>();
  for (const s of vec) {
    const le = s.metric.get('le');
    const upper = parseLe(le);
    if (upper === null) {
      ev.ctx.annotations.warn(
        `bucket label "le" is missing or has a malformed value of ${JSON.stringify(le)} for metric name ${JSON.stringify(s.metric.get('__name__'))}`,
        e.args[argIdx].positionRange,
      );
      continue;
    }
    // The name stays in the group key (two histograms may differ only by name); delayed
    // name removal drops it at the end, where equal label sets are an error.
    const labels = s.metric.without('le');
    let g = groups.get(labels.key);
    if (g === undefined) {
      g = { labels, buckets: [] };
      groups.set(labels.key, g);
    }
    g.buckets.push({ upper, count: s.f });
  }
  return [...groups.values()];
}

export function histogramFraction(ev: Evaluator, e: Call, lower: number, upper: number, vec: StepSample[]): StepSample[] {
  return groupBuckets(ev, e, 2, vec).map((g) => ({ metric: g.labels, f: bucketFraction(lower, upper, g.buckets), dropName: true }));
}

/** histogram_quantiles(v, "label", q...): one output per quantile, labelled with it. */
export function histogramQuantiles(ev: Evaluator, e: Call, label: string, qs: number[], vec: StepSample[]): StepSample[] {
  for (const q of qs) {
    if (!(q >= 0 && q <= 1)) {
      ev.ctx.annotations.warn(`quantile value should be between 0 and 1, got ${fmt(q)}`, e.args[0].positionRange);
    }
  }
  const out: StepSample[] = [];
  for (const g of groupBuckets(ev, e, 0, vec)) {
    for (const q of qs) {
      const [v, forced] = bucketQuantile(q, g.buckets.map((b) => ({ ...b })));
      if (forced) monotonicityInfo(ev, g.labels, e.args[0].positionRange);
      out.push({ metric: g.labels.with(label, formatOpenMetricsFloat(q)), f: v, dropName: true });
    }
  }
  return out;
}

/** Go's strconv.FormatFloat(f, 'g', -1, 64) with `.0` added to integers (labels.FormatOpenMetricsFloat). */
export function formatOpenMetricsFloat(f: number): string {
  if (Number.isNaN(f)) return 'NaN';
  if (f === Infinity) return '+Inf';
  if (f === -Infinity) return '-Inf';
  let s: string;
  const exp = f === 0 ? 0 : Math.floor(Math.log10(Math.abs(f)));
  if (exp < -4 || exp >= 21) {
    s = f.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
  } else {
    s = String(f);
  }
  if (!/[e.]/.test(s)) s += '.0';
  return s;
}

export function histogramQuantile(ev: Evaluator, e: Call, q: number, vec: StepSample[]): StepSample[] {
  if (!(q >= 0 && q <= 1)) {
    ev.ctx.annotations.warn(`quantile value should be between 0 and 1, got ${fmt(q)}`, e.args[0].positionRange);
  }
  const groups = new Map<string, { labels: Labels; buckets: Bucket[] }>();
  for (const s of vec) {
    const le = s.metric.get('le');
    const upper = parseLe(le);
    if (upper === null) {
      ev.ctx.annotations.warn(
        `bucket label "le" is missing or has a malformed value of ${JSON.stringify(le)} for metric name ${JSON.stringify(s.metric.get('__name__'))}`,
        e.args[1].positionRange,
      );
      continue;
    }
    // The name stays in the group key (two histograms may differ only by name); delayed
    // name removal drops it at the end, where equal label sets are an error.
    const labels = s.metric.without('le');
    let g = groups.get(labels.key);
    if (g === undefined) {
      g = { labels, buckets: [] };
      groups.set(labels.key, g);
    }
    g.buckets.push({ upper, count: s.f });
  }
  const out: StepSample[] = [];
  for (const g of groups.values()) {
    const [v, forced] = bucketQuantile(q, g.buckets);
    if (forced) monotonicityInfo(ev, g.labels, e.args[1].positionRange);
    out.push({ metric: g.labels, f: v, dropName: true });
  }
  return out;
}

function parseLe(s: string): number | null {
  if (s === '') return null;
  const t = s.trim();
  if (/^[+]?inf(inity)?$/i.test(t)) return Infinity;
  if (/^-inf(inity)?$/i.test(t)) return -Infinity;
  if (/^nan$/i.test(t)) return NaN;
  const v = Number(t);
  if (t === '' || Number.isNaN(v)) {
    if (/^[+-]?0x[0-9a-f]+$/i.test(t)) return Number.parseInt(t, 16);
    return null;
  }
  return v;
}

function fmt(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  return String(v);
}

function monotonicityInfo(ev: Evaluator, labels: Labels, pos: { start: number }): void {
  ev.ctx.annotations.info(
    `input to histogram_quantile needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile) for metric name ${JSON.stringify(labels.get('__name__'))}`,
    pos,
  );
}
