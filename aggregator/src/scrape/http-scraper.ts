/**
 * One HTTP GET of a target. A plain body goes chunk by chunk to `onChunk`, so parsing and
 * appending run while bytes arrive and the body is never held whole. A gzip body (what
 * agents and exporters send) is collected compressed (a tenth of its size) and inflated in
 * one synchronous call at its end, bounded by the limit: a zlib stream cost a thread-pool
 * round trip and stream machinery per scrape (measured 1.46x Prometheus's CPU with gzip
 * targets, against 1.3x plain). The body size limit is checked on the decoded bytes, as
 * Prometheus does (a body of exactly the limit fails too), and the timeout aborts the
 * request through a timer armed on the injected Clock.
 *
 * A scrape loop prepares its request once (`prepareScrapeRequest`: the URL parsed, the
 * headers checked, the request head's bytes built) and keeps its connections in a
 * `ScrapeConnections`: per scrape, the head is written to a kept-alive socket and the response
 * parsed out of one reusable read buffer (http-conn.ts). Node's http client cost 3-4x the CPU
 * per GET and allocated request, response and stream objects per scrape.
 *
 * The job's HTTP client settings (http-settings.ts) apply per request, as prometheus-common's
 * client does: the Authorization header (re-read from its file each time), TLS options for
 * https targets, proxy_url (an http target: the absolute-form request line to the proxy; an
 * https target: CONNECT host:port, then TLS through that tunnel), and redirects (301, 302,
 * 303, 307, 308, Location resolved against the current URL, at most 10 requests, Go's errors).
 * HTTP/1.1 only.
 */
import http from 'node:http';
import net from 'node:net';
import zlib from 'node:zlib';
import { SCRAPE_ACCEPT_HEADER, type Clock } from '@edgeprom/shared';
import { bodySizeLimit, httpStatus, network, scrapeTimeout } from './errors.js';
import { HttpConnection, type ConnTarget } from './http-conn.js';
import type { ScrapeHttpSettings } from './http-settings.js';

export interface HttpScrapeOptions {
  url: string;
  /** `prepareScrapeRequest` of the same url, timeout, compression, headers and settings (built here if absent). */
  prepared?: PreparedRequest;
  timeoutMs: number;
  /** 0: no limit. */
  bodySizeLimit: number;
  enableCompression: boolean;
  clock: Clock;
  /** Aborts the request (pool stop); the scrape then fails with the signal's reason. */
  signal?: AbortSignal;
  /** The scrape loop's kept-alive connections; absent: one for this request only, closed after it. */
  conns?: ScrapeConnections;
  headers?: Record<string, string>;
  /** The job's HTTP client settings; absent: no auth, default TLS, no proxy, redirects followed. */
  settings?: ScrapeHttpSettings;
}

export interface HttpScrapeResult {
  contentType: string | undefined;
  /** Decoded body bytes. */
  bytes: number;
}

export const USER_AGENT = 'edgeprom/0.1.0';

/** Go's http.Client stops after 10 requests (defaultCheckRedirect). */
export const MAX_REDIRECTS = 10;

/** A target's request, built once: see the file comment. */
export interface PreparedRequest {
  /** The URL this request fetches (the target's, or a redirect's). */
  readonly url: string;
  /** direct: to the target; proxy: an http target's request to proxy_url; tunnel: an https target through CONNECT. */
  readonly via: 'direct' | 'proxy' | 'tunnel';
  /** Request target: origin-form, or absolute-form to a proxy. */
  readonly path: string;
  /** Header pairs, Host first, checked as Node's client checks them. */
  readonly headers: readonly string[];
  /** The extra headers it was built with (kept for redirects). */
  readonly extra: Record<string, string> | undefined;
  /** Where a connection for it goes, and the key of such connections in ScrapeConnections. */
  readonly conn: ConnTarget;
  readonly connKey: string;
  /** The request head of the last request, and the Authorization it was built with. */
  head?: { auth: string | undefined; bytes: Buffer };
}

