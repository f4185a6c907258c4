/**
 * The agent's HTTP server (node:http, no framework: it serves four paths).
 *
 *   GET /metrics    the collector's cached families, text 0.0.4 or OpenMetrics by Accept,
 *                   gzip when Accept-Encoding allows it
 *   GET /-/healthy  200 while the process runs
 *   GET /-/ready    200 once the first collection is done, 503 before
 *   GET /           a small page linking the above
 *
 * HEAD is allowed wherever GET is. Other methods get 405 with Allow; other paths 404.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import { EdgepromError, encodeOpenMetrics, encodeText, negotiate, type MetricFamily } from '@edgeprom/shared';
import { silentLogger, type Logger } from '../logger.js';
import { displayUrl, parseListenAddress, type ListenAddress } from './listen-address.js';
import type { ScrapeStats } from './scrape-stats.js';
import { indexPage } from './index-page.js';

const gzip = promisify(gzipCb);

/** Where /metrics gets its families: the Collector, or anything shaped like it. */
export interface MetricsSource {
  snapshot(): Promise<MetricFamily[]>;
  readonly ready: boolean;
}

export interface WebServerOptions {
  source: MetricsSource;
  /** `host:port` as for --web.listen-address, or already parsed. */
  listen: string | ListenAddress;
  scrapeStats?: ScrapeStats;
  logger?: Logger;
  /** Shown on the index page. */
  agentId?: string;
  version?: string;
}

export interface BoundAddress {
  host: string;
  port: number;
  /** A URL for people (wildcard hosts shown as localhost). */
  url: string;
}

/** Whether Accept-Encoding allows gzip (`gzip` or `*` with a non-zero q). */
export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  let star = false;
  for (const part of header.split(',')) {
    const [coding, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    const qParam = params.find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    const ok = Number.isFinite(q) && q > 0;
    if (coding === 'gzip' || coding === 'x-gzip') return ok;
    if (coding === '*') star = ok;
  }
  return star;
}

export class WebServer {
  readonly #opts: WebServerOptions;
  readonly #logger: Logger;
  readonly #listen: ListenAddress;
  #server: Server | undefined;
  #address: BoundAddress | undefined;

  constructor(opts: WebServerOptions) {
    this.#opts = opts;
    this.#logger = opts.logger ?? silentLogger();
    this.#listen = typeof opts.listen === 'string' ? parseListenAddress(opts.listen) : opts.listen;
  }

  /** The bound address once started (the real port when listening on port 0). */
  get address(): BoundAddress | undefined {
    return this.#address;
  }

  async start(): Promise<BoundAddress> {
    if (this.#address) return this.#address;
    const server = createServer((req, res) => {
      this.#handle(req, res).catch((err: unknown) => {
        this.#logger.error({ err }, 'request failed');
        if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
        else res.destroy();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        const where = `${this.#listen.host ?? ''}:${this.#listen.port}`;
        reject(new EdgepromError('ERR_LISTEN', `cannot listen on ${where}: ${err.code ?? err.message}`, { cause: err }));
      });
      server.listen({ host: this.#listen.host, port: this.#listen.port }, resolve);
    });
    server.on('error', (err) => this.#logger.error({ err }, 'http server error'));
    const a = server.address() as AddressInfo;
    this.#server = server;
    this.#address = { host: a.address, port: a.port, url: displayUrl(a.address, a.port) };
    return this.#address;
  }

  /** Stops accepting connections, lets requests in flight finish, and closes idle keep-alives. */
  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    this.#address = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    await closed;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?', 1)[0];
    const route = ROUTES.get(path);
    if (!route) return send(res, 404, 'text/plain; charset=utf-8', '404 page not found\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
    }
    const head = req.method === 'HEAD';
    switch (route) {
      case 'metrics':
        return this.#metrics(req, res, head);
      case 'healthy':
        return send(res, 200, 'text/plain; charset=utf-8', 'edgeprom-agent is Healthy.\n', head);
      case 'ready':
        return this.#opts.source.ready
          ? send(res, 200, 'text/plain; charset=utf-8', 'edgeprom-agent is Ready.\n', head)
          : send(res, 503, 'text/plain; charset=utf-8', 'edgeprom-agent is not ready: first collection still running.\n', head);
      case 'index':
        return send(res, 200, 'text/html; charset=utf-8', indexPage(this.#opts.agentId, this.#opts.version), head);
    }
  }

  async #metrics(req: IncomingMessage, res: ServerResponse, head: boolean): Promise<void> {
    if (!head) this.#opts.scrapeStats?.record();
    let families: MetricFamily[];
    try {
      families = await this.#opts.source.snapshot();
    } catch (err) {
      this.#logger.error({ err }, 'cannot gather metrics');
      return send(res, 500, 'text/plain; charset=utf-8', `error gathering metrics: ${(err as Error).message}\n`);
    }
    const { format, contentType } = negotiate(req.headers.accept);
    let body: Buffer = Buffer.from(format === 'openmetrics' ? encodeOpenMetrics(families) : encodeText(families));
    res.setHeader('Vary', 'Accept, Accept-Encoding');
    if (acceptsGzip(req.headers['accept-encoding'])) {
      body = await gzip(body);
      res.setHeader('Content-Encoding', 'gzip');
    }
    send(res, 200, contentType, body, head);
  }
}

type Route = 'metrics' | 'healthy' | 'ready' | 'index';
const ROUTES = new Map<string, Route>([
  ['/metrics', 'metrics'],
  ['/-/healthy', 'healthy'],
  ['/-/ready', 'ready'],
  ['/', 'index'],
]);

function send(res: ServerResponse, status: number, contentType: string, body: string | Buffer, head = false): void {
  const buf = typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': buf.length });
  res.end(head ? undefined : buf);
}
