/**
 * Helpers for the API's tests: a server on 127.0.0.1 port 0 over an in-memory store, and a
 * raw HTTP client (no automatic decompression, so tests see the bytes Prometheus would send).
 */
import { request as httpRequest } from 'node:http';
import { Labels } from '@edgeprom/shared';
import { MemoryStorage } from '../storage/memory.js';
import { createApiServer, type ApiServer, type ApiServerOptions } from './server.js';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text: string;
  json: () => any;
}

export function rawRequest(
  base: string,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(base + path, { method: init.method ?? 'GET', headers: init.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        const text = body.toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text, json: () => JSON.parse(text) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (init.body !== undefined) req.write(init.body);
    req.end();
  });
}

/** Form-encodes parameters; arrays become repeated keys. */
export function qs(params: Record<string, string | string[]>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const x of Array.isArray(v) ? v : [v]) u.append(k, x);
  return u.toString();
}

export interface TestApi {
  api: ApiServer;
  storage: MemoryStorage;
  base: string;
  get(path: string, params?: Record<string, string | string[]>, headers?: Record<string, string>): Promise<RawResponse>;
  post(path: string, params: Record<string, string | string[]>): Promise<RawResponse>;
  close(): Promise<void>;
}

export async function startTestApi(
  opts: Partial<ApiServerOptions> = {},
  storage = new MemoryStorage(),
): Promise<TestApi> {
  const api = createApiServer({ queryable: storage, ...opts });
  const { url } = await api.start({ host: '127.0.0.1', port: 0 });
  return {
    api,
    storage,
    base: url,
    get: (path, params, headers) =>
      rawRequest(url, params ? `${path}?${qs(params)}` : path, { headers }),
    post: (path, params) =>
      rawRequest(url, path, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: qs(params),
      }),
    close: () => api.stop(),
  };
}

/** Appends `samples` ([labels, t ms, value]) in one transaction. */
export async function load(storage: MemoryStorage, samples: [Record<string, string>, number, number][]): Promise<void> {
  const app = storage.appender();
  for (const [l, t, v] of samples) app.append(Labels.from(l), t, v);
  await app.commit();
}
