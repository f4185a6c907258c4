/**
 * /api/v1/query, /api/v1/query_range, /api/v1/format_query and /api/v1/query_exemplars.
 * Parameters are checked in Prometheus's order, so the first bad one is the one reported.
 */
import { parseExpr, PromQLParseError, type Expr } from '../promql/parser/index.js';
import type { ApiDeps, ApiRequest, ApiResult } from './context.js';
import type { EngineQueryOptions, EngineResult, EngineStats, EngineValue } from './engine.js';
import { ApiError, badData, toApiError } from './errors.js';
import { encodeResult, RawJson } from './json.js';
import { prettyExpr } from './pretty.js';
import { sortKeys, translateAst } from './translate-ast.js';
import { durationParam, limitParam, nsToMs, optionalTime, parseDurationNs, requiredTime } from './params.js';

/** Prometheus refuses range queries with more points per series than this (plus one). */
export const MAX_POINTS_PER_SERIES = 11_000;

const TRUNCATED = 'results truncated due to limit';

function effectiveTimeoutMs(req: ApiRequest, deps: ApiDeps): number {
  const to = req.form.value('timeout');
  if (to === '') return deps.queryTimeoutMs;
  const ns = durationParam(to, 'timeout');
  // Sub-millisecond timeouts round up rather than to 0 (which would mean "already expired").
  const ms = ns <= 0n ? 0 : Math.max(1, nsToMs(ns));
  return Math.min(ms, deps.queryTimeoutMs);
}

function queryOptions(req: ApiRequest, timeoutMs: number): EngineQueryOptions {
  const opts: EngineQueryOptions = { timeoutMs, perStepStats: req.form.value('stats') === 'all' };
  const ld = req.form.value('lookback_delta');
  if (ld !== '') {
    let ns: bigint;
    try {
      ns = parseDurationNs(ld);
    } catch (e) {
      throw badData(`error parsing lookback delta duration: ${(e as Error).message}`);
    }
    opts.lookbackDeltaMs = nsToMs(ns);
  }
  return opts;
}

/** Prometheus's truncateResults: the first `limit` series of a vector or matrix. */
function truncate(value: EngineValue, limit: number): { value: EngineValue; truncated: boolean } {
  if (value.type === 'vector' && value.samples.length > limit) {
    return { value: { type: 'vector', samples: value.samples.slice(0, limit) }, truncated: true };
  }
  if (value.type === 'matrix' && value.series.length > limit) {
    return { value: { type: 'matrix', series: value.series.slice(0, limit) }, truncated: true };
  }
  return { value, truncated: false };
}

/** stats.NewQueryStats' shape; timings in seconds. */
function renderStats(stats: EngineStats | undefined, execMs: number): unknown {
  const s = stats ?? { totalQueryableSamples: 0, peakSamples: 0, evalTimeMs: execMs };
  return {
    timings: {
      evalTotalTime: s.evalTimeMs / 1000,
      resultSortTime: 0,
      queryPreparationTime: 0,
      innerEvalTime: s.evalTimeMs / 1000,
      execQueueTime: 0,
      execTotalTime: execMs / 1000,
    },
    samples: { totalQueryableSamples: s.totalQueryableSamples, peakSamples: s.peakSamples },
  };
}

async function run(
  req: ApiRequest,
  deps: ApiDeps,
  limit: number,
  timeoutMs: number,
  exec: (signal: AbortSignal) => Promise<EngineResult>,
): Promise<ApiResult> {
  const engine = deps.engine;
  if (!engine) throw new ApiError('unavailable', 'no PromQL engine is configured');
  const qs = deps.gate.signalFor(req.signal, timeoutMs);
  const started = deps.clock.monotonic();
  let res: EngineResult;
  try {
    const release = await deps.gate.acquire(qs);
    try {
      res = await exec(qs.signal);
    } finally {
      release();
    }
  } catch (e) {
    let err = toApiError(e, { aborted: qs.cause() });
    // Our timeout reaches the engine as an abort, which it reports as a cancellation.
    if (err.errorType === 'canceled' && qs.cause() === 'timeout') {
      err = new ApiError('timeout', err.message.replace(/^query was canceled in/, 'query timed out in'), { cause: e });
    }
    // Errors about the query text are reported against the parameter, as NewInstantQuery's are.
    if (err.errorType === 'bad_data') throw badData(`invalid parameter "query": ${err.message}`, e);
    throw err;
  } finally {
    qs.dispose();
  }
  const warnings = [...res.warnings];
  let value = res.value;
  if (limit > 0) {
    const t = truncate(value, limit);
    value = t.value;
    if (t.truncated) warnings.push(TRUNCATED);
  }
  const data: Record<string, unknown> = { resultType: value.type, result: new RawJson(encodeResult(value)) };
  if (req.form.value('stats') !== '') data.stats = renderStats(res.stats, deps.clock.monotonic() - started);
  return { data, warnings, infos: res.infos };
}

