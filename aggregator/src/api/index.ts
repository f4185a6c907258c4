/**
 * The Prometheus v1 HTTP API: what Grafana's Prometheus data source, promtool and scripts
 * call. No PromQL evaluation here: queries go to a QueryEngine (./engine.ts), reads to the
 * storage Queryable. See docs/http-api.md for endpoints and differences from Prometheus.
 */
export { createApiServer, DEFAULT_MAX_BODY_BYTES } from './server.js';
export type { ApiServer, ApiServerOptions, BoundAddress, ListenOptions } from './server.js';
export type {
  EngineMatrixSeries,
  EnginePoint,
  EngineQueryOptions,
  EngineResult,
  EngineSample,
  EngineStats,
  EngineValue,
  QueryEngine,
} from './engine.js';
export type { ApiLogger } from './context.js';
export { ApiError, STATUS_CLIENT_CLOSED_REQUEST, statusOf, toApiError } from './errors.js';
export type { ApiErrorCode, ErrorType } from './errors.js';
export { EMPTY_METADATA, mergeMetadata } from './sources.js';
export type {
  BuildInfo,
  FleetParams,
  FleetSource,
  HttpMount,
  Lifecycle,
  MetadataSource,
  MetricMetadata,
  RuntimeInfo,
  TargetMetadataList,
  TargetMetadataSource,
  TargetsParams,
  TargetsSource,
  TsdbStat,
  TsdbStatsSource,
  TsdbStatus,
} from './sources.js';
export { queryableTsdbStats } from './tsdb-stats.js';
export { formatSampleValue, formatTimestamp } from './json.js';
export { parseTime, parseDurationNs } from './params.js';
export { HttpMetrics, handlerLabel, METRICS_PATH, serveMetrics, type MetricsGatherer } from './metrics-endpoint.js';
