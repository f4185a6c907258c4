/**
 * A minimal HTTP/1.1 client connection for scrapes: one keep-alive socket, one request at a
 * time, the response parsed straight out of one reusable read buffer (net.connect's `onread`).
 * Node's http client costs several times more CPU per scrape than the socket work itself, and
 * allocates request/response/stream objects plus a Buffer per socket read.
 *
 * Framing follows RFC 9112 as Go's transport applies it (what Prometheus scrapes with):
 * Content-Length, chunked (extensions and trailers read and dropped), close-delimited; chunked
 * wins over Content-Length (and the socket is then not reused); 1xx skipped; no body for
 * HEAD, 204 and 304; a Transfer-Encoding other than plain `chunked` is refused, as Go does.
 * A request that fails on a reused socket before any response byte (the server closed the
 * idle connection) is sent once more on a fresh socket, as Go does for GET.
 *
 * No timers here: the caller aborts through the signal (its timeout runs on the Clock).
 *
 * For callers: a body view is only valid during `onBody`. The exposition parser copies what
 * it keeps; anything asynchronous (zlib's gunzip stream works in the thread pool) must be
 * handed a copy. After `close()` the connection refuses requests: make a new one.
 */
import net from 'node:net';
import tls from 'node:tls';
import { checkTrailers, contentLengthValue, HttpConnError, isChunked, malformed, parseHead, type ParsedHead } from './http-conn-head.js';

export { HttpConnError, type HttpConnErrorCode } from './http-conn-head.js';

export interface ConnTarget {
  https: boolean;
  hostname: string;
  port: number;
  /** tls.connect options without host/port (ca, cert, key, rejectUnauthorized, servername, minVersion). */
  tls?: tls.ConnectionOptions;
  /** Connect through an HTTP proxy: for https targets send CONNECT host:port first (with
   *  Proxy-Authorization when given), then TLS over that socket; for http targets just connect to
   *  the proxy (the caller writes an absolute-form request line). An https proxy is reached with
   *  the same `tls` options, its own hostname as servername (as Go's transport does). */
  proxy?: { hostname: string; port: number; https: boolean; authorization?: string };
}

export interface ResponseHandler {
  /** Status line and headers (lower-cased names; repeated headers joined per RFC 9110). May throw: the request is aborted with that error. */
  onHead(status: number, reason: string, headers: ReadonlyMap<string, string>): void;
  /** Body bytes after de-chunking, NOT decompressed. The view is only valid during the call
   *  (the connection reads into one reusable buffer: net.connect's `onread` option). May throw. */
  onBody(chunk: Uint8Array): void;
}

export interface ConnLimits {
  /** Bytes of a status line plus headers (and of a trailer section). Default 64 KiB. */
  maxHeaderBytes?: number;
  /** A read buffer of its own, of this size. Default: the one 64 KiB buffer all connections share. */
  readBufferBytes?: number;
}

const DEFAULT_MAX_HEADER = 64 * 1024;
/**
 * The read buffer connections share by default. Sharing is safe: a socket read fills it and
 * calls back synchronously, and nothing keeps a view of it past that call (head bytes are
 * copied; body views are only valid during `onBody`). One buffer for any number of targets
 * keeps RSS flat; 64 KiB is what Node reads at once.
 */
let sharedReadBuf: Buffer | undefined;
const SHARED_READ_BUFFER = 64 * 1024;
/** 1xx responses skipped before the final one, at most (Go's transport allows 5). */
const MAX_INFORMATIONAL = 5;
/** Bound on a chunk-size line's extension, which is read and dropped. */
const MAX_CHUNK_EXT = 4096;

// Parser states.
const S_IDLE = 0;
const S_CONNECT = 1; // the proxy's answer to CONNECT
const S_HEAD = 2;
const S_LENGTH = 3;
const S_CHUNK_SIZE = 4;
const S_CHUNK_DATA = 5;
const S_CHUNK_END = 6;
const S_TRAILER = 7;
const S_CLOSE = 8;
const S_DONE = 9;

// Chunk-size line sub-states: hex digits, whitespace before ';', extension, CR seen.
const CS_DIGITS = 0;
const CS_WS = 1;
const CS_EXT = 2;
const CS_CR = 3;

