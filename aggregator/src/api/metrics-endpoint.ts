/**
 * The aggregator's own `/metrics` (as Prometheus serves its own) and the HTTP instrumentation
 * behind `prometheus_http_requests_total` and `prometheus_http_request_duration_seconds`.
 *
 * /metrics negotiates the exposition format as client_golang's promhttp does (the shared
 * `negotiate`: OpenMetrics when the Accept header prefers it, text 0.0.4 otherwise) and
 * compresses as the rest of the API does (`pickEncoding`). What it serves comes from a
 * MetricsGatherer (the selfmetrics registry), which isolates failing collectors itself.
 *
 * Requests are counted by route pattern (`/api/v1/label/:name/values`, not the raw path), so
 * the `handler` label has a bounded set of values whatever clients send.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { deflate as deflateCb, gzip as gzipCb } from 'node:zlib';
import { encodeOpenMetrics, encodeText, negotiate, RealClock, type Clock, type MetricFamily } from '@edgeprom/shared';
import { CounterVec, HistogramVec } from '../selfmetrics/metric-types.js';
import type { ApiLogger } from './context.js';
import { pickEncoding, sendText } from './respond.js';
import { API_PREFIX, matchApiRoute } from './routes.js';

const gzip = promisify(gzipCb);
const deflate = promisify(deflateCb);

/** Where /metrics gets its families. */
export interface MetricsGatherer {
  gather(): Promise<MetricFamily[]>;
}

/** The path of the aggregator's own metrics. */
export const METRICS_PATH = '/metrics';

/** Prometheus's buckets for prometheus_http_request_duration_seconds. */
const DURATION_BUCKETS = [0.1, 0.2, 0.4, 1, 3, 8, 20, 60, 120];

const PLAIN_PATHS = new Set([METRICS_PATH, '/-/healthy', '/-/ready', '/-/reload', '/-/quit', '/']);

/**
 * The `handler` label of a request: its route pattern. Unknown paths share one value
 * (`/api/v1/*` under the API prefix, `other` elsewhere), push API paths `/metrics/job/*`.
 */
export function handlerLabel(path: string): string {
  if (path === API_PREFIX || path.startsWith(API_PREFIX + '/')) {
    const sub = path.slice(API_PREFIX.length);
    const m = matchApiRoute(sub, { targets: true, fleet: true });
    if (m === undefined) return `${API_PREFIX}/*`;
    if (m.params.name !== undefined) return `${API_PREFIX}/label/:name/values`;
    return Object.keys(m.params).length === 0 ? path : `${API_PREFIX}/*`;
  }
  if (PLAIN_PATHS.has(path)) return path;
  if (path.startsWith('/metrics/job/') || path === '/metrics/job') return '/metrics/job/*';
  return 'other';
}

function pathOf(url: string | undefined): string {
  const raw = url ?? '/';
  const q = raw.indexOf('?');
  const p = q < 0 ? raw : raw.slice(0, q);
  try {
    return decodeURIComponent(p);
  } catch {
    return p;
  }
}

/** Request counts and durations of one HTTP server, by route pattern and status code. */
export class HttpMetrics {
  readonly #clock: Clock;
  readonly #requests = new CounterVec(
    'prometheus_http_requests_total',
    'Counter of HTTP requests.',
    ['handler', 'code'],
  );
  readonly #duration = new HistogramVec(
    'prometheus_http_request_duration_seconds',
    'Histogram of latencies for HTTP requests.',
    ['handler'],
    DURATION_BUCKETS,
  );

  constructor(clock: Clock = new RealClock()) {
    this.#clock = clock;
  }

  /** Call as a request arrives: it is counted when its response is finished or cut. */
  track(req: IncomingMessage, res: ServerResponse): void {
    const start = this.#clock.monotonic();
    const handler = handlerLabel(pathOf(req.url));
    res.once('close', () => {
      this.#requests.inc([handler, String(res.statusCode)]);
      this.#duration.observe([handler], (this.#clock.monotonic() - start) / 1000);
    });
  }

  collectMetrics(): MetricFamily[] {
    return [this.#requests.family(), this.#duration.family()];
  }
}

/** GET/HEAD /metrics: the gatherer's families in the negotiated format, compressed if accepted. */
export async function serveMetrics(
  req: IncomingMessage,
  res: ServerResponse,
  gatherer: MetricsGatherer,
  logger: ApiLogger,
): Promise<void> {
  req.resume();
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return sendText(res, 405, 'Method Not Allowed\n', { Allow: 'GET, HEAD' });
  }
  let families: MetricFamily[];
  try {
    families = await gatherer.gather();
  } catch (e) {
    logger.error({ err: e }, 'gathering the aggregator\'s own metrics failed');
    return sendText(res, 500, `An error has occurred while gathering metrics:\n\n${e instanceof Error ? e.message : String(e)}\n`);
  }
  const { format, contentType } = negotiate(req.headers.accept);
  let body: Buffer = Buffer.from(format === 'openmetrics' ? encodeOpenMetrics(families) : encodeText(families), 'utf8');
  res.setHeader('Vary', 'Accept, Accept-Encoding');
  const enc = pickEncoding(req.headers['accept-encoding']);
  if (enc !== undefined) {
    body = enc === 'gzip' ? await gzip(body) : await deflate(body);
    res.setHeader('Content-Encoding', enc);
  }
  if (res.destroyed) return;
  res.statusCode = 200;
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', body.length);
  res.end(req.method === 'HEAD' ? undefined : body);
}
