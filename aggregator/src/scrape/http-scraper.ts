/**
 * One HTTP GET of a target, streamed: the body goes chunk by chunk (gunzipped when the
 * target sends gzip) to `onChunk`, so parsing and appending run while bytes arrive and the
 * body is never held whole. The body size limit is checked on the decoded bytes, as
 * Prometheus does (a body of exactly the limit fails too), and the timeout aborts the
 * request through a timer armed on the injected Clock.
 *
 * A scrape loop prepares its request once (`prepareScrapeRequest`: the URL parsed, the
 * headers as a raw array that Node writes without validating them again); per scrape,
 * Node's client then only builds the request object. Parsing the URL and validating the
 * headers each time was about a tenth of a 1,000-series scrape's CPU.
 */
import http from 'node:http';
import https from 'node:https';
import zlib from 'node:zlib';
import { SCRAPE_ACCEPT_HEADER, type Clock } from '@edgeprom/shared';
import { bodySizeLimit, httpStatus, network, scrapeTimeout } from './errors.js';

export interface HttpScrapeOptions {
  url: string;
  /** `prepareScrapeRequest` of the same url, timeout, compression and headers (built here if absent). */
  prepared?: PreparedRequest;
  timeoutMs: number;
  /** 0: no limit. */
  bodySizeLimit: number;
  enableCompression: boolean;
  clock: Clock;
  /** Aborts the request (pool stop); the scrape then fails with the signal's reason. */
  signal?: AbortSignal;
  agent?: http.Agent;
  headers?: Record<string, string>;
}

export interface HttpScrapeResult {
  contentType: string | undefined;
  /** Decoded body bytes. */
  bytes: number;
}

export const USER_AGENT = 'edgeprom/0.1.0';

const defaultHttpAgent = new http.Agent({ keepAlive: true, maxSockets: 4 });
const defaultHttpsAgent = new https.Agent({ keepAlive: true, maxSockets: 4 });

/** A target's request, built once: see the file comment. */
export interface PreparedRequest {
  readonly https: boolean;
  readonly hostname: string;
  readonly port: number;
  readonly path: string;
  /** Raw header pairs, Host first (Node adds none to a raw array). */
  readonly headers: readonly string[];
}

export function prepareScrapeRequest(
  url: string,
  timeoutMs: number,
  enableCompression: boolean,
  extra?: Record<string, string>,
): PreparedRequest {
  const u = new URL(url);
  const https = u.protocol === 'https:';
  const headers: Record<string, string> = {
    Host: u.host,
    Accept: SCRAPE_ACCEPT_HEADER,
    'Accept-Encoding': enableCompression ? 'gzip' : 'identity',
    'User-Agent': USER_AGENT,
    'X-Prometheus-Scrape-Timeout-Seconds': String(timeoutMs / 1000),
  };
  // Later headers replace earlier ones of the same name, whatever its case.
  for (const [k, v] of Object.entries(extra ?? {})) {
    for (const h of Object.keys(headers)) if (h.toLowerCase() === k.toLowerCase()) delete headers[h];
    headers[k] = v;
  }
  for (const [k, v] of Object.entries(headers)) {
    // What Node's setHeader would check per request, checked once.
    http.validateHeaderName(k);
    http.validateHeaderValue(k, v);
  }
  return {
    https,
    // URL keeps IPv6 hosts in brackets; the socket wants the bare address.
    hostname: u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname,
    port: u.port === '' ? (https ? 443 : 80) : Number(u.port),
    path: u.pathname + u.search,
    headers: Object.entries(headers).flat(),
  };
}

/**
 * Fetches the target. `onHeaders` learns the Content-Type before the first chunk; an error
 * thrown by `onChunk` (a parse error, a limit) aborts the request and rejects with it.
 */
export function httpScrape(
  opts: HttpScrapeOptions,
  onHeaders: (contentType: string | undefined) => void,
  onChunk: (chunk: Uint8Array) => void,
): Promise<HttpScrapeResult> {
  return new Promise<HttpScrapeResult>((resolve, reject) => {
    // Timeout, stop and failures all end the request here. The outer signal is not handed
    // to Node: it would then also emit an AbortError on the response stream.
    let req: http.ClientRequest | undefined;
    let done = false;
    const finish = (err: unknown, res?: HttpScrapeResult) => {
      if (done) return;
      done = true;
      opts.clock.clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onOuterAbort);
      if (err !== undefined) {
        req?.destroy();
        reject(err);
      } else {
        resolve(res!);
      }
    };
    const timer = opts.clock.setTimeout(() => finish(scrapeTimeout(opts.url)), opts.timeoutMs);
    const onOuterAbort = () => finish(opts.signal!.reason ?? scrapeTimeout(opts.url));
    if (opts.signal?.aborted) return onOuterAbort();
    opts.signal?.addEventListener('abort', onOuterAbort, { once: true });

    try {
      const p = opts.prepared ?? prepareScrapeRequest(opts.url, opts.timeoutMs, opts.enableCompression, opts.headers);
      req = (p.https ? https : http).request({
        method: 'GET',
        hostname: p.hostname,
        port: p.port,
        path: p.path,
        headers: p.headers as string[],
        agent: opts.agent ?? (p.https ? defaultHttpsAgent : defaultHttpAgent),
      });
      req.end();
    } catch (e) {
      return finish(network(opts.url, e));
    }
    req.on('error', (e) => finish(network(opts.url, e)));
    req.on('response', (res) => {
      res.on('error', (e) => finish(network(opts.url, e)));
      if (res.statusCode !== 200) {
        res.resume();
        return finish(httpStatus(`${res.statusCode} ${res.statusMessage ?? http.STATUS_CODES[res.statusCode ?? 0] ?? ''}`.trim()));
      }
      const contentType = res.headers['content-type'];
      try {
        onHeaders(contentType);
      } catch (e) {
        res.resume();
        return finish(e);
      }
      let body: NodeJS.ReadableStream = res;
      if (/^\s*gzip\s*$/i.test(res.headers['content-encoding'] ?? '')) {
        const gunzip = zlib.createGunzip();
        gunzip.on('error', (e) => finish(network(opts.url, e)));
        res.pipe(gunzip);
        body = gunzip;
      }
      const limit = opts.bodySizeLimit > 0 ? opts.bodySizeLimit : Infinity;
      let bytes = 0;
      body.on('data', (chunk: Buffer) => {
        if (done) return;
        bytes += chunk.length;
        if (bytes >= limit) return finish(bodySizeLimit());
        try {
          onChunk(chunk);
        } catch (e) {
          finish(e);
        }
      });
      body.on('end', () => finish(undefined, { contentType, bytes }));
    });
  });
}
