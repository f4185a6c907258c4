/**
 * What evaluation passes around internally. Every instant-vector or scalar expression
 * evaluates to a StepMatrix: series with one point per evaluation step at most, timestamps
 * being the step times, as Prometheus's evaluator does (an instant query is a range query
 * with one step). Scalars are one series with empty labels and a point at every step.
 */
import type { Labels } from '@edgeprom/shared';
import type { FloatHistogram } from '../storage/index.js';

export interface ESeries {
  metric: Labels;
  ts: number[];
  vs: number[];
  /**
   * Native histogram points, parallel to ts: where hs[i] is set the point is that histogram
   * (vs[i] is then meaningless). Absent on float-only series, which is the fast path.
   */
  hs?: (FloatHistogram | undefined)[];
  /** Delayed name removal: drop `__name__` when the query finishes. */
  dropName: boolean;
}

export type EValue =
  | { kind: 'vector'; series: ESeries[] }
  | { kind: 'scalar'; series: ESeries[] }
  /** Raw points of a range selector or subquery (only at the top of an instant query). */
  | { kind: 'matrix'; series: ESeries[] }
  | { kind: 'string'; value: string };

/** One element of an instant vector at one step. */
export interface StepSample {
  metric: Labels;
  f: number;
  /** A native histogram sample (f is then meaningless); absent for floats. */
  h?: FloatHistogram;
  dropName: boolean;
  /**
   * Index of the input series in stepLoop's inputs (absent on computed samples), so that
   * operators can keep per-series state in arrays instead of maps.
   */
  i?: number;
  /**
   * Output slot hint: within one stepLoop, samples given the same slot always carry the
   * same labels, so their series is found by index instead of by label lookup.
   */
  o?: number;
}

/** Samples of a range: ts/vs from lo (inclusive) to hi (exclusive). Stale markers removed. */
export interface RangeWindow {
  ts: ArrayLike<number>;
  vs: ArrayLike<number>;
  /** Histogram samples by index, when the series has any (see ESeries.hs). */
  hs?: ArrayLike<FloatHistogram | undefined>;
  lo: number;
  hi: number;
  /**
   * Optional: resets[i] counts the counter resets (vs[j] < vs[j-1]) for j in 1..i, so that
   * a window without any can skip the scan (see counterResets).
   */
  resets?: Int32Array;
}

/** Collects annotations (deduplicated, in order) for the whole query. */
export class Annotations {
  readonly warnings = new Set<string>();
  readonly infos = new Set<string>();
  warn(msg: string, pos?: { start: number }): void {
    this.warnings.add(`PromQL warning: ${msg}${where(pos)}`);
  }
  info(msg: string, pos?: { start: number }): void {
    this.infos.add(`PromQL info: ${msg}${where(pos)}`);
  }
}

function where(pos: { start: number } | undefined): string {
  return pos === undefined ? '' : ` (1:${pos.start + 1})`;
}
