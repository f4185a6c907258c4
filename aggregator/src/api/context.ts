/**
 * What a handler gets (the parsed request) and returns (data plus annotations), and the
 * dependencies the server hands to every handler.
 */
import type { IncomingMessage } from 'node:http';
import type { Clock } from '@edgeprom/shared';
import type { Queryable } from '../storage/interface.js';
import type { QueryEngine } from './engine.js';
import type { Form } from './form.js';
import type { QueryGate } from './query-gate.js';
import type { TsdbAdmin } from './handlers-status.js';
import type { BuildInfo, FleetSource, MetadataSource, RuntimeInfo, TargetMetadataSource, TargetsSource, TsdbStatsSource } from './sources.js';

/** The subset of a pino logger the API uses. */
export interface ApiLogger {
  error(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

export const SILENT_LOGGER: ApiLogger = { error() {}, warn() {}, debug() {} };

export interface ApiRequest {
  raw: IncomingMessage;
  form: Form;
  /** Path parameters (`name` of /label/<name>/values), decoded. */
  params: Record<string, string>;
  /** Fires when the client goes away before the answer is written. */
  signal: AbortSignal;
}

export interface ApiResult {
  /** undefined answers 204 No Content, as Prometheus does when a handler returns no data. */
  data: unknown;
  warnings?: readonly string[];
  infos?: readonly string[];
}

export interface ApiDeps {
  queryable: Queryable;
  engine: QueryEngine | undefined;
  clock: Clock;
  logger: ApiLogger;
  /** The loaded config, shown redacted at /api/v1/status/config. */
  config: () => unknown;
  flags: Readonly<Record<string, string>>;
  buildInfo: BuildInfo;
  runtimeInfo: () => Partial<RuntimeInfo>;
  tsdbStats: TsdbStatsSource;
  metadata: MetadataSource;
  /** `/api/v1/targets/metadata`; undefined: an empty list (no scraping). */
  targetMetadata: TargetMetadataSource | undefined;
  /** undefined: no /api/v1/targets route (404). */
  targets: TargetsSource | undefined;
  /** undefined: no /api/v1/fleet route (404). */
  fleet: FleetSource | undefined;
  enableAdminApi: boolean;
  /** The store the TSDB admin endpoints act on; undefined: they answer "not supported". */
  admin: TsdbAdmin | undefined;
  /** Upper bound of every query's timeout (Prometheus's --query.timeout), ms. */
  queryTimeoutMs: number;
  gate: QueryGate;
  startTimeMs: number;
}

export type Handler = (req: ApiRequest, deps: ApiDeps) => Promise<ApiResult> | ApiResult;