export async function instantQuery(req: ApiRequest, deps: ApiDeps): Promise<ApiResult> {
  const limit = limitParam(req.form.value('limit'));
  const time = optionalTime(req.form.value('time'), 'time', deps.clock.now());
  const timeoutMs = effectiveTimeoutMs(req, deps);
  const opts = queryOptions(req, timeoutMs);
  const query = req.form.value('query');
  return run(req, deps, limit, timeoutMs, (signal) =>
    deps.engine!.instantQuery(deps.queryable, query, time, { ...opts, signal }),
  );
}

export async function rangeQuery(req: ApiRequest, deps: ApiDeps): Promise<ApiResult> {
  const limit = limitParam(req.form.value('limit'));
  const start = requiredTime(req.form.value('start'), 'start');
  const end = requiredTime(req.form.value('end'), 'end');
  if (end < start) throw badData('invalid parameter "end": end timestamp must not be before start time');
  const stepNs = durationParam(req.form.value('step'), 'step');
  if (stepNs <= 0n) {
    throw badData(
      'invalid parameter "step": zero or negative query resolution step widths are not accepted. Try a positive integer',
    );
  }
  // Go computes end.Sub(start)/step on int64 nanoseconds, Sub saturating.
  let spanNs = (BigInt(end) - BigInt(start)) * 1_000_000n;
  const maxNs = 2n ** 63n - 1n;
  if (spanNs > maxNs) spanNs = maxNs;
  if (spanNs / stepNs > BigInt(MAX_POINTS_PER_SERIES)) {
    throw badData(
      'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)',
    );
  }
  const timeoutMs = effectiveTimeoutMs(req, deps);
  const opts = queryOptions(req, timeoutMs);
  const query = req.form.value('query');
  // Steps finer than a millisecond cannot be represented in ms; Prometheus's engine works
  // in ms too and rounds them down, to 0, which it then rejects. Keep at least 1.
  const stepMs = Math.max(1, nsToMs(stepNs));
  return run(req, deps, limit, timeoutMs, (signal) =>
    deps.engine!.rangeQuery(deps.queryable, query, start, end, stepMs, { ...opts, signal }),
  );
}

function parseQueryParam(query: string) {
  try {
    return parseExpr(query);
  } catch (e) {
    if (e instanceof PromQLParseError) throw badData(`invalid parameter "query": ${e.message}`, e);
    throw e;
  }
}

/** Prometheus answers with expr.Pretty(0): one line up to 100 bytes, split beyond. */
export function formatQuery(req: ApiRequest): ApiResult {
  return { data: prettyExpr(parseQueryParam(req.form.value('query'))) };
}

/** The syntax tree as JSON, for Prometheus's UI tree view. */
export function parseQuery(req: ApiRequest): ApiResult {
  return { data: sortKeys(translateAst(parseQueryParam(req.form.value('query')))) };
}

/** We keep no exemplars: a valid request gets an empty list, as Prometheus gives with none stored. */
export function queryExemplars(req: ApiRequest): ApiResult {
  const start = optionalTime(req.form.value('start'), 'start', -Infinity);
  const end = optionalTime(req.form.value('end'), 'end', Infinity);
  if (end < start) throw badData('end timestamp must not be before start timestamp');
  let expr: Expr;
  try {
    expr = parseExpr(req.form.value('query'));
  } catch (e) {
    if (e instanceof PromQLParseError) throw badData(e.message, e);
    throw e;
  }
  // Prometheus answers 204 No Content when the query selects nothing.
  return { data: hasSelector(expr) ? [] : undefined };
}

function hasSelector(e: Expr): boolean {
  switch (e.type) {
    case 'VectorSelector':
    case 'MatrixSelector':
      return true;
    case 'ParenExpr':
    case 'UnaryExpr':
    case 'SubqueryExpr':
      return hasSelector(e.expr);
    case 'BinaryExpr':
      return hasSelector(e.lhs) || hasSelector(e.rhs);
    case 'AggregateExpr':
      return hasSelector(e.expr) || (e.param !== null && hasSelector(e.param));
    case 'Call':
      return e.args.some(hasSelector);
    default:
      return false;
  }
}
