/**
 * The Prometheus-compatible HTTP API server (node:http, no framework).
 *
 *   const api = createApiServer({ queryable, engine, config, flags, buildInfo });
 *   const { port } = await api.start({ host: '127.0.0.1', port: 0 });
 *   ...
 *   await api.stop();
 *
 * Every /api/v1 answer goes through one path: CORS headers, readiness, route, parameters,
 * handler, envelope, compression. Handlers throw ApiError; anything else is logged and
 * answered as `internal`, so a bug never leaves a request hanging or kills the process.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EdgepromError, RealClock, type Clock } from '@edgeprom/shared';
import { RE2JS } from 're2js';
import type { Queryable } from '../storage/interface.js';
import { SILENT_LOGGER, type ApiDeps, type ApiLogger, type ApiRequest } from './context.js';
import type { QueryEngine } from './engine.js';
import { ApiError, badData } from './errors.js';
import { Form } from './form.js';
import { QueryGate } from './query-gate.js';
import { sendError, sendJson, sendText, setCors, successBody, type Cors } from './respond.js';
import { allowHeader, API_PREFIX, matchApiRoute } from './routes.js';
import { METRICS_PATH, serveMetrics, type HttpMetrics, type MetricsGatherer } from './metrics-endpoint.js';
import {
  EMPTY_METADATA,
  type BuildInfo,
  type FleetSource,
  type HttpMount,
  type Lifecycle,
  type MetadataSource,
  type RuntimeInfo,
  type TargetMetadataSource,
  type TargetsSource,
  type TsdbStatsSource,
} from './sources.js';
import { queryableTsdbStats } from './tsdb-stats.js';
import type { TsdbAdmin } from './handlers-status.js';

/** Go's net/http form limit: url-encoded bodies above this are refused. */
export const DEFAULT_MAX_BODY_BYTES = 10 << 20;

export interface ApiServerOptions {
  queryable: Queryable;
  /** The PromQL engine; without one, the query endpoints answer `unavailable`. */
  engine?: QueryEngine;
  /** The loaded config (shown redacted), or a function returning the current one. */
  config?: unknown;
  /** Command-line flags for /api/v1/status/flags, as Prometheus's flag map. */
  flags?: Record<string, string>;
  buildInfo?: Partial<BuildInfo>;
  runtimeInfo?: () => Partial<RuntimeInfo>;
  tsdbStats?: TsdbStatsSource;
  metadata?: MetadataSource;
  /** `/api/v1/targets/metadata`; without one it lists nothing. */
  targetMetadata?: TargetMetadataSource;
  /** `/api/v1/targets`; without one that path answers 404. */
  targets?: TargetsSource;
  /** `/api/v1/fleet`; without one that path answers 404. */
  fleet?: FleetSource;
  /**
   * Handlers tried before any route, in order (the push API's `/metrics/job/...`): the
   * first that handles a request answers it.
   */
  mounts?: readonly HttpMount[];
  /** `--web.enable-lifecycle`: `/-/reload` calls it; without one it answers 403, as Prometheus. */
  lifecycle?: Lifecycle;
  /** GET /metrics: the aggregator's own metrics; without it that path answers 404. */
  metrics?: MetricsGatherer;
  /** Counts every request by route pattern and code (prometheus_http_requests_total). */
  httpMetrics?: HttpMetrics;
  logger?: ApiLogger;
  clock?: Clock;
  /** `--web.cors.origin`: a regex, fully anchored (default `.*`). */
  corsOrigin?: string;
  /** `--web.enable-admin-api` (default false). */
  enableAdminApi?: boolean;
  /** What the admin endpoints act on (the TSDB); without it they answer "not supported". */
  admin?: TsdbAdmin;
  /** `--query.timeout`, ms (default 2m). */
  queryTimeoutMs?: number;
  /** `--query.max-concurrency` (default 20). */
  maxConcurrentQueries?: number;
  /** Largest url-encoded request body (default 10 MiB, as Go's net/http). */
  maxBodyBytes?: number;
  /** Whether /-/ready and the API answer yet (default: always). */
  ready?: () => boolean;
}

export interface ListenOptions {
  host?: string;
  port: number;
}

export interface BoundAddress {
  host: string;
  port: number;
  url: string;
}

