/**
 * The aggregator process: one place that composes the parts (Prometheus's cmd/prometheus
 * main): config → TSDB → collection (MQTT broker + push ingest, discovery → scrape, see
 * collection.ts) → PromQL engine → HTTP API. Rules join here later.
 *
 *   const agg = await startAggregator(flags, { logger });
 *   console.log(agg.url);
 *   await agg.stop();
 */
import type { AggregatorConfig } from '@edgeprom/shared/config';
import { createApiServer, mergeMetadata, type ApiServer, type QueryEngine } from '../api/index.js';
import { createPushGateway, type PushGateway } from '../pushgw/index.js';
import { createEngine } from '../promql/index.js';
import { scrapeMetadata, targetsData } from '../scrape/index.js';
import path from 'node:path';
import { openTsdb, type Tsdb } from '../tsdb/tsdb.js';
import { startCollection, type Collection } from './collection.js';
import { loadConfig, notActedOn, selfAddress } from './config.js';
import { HttpMetrics } from '../api/index.js';
import { createSelfMetrics, instrumentEngine, registerAggregatorCollectors } from '../selfmetrics/index.js';
import { fleetData, selfTargetMatcher } from './fleet.js';
import { pushSettings, redactPushUsers } from './push.js';
import type { ServeFlags } from './flags.js';
import type { Logger } from './logger.js';

export interface Aggregator {
  /** Where to reach it: the bound address, or localhost when bound to all interfaces. */
  readonly url: string;
  readonly tsdb: Tsdb;
  readonly api: ApiServer;
  readonly collection: Collection;
  /** The embedded MQTT broker's URL (mqtt://host:port), when it runs. */
  readonly mqttUrl: string | undefined;
  /** The push API (handles nothing while `push.enabled` is false). */
  readonly push: PushGateway;
  /** The config in force. */
  readonly config: AggregatorConfig;
  /**
   * Resolves when POST/PUT /-/quit asked for termination (--web.enable-lifecycle), after the
   * answer was sent; the process then stops as on SIGTERM (cli.ts). Never resolves otherwise.
   */
  readonly quitRequested: Promise<void>;
  /**
   * Re-reads --config.file and applies scrape configs, discovery, relabeling, push settings
   * and the embedded broker's access rules (SIGHUP, POST /-/reload). On error keeps the
   * current config, logs, records the failure and rethrows. Reloads run one at a time.
   */
  reload(): Promise<void>;
  /**
   * The last reload's outcome, as Prometheus's prometheus_config_last_reload_successful and
   * prometheus_config_last_reload_success_timestamp_seconds (the start counts as a reload).
   */
  reloadStatus(): ReloadStatus;
  /**
   * Stops discovery, scraping, ingest (waits for in-flight commits and acks), MQTT, the HTTP
   * server, then closes the TSDB (waits for the WAL). Idempotent.
   */
  stop(): Promise<void>;
}

export interface ReloadStatus {
  /** Whether the last load (start or reload) succeeded. */
  successful: boolean;
  /** Wall-clock ms of the last successful load. */
  lastSuccessMs: number;
  /** Why the last reload failed (undefined after a success). */
  lastError: string | undefined;
}

export interface AggregatorDeps {
  logger: Logger;
  version?: string;
  /** Discovery's debounce, ms (default 5 s). */
  discoveryUpdateInterval?: number;
}