const isHex = (c: number) => (c >= 48 && c <= 57) || ((c | 0x20) >= 97 && (c | 0x20) <= 102);
const hexVal = (c: number) => (c <= 57 ? c - 48 : (c | 0x20) - 87);

export class HttpConnection {
  readonly #target: ConnTarget;
  readonly #maxHeader: number;
  readonly #readBufferBytes: number | undefined;
  #readBuf: Buffer | undefined;
  /** The socket requests are written to and responses read from (TLS over `#raw` through a proxy). */
  #sock: net.Socket | undefined;
  /** The proxy socket under a CONNECT tunnel. */
  #raw: net.Socket | undefined;
  #closed = false;

  // The request in flight.
  #active = false;
  /** Bumped when a request ends, so code resumed after a handler call can tell. */
  #gen = 0;
  #head: Uint8Array | undefined;
  #handler: ResponseHandler | undefined;
  #signal: AbortSignal | undefined;
  #resolve: (() => void) | undefined;
  #reject: ((e: unknown) => void) | undefined;
  /** Sent on a socket that had already carried a response, not yet retried. */
  #retryable = false;
  #gotBytes = false;
  #noBody = false;

  // Response parser state.
  #state = S_IDLE;
  #headBuf = Buffer.allocUnsafe(1024);
  #headLen = 0;
  /** Line-end tracking while reading a head: 0 in a line, 1 after LF, 2 after LF CR. */
  #nl = 0;
  #remaining = 0;
  #cs = CS_DIGITS;
  #csDigits = 0;
  #csExt = 0;
  #chunkEndCr = false;
  #keepAlive = false;
  #informational = 0;

  constructor(target: ConnTarget, limits?: ConnLimits) {
    this.#target = target;
    this.#maxHeader = limits?.maxHeaderBytes ?? DEFAULT_MAX_HEADER;
    this.#readBufferBytes = limits?.readBufferBytes;
  }

  /** One request at a time. `head` is the complete request head (request line + headers + CRLF CRLF),
   *  built once by the caller. Resolves when the body is complete; rejects with a clear Error
   *  (code property, e.g. ERR_HTTP_MALFORMED, ERR_HTTP_HEADER_TOO_LARGE, ECONNRESET...) on failure,
   *  or with signal.reason when `signal` aborts (the socket is then destroyed). */
  request(head: Uint8Array, h: ResponseHandler, signal?: AbortSignal): Promise<void> {
    if (this.#closed) return Promise.reject(new HttpConnError('ERR_HTTP_CLOSED', 'connection closed'));
    if (this.#active) return Promise.reject(new HttpConnError('ERR_HTTP_BUSY', 'a request is already in flight on this connection'));
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      this.#active = true;
      this.#head = head;
      this.#handler = h;
      this.#signal = signal;
      this.#resolve = resolve;
      this.#reject = reject;
      // "HEAD " as bytes: its response has headers only.
      this.#noBody = head[0] === 72 && head[1] === 69 && head[2] === 65 && head[3] === 68 && head[4] === 32;
      signal?.addEventListener('abort', this.#onAbort);
      // Only sockets that completed a response stay open, so an open socket is a reused one.
      this.#retryable = this.#sock !== undefined;
      this.#send();
    });
  }

  /** Destroys the socket; a request in flight rejects with ERR_HTTP_CLOSED. */
  close(): void {
    this.#closed = true;
    this.#fail(new HttpConnError('ERR_HTTP_CLOSED', 'connection closed'));
    this.#drop();
  }

  readonly #onAbort = () => this.#fail(this.#signal?.reason);

  #send(): void {
    this.#gotBytes = false;
    this.#resetParser();
    if (this.#sock === undefined) {
      try {
        this.#open();
      } catch (e) {
        // Bad options (a port out of range, an unreadable key...) throw at connect time.
        return this.#fail(e);
      }
      if (this.#state === S_CONNECT) return; // the head goes once the tunnel is up
    }
    this.#state = S_HEAD;
    this.#sock!.write(this.#head!);
  }

  #resetParser(): void {
    this.#headLen = 0;
    this.#nl = 0;
    this.#keepAlive = false;
    this.#informational = 0;
    this.#state = S_IDLE;
  }