export interface ApiServer {
  start(listen: ListenOptions): Promise<BoundAddress>;
  stop(): Promise<void>;
  readonly address: BoundAddress | undefined;
  /** Queries being evaluated and waiting for a slot (--query.max-concurrency). */
  readonly queries: { running: number; waiting: number };
}

const DEFAULT_BUILD_INFO: BuildInfo = {
  version: '0.1.0',
  revision: 'unknown',
  branch: 'unknown',
  buildUser: 'unknown',
  buildDate: 'unknown',
  goVersion: `node ${process.version}`,
};

function compileCors(origin: string): Cors {
  return { any: origin === '.*', re: RE2JS.compile(`^(?:${origin})$`) };
}

function decodePath(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

const FORM_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/** Reads a url-encoded body into the form, as Go's ParseForm does; other bodies are ignored. */
async function readBody(req: IncomingMessage, form: Form, max: number): Promise<void> {
  const type = (req.headers['content-type'] ?? '').split(';', 1)[0]!.trim().toLowerCase();
  if (!FORM_METHODS.has(req.method ?? '') || type !== 'application/x-www-form-urlencoded') {
    req.resume();
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) throw badData('error parsing form values: http: POST too large');
    chunks.push(chunk);
  }
  form.add(Buffer.concat(chunks).toString('utf8'));
}