export async function startAggregator(flags: ServeFlags, deps: AggregatorDeps): Promise<Aggregator> {
  const { logger } = deps;
  let config: AggregatorConfig = await loadConfig(flags.configFile);
  // Settings the schema accepts but nothing acts on yet (rule_files, alerting, ...): said, not ignored.
  const warnNotActedOn = (c: AggregatorConfig): void => {
    for (const n of notActedOn(c)) logger.warn({ section: n.section, file: flags.configFile ?? null }, n.message);
  };
  warnNotActedOn(config);
  const tsdb = await openTsdb({
    dir: flags.tsdbPath,
    logger: logger.child({ component: 'tsdb' }),
    // As Prometheus: time retention defaults to 15d unless only a size limit is given.
    retentionMs: flags.retentionMs ?? (flags.retentionBytes ? 0 : undefined),
    retentionBytes: flags.retentionBytes,
  });
  const baseDir = flags.configFile !== undefined ? path.dirname(path.resolve(flags.configFile)) : undefined;
  let api: ApiServer | undefined;
  let requestQuit!: () => void;
  const quitRequested = new Promise<void>((resolve) => (requestQuit = resolve));
  let collection: Collection | undefined;
  let push: PushGateway | undefined;
  const status: ReloadStatus = { successful: true, lastSuccessMs: Date.now(), lastError: undefined };
  try {
    const pushLog = logger.child({ component: 'push' });
    push = createPushGateway({ ...(await pushSettings(config.push, flags.tsdbPath, baseDir)), storage: tsdb, logger: pushLog });
    if (config.push.enabled) await push.start();
    collection = await startCollection({
      config,
      tsdb,
      logger,
      storageDir: flags.tsdbPath,
      ...(baseDir !== undefined ? { baseDir } : {}),
      ...(flags.mqttListen !== undefined ? { mqttListen: flags.mqttListen } : {}),
      ...(deps.discoveryUpdateInterval !== undefined ? { discoveryUpdateInterval: deps.discoveryUpdateInterval } : {}),
    });
    const scrape = collection.scrape;
    const coll = collection;
    const gateway = push;
    let reloading: Promise<void> = Promise.resolve();
    const reloadOnce = async (): Promise<void> => {
      try {
        const next = await loadConfig(flags.configFile, selfTarget);
        // Everything that reads files or can refuse comes first: a failure changes nothing.
        const settings = await pushSettings(next.push, flags.tsdbPath, baseDir);
        await coll.applyConfig(next);
        gateway.applyConfig(settings);
        if (next.push.enabled && !config.push.enabled) await gateway.start();
        if (!next.push.enabled && config.push.enabled) await gateway.stop();
        config = next;
        warnNotActedOn(next);
        status.successful = true;
        status.lastSuccessMs = Date.now();
        status.lastError = undefined;
        logger.info({ file: flags.configFile ?? null, jobs: next.scrape_configs.length, push: next.push.enabled }, 'configuration reloaded');
      } catch (e) {
        status.successful = false;
        status.lastError = e instanceof Error ? e.message : String(e);
        logger.error({ file: flags.configFile ?? null, err: status.lastError }, 'reload failed; keeping the current configuration');
        throw e;
      }
    };
    let listening: { host: string; port: number } | undefined;
    const engine = instrumentEngine(createEngine({
      lookbackDeltaMs: flags.lookbackDeltaMs,
      maxSamples: flags.maxSamples,
      timeoutMs: flags.queryTimeoutMs,
      // The API server's gate already queues to --query.max-concurrency.
      maxConcurrentQueries: flags.maxConcurrency,
    }), { maxConcurrent: flags.maxConcurrency });
    // GET /metrics: the aggregator's own metrics, from every part composed here.
    const selfMetrics = createSelfMetrics({ logger: logger.child({ component: 'selfmetrics' }), build: { version: deps.version ?? '0.1.0' } });
    const httpMetrics = new HttpMetrics();
    const detachSelfMetrics = registerAggregatorCollectors(selfMetrics, { tsdb, scrape, discovery: coll.discovery, ingest: coll.ingest, broker: coll.mqtt?.broker, push: gateway, engine, http: httpMetrics, reload: () => status });
    api = createApiServer({
      queryable: tsdb,
      engine: engine satisfies QueryEngine,
      config: () => redactPushUsers(config),
      flags: flags.raw,
      buildInfo: { version: deps.version ?? '0.1.0' },
      logger: logger.child({ component: 'api' }),
      enableAdminApi: flags.enableAdminApi,
      admin: tsdb,
      queryTimeoutMs: flags.queryTimeoutMs,
      maxConcurrentQueries: flags.maxConcurrency,
      targets: { targets: (p) => targetsData(scrape, p) },
      // /api/v1/metadata: scraped targets' TYPE/HELP/UNIT, the push API's groups', MQTT devices' (batch `meta`).
      metadata: mergeMetadata(scrapeMetadata(scrape), gateway.metadata, { metadata: (m) => coll.ingest?.metadata.metadata(m) ?? [] }),
      targetMetadata: scrapeMetadata(scrape),
      fleet: {
        fleet: (p) =>
          fleetData(
            {
              scrape,
              ingest: coll.ingest,
              presence: coll.presence,
              pushLabels: coll.pushLabels,
              queryable: tsdb,
              staleAfterMs: flags.lookbackDeltaMs,
              // The aggregator's own /metrics (the `self` job, or any job scraping it) is no device.
              ...(listening !== undefined ? { isSelf: selfTargetMatcher(listening) } : {}),
            },
            p,
          ),
      },
      mounts: [gateway],
      metrics: selfMetrics,
      httpMetrics,
      ...(flags.enableLifecycle ? { lifecycle: { reload: () => agg.reload(), quit: requestQuit } } : {}),
      runtimeInfo: () => ({
        reloadConfigSuccess: status.successful,
        lastConfigTime: new Date(status.lastSuccessMs).toISOString(),
      }),
    });
    const bound = await api.start({ host: flags.listen.host, port: flags.listen.port });
    listening = bound;
    // Without a config file the aggregator scrapes itself (job "self"), once its port is known.
    const selfTarget = flags.configFile === undefined ? selfAddress(bound) : undefined;
    if (selfTarget !== undefined) await coll.applyConfig((config = await loadConfig(undefined, selfTarget)));
    const anyHost = bound.host === '::' || bound.host === '0.0.0.0';
    const url = anyHost ? `http://localhost:${bound.port}` : bound.url;
    logger.info(
      { listen: bound.url, url, mqtt: coll.mqttUrl ?? null, storage: tsdb.dir, series: tsdb.replay.series },
      'aggregator ready',
    );
    const server = api;
    let stopping: Promise<void> | undefined;
    const agg: Aggregator = {
      url,
      tsdb,
      api: server,
      collection: coll,
      mqttUrl: coll.mqttUrl,
      push: gateway,
      quitRequested,
      get config() {
        return config;
      },
      reload() {
        const next = reloading.then(reloadOnce);
        reloading = next.catch(() => undefined);
        return next;
      },
      reloadStatus() {
        return { ...status };
      },
      stop() {
        stopping ??= (async () => {
          try {
            await coll.stop();
            detachSelfMetrics();
            selfMetrics.stop();
            await server.stop();
            await gateway.stop();
          } finally {
            await tsdb.close();
          }
        })();
        return stopping;
      },
    };
    return agg;
  } catch (e) {
    await collection?.stop().catch(() => undefined);
    await api?.stop().catch(() => undefined);
    await push?.stop().catch(() => undefined);
    await tsdb.close();
    throw e;
  }
}