export function prepareScrapeRequest(
  url: string,
  timeoutMs: number,
  enableCompression: boolean,
  extra?: Record<string, string>,
  settings?: ScrapeHttpSettings,
): PreparedRequest {
  const u = new URL(url);
  const https = u.protocol === 'https:';
  const proxy = settings?.proxy;
  const via = proxy === undefined ? 'direct' : https ? 'tunnel' : 'proxy';
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
  if (via === 'proxy' && proxy?.authorization !== undefined) headers['Proxy-Authorization'] = proxy.authorization;
  for (const [k, v] of Object.entries(headers)) {
    http.validateHeaderName(k);
    http.validateHeaderValue(k, v);
  }
  const target = {
    // URL keeps IPv6 hosts in brackets; the socket wants the bare address.
    hostname: u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname,
    port: u.port === '' ? (https ? 443 : 80) : Number(u.port),
  };
  const useTls = via === 'proxy' ? proxy!.https : https;
  const conn: ConnTarget = {
    https,
    ...target,
    ...(useTls && settings !== undefined ? { tls: settings.tls } : {}),
    ...(proxy !== undefined ? { proxy } : {}),
  };
  const to = via === 'proxy' ? { hostname: proxy!.hostname, port: proxy!.port } : target;
  return {
    url,
    via,
    path: via === 'proxy' ? `${u.protocol}//${u.host}${u.pathname}${u.search}` : u.pathname + u.search,
    headers: Object.entries(headers).flat(),
    extra,
    conn,
    // A proxied http request may go to any target over the proxy's connection.
    connKey: `${via} ${useTls ? 'tls' : 'tcp'} ${to.hostname} ${to.port}${via === 'tunnel' ? ` ${target.hostname} ${target.port}` : ''}`,
  };
}

/**
 * The bytes of a request's head, with `authorization` (checked as Node checks a header value:
 * a credentials file may hold anything). Built once per prepared request and Authorization.
 */
export function requestHead(p: PreparedRequest, authorization: string | undefined, referer?: string): Buffer {
  if (referer === undefined && p.head !== undefined && p.head.auth === authorization) return p.head.bytes;
  let s = `GET ${p.path} HTTP/1.1\r\n`;
  const h = p.headers;
  for (let i = 0; i < h.length; i += 2) s += `${h[i]}: ${h[i + 1]}\r\n`;
  if (authorization !== undefined) {
    http.validateHeaderValue('Authorization', authorization);
    s += `Authorization: ${authorization}\r\n`;
  }
  if (referer !== undefined) s += `Referer: ${referer}\r\n`;
  const bytes = Buffer.from(`${s}\r\n`, 'latin1');
  if (referer === undefined) p.head = { auth: authorization, bytes };
  return bytes;
}

/** Connections kept open between scrapes, at most this many per loop (its target, redirects). */
const MAX_LOOP_CONNECTIONS = 4;

/** A scrape loop's kept-alive connections, by where they go; `close` when the loop stops. */
export class ScrapeConnections {
  readonly #conns = new Map<string, HttpConnection>();

  get(p: PreparedRequest): HttpConnection {
    let c = this.#conns.get(p.connKey);
    if (c === undefined) {
      c = new HttpConnection(p.conn);
      if (this.#conns.size >= MAX_LOOP_CONNECTIONS) {
        const [k, oldest] = this.#conns.entries().next().value as [string, HttpConnection];
        oldest.close();
        this.#conns.delete(k);
      }
      this.#conns.set(p.connKey, c);
    }
    return c;
  }

