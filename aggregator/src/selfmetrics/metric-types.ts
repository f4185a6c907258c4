/**
 * The few metric kinds the aggregator's own /metrics needs, kept as plain numbers where they
 * are updated (a counter increment is a Map lookup and an addition) and turned into
 * MetricFamily lists only when /metrics is scraped. No global registry: each part owns its
 * metrics and exposes `collectMetrics()`, see ./registry.ts.
 *
 * Label values are given in the order of the label names the metric was declared with.
 * Callers bound the label values they pass (route patterns, job names, fixed reasons):
 * nothing here limits cardinality.
 */
import { Labels, type MetricFamily, type Sample } from '@edgeprom/shared';

/** `le` and `quantile` label values as Go's strconv.FormatFloat(v, 'g', -1, 64) writes the usual ones. */
export function formatBound(v: number): string {
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function labelsOf(name: string, names: readonly string[], values: readonly string[], extra?: [string, string]): Labels {
  const o: Record<string, string> = { __name__: name };
  for (let i = 0; i < names.length; i++) o[names[i]!] = values[i] ?? '';
  if (extra) o[extra[0]] = extra[1];
  return Labels.from(o);
}

function sample(name: string, names: readonly string[], values: readonly string[], value: number): Sample {
  return { labels: labelsOf(name, names, values), value };
}

const KEY_SEP = '\u0000';

interface Entry<T> {
  values: readonly string[];
  state: T;
  /** The child's series labels, built on the first scrape and kept: a child's labels never change. */
  labels?: Labels[];
}

/** Children of a metric by label values, in first-seen order. */
class Children<T> {
  readonly #map = new Map<string, Entry<T>>();
  readonly #make: () => T;
  readonly labelNames: readonly string[];

  constructor(labelNames: readonly string[], make: () => T) {
    this.labelNames = labelNames;
    this.#make = make;
  }

  get(values: readonly string[]): T {
    const key = values.length === 1 ? values[0]! : values.join(KEY_SEP);
    let e = this.#map.get(key);
    if (e === undefined) {
      e = { values: [...values], state: this.#make() };
      this.#map.set(key, e);
    }
    return e.state;
  }

  entries(): IterableIterator<Entry<T>> {
    return this.#map.values();
  }

  get size(): number {
    return this.#map.size;
  }
}

/** A counter with labels. */
export class CounterVec {
  readonly #c: Children<{ v: number }>;
  constructor(
    readonly name: string,
    readonly help: string,
    labelNames: readonly string[] = [],
  ) {
    this.#c = new Children(labelNames, () => ({ v: 0 }));
  }

  inc(values: readonly string[] = [], n = 1): void {
    this.#c.get(values).v += n;
  }

  /** Creates the child at 0 so it is exposed before its first increment. */
  init(values: readonly string[] = []): void {
    this.#c.get(values);
  }

  value(values: readonly string[] = []): number {
    return this.#c.get(values).v;
  }

  family(): MetricFamily {
    const samples: Sample[] = [];
    for (const e of this.#c.entries()) {
      e.labels ??= [labelsOf(this.name, this.#c.labelNames, e.values)];
      samples.push({ labels: e.labels[0]!, value: e.state.v });
    }
    return { name: this.name, type: 'counter', help: this.help, samples };
  }
}

/** Prometheus's default histogram buckets. */
export const DEFAULT_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface HistogramState {
  counts: Float64Array;
  sum: number;
  count: number;
}

/** A classic (bucketed) histogram with labels. */
export class HistogramVec {
  readonly #c: Children<HistogramState>;
  readonly #bounds: readonly number[];

  constructor(
    readonly name: string,
    readonly help: string,
    labelNames: readonly string[] = [],
    buckets: readonly number[] = DEFAULT_BUCKETS,
  ) {
    this.#bounds = [...buckets].sort((a, b) => a - b).filter((b) => b !== Infinity);
    const n = this.#bounds.length;
    this.#c = new Children(labelNames, () => ({ counts: new Float64Array(n), sum: 0, count: 0 }));
  }

  observe(values: readonly string[], v: number): void {
    const h = this.#c.get(values);
    const b = this.#bounds;
    // Buckets are few (≤ ~12): a linear scan beats a binary search here.
    for (let i = 0; i < b.length; i++) {
      if (v <= b[i]!) {
        h.counts[i]!++;
        break;
      }
    }
    h.sum += v;
    h.count++;
  }

  family(): MetricFamily {
    const samples: Sample[] = [];
    const names = this.#c.labelNames;
    const n = this.#bounds.length;
    for (const e of this.#c.entries()) {
      // [bucket le=b0 .. le=+Inf, sum, count]
      const l = (e.labels ??= [
        ...[...this.#bounds, Infinity].map((b) => labelsOf(`${this.name}_bucket`, names, e.values, ['le', formatBound(b)])),
        labelsOf(`${this.name}_sum`, names, e.values),
        labelsOf(`${this.name}_count`, names, e.values),
      ]);
      let cum = 0;
      for (let i = 0; i < n; i++) {
        cum += e.state.counts[i]!;
        samples.push({ labels: l[i]!, value: cum });
      }
      samples.push({ labels: l[n]!, value: e.state.count });
      samples.push({ labels: l[n + 1]!, value: e.state.sum });
      samples.push({ labels: l[n + 2]!, value: e.state.count });
    }
    return { name: this.name, type: 'histogram', help: this.help, samples };
  }
}

/** Quantiles Prometheus's own summaries report. */
export const DEFAULT_QUANTILES: readonly number[] = [0.01, 0.05, 0.5, 0.9, 0.99];

interface SummaryState {
  window: Float64Array;
  /** Observations written to the window so far (the ring index is this modulo its size). */
  written: number;
  sum: number;
  count: number;
}

/**
 * A summary with labels. Quantiles are exact over the last `windowSize` observations of each
 * child (a ring of doubles, sorted only when /metrics is scraped), where client_golang uses a
 * 10-minute sliding window: the same idea without a clock, bounded in memory either way.
 * `_sum` and `_count` cover every observation since start.
 */
export class SummaryVec {
  readonly #c: Children<SummaryState>;
  readonly #quantiles: readonly number[];

  constructor(
    readonly name: string,
    readonly help: string,
    labelNames: readonly string[] = [],
    quantiles: readonly number[] = DEFAULT_QUANTILES,
    windowSize = 1024,
  ) {
    this.#quantiles = quantiles;
    this.#c = new Children(labelNames, () => ({ window: new Float64Array(windowSize), written: 0, sum: 0, count: 0 }));
  }

  /** Creates the child (count 0) so it is exposed before its first observation. */
  init(values: readonly string[] = []): void {
    this.#c.get(values);
  }

  observe(values: readonly string[], v: number): void {
    const s = this.#c.get(values);
    s.window[s.written % s.window.length] = v;
    s.written++;
    s.sum += v;
    s.count++;
  }

  family(): MetricFamily {
    const samples: Sample[] = [];
    const names = this.#c.labelNames;
    const qs = this.#quantiles;
    for (const e of this.#c.entries()) {
      const s = e.state;
      // [quantile q0 .. qn, sum, count]
      const l = (e.labels ??= [
        ...qs.map((q) => labelsOf(this.name, names, e.values, ['quantile', formatBound(q)])),
        labelsOf(`${this.name}_sum`, names, e.values),
        labelsOf(`${this.name}_count`, names, e.values),
      ]);
      const n = Math.min(s.written, s.window.length);
      const sorted = n === 0 ? s.window : s.window.slice(0, n).sort();
      for (let i = 0; i < qs.length; i++) {
        // Nearest rank, as client_golang's targeted quantiles converge to; NaN with no data.
        const v = n === 0 ? NaN : sorted[Math.min(n - 1, Math.max(0, Math.ceil(qs[i]! * n) - 1))]!;
        samples.push({ labels: l[i]!, value: v });
      }
      samples.push({ labels: l[qs.length]!, value: s.sum });
      samples.push({ labels: l[qs.length + 1]!, value: s.count });
    }
    return { name: this.name, type: 'summary', help: this.help, samples };
  }
}

/** A gauge family from values known at collection time (no state kept). */
export function gaugeFamily(
  name: string,
  help: string,
  labelNames: readonly string[],
  rows: Iterable<readonly [readonly string[], number]>,
): MetricFamily {
  const samples: Sample[] = [];
  for (const [values, v] of rows) samples.push(sample(name, labelNames, values, v));
  return { name, type: 'gauge', help, samples };
}

/** A counter family from totals kept elsewhere (plain numbers in the part that owns them). */
export function counterFamily(
  name: string,
  help: string,
  labelNames: readonly string[],
  rows: Iterable<readonly [readonly string[], number]>,
): MetricFamily {
  return { ...gaugeFamily(name, help, labelNames, rows), type: 'counter' };
}
