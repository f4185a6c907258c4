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
import { createApiServer, type ApiServer, type QueryEngine } from '../api/index.js';
import { createEngine } from '../promql/index.js';
import { targetsData } from '../scrape/index.js';
import path from 'node:path';
import { openTsdb, type Tsdb } from '../tsdb/tsdb.js';
import { startCollection, type Collection } from './collection.js';
import { loadConfig } from './config.js';
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
  /** Re-reads --config.file; on error keeps the current config and rethrows. */
  reload(): Promise<void>;
  /**
   * Stops discovery, scraping, ingest (waits for in-flight commits and acks), MQTT, the HTTP
   * server, then closes the TSDB (waits for the WAL). Idempotent.
   */
  stop(): Promise<void>;
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
  if (flags.retentionMs !== undefined) {
    logger.warn(
      { retention: flags.raw['storage.tsdb.retention.time'] },
      'retention is not enforced yet: the TSDB has no blocks or retention; all data is kept',
    );
  }
  const tsdb = await openTsdb({
    dir: flags.tsdbPath,
    logger: logger.child({ component: 'tsdb' }),
  });
  let api: ApiServer | undefined;
  let collection: Collection | undefined;
  try {
    collection = await startCollection({
      config,
      tsdb,
      logger,
      storageDir: flags.tsdbPath,
      ...(flags.configFile !== undefined ? { baseDir: path.dirname(path.resolve(flags.configFile)) } : {}),
      ...(flags.mqttListen !== undefined ? { mqttListen: flags.mqttListen } : {}),
      anonymousLoopback: flags.configFile === undefined,
      ...(deps.discoveryUpdateInterval !== undefined ? { discoveryUpdateInterval: deps.discoveryUpdateInterval } : {}),
    });
    const scrape = collection.scrape;
    const engine = createEngine({
      lookbackDeltaMs: flags.lookbackDeltaMs,
      maxSamples: flags.maxSamples,
      timeoutMs: flags.queryTimeoutMs,
      // The API server's gate already queues to --query.max-concurrency.
      maxConcurrentQueries: flags.maxConcurrency,
    });
    api = createApiServer({
      queryable: tsdb,
      engine: engine satisfies QueryEngine,
      config: () => config,
      flags: flags.raw,
      buildInfo: { version: deps.version ?? '0.1.0' },
      logger: logger.child({ component: 'api' }),
      enableAdminApi: flags.enableAdminApi,
      queryTimeoutMs: flags.queryTimeoutMs,
      maxConcurrentQueries: flags.maxConcurrency,
      targets: { targets: (p) => targetsData(scrape, p) },
    });
    const bound = await api.start({ host: flags.listen.host, port: flags.listen.port });
    const anyHost = bound.host === '::' || bound.host === '0.0.0.0';
    const url = anyHost ? `http://localhost:${bound.port}` : bound.url;
    const coll = collection;
    logger.info(
      { listen: bound.url, url, mqtt: coll.mqttUrl ?? null, storage: tsdb.dir, series: tsdb.replay.series },
      'aggregator ready',
    );
    const server = api;
    let stopping: Promise<void> | undefined;
    return {
      url,
      tsdb,
      api: server,
      collection: coll,
      mqttUrl: coll.mqttUrl,
      async reload() {
        const next = await loadConfig(flags.configFile);
        config = next;
        await coll.applyConfig(next);
        logger.info({ file: flags.configFile ?? null }, 'configuration reloaded');
      },
      stop() {
        stopping ??= (async () => {
          try {
            await coll.stop();
            await server.stop();
          } finally {
            await tsdb.close();
          }
        })();
        return stopping;
      },
    };
  } catch (e) {
    await collection?.stop().catch(() => undefined);
    await api?.stop().catch(() => undefined);
    await tsdb.close();
    throw e;
  }
}