  #open(): void {
    const t = this.#target;
    const p = t.proxy;
    if (p !== undefined && t.https) {
      if (p.authorization !== undefined && /[\r\n\0]/.test(p.authorization)) {
        throw new HttpConnError('ERR_HTTP_PROXY', 'invalid proxy authorization: CR, LF or NUL in the value');
      }
      // CONNECT through the proxy first; the proxy socket reads through 'data' since TLS is
      // layered on it afterwards (tls.connect ignores `onread` with a `socket`).
      const raw = p.https
        ? tls.connect({ ...t.tls, host: p.hostname, port: p.port, servername: sni(p.hostname, undefined) })
        : net.connect({ host: p.hostname, port: p.port });
      raw.setNoDelay(true);
      this.#sock = raw;
      this.#listen(raw, false);
      const authority = `${t.hostname.includes(':') ? `[${t.hostname}]` : t.hostname}:${t.port}`;
      const auth = p.authorization === undefined ? '' : `Proxy-Authorization: ${p.authorization}\r\n`;
      raw.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n${auth}\r\n`, 'latin1');
      this.#state = S_CONNECT;
      return;
    }
    const host = p?.hostname ?? t.hostname;
    const port = p?.port ?? t.port;
    const useTls = p !== undefined ? p.https : t.https;
    let sock: net.Socket | undefined;
    const onread = {
      buffer: (this.#readBuf ??=
        this.#readBufferBytes === undefined ? (sharedReadBuf ??= Buffer.allocUnsafe(SHARED_READ_BUFFER)) : Buffer.allocUnsafe(this.#readBufferBytes)),
      callback: (n: number, buf: Uint8Array) => {
        if (sock === this.#sock) this.#read(buf, 0, n);
        return true;
      },
    };
    sock = useTls
      ? tls.connect({ ...t.tls, host, port, servername: sni(host, p === undefined ? t.tls?.servername : undefined), onread } as tls.ConnectionOptions)
      : net.connect({ host, port, onread });
    sock.setNoDelay(true);
    this.#sock = sock;
    this.#listen(sock, true);
  }

  /** The proxy accepted CONNECT: TLS to the target over the tunnel, then the request. */
  #tunnel(): void {
    const t = this.#target;
    const raw = this.#sock!;
    const sock = tls.connect({ ...t.tls, socket: raw, host: t.hostname, servername: sni(t.hostname, t.tls?.servername) });
    this.#raw = raw;
    this.#sock = sock;
    this.#listen(sock, false);
    this.#resetParser();
    this.#state = S_HEAD;
    sock.write(this.#head!);
  }

  #listen(s: net.Socket, viaOnread: boolean): void {
    const mine = () => s === this.#sock || s === this.#raw;
    if (!viaOnread) s.on('data', (b: Buffer) => s === this.#sock && this.#read(b, 0, b.length));
    s.on('error', (e: Error) => mine() && this.#lost(e));
    s.on('end', () => mine() && this.#lost(undefined));
    s.on('close', () => mine() && this.#lost(undefined));
  }

  /** The socket ended or failed (undefined: a clean end). */
  #lost(err: Error | undefined): void {
    this.#drop();
    if (!this.#active) return;
    if (err === undefined && this.#state === S_CLOSE) {
      this.#state = S_DONE;
      return this.#complete(false);
    }
    const code = (err as NodeJS.ErrnoException | undefined)?.code;
    if (this.#retryable && !this.#gotBytes && (err === undefined || code === 'ECONNRESET' || code === 'EPIPE')) {
      this.#retryable = false;
      return this.#send();
    }
    this.#fail(
      err ??
        (this.#gotBytes
          ? new HttpConnError('ERR_HTTP_INCOMPLETE', `unexpected EOF: the server closed the connection ${where(this.#state)}`)
          : new HttpConnError('ERR_HTTP_EOF', 'EOF: the server closed the connection before sending a response')),
    );
  }

