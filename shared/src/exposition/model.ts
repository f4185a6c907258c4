/**
 * The exposition data model shared by the text 0.0.4 and OpenMetrics 1.0 parsers and
 * encoders, and by exporters (the agent's `Exporter.collect()` returns MetricFamily[]).
 */
import type { Labels } from '../labels.js';

/**
 * Metric types. `unknown` covers the text format's `untyped`. `info`, `stateset` and
 * `gaugehistogram` exist only in OpenMetrics; the text encoder writes them as `gauge`/`untyped`.
 */
export type MetricType =
  | 'counter'
  | 'gauge'
  | 'histogram'
  | 'gaugehistogram'
  | 'summary'
  | 'info'
  | 'stateset'
  | 'unknown';

export interface Exemplar {
  /** Exemplar labels (e.g. trace_id); no `__name__`. */
  labels: Labels;
  value: number;
  /** Milliseconds since the epoch, if the exemplar carried a timestamp. */
  timestampMs?: number;
}

export interface Sample {
  /** Full series labels including `__name__` (e.g. `http_requests_total`, `foo_bucket`). */
  labels: Labels;
  value: number;
  /** Milliseconds since the epoch (may be fractional from OpenMetrics seconds); absent = scrape time. */
  timestampMs?: number;
  exemplar?: Exemplar;
}

export interface MetricFamily {
  /** Family name: `http_requests` for an OpenMetrics counter whose samples are `http_requests_total`. */
  name: string;
  type: MetricType;
  help?: string;
  unit?: string;
  samples: Sample[];
}
