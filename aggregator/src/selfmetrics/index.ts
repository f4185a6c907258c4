/**
 * The aggregator's own metrics (GET /metrics): the registry, the metric kinds parts use to
 * keep their figures, and the wiring of the aggregator's parts. See docs/aggregator.md,
 * "Self metrics", for every metric.
 */
export { createSelfMetrics, SelfMetrics } from './registry.js';
export type { BuildInfo, CollectFn, Gatherer, SelfMetricsLogger, SelfMetricsOptions } from './registry.js';
export { CounterVec, HistogramVec, SummaryVec, counterFamily, gaugeFamily, DEFAULT_BUCKETS, DEFAULT_QUANTILES } from './metric-types.js';
export { instrumentEngine } from './engine-metrics.js';
export type { InstrumentedEngine, InstrumentOptions } from './engine-metrics.js';
export { discoveryCollector } from './discovery-metrics.js';
export type { TargetSetsSource } from './discovery-metrics.js';
export { pushFamilies, registerAggregatorCollectors, reloadFamilies } from './aggregator-collectors.js';
export type { AggregatorParts, ReloadStatusSource } from './aggregator-collectors.js';
export { runtimeCollector } from './runtime.js';