  #drop(): void {
    const s = this.#sock;
    const r = this.#raw;
    this.#sock = undefined;
    this.#raw = undefined;
    s?.destroy();
    r?.destroy();
  }

  #endRequest(): void {
    this.#active = false;
    this.#gen++;
    this.#signal?.removeEventListener('abort', this.#onAbort);
    this.#signal = undefined;
    this.#handler = undefined;
    this.#head = undefined;
    this.#resolve = undefined;
    this.#reject = undefined;
    this.#state = S_IDLE;
  }

  #fail(err: unknown): void {
    if (!this.#active) return;
    const reject = this.#reject!;
    this.#endRequest();
    this.#drop();
    reject(err);
  }

  #complete(leftover: boolean): void {
    const resolve = this.#resolve!;
    // Bytes after the response were never asked for: the stream is out of step, so no reuse.
    const keep = this.#keepAlive && !leftover;
    this.#endRequest();
    if (!keep) this.#drop();
    resolve();
  }

  /** Bytes read from the socket: valid only during this call. */
  #read(buf: Uint8Array, start: number, end: number): void {
    if (!this.#active) {
      // Unsolicited bytes on an idle connection.
      this.#drop();
      return;
    }
    if (end > start) this.#gotBytes = true;
    const gen = this.#gen;
    let i = start;
    try {
      while (i < end && this.#state !== S_DONE) {
        switch (this.#state) {
          case S_CONNECT:
          case S_HEAD:
          case S_TRAILER: {
            const j = this.#headBytes(buf, i, end);
            if (j < 0) return;
            i = j;
            const state = this.#state;
            if (state === S_TRAILER) {
              checkTrailers(this.#headBuf, this.#headLen);
              this.#state = S_DONE;
            } else if (state === S_CONNECT) {
              const head = parseHead(this.#headBuf, this.#headLen);
              if (head.status < 200 || head.status > 299) {
                throw new HttpConnError('ERR_HTTP_PROXY', `proxy refused CONNECT: ${head.status} ${head.reason}`.trim());
              }
              if (i < end) throw new HttpConnError('ERR_HTTP_PROXY', 'proxy sent data after its CONNECT response');
              this.#tunnel();
              return;
            } else {
              this.#onHead(parseHead(this.#headBuf, this.#headLen));
            }
            break;
          }
          case S_LENGTH:
          case S_CHUNK_DATA: {
            const n = Math.min(end - i, this.#remaining);
            this.#handler!.onBody(buf.subarray(i, i + n));
            if (gen !== this.#gen) return;
            i += n;
            this.#remaining -= n;
            if (this.#remaining === 0) {
              if (this.#state === S_LENGTH) this.#state = S_DONE;
              else {
                this.#state = S_CHUNK_END;
                this.#chunkEndCr = false;
              }
            }
            break;
          }
          case S_CHUNK_SIZE:
            i = this.#chunkSize(buf, i, end);
            break;
          case S_CHUNK_END: {
            const c = buf[i++];
            if (c === 13 && !this.#chunkEndCr) this.#chunkEndCr = true;
            else if (c === 10) this.#startChunkSize();
            else throw malformed('missing CRLF after chunk data');
            break;
          }
          case S_CLOSE:
            this.#handler!.onBody(buf.subarray(i, end));
            if (gen !== this.#gen) return;
            i = end;
            break;
          default:
            throw new HttpConnError('ERR_HTTP_INCOMPLETE', 'bytes arrived before the request was sent');
        }
        if (gen !== this.#gen) return;
      }
    } catch (e) {
      if (gen === this.#gen) this.#fail(e);
      return;
    }
    if (this.#state === S_DONE) this.#complete(i < end);
  }

  /** Copies head bytes up to the blank line; returns the index after it, or -1 when all was taken. */
  #headBytes(buf: Uint8Array, i: number, end: number): number {
    let hb = this.#headBuf;
    let n = this.#headLen;
    let nl = this.#nl;
    while (i < end) {
      if (n === hb.length) {
        if (n >= this.#maxHeader) {
          throw new HttpConnError(
            'ERR_HTTP_HEADER_TOO_LARGE',
            `server response ${this.#state === S_TRAILER ? 'trailers' : 'headers'} exceeded ${this.#maxHeader} bytes; aborted`,
          );
        }
        const bigger = Buffer.allocUnsafe(Math.min(this.#maxHeader, n * 2));
        hb.copy(bigger, 0, 0, n);
        this.#headBuf = hb = bigger;
      }
      const c = buf[i++];
      hb[n++] = c;
      if (c === 10) {
        if (nl !== 0) {
          this.#headLen = n;
          this.#nl = 0;
          return i;
        }
        nl = 1;
      } else nl = c === 13 && nl === 1 ? 2 : 0;
    }
    this.#headLen = n;
    this.#nl = nl;
    return -1;
  }

  #onHead(head: ParsedHead): void {
    const s = head.status;
    if (s < 200) {
      if (s === 101) throw malformed('unexpected 101 Switching Protocols');
      if (++this.#informational > MAX_INFORMATIONAL) throw malformed(`more than ${MAX_INFORMATIONAL} 1xx informational responses`);
      this.#headLen = 0; // 1xx: the final response follows
      this.#nl = 0;
      return;
    }
    this.#keepAlive = head.keepAlive;
    if (this.#noBody || s === 204 || s === 304) this.#state = S_DONE;
    else if (isChunked(head.transferEncoding)) {
      // With Content-Length as well, the message may be an attempt at smuggling: read it as
      // chunked (RFC 9112 6.3) but do not trust the stream afterwards.
      if (head.contentLength !== undefined) this.#keepAlive = false;
      this.#startChunkSize();
    } else if (head.contentLength !== undefined) {
      const n = contentLengthValue(head.contentLength);
      this.#remaining = n;
      this.#state = n === 0 ? S_DONE : S_LENGTH;
    } else {
      this.#keepAlive = false;
      this.#state = S_CLOSE;
    }
    this.#handler!.onHead(s, head.reason, head.headers);
  }

  #startChunkSize(): void {
    this.#state = S_CHUNK_SIZE;
    this.#cs = CS_DIGITS;
    this.#csDigits = 0;
    this.#csExt = 0;
    this.#remaining = 0;
  }

  /** Reads a chunk-size line: `hex [BWS] [; ext] CRLF`. Returns the index after what it used. */
  #chunkSize(buf: Uint8Array, i: number, end: number): number {
    while (i < end) {
      const c = buf[i++];
      if (c === 10) {
        if (this.#csDigits === 0) throw malformed('empty chunk size');
        if (this.#remaining === 0) {
          this.#state = S_TRAILER;
          this.#headLen = 0;
          this.#nl = 1; // a blank line right away ends an empty trailer section
        } else this.#state = S_CHUNK_DATA;
        return i;
      }
      switch (this.#cs) {
        case CS_DIGITS:
          if (isHex(c)) {
            // 13 hex digits stay below 2^53.
            if (++this.#csDigits > 13) throw malformed('chunk size too large');
            this.#remaining = this.#remaining * 16 + hexVal(c);
          } else if (c === 59 /* ; */) this.#cs = CS_EXT;
          else if (c === 32 || c === 9) this.#cs = CS_WS;
          else if (c === 13) this.#cs = CS_CR;
          else throw malformed(`invalid byte 0x${c.toString(16).padStart(2, '0')} in chunk size`);
          break;
        case CS_WS:
          if (c === 59) this.#cs = CS_EXT;
          else if (c === 13) this.#cs = CS_CR;
          else if (c !== 32 && c !== 9) throw malformed(`invalid byte 0x${c.toString(16).padStart(2, '0')} after chunk size`);
          break;
        case CS_EXT:
          if (c === 13) this.#cs = CS_CR;
          else if ((c < 32 && c !== 9) || c === 127) throw malformed('invalid byte in chunk extension');
          else if (++this.#csExt > MAX_CHUNK_EXT) throw malformed(`chunk extension longer than ${MAX_CHUNK_EXT} bytes`);
          break;
        case CS_CR:
          throw malformed('CR not followed by LF in chunk size line');
      }
    }
    return i;
  }
}

/** SNI: the given servername, else the host unless it is an IP address (not allowed in SNI). */
function sni(host: string, servername: string | undefined): string | undefined {
  if (servername !== undefined) return servername;
  return net.isIP(host) === 0 ? host : undefined;
}

function where(state: number): string {
  switch (state) {
    case S_CONNECT:
      return 'in the proxy CONNECT response';
    case S_HEAD:
      return 'in the response headers';
    case S_TRAILER:
      return 'in the chunked trailers';
    case S_CHUNK_SIZE:
    case S_CHUNK_END:
      return 'in a chunk size line';
    default:
      return 'in the response body';
  }
}
