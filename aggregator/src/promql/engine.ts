/**
 * The PromQL engine: parses a query, evaluates it against a Queryable passed in by the
 * caller, and returns the value with annotations and stats, or throws a PromQLError whose
 * `errorType` is Prometheus's API errorType.
 *
 *   const engine = createEngine();
 *   const { value } = await engine.instantQuery(storage, 'sum(rate(x_total[5m]))', Date.now());
 *
 * Evaluation follows Prometheus 3: left-open windows (t - range, t], lookback (t - 5m, t],
 * stale markers end a series, `@`/offset, delayed `__name__` removal.
 */
import { Labels, RealClock, type Clock } from '@edgeprom/shared';
import { exprType, parseExpr, PromQLParseError, type Expr, type ParseOptions } from './parser/index.js';
import type { Queryable } from '../storage/index.js';
import { canceledError, PromQLError, timeoutError } from './errors.js';
import { Annotations, type ESeries, type EValue } from './eval-types.js';
import { dropNames as cleanup } from './name-removal.js';
import { Evaluator, type EvalContext } from './evaluator.js';
import type { MatrixSeries, Point, QueryResult, QueryValue, Sample } from './value.js';

export interface EngineOptions {
  /** How far back an instant selector looks for a sample (ms). Default 5m. */
  lookbackDeltaMs?: number;
  /** Most samples a query may hold in memory. Default 50,000,000. */
  maxSamples?: number;
  /** Default 2m. */
  timeoutMs?: number;
  /** Queries evaluated at once; more wait in line. Default 20. */
  maxConcurrentQueries?: number;
  enableAtModifier?: boolean;
  enableNegativeOffset?: boolean;
  enableExperimentalFunctions?: boolean;
  enableDurationExpressions?: boolean;
  enableExtendedRangeSelectors?: boolean;
  enableBinopFillModifiers?: boolean;
  /** Step of subqueries written without one (`[1h:]`). Default 1m. */
  defaultSubqueryStepMs?: number;
  /**
   * Prometheus's promql-delayed-name-removal feature: functions and operators mark the
   * metric name for removal, and it is removed when the query finishes (so label_replace
   * can still read it). Off by default, as in Prometheus 3; the conformance harness enables it.
   */
  enableDelayedNameRemoval?: boolean;
  clock?: Clock;
}

export interface QueryOptions {
  /**
   * Cancels the query. Evaluation is synchronous, so the signal is seen between nodes and
   * steps only if it fired before or from within (a timeout belongs in timeoutMs).
   */
  signal?: AbortSignal;
  /** This query's timeout (ms); the shorter of it and the engine's applies. */
  timeoutMs?: number;
  /** Overrides the engine's lookback for this query. */
  lookbackDeltaMs?: number;
  /** Accepted for API compatibility; per-step stats are not collected. */
  perStepStats?: boolean;
}

export interface Engine {
  instantQuery(queryable: Queryable, query: string, timeMs: number, opts?: QueryOptions): Promise<QueryResult>;
  rangeQuery(
    queryable: Queryable,
    query: string,
    startMs: number,
    endMs: number,
    stepMs: number,
    opts?: QueryOptions,
  ): Promise<QueryResult>;
  /** Synchronous evaluation without the concurrency limiter (tests, rules). */
  execSync(queryable: Queryable, query: string, startMs: number, endMs: number, stepMs: number, range: boolean, opts?: QueryOptions): QueryResult;
}

