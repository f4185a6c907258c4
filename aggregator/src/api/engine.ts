/**
 * What the HTTP API needs from a PromQL engine, and nothing more, so the API can be tested
 * with a stand-in and does not depend on how the engine works. The shapes follow
 * aggregator/src/promql/value.ts; an engine satisfying this is plugged in unchanged.
 *
 * Errors: an engine throws. An error with an `errorType` property (`bad_data`, `execution`,
 * `timeout`, `canceled`, ...; PromQLError has one) is answered with that type. A parse error
 * (PromQLParseError) is bad_data. `bad_data` errors are taken to be about the query text and
 * are reported as Prometheus reports them: `invalid parameter "query": <message>`.
 */
import type { Labels } from '@edgeprom/shared';
import type { Queryable } from '../storage/interface.js';
import type { FloatHistogram } from '../storage/histogram.js';

export interface EngineSample {
  metric: Labels;
  /** ms. */
  t: number;
  f: number;
  /** A native histogram sample (then f is not used). */
  h?: FloatHistogram;
}

export interface EnginePoint {
  t: number;
  f: number;
  /** A native histogram point (then f is not used). */
  h?: FloatHistogram;
}

export interface EngineMatrixSeries {
  metric: Labels;
  points: EnginePoint[];
}

export type EngineValue =
  | { type: 'scalar'; t: number; v: number }
  | { type: 'string'; t: number; v: string }
  | { type: 'vector'; samples: EngineSample[] }
  | { type: 'matrix'; series: EngineMatrixSeries[] };

export interface EngineStats {
  totalQueryableSamples: number;
  peakSamples: number;
  /** Evaluation wall time in ms. */
  evalTimeMs: number;
}

export interface EngineResult {
  value: EngineValue;
  /** Annotations, already worded ("PromQL warning: ..."). */
  warnings: readonly string[];
  infos: readonly string[];
  stats?: EngineStats;
}

/** Per-query options from the request; an engine may ignore all but `signal`. */
export interface EngineQueryOptions {
  /**
   * Fires when the client goes away (reason: an AbortError) or the request's timeout passes
   * (reason: a TimeoutError); the engine should stop and throw.
   */
  signal?: AbortSignal;
  /**
   * The request's effective timeout, ms. A signal cannot fire while an engine evaluates
   * synchronously, so an engine that checks its own clock should also check this.
   */
  timeoutMs?: number;
  /** `lookback_delta`, ms; absent means the engine's default. */
  lookbackDeltaMs?: number;
  /** `stats=all`. */
  perStepStats?: boolean;
}

/** The promql engine (createEngine() in ../promql) satisfies this as is. */
export interface QueryEngine {
  /** Evaluates `query` at `timeMs`. */
  instantQuery(queryable: Queryable, query: string, timeMs: number, options?: EngineQueryOptions): Promise<EngineResult>;
  /** Evaluates `query` from startMs to endMs (inclusive) every stepMs. */
  rangeQuery(
    queryable: Queryable,
    query: string,
    startMs: number,
    endMs: number,
    stepMs: number,
    options?: EngineQueryOptions,
  ): Promise<EngineResult>;
}