export function createApiServer(opts: ApiServerOptions): ApiServer {
  const clock = opts.clock ?? new RealClock();
  const logger = opts.logger ?? SILENT_LOGGER;
  const cors = compileCors(opts.corsOrigin ?? '.*');
  const maxBody = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const ready = opts.ready ?? (() => true);
  const config = typeof opts.config === 'function' ? (opts.config as () => unknown) : () => opts.config;
  const deps: ApiDeps = {
    queryable: opts.queryable,
    engine: opts.engine,
    clock,
    logger,
    config,
    flags: opts.flags ?? {},
    buildInfo: { ...DEFAULT_BUILD_INFO, ...opts.buildInfo },
    runtimeInfo: opts.runtimeInfo ?? (() => ({})),
    tsdbStats: opts.tsdbStats ?? queryableTsdbStats(opts.queryable),
    metadata: opts.metadata ?? EMPTY_METADATA,
    targetMetadata: opts.targetMetadata,
    targets: opts.targets,
    fleet: opts.fleet,
    enableAdminApi: opts.enableAdminApi ?? false,
    admin: opts.admin,
    queryTimeoutMs: opts.queryTimeoutMs ?? 120_000,
    gate: new QueryGate(opts.maxConcurrentQueries ?? 20, clock),
    startTimeMs: clock.now(),
  };

  async function handleApi(req: IncomingMessage, res: ServerResponse, sub: string, query: string): Promise<void> {
    const method = req.method ?? 'GET';
    // OPTIONS is routed for every path (Prometheus registers /*path), after readiness.
    if (method === 'OPTIONS') {
      req.resume();
      if (!ready()) return sendText(res, 503, 'Service Unavailable');
      setCors(req, res, cors);
      res.statusCode = 204;
      res.end();
      return;
    }
    const route = matchApiRoute(sub, { targets: deps.targets !== undefined, fleet: deps.fleet !== undefined });
    if (!route) {
      req.resume();
      return sendText(res, 404, '404 page not found\n');
    }
    const handler = route.methods[method];
    if (!handler) {
      req.resume();
      return sendText(res, 405, 'Method Not Allowed\n', { Allow: allowHeader(route.methods) });
    }
    if (!ready()) {
      req.resume();
      return sendText(res, 503, 'Service Unavailable');
    }
    setCors(req, res, cors);
    const client = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) client.abort();
    });
    try {
      const form = new Form();
      await readBody(req, form, maxBody);
      form.add(query);
      const apiReq: ApiRequest = { raw: req, form, params: route.params, signal: client.signal };
      const result = await handler(apiReq, deps);
      if (result.data === undefined) {
        res.statusCode = 204;
        res.end();
        return;
      }
      await sendJson(req, res, 200, successBody(result.data, result.warnings, result.infos));
    } catch (e) {
      let err: ApiError;
      if (e instanceof ApiError) err = e;
      else {
        logger.error({ err: e, path: sub }, 'API handler failed');
        err = new ApiError('internal', e instanceof Error ? e.message : String(e), { cause: e });
      }
      if (err.message.includes('POST too large')) res.setHeader('Connection', 'close');
      await sendError(req, res, err);
    }
  }

  /**
   * Prometheus's /-/reload and /-/quit: POST or PUT only (405 "Only POST or PUT requests
   * allowed"), 403 unless the lifecycle API is on.
   */
  function lifecycleRefused(req: IncomingMessage, res: ServerResponse): boolean {
    if (req.method !== 'POST' && req.method !== 'PUT') {
      sendText(res, 405, 'Only POST or PUT requests allowed', { Allow: 'POST, PUT' });
      return true;
    }
    if (!opts.lifecycle) {
      sendText(res, 403, 'Lifecycle API is not enabled.');
      return true;
    }
    return false;
  }

  /** /-/quit: answers, then (once the answer is out) asks for a graceful stop, as SIGTERM. */
  let quitting = false;
  function handleQuit(req: IncomingMessage, res: ServerResponse): void {
    if (lifecycleRefused(req, res)) return;
    if (quitting) return sendText(res, 200, 'Termination already in progress.');
    quitting = true;
    const lifecycle = opts.lifecycle!;
    res.once('close', () => lifecycle.quit());
    sendText(res, 200, 'Requesting termination... Goodbye!');
  }

  /** Prometheus's /-/reload: 500 with the reason when the new config is refused. */
  async function handleReload(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (lifecycleRefused(req, res)) return;
    try {
      await opts.lifecycle!.reload();
    } catch (e) {
      return sendText(res, 500, `failed to reload config: ${e instanceof Error ? e.message : String(e)}\n`);
    }
    res.statusCode = 200;
    res.setHeader('Content-Length', 0);
    res.end();
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    for (const m of opts.mounts ?? []) {
      if (await m.handle(req, res)) return;
    }
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = decodePath(q < 0 ? url : url.slice(0, q));
    const query = q < 0 ? '' : url.slice(q + 1);
    if (path === undefined) {
      req.resume();
      return sendText(res, 400, '400 Bad Request');
    }
    if (path === API_PREFIX || path.startsWith(API_PREFIX + '/')) {
      return handleApi(req, res, path.slice(API_PREFIX.length), query);
    }
    req.resume();
    if (path === '/-/reload') return handleReload(req, res);
    if (path === '/-/quit') return handleQuit(req, res);
    if (path === METRICS_PATH && opts.metrics) return serveMetrics(req, res, opts.metrics, logger);
    if (path === '/-/healthy' || path === '/-/ready') {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        return sendText(res, 405, 'Method Not Allowed\n', { Allow: 'GET, HEAD' });
      }
      if (path === '/-/healthy') return sendText(res, 200, 'Prometheus Server is Healthy.\n');
      return ready()
        ? sendText(res, 200, 'Prometheus Server is Ready.\n')
        : sendText(res, 503, 'Service Unavailable');
    }
    return sendText(res, 404, '404 page not found\n');
  }

  let server: Server | undefined;
  let address: BoundAddress | undefined;

  return {
    get address() {
      return address;
    },
    get queries() {
      return { running: deps.gate.running, waiting: deps.gate.waiting };
    },
    async start(listen: ListenOptions): Promise<BoundAddress> {
      if (address) return address;
      const s = createServer((req, res) => {
        opts.httpMetrics?.track(req, res);
        handle(req, res).catch((err: unknown) => {
          logger.error({ err }, 'request failed');
          if (!res.headersSent) sendText(res, 500, 'internal error\n');
          else res.destroy();
        });
      });
      await new Promise<void>((resolve, reject) => {
        s.once('error', (err: NodeJS.ErrnoException) => {
          const where = `${listen.host ?? ''}:${listen.port}`;
          reject(new EdgepromError('ERR_LISTEN', `cannot listen on ${where}: ${err.code ?? err.message}`, { cause: err }));
        });
        s.listen({ host: listen.host, port: listen.port }, resolve);
      });
      s.on('error', (err) => logger.error({ err }, 'http server error'));
      const a = s.address() as AddressInfo;
      server = s;
      const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
      address = { host: a.address, port: a.port, url: `http://${host}:${a.port}` };
      return address;
    },
    async stop(): Promise<void> {
      const s = server;
      if (!s) return;
      server = undefined;
      address = undefined;
      const closed = new Promise<void>((resolve) => s.close(() => resolve()));
      s.closeIdleConnections();
      // Requests still running (long queries) are cut rather than awaited.
      s.closeAllConnections();
      await closed;
    },
  };
}
