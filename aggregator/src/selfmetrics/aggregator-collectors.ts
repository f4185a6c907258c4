/**
 * Which parts of the aggregator feed its /metrics, in one place, so main (serve.ts) only
 * passes the parts it composed. Each collector is a cheap read of counters the part keeps
 * anyway: no walk over series or samples at scrape time.
 */
import type { MetricFamily } from '@edgeprom/shared';
import type { HttpMetrics } from '../api/metrics-endpoint.js';
import type { Ingest } from '../ingest/ingest.js';
import type { EmbeddedBroker } from '../mqtt/broker.js';
import type { PushGateway } from '../pushgw/gateway.js';
import type { ScrapeManager } from '../scrape/manager.js';
import { discoveryCollector, type TargetSetsSource } from './discovery-metrics.js';
import type { InstrumentedEngine } from './engine-metrics.js';
import { counterFamily, gaugeFamily } from './metric-types.js';
import type { SelfMetrics } from './registry.js';

/** The outcome of the last config load (start or reload), as main records it. */
export interface ReloadStatusSource {
  successful: boolean;
  /** Wall-clock ms of the last successful load. */
  lastSuccessMs: number;
}

export interface AggregatorParts {
  tsdb?: { collectMetrics(): MetricFamily[] };
  scrape?: Pick<ScrapeManager, 'collectMetrics'>;
  discovery?: TargetSetsSource;
  ingest?: Pick<Ingest, 'collectMetrics'>;
  broker?: Pick<EmbeddedBroker, 'collectMetrics'>;
  /** The push API; collected only while enabled. */
  push?: Pick<PushGateway, 'enabled' | 'groups' | 'refusedSamples'>;
  engine?: Pick<InstrumentedEngine, 'collectMetrics'>;
  http?: Pick<HttpMetrics, 'collectMetrics'>;
  reload?: () => ReloadStatusSource;
}

/** Registers a collector per part given; returns a function that detaches them (discovery's subscription). */
export function registerAggregatorCollectors(self: SelfMetrics, parts: AggregatorParts): () => void {
  const stops: (() => void)[] = [];
  const { tsdb, scrape, ingest, broker, push, engine, http, reload } = parts;
  if (reload) self.register('config', () => reloadFamilies(reload()));
  if (http) self.register('http', () => http.collectMetrics());
  if (engine) self.register('engine', () => engine.collectMetrics());
  if (tsdb) self.register('tsdb', () => tsdb.collectMetrics());
  if (parts.discovery) {
    const d = discoveryCollector(parts.discovery);
    stops.push(d.stop);
    self.register('discovery', d.collect);
  }
  if (scrape) self.register('scrape', () => scrape.collectMetrics());
  if (ingest) self.register('ingest', () => ingest.collectMetrics());
  if (broker) self.register('mqtt', () => broker.collectMetrics());
  if (push) self.register('push', () => (push.enabled ? pushFamilies(push) : []));
  return () => {
    for (const s of stops) s();
  };
}

export function reloadFamilies(s: ReloadStatusSource): MetricFamily[] {
  return [
    gaugeFamily('prometheus_config_last_reload_successful', 'Whether the last configuration reload attempt was successful.', [], [[[], s.successful ? 1 : 0]]),
    gaugeFamily('prometheus_config_last_reload_success_timestamp_seconds', 'Timestamp of the last successful configuration reload.', [], [[[], Math.floor(s.lastSuccessMs / 1000)]]),
  ];
}

/** The push API's groups (one entry per pushed group, not per series) and refused samples. */
export function pushFamilies(push: Pick<PushGateway, 'groups' | 'refusedSamples'>): MetricFamily[] {
  const groups = push.groups();
  let series = 0;
  for (const g of groups) series += g.series;
  return [
    gaugeFamily('edgeprom_push_groups', 'Groups held by the push API (Pushgateway grouping keys).', [], [[[], groups.length]]),
    gaugeFamily('edgeprom_push_series', 'Series held by the push API across all groups.', [], [[[], series]]),
    counterFamily('edgeprom_push_samples_refused_total', 'Pushed samples the store refused, by error code.', ['code'], [...push.refusedSamples].map(([c, n]) => [[c], n] as const)),
  ];
}
