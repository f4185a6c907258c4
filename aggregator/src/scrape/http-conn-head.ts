/**
 * The status line and field lines of an HTTP/1.x response (or the trailer section of a chunked
 * body), parsed from the bytes `HttpConnection` collected up to the blank line. Pure: bytes in,
 * a head out, or an ERR_HTTP_MALFORMED error naming the line and what was wrong.
 *
 * Strict where RFC 9112 says a recipient MUST reject (obsolete line folding, whitespace before
 * the colon, differing Content-Length values), lenient where it allows (a bare LF ends a line).
 */
import { EdgepromError } from '@edgeprom/shared';

export type HttpConnErrorCode =
  | 'ERR_HTTP_MALFORMED'
  | 'ERR_HTTP_HEADER_TOO_LARGE'
  /** The server closed the connection before sending a response byte. */
  | 'ERR_HTTP_EOF'
  /** The server closed the connection in the middle of a response. */
  | 'ERR_HTTP_INCOMPLETE'
  /** The proxy refused CONNECT or misbehaved. */
  | 'ERR_HTTP_PROXY'
  | 'ERR_HTTP_BUSY'
  | 'ERR_HTTP_CLOSED';

/** A failure of the response itself; socket errors (ECONNRESET, TLS...) stay Node's own. */
export class HttpConnError extends EdgepromError {
  declare readonly code: HttpConnErrorCode;
  constructor(code: HttpConnErrorCode, message: string) {
    super(code, message);
    this.name = 'HttpConnError';
  }
}

export interface ParsedHead {
  http11: boolean;
  status: number;
  reason: string;
  /** Lower-cased names; repeated fields joined with ", " (RFC 9110 5.3). */
  headers: Map<string, string>;
  /** Content-Length as sent (repeated identical values collapse to one); checked when used. */
  contentLength: string | undefined;
  /** Transfer-Encoding (HTTP/1.1 only: Go ignores it in an HTTP/1.0 response). */
  transferEncoding: string | undefined;
  /** Whether the connection may carry another request after this response. */
  keepAlive: boolean;
}

export const malformed = (what: string) => new HttpConnError('ERR_HTTP_MALFORMED', `malformed HTTP response: ${what}`);

/** tchar (RFC 9110 5.6.2) by byte. */
const TOKEN = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~") TOKEN[c.charCodeAt(0)] = 1;
for (let c = 48; c <= 57; c++) TOKEN[c] = 1;
for (let c = 65; c <= 90; c++) TOKEN[c] = TOKEN[c + 32] = 1;

const quote = (s: string) => JSON.stringify(s.length > 48 ? `${s.slice(0, 48)}...` : s);

/** First invalid byte of field content in [s, e) (controls other than HTAB, DEL), or -1. */
function badFieldByte(buf: Buffer, s: number, e: number): number {
  for (let i = s; i < e; i++) {
    const c = buf[i];
    if ((c < 32 && c !== 9) || c === 127) return c;
  }
  return -1;
}

/** Index of the first LF at or after `s`; the section [0, len) ends with one. */
function lineEnd(buf: Buffer, s: number, len: number): number {
  while (s < len - 1 && buf[s] !== 10) s++;
  return s;
}

/**
 * Checks the field lines after `from`, up to `len` (the blank line included), and collects
 * them into `headers` when given (then returning Content-Length as sent, or undefined).
 */
