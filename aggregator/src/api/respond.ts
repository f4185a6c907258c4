/**
 * Writing answers: the JSON envelope (`{status, data, errorType, error, warnings, infos}`,
 * fields omitted when empty as Go's omitempty does), compression as Prometheus's
 * httputil.CompressionHandler does it (the first of `gzip` or `deflate` listed in
 * Accept-Encoding, matched exactly, deflate meaning zlib), and CORS as httputil.SetCORS.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { deflate as deflateCb, gzip as gzipCb } from 'node:zlib';
import type { RE2JS } from 're2js';
import { statusOf, type ApiError } from './errors.js';
import { encodeData, goJson } from './json.js';

const gzip = promisify(gzipCb);
const deflate = promisify(deflateCb);

/** Warnings and infos beyond these counts are summarised, as annotations.AsStrings does. */
export const MAX_ANNOTATIONS = 10;

function capAnnotations(list: readonly string[], kind: 'warning' | 'info'): string[] {
  if (list.length <= MAX_ANNOTATIONS) return [...list];
  const out = list.slice(0, MAX_ANNOTATIONS);
  out.push(`${list.length - MAX_ANNOTATIONS} more ${kind} annotations omitted`);
  return out;
}

export function successBody(data: unknown, warnings: readonly string[] = [], infos: readonly string[] = []): string {
  const env: Record<string, unknown> = { status: 'success' };
  if (data !== undefined && data !== null) env.data = data;
  if (warnings.length > 0) env.warnings = capAnnotations(warnings, 'warning');
  if (infos.length > 0) env.infos = capAnnotations(infos, 'info');
  return goJson(encodeData(env));
}

export function errorBody(err: ApiError, data?: unknown): string {
  const env: Record<string, unknown> = { status: 'error' };
  if (data !== undefined && data !== null) env.data = data;
  env.errorType = err.errorType;
  env.error = err.message;
  return goJson(encodeData(env));
}

/** The encoding CompressionHandler picks: exact tokens, first one listed wins. */
export function pickEncoding(header: string | undefined): 'gzip' | 'deflate' | undefined {
  if (!header) return undefined;
  for (const part of header.split(',')) {
    const t = part.trim();
    if (t === 'gzip' || t === 'deflate') return t;
  }
  return undefined;
}

const CORS_HEADERS: Readonly<Record<string, string>> = {
  'Access-Control-Allow-Headers': 'Accept, Authorization, Content-Type, Origin',
  'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
  'Access-Control-Expose-Headers': 'Date',
  Vary: 'Origin',
};

/** CORS policy from `--web.cors.origin`: a fully anchored RE2 regex, `.*` meaning `*`. */
export interface Cors {
  any: boolean;
  re: RE2JS;
}

export function setCors(req: IncomingMessage, res: ServerResponse, cors: Cors): void {
  const origin = req.headers.origin;
  if (!origin) return;
  for (const [k, v] of Object.entries(CORS_HEADERS)) res.setHeader(k, v);
  if (cors.any) res.setHeader('Access-Control-Allow-Origin', '*');
  else if (cors.re.matches(origin)) res.setHeader('Access-Control-Allow-Origin', origin);
}

/** Sends a JSON answer, compressed when the client accepts it. */
export async function sendJson(req: IncomingMessage, res: ServerResponse, status: number, body: string): Promise<void> {
  res.setHeader('Content-Type', 'application/json');
  const enc = pickEncoding(req.headers['accept-encoding']);
  let payload: Buffer = Buffer.from(body, 'utf8');
  if (enc !== undefined) {
    payload = enc === 'gzip' ? await gzip(payload) : await deflate(payload);
    res.setHeader('Content-Encoding', enc);
  }
  if (res.destroyed) return;
  res.statusCode = status;
  res.setHeader('Content-Length', payload.length);
  res.end(payload);
}

export function sendError(req: IncomingMessage, res: ServerResponse, err: ApiError, data?: unknown): Promise<void> {
  return sendJson(req, res, statusOf(err.errorType), errorBody(err, data));
}

/** Plain text answers as Go's http.Error writes them. */
export function sendText(res: ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void {
  if (res.destroyed) return;
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  for (const [k, v] of Object.entries(extra)) res.setHeader(k, v);
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}