export function createEngine(options: EngineOptions = {}): Engine {
  const o = {
    lookbackDeltaMs: options.lookbackDeltaMs ?? 300_000,
    maxSamples: options.maxSamples ?? 50_000_000,
    timeoutMs: options.timeoutMs ?? 120_000,
    maxConcurrent: options.maxConcurrentQueries ?? 20,
    enableAtModifier: options.enableAtModifier ?? true,
    enableNegativeOffset: options.enableNegativeOffset ?? true,
    defaultSubqueryStepMs: options.defaultSubqueryStepMs ?? 60_000,
    delayedNameRemoval: options.enableDelayedNameRemoval ?? false,
    clock: options.clock ?? new RealClock(),
  };
  const parseOpts: ParseOptions = {
    enableExperimentalFunctions: options.enableExperimentalFunctions ?? false,
    experimentalDurationExpr: options.enableDurationExpressions ?? false,
    enableExtendedRangeSelectors: options.enableExtendedRangeSelectors ?? false,
    enableBinopFillModifiers: options.enableBinopFillModifiers ?? false,
  };
  let running = 0;
  const waiting: (() => void)[] = [];

  async function limited<T>(fn: () => T, signal?: AbortSignal): Promise<T> {
    if (running >= o.maxConcurrent) {
      await new Promise<void>((resolve, reject) => {
        const go = (): void => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = (): void => {
          const i = waiting.indexOf(go);
          if (i >= 0) waiting.splice(i, 1);
          reject(canceledError('queue'));
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        waiting.push(go);
      });
    }
    running++;
    try {
      return fn();
    } finally {
      running--;
      waiting.shift()?.();
    }
  }

  function parse(query: string): Expr {
    try {
      return parseExpr(query, parseOpts);
    } catch (e) {
      if (e instanceof PromQLParseError) throw new PromQLError('ERR_PROMQL_BAD_DATA', e.message, { cause: e });
      throw e;
    }
  }

  function execSync(
    queryable: Queryable,
    query: string,
    start: number,
    end: number,
    step: number,
    range: boolean,
    qo: QueryOptions = {},
  ): QueryResult {
    const expr = parse(query);
    checkFeatures(expr, o.enableAtModifier, o.enableNegativeOffset);
    const type = exprType(expr);
    if (range && type !== 'scalar' && type !== 'vector') {
      throw new PromQLError(
        'ERR_PROMQL_BAD_DATA',
        `invalid expression type "${type === 'matrix' ? 'range vector' : type}" for range query, must be Scalar or instant Vector`,
      );
    }
    if (range && step <= 0) {
      throw new PromQLError('ERR_PROMQL_BAD_DATA', 'zero or negative query resolution step widths are not accepted');
    }
    if (range && end < start) throw new PromQLError('ERR_PROMQL_BAD_DATA', 'end timestamp must not be before start time');
    const begun = o.clock.monotonic();
    const deadline = begun + Math.min(o.timeoutMs, qo.timeoutMs ?? Infinity);
    const annotations = new Annotations();
    const stats = { totalQueryableSamples: 0, peakSamples: 0 };
    const ctx: EvalContext = {
      queryable,
      lookbackMs: qo.lookbackDeltaMs ?? o.lookbackDeltaMs,
      maxSamples: o.maxSamples,
      queryStart: start,
      queryEnd: end,
      queryStep: range ? step : 0,
      defaultSubqueryStepMs: o.defaultSubqueryStepMs,
      annotations,
      stats,
      queryIsRange: range,
      delayedNameRemoval: o.delayedNameRemoval,
      checkAbort(where) {
        if (qo.signal?.aborted) throw canceledError(where);
        if (o.clock.monotonic() > deadline) throw timeoutError(where);
      },
    };
    const ev = new Evaluator(ctx, start, end, range ? step : 1);
    const v = ev.eval(expr);
    const value = toQueryValue(v, range, start);
    return {
      value,
      warnings: [...annotations.warnings],
      infos: [...annotations.infos],
      stats: { ...stats, evalTimeMs: o.clock.monotonic() - begun },
    };
  }

  return {
    execSync,
    instantQuery(queryable, query, timeMs, qo) {
      return limited(() => execSync(queryable, query, timeMs, timeMs, 0, false, qo), qo?.signal);
    },
    rangeQuery(queryable, query, startMs, endMs, stepMs, qo) {
      return limited(() => execSync(queryable, query, startMs, endMs, stepMs, true, qo), qo?.signal);
    },
  };
}

function checkFeatures(expr: Expr, at: boolean, negOffset: boolean): void {
  const visit = (e: Expr): void => {
    if (e.type === 'VectorSelector' || e.type === 'SubqueryExpr') {
      if (!at && (e.timestamp !== null || e.startOrEnd !== null)) {
        throw new PromQLError('ERR_PROMQL_BAD_DATA', '@ modifier is disabled');
      }
      if (!negOffset && e.originalOffset < 0) {
        throw new PromQLError('ERR_PROMQL_BAD_DATA', 'negative offset is disabled');
      }
    }
    switch (e.type) {
      case 'ParenExpr':
      case 'UnaryExpr':
      case 'SubqueryExpr':
        visit(e.expr);
        break;
      case 'MatrixSelector':
        visit(e.vectorSelector);
        break;
      case 'BinaryExpr':
        visit(e.lhs);
        visit(e.rhs);
        break;
      case 'AggregateExpr':
        visit(e.expr);
        if (e.param) visit(e.param);
        break;
      case 'Call':
        e.args.forEach(visit);
        break;
      default:
        break;
    }
  };
  visit(expr);
}

function toQueryValue(v: EValue, range: boolean, t: number): QueryValue {
  switch (v.kind) {
    case 'string':
      return { type: 'string', t, v: v.value };
    case 'scalar':
      if (!range) return { type: 'scalar', t, v: v.series[0].vs[0] };
      return { type: 'matrix', series: toMatrix(v.series) };
    case 'matrix':
      return { type: 'matrix', series: cleanup(v.series).map(toMatrixSeries) };
    case 'vector': {
      const series = cleanup(v.series);
      if (range) return { type: 'matrix', series: toMatrix(series) };
      const samples: Sample[] = [];
      for (const s of series) {
        const h = s.hs?.[0];
        samples.push(h === undefined ? { metric: s.metric, t: s.ts[0], f: s.vs[0] } : { metric: s.metric, t: s.ts[0], f: 0, h });
      }
      return { type: 'vector', samples };
    }
  }
}

function toMatrixSeries(s: ESeries): MatrixSeries {
  const { ts, vs, hs } = s;
  const points = new Array<Point>(ts.length);
  for (let i = 0; i < ts.length; i++) {
    const h = hs === undefined ? undefined : hs[i];
    points[i] = h === undefined ? { t: ts[i], f: vs[i] } : { t: ts[i], f: 0, h };
  }
  return { metric: s.metric, points };
}

function toMatrix(series: ESeries[]): MatrixSeries[] {
  return series
    .filter((s) => s.ts.length > 0)
    .map(toMatrixSeries)
    .sort((a, b) => Labels.compare(a.metric, b.metric));
}