function fieldLines(buf: Buffer, from: number, len: number, what: string, headers: Map<string, string> | undefined): string | undefined {
  let contentLength: string | undefined;
  let line = 1;
  let s = from;
  while (s < len) {
    const nl = lineEnd(buf, s, len);
    let e = nl;
    if (e > s && buf[e - 1] === 13) e--;
    line++;
    if (e === s) break; // the blank line
    const first = buf[s];
    if (first === 32 || first === 9) throw malformed(`obsolete line folding in ${what} line ${line}`);
    let colon = s;
    while (colon < e && TOKEN[buf[colon]] === 1) colon++;
    if (colon === s) throw malformed(`invalid field name in ${what} line ${line}: ${quote(buf.toString('latin1', s, e))}`);
    if (colon === e) throw malformed(`missing colon in ${what} line ${line}: ${quote(buf.toString('latin1', s, e))}`);
    const sep = buf[colon];
    if (sep === 32 || sep === 9) throw malformed(`whitespace before the colon in ${what} line ${line}`);
    if (sep !== 58) throw malformed(`invalid byte 0x${sep.toString(16).padStart(2, '0')} in the field name of ${what} line ${line}`);
    let vs = colon + 1;
    let ve = e;
    while (vs < ve && (buf[vs] === 32 || buf[vs] === 9)) vs++;
    while (ve > vs && (buf[ve - 1] === 32 || buf[ve - 1] === 9)) ve--;
    const bad = badFieldByte(buf, vs, ve);
    if (bad >= 0) {
      throw malformed(`invalid byte 0x${bad.toString(16).padStart(2, '0')} in the value of ${what} field ${quote(buf.toString('latin1', s, colon).toLowerCase())}`);
    }
    if (headers !== undefined) {
      const name = buf.toString('latin1', s, colon).toLowerCase();
      const value = buf.toString('latin1', vs, ve);
      const prev = headers.get(name);
      headers.set(name, prev === undefined ? value : `${prev}, ${value}`);
      if (name === 'content-length') {
        if (contentLength !== undefined && contentLength !== value) {
          throw malformed(`differing Content-Length values ${quote(contentLength)} and ${quote(value)}`);
        }
        contentLength = value;
      }
    }
    s = nl + 1;
  }
  return contentLength;
}

function hasToken(list: string | undefined, token: string): boolean {
  if (list === undefined) return false;
  if (list.length === token.length) return list.toLowerCase() === token; // the usual single value
  return list.split(',').some((t) => t.trim().toLowerCase() === token);
}

const statusLine = (buf: Buffer, e: number) => `status line ${quote(buf.toString('latin1', 0, e))}`;

/** Parses a response head: `len` bytes of `buf`, ending with the blank line. */
export function parseHead(buf: Buffer, len: number): ParsedHead {
  const nl = lineEnd(buf, 0, len);
  let e = nl;
  if (e > 0 && buf[e - 1] === 13) e--;
  // "HTTP/1.x NNN" then an optional " reason".
  if (e < 12 || buf[0] !== 72 || buf[1] !== 84 || buf[2] !== 84 || buf[3] !== 80 || buf[4] !== 47 || buf[8] !== 32) {
    throw malformed(`invalid ${statusLine(buf, e)}`);
  }
  const minor = buf[7];
  if (buf[5] !== 49 || buf[6] !== 46 || (minor !== 48 && minor !== 49)) throw malformed(`unsupported HTTP version in ${statusLine(buf, e)}`);
  let status = 0;
  for (let i = 9; i < 12; i++) {
    const d = buf[i] - 48;
    if (d < 0 || d > 9) throw malformed(`invalid status code in ${statusLine(buf, e)}`);
    status = status * 10 + d;
  }
  if (status < 100) throw malformed(`invalid status code in ${statusLine(buf, e)}`);
  let reason = '';
  if (e > 12) {
    if (buf[12] !== 32) throw malformed(`invalid status code in ${statusLine(buf, e)}`);
    if (badFieldByte(buf, 13, e) >= 0) throw malformed(`invalid byte in the reason phrase of ${statusLine(buf, e)}`);
    reason = buf.toString('latin1', 13, e);
  }
  const http11 = minor === 49;
  const headers = new Map<string, string>();
  const contentLength = fieldLines(buf, nl + 1, len, 'header', headers);
  const connection = headers.get('connection');
  return {
    http11,
    status,
    reason,
    headers,
    contentLength,
    transferEncoding: http11 ? headers.get('transfer-encoding') : undefined,
    keepAlive: http11 ? !hasToken(connection, 'close') : hasToken(connection, 'keep-alive'),
  };
}

/** Checks a chunked body's trailer section (`len` bytes, the blank line included); trailers are dropped. */
export function checkTrailers(buf: Buffer, len: number): void {
  fieldLines(buf, 0, len, 'trailer', undefined);
}

/** Content-Length as a number: digits only, at most 2^53 - 1. */
export function contentLengthValue(raw: string): number {
  if (!/^[0-9]{1,16}$/.test(raw) || Number(raw) > Number.MAX_SAFE_INTEGER) throw malformed(`invalid Content-Length ${quote(raw)}`);
  return Number(raw);
}

/** Whether the body is chunked; any other transfer coding is refused, as Go's transport does. */
export function isChunked(te: string | undefined): boolean {
  if (te === undefined) return false;
  if (te.trim().toLowerCase() !== 'chunked') throw malformed(`unsupported transfer encoding ${quote(te)}`);
  return true;
}
