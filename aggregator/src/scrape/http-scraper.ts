/**
 * One HTTP GET of a target, streamed: the body goes chunk by chunk (gunzipped when the
 * target sends gzip) to `onChunk`, so parsing and appending run while bytes arrive and the
 * body is never held whole. The body size limit is checked on the decoded bytes, as
 * Prometheus does (a body of exactly the limit fails too), and the timeout aborts the
 * request through an AbortSignal armed on the injected Clock.
 */
import http from 'node:http';
import https from 'node:https';
import zlib from 'node:zlib';
import { SCRAPE_ACCEPT_HEADER, type Clock } from '@edgeprom/shared';
import { bodySizeLimit, httpStatus, network, scrapeTimeout } from './errors.js';

export interface HttpScrapeOptions {
  url: string;
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
    // Timeout, stop and failures all end the request through this signal. It is not handed
    // to http.get: Node would then also emit an AbortError on the response stream.
    const ac = new AbortController();
    let req: http.ClientRequest | undefined;
    ac.signal.addEventListener('abort', () => req?.destroy(), { once: true });
    let done = false;
    const finish = (err: unknown, res?: HttpScrapeResult) => {
      if (done) return;
      done = true;
      opts.clock.clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onOuterAbort);
      if (err !== undefined) {
        ac.abort(err);
        reject(err);
      } else {
        resolve(res!);
      }
    };
    const timer = opts.clock.setTimeout(() => finish(scrapeTimeout(opts.url)), opts.timeoutMs);
    const onOuterAbort = () => finish(opts.signal!.reason ?? scrapeTimeout(opts.url));
    if (opts.signal?.aborted) return onOuterAbort();
    opts.signal?.addEventListener('abort', onOuterAbort, { once: true });

    const isHttps = opts.url.startsWith('https:');
    const headers: Record<string, string> = {
      Accept: SCRAPE_ACCEPT_HEADER,
      'Accept-Encoding': opts.enableCompression ? 'gzip' : 'identity',
      'User-Agent': USER_AGENT,
      'X-Prometheus-Scrape-Timeout-Seconds': String(opts.timeoutMs / 1000),
      ...opts.headers,
    };
    try {
      req = (isHttps ? https : http).get(opts.url, {
        headers,
        agent: opts.agent ?? (isHttps ? defaultHttpsAgent : defaultHttpAgent),
      });
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
