/**
 * The other things the API reads from, each a small interface so the parts behind them
 * (scrape, tsdb, main) can be swapped or faked: metric metadata, TSDB statistics, build and
 * runtime information.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Labels } from '@edgeprom/shared';

/** One metadata entry as a target exposes it (`# TYPE`, `# HELP`, `# UNIT`). */
export interface MetricMetadata {
  /** The metric family name. */
  metric: string;
  type: string;
  help: string;
  unit: string;
}

/** Where `/api/v1/metadata` gets entries: the scrape manager's per-target caches. */
export interface MetadataSource {
  /**
   * Entries of every active target, or only those of `metric` when given. Duplicates across
   * targets are fine; the API merges identical entries.
   */
  metadata(metric?: string): Iterable<MetricMetadata>;
}

/** No scraping yet: no metadata. */
export const EMPTY_METADATA: MetadataSource = { metadata: () => [] };

/** One source listing the entries of all of them in turn (scrape, push API, MQTT ingest). */
export function mergeMetadata(...sources: readonly MetadataSource[]): MetadataSource {
  return {
    *metadata(metric) {
      for (const s of sources) yield* s.metadata(metric);
    },
  };
}

/** One active target and its metadata entries, for `/api/v1/targets/metadata`. */
export interface TargetMetadataList {
  /** The target's labels (without `__` ones), as `/api/v1/targets` shows them. */
  target: Labels;
  entries: Iterable<MetricMetadata>;
}

/** Where `/api/v1/targets/metadata` gets entries: the scrape manager's active targets. */
export interface TargetMetadataSource {
  /** Every active target, with its entries (only `metric`'s when given). */
  targetMetadata(metric?: string): Iterable<TargetMetadataList>;
}

/** The query parameters of `/api/v1/targets`, as given (empty ones left out). */
export interface TargetsParams {
  /** `active`, `dropped` or `any` (lower-cased already); absent means any. */
  state?: string;
  scrapePool?: string;
}

/**
 * Where `/api/v1/targets` gets its `data` (the scrape manager, shaped by
 * `scrape/targets-api.ts`). Without one the route does not exist (404), as before scraping.
 */
export interface TargetsSource {
  targets(params: TargetsParams): unknown;
}

/** The filters of `/api/v1/fleet`, validated (empty ones left out). */
export interface FleetParams {
  /** `up`, `down` or `unknown`. */
  state?: string;
  /** `pull` or `push`. */
  mode?: string;
}

/** Where `/api/v1/fleet` gets its `data` (main/fleet.ts). Without one the route answers 404. */
export interface FleetSource {
  fleet(params: FleetParams): unknown;
}

/**
 * Something mounted in front of the API on the same listener (the push API): handles the
 * request and resolves true, or resolves false without touching it.
 */
export interface HttpMount {
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
}

/** `/-/reload` and `/-/quit` (POST, PUT), as `--web.enable-lifecycle` enables them in Prometheus. */
export interface Lifecycle {
  /** Re-reads and applies the config; rejects with the reason when the new one is refused. */
  reload(): Promise<void>;
  /** Asks the process to stop gracefully (as SIGTERM); called once, after the answer was sent. */
  quit(): void;
}

export interface TsdbStat {
  name: string;
  value: number;
}

/** `/api/v1/status/tsdb` data, in Prometheus's field names. */
export interface TsdbStatus {
  headStats: {
    numSeries: number;
    numLabelPairs: number;
    chunkCount: number;
    /** ms. */
    minTime: number;
    maxTime: number;
  };
  seriesCountByMetricName: TsdbStat[];
  labelValueCountByLabelName: TsdbStat[];
  memoryInBytesByLabelName: TsdbStat[];
  seriesCountByLabelValuePair: TsdbStat[];
}

export interface TsdbStatsSource {
  /** Cardinality statistics of the head, each list the top `limit` entries by value. */
  stats(limit: number): TsdbStatus | Promise<TsdbStatus>;
}

/** `/api/v1/status/buildinfo`; Prometheus's field names. */
export interface BuildInfo {
  version: string;
  revision: string;
  branch: string;
  buildUser: string;
  buildDate: string;
  goVersion: string;
}

/** `/api/v1/status/runtimeinfo`; fields the caller does not give get defaults. */
export interface RuntimeInfo {
  startTime: string;
  CWD: string;
  hostname: string;
  serverTime: string;
  reloadConfigSuccess: boolean;
  lastConfigTime: string;
  corruptionCount: number;
  goroutineCount: number;
  GOMAXPROCS: number;
  GOMEMLIMIT: number;
  GOGC: string;
  GODEBUG: string;
  storageRetention: string;
}