  /** Closes every connection (a request in flight fails with ERR_HTTP_CLOSED). */
  close(): void {
    for (const c of this.#conns.values()) c.close();
    this.#conns.clear();
  }
}

const REDIRECT_STATUS = new Set([301, 302, 303, 307, 308]);

/**
 * Where a response sends the scrape next, as Go's http.Client decides: undefined when it is no
 * redirect, or a redirect without Location (Go then returns that response, and the scrape
 * fails with its status). Throws Go's error for a Location that is no URL.
 */
export function redirectTarget(status: number, location: string | undefined, url: string): string | undefined {
  if (!REDIRECT_STATUS.has(status) || location === undefined || location === '') return undefined;
  try {
    return new URL(location, url).href;
  } catch (e) {
    throw new Error(`failed to parse Location header ${JSON.stringify(location)}: ${(e as Error).message}`);
  }
}

/** Go's Referer on a redirect: the previous URL without user info or fragment, none from https to http. */
function refererFor(from: string, to: string): string | undefined {
  const a = new URL(from);
  if (a.protocol === 'https:' && new URL(to).protocol === 'http:') return undefined;
  return `${a.protocol}//${a.host}${a.pathname}${a.search}`;
}

/** A TLS verification failure in Go's words where Node's differ (Go 1.19's crypto/x509 texts). */
export function tlsErrorText(e: unknown): string {
  const err = e as NodeJS.ErrnoException & { host?: string; cert?: { subjectaltname?: string } };
  switch (err.code) {
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
      return 'x509: certificate signed by unknown authority';
    case 'ERR_TLS_CERT_ALTNAME_INVALID': {
      const host = err.host ?? '';
      const sans = (err.cert?.subjectaltname ?? '').split(', ').filter((s) => s !== '');
      const ip = net.isIP(host) !== 0;
      const valid = sans.filter((s) => s.startsWith(ip ? 'IP Address:' : 'DNS:')).map((s) => s.slice(s.indexOf(':') + 1));
      if (ip && valid.length === 0) return `x509: cannot validate certificate for ${host} because it doesn't contain any IP SANs`;
      if (valid.length === 0) return `x509: certificate is not valid for any names, but wanted to match ${host}`;
      return `x509: certificate is valid for ${valid.join(', ')}, not ${host}`;
    }
    default: {
      // A TLS alert from the server (a missing client certificate, no common version).
      const alert = err instanceof Error ? /SSL alert number (\d+)/.exec(err.message) : null;
      if (alert !== null) {
        const n = Number(alert[1]);
        return `remote error: tls: ${TLS_ALERTS[n] ?? `alert(${n})`}`;
      }
      return err instanceof Error ? err.message : String(e);
    }
  }
}

/** Go's crypto/tls alert texts. */
const TLS_ALERTS: Record<number, string> = {
  0: 'close notify', 10: 'unexpected message', 20: 'bad record MAC', 21: 'decryption failed', 22: 'record overflow',
  30: 'decompression failure', 40: 'handshake failure', 42: 'bad certificate', 43: 'unsupported certificate',
  44: 'revoked certificate', 45: 'expired certificate', 46: 'unknown certificate', 47: 'illegal parameter',
  48: 'unknown certificate authority', 49: 'access denied', 50: 'error decoding message', 51: 'error decrypting message',
  60: 'export restriction', 70: 'protocol version not supported', 71: 'insufficient security level', 80: 'internal error',
  86: 'inappropriate fallback', 90: 'user canceled', 100: 'no renegotiation', 109: 'missing extension',
  110: 'unsupported extension', 111: 'certificate unobtainable', 112: 'unrecognized name',
  113: 'bad certificate status response', 114: 'bad certificate hash value', 115: 'unknown PSK identity',
  116: 'certificate required', 120: 'no application protocol',
};

/** Go's Status text after the code ("Proxy Authentication Required"). */
const CONNECT_REFUSED = /^proxy refused CONNECT: \d+ ?(.*)$/;

/** A connection failure in the words Go's transport (what Prometheus scrapes with) uses. */
function failureText(p: PreparedRequest, e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err?.code === 'ERR_HTTP_PROXY') {
    const m = CONNECT_REFUSED.exec(err.message);
    if (m !== null) return m[1] !== '' ? m[1]! : 'unknown status code';
  }
  // A dial to the proxy failed.
  const dial = p.via !== 'direct' && (err?.syscall === 'connect' || err?.syscall === 'getaddrinfo');
  return `${dial ? 'proxyconnect tcp: ' : ''}${netErrorText(e) ?? tlsErrorText(e)}`;
}

