/**
 * The aggregator process: one place that composes the parts (Prometheus's cmd/prometheus
 * main). Today that is config → TSDB → PromQL engine → HTTP API; discovery, scraping, MQTT
 * ingest and rules join here with issue 6.
 *
 *   const agg = await startAggregator(flags, { logger });
 *   console.log(agg.url);
 *   await agg.stop();
 */
import type { AggregatorConfig } from '@edgeprom/shared/config';
import { createApiServer, type ApiServer, type QueryEngine } from '../api/index.js';
import { createEngine } from '../promql/index.js';
import { openTsdb, type Tsdb } from '../tsdb/tsdb.js';
import { loadConfig } from './config.js';
import type { ServeFlags } from './flags.js';
import type { Logger } from './logger.js';

export interface Aggregator {
  /** Where to reach it: the bound address, or localhost when bound to all interfaces. */
  readonly url: string;
  readonly tsdb: Tsdb;
  readonly api: ApiServer;
  /** Re-reads --config.file; on error keeps the current config and rethrows. */
  reload(): Promise<void>;
  /** Stops the HTTP server, then closes the TSDB (waits for the WAL). Idempotent. */
  stop(): Promise<void>;
}

export interface AggregatorDeps {
  logger: Logger;
  version?: string;
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
  try {
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
    });
    const bound = await api.start({ host: flags.listen.host, port: flags.listen.port });
    const anyHost = bound.host === '::' || bound.host === '0.0.0.0';
    const url = anyHost ? `http://localhost:${bound.port}` : bound.url;
    logger.info({ listen: bound.url, url, storage: tsdb.dir, series: tsdb.replay.series }, 'aggregator ready');
    const server = api;
    let stopping: Promise<void> | undefined;
    return {
      url,
      tsdb,
      api: server,
      async reload() {
        config = await loadConfig(flags.configFile);
        logger.info({ file: flags.configFile ?? null }, 'configuration reloaded');
      },
      stop() {
        stopping ??= (async () => {
          try {
            await server.stop();
          } finally {
            await tsdb.close();
          }
        })();
        return stopping;
      },
    };
  } catch (e) {
    await api?.stop().catch(() => undefined);
    await tsdb.close();
    throw e;
  }
}
