/**
 * The PromQL evaluator. Parse with ./parser; evaluate with createEngine() against any
 * Queryable (the TSDB head, the in-memory store in tests).
 */
export { createEngine, type Engine, type EngineOptions, type QueryOptions } from './engine.js';
export * from './value.js';
export { PromQLError, PROMQL_ERROR_TYPES, type PromQLErrorCode, type PrometheusErrorType } from './errors.js';