/** Go's net error texts for the socket failures a scrape meets most, else undefined. */
const GO_CONNECT_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  EHOSTUNREACH: 'no route to host',
  ENETUNREACH: 'network is unreachable',
  ETIMEDOUT: 'connection timed out',
};

export function netErrorText(e: unknown): string | undefined {
  const err = e as NodeJS.ErrnoException & { address?: string; port?: number; hostname?: string };
  if (!(e instanceof Error) || err.code === undefined) return undefined;
  if (err.syscall === 'connect' && GO_CONNECT_ERRORS[err.code] !== undefined && err.address !== undefined) {
    const host = net.isIPv6(err.address) ? `[${err.address}]` : err.address;
    return `dial tcp ${host}:${err.port}: connect: ${GO_CONNECT_ERRORS[err.code]}`;
  }
  if (err.syscall === 'getaddrinfo' && (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') && err.hostname !== undefined) {
    return `dial tcp: lookup ${err.hostname}: ${err.code === 'ENOTFOUND' ? 'no such host' : 'temporary failure in name resolution'}`;
  }
  if (err.code === 'ECONNRESET') return 'read: connection reset by peer';
  if (err.code === 'EPIPE') return 'write: broken pipe';
  return undefined;
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
  const conns = opts.conns ?? new ScrapeConnections();
  return new Promise<HttpScrapeResult>((resolve, reject) => {
    // Timeout, stop and failures all end the request here; the connection's request is
    // aborted through `ac` (its socket is then destroyed, the next scrape opens another).
    const ac = new AbortController();
    let done = false;
    /** The URL being fetched (Go names the current hop in its errors). */
    let current = opts.url;
    /** The compressed body of a gzip response, as it arrived. */
    let gzipped: Buffer[] | undefined;
    let gzippedBytes = 0;
    const finish = (err: unknown, res?: HttpScrapeResult) => {
      if (done) return;
      done = true;
      opts.clock.clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onOuterAbort);
      if (opts.conns === undefined) conns.close();
      if (err !== undefined) {
        ac.abort(err);
        reject(err);
      } else {
        resolve(res!);
      }
    };
    const timer = opts.clock.setTimeout(() => finish(scrapeTimeout(current)), opts.timeoutMs);
    const onOuterAbort = () => finish(opts.signal!.reason ?? scrapeTimeout(current));
    if (opts.signal?.aborted) return onOuterAbort();
    opts.signal?.addEventListener('abort', onOuterAbort, { once: true });

    const settings = opts.settings;
    const followRedirects = settings?.followRedirects ?? true;
    const limit = opts.bodySizeLimit > 0 ? opts.bodySizeLimit : Infinity;
    let requests = 0;
    let bytes = 0;
    const deliver = (chunk: Uint8Array): void => {
      if (done) return;
      bytes += chunk.length;
      if (bytes >= limit) throw bodySizeLimit();
      onChunk(chunk);
    };

    const start = (p: PreparedRequest, referer: string | undefined): void => {
      let auth: string | Promise<string> | undefined;
      try {
        auth = settings?.authorization();
      } catch (e) {
        return finish(network(p.url, e));
      }
      if (typeof auth === 'object') {
        auth.then(
          (a) => {
            if (!done) request(p, a, referer);
          },
          (e: unknown) => finish(network(p.url, e)),
        );
      } else {
        request(p, auth, referer);
      }
    };

    const request = (p: PreparedRequest, auth: string | undefined, referer: string | undefined): void => {
      current = p.url;
      requests++;
      let head: Buffer;
      try {
        head = requestHead(p, auth, referer);
      } catch (e) {
        return finish(network(p.url, e));
      }
      /** What the response leads to once its body is read: the end, a redirect or a status error. */
      let outcome: { next: PreparedRequest; referer: string | undefined } | { err: unknown } | undefined;
      let contentType: string | undefined;
      /** An error thrown by our own callbacks (a parse error, a limit): it ends the scrape as it is. */
      let own: { e: unknown } | undefined;
      const handler = {
        onHead: (status: number, reason: string, headers: ReadonlyMap<string, string>): void => {
          try {
            onHead(status, reason, headers);
          } catch (e) {
            own = { e };
            throw e;
          }
        },
        onBody: (chunk: Uint8Array): void => {
          if (outcome !== undefined || done) return;
          try {
            // zlib reads its input later, in the thread pool: it gets a copy of the view.
            if (gzipped === undefined) deliver(chunk);
            else {
              // Copied: the view is of the connection's read buffer.
              gzippedBytes += chunk.length;
              // Even incompressible data grows by at most 5 bytes per 64 KiB stored block plus
              // the 18-byte gzip frame, so a compressed body this much larger than the limit
              // inflates past it: stop reading it.
              if (gzippedBytes > limit * 1.001 + 1024) throw bodySizeLimit();
              gzipped.push(Buffer.from(chunk));
            }
          } catch (e) {
            own = { e };
            throw e;
          }
        },
      };
      const onHead = (status: number, reason: string, headers: ReadonlyMap<string, string>): void => {
        if (status !== 200) {
          // The body is read and dropped, so the connection stays usable.
          let next: string | undefined;
          try {
            next = followRedirects ? redirectTarget(status, headers.get('location'), p.url) : undefined;
          } catch (e) {
            outcome = { err: network(p.url, e) };
            return;
          }
          if (next === undefined) {
            outcome = { err: httpStatus(`${status} ${reason !== '' ? reason : (http.STATUS_CODES[status] ?? '')}`.trim()) };
          } else if (requests >= MAX_REDIRECTS) {
            // Go names the raw Location when it stops.
            outcome = { err: network(headers.get('location')!, `stopped after ${MAX_REDIRECTS} redirects`) };
          } else {
            try {
              outcome = { next: prepareScrapeRequest(next, opts.timeoutMs, opts.enableCompression, p.extra, settings), referer: refererFor(p.url, next) };
            } catch (e) {
              outcome = { err: network(next, e) };
            }
          }
          return;
        }
        contentType = headers.get('content-type');
        onHeaders(contentType);
        if (/^\s*gzip\s*$/i.test(headers.get('content-encoding') ?? '')) gzipped = [];
      };
      conns
        .get(p)
        .request(head, handler, ac.signal)
        .then(
          () => {
            if (done) return;
            if (outcome === undefined) {
              if (gzipped !== undefined) {
                let body: Buffer;
                try {
                  // maxOutputLength: a body of exactly the limit fails, as Prometheus's does.
                  body = zlib.gunzipSync(Buffer.concat(gzipped, gzippedBytes), limit === Infinity ? {} : { maxOutputLength: Math.max(1, limit - 1) });
                } catch (e) {
                  return finish((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' ? bodySizeLimit() : network(p.url, e));
                }
                try {
                  deliver(body);
                } catch (e) {
                  return finish(e);
                }
              }
              finish(undefined, { contentType, bytes });
            } else if ('err' in outcome) {
              finish(outcome.err);
            } else {
              start(outcome.next, outcome.referer);
            }
          },
          (e: unknown) => {
            if (done) return;
            if (own !== undefined && e === own.e) return finish(e);
            finish(network(p.url, failureText(p, e)));
          },
        );
    };

    let first: PreparedRequest;
    try {
      first = opts.prepared ?? prepareScrapeRequest(opts.url, opts.timeoutMs, opts.enableCompression, opts.headers, settings);
    } catch (e) {
      return finish(network(opts.url, e));
    }
    start(first, undefined);
  });
}
