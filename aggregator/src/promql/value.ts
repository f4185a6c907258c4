/**
 * Query results, as Prometheus's promql Value types: a scalar, a string, an instant vector
 * (one sample per series at the evaluation time) or a range vector / matrix (points per
 * series). Times are ms since the epoch; values float64.
 */
import type { Labels } from '@edgeprom/shared';
import type { FloatHistogram } from '../storage/index.js';

export interface Sample {
  metric: Labels;
  /** ms. */
  t: number;
  f: number;
  /** A native histogram sample (f is then 0). */
  h?: FloatHistogram;
}

export interface Point {
  t: number;
  f: number;
  /** A native histogram point (f is then 0). */
  h?: FloatHistogram;
}

export interface MatrixSeries {
  metric: Labels;
  points: Point[];
}

export interface ScalarValue {
  type: 'scalar';
  t: number;
  v: number;
}

export interface StringValue {
  type: 'string';
  t: number;
  v: string;
}

export interface VectorValue {
  type: 'vector';
  samples: Sample[];
}

export interface MatrixValue {
  type: 'matrix';
  series: MatrixSeries[];
}

export type QueryValue = ScalarValue | StringValue | VectorValue | MatrixValue;

/** Counters of one query's work, like Prometheus's query stats (samples, not bytes). */
export interface QueryStats {
  /** Samples read from storage (after window selection). */
  totalQueryableSamples: number;
  /** Most samples held in memory at once. */
  peakSamples: number;
  /** Wall time of evaluation in ms (from the engine's clock). */
  evalTimeMs: number;
}

export interface QueryResult {
  value: QueryValue;
  /** Annotations as Prometheus words them ("PromQL warning: ..."). */
  warnings: string[];
  infos: string[];
  stats: QueryStats;
}
