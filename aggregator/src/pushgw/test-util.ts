/**
 * Test helpers (not a test file): a tiny node:http server on 127.0.0.1 port 0 mounting the
 * push handler (404 for what it does not handle), raw requests (paths sent as written), and
 * reads of the in-memory store through the Querier.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Socket } from 'node:net';
import { ManualClock } from '@edgeprom/shared';
import { Matcher } from '../storage/matcher.js';
import { MemoryStorage } from '../storage/memory.js';
import { isStaleNaN } from '../storage/value.js';
import { createPushGateway, type PushGateway } from './gateway.js';
import type { PushOptions } from './options.js';

export interface Harness {
  push: PushGateway;
  storage: MemoryStorage;
  clock: ManualClock;
  port: number;
  request(method: string, path: string, body?: string | Buffer, headers?: Record<string, string>): Promise<Reply>;
  close(): Promise<void>;
}

export interface Reply {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

export async function serve(handler: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<boolean>): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    handler(req, res).then(
      (handled) => {
        if (!handled) {
          req.resume();
          res.statusCode = 404;
          res.end('404 page not found\n');
        }
      },
      () => {
        res.statusCode = 599; // a handler must never reject: make it visible
        res.end();
      },
    );
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export function rawRequest(port: number, method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

export const TOKEN = 'test-token-0123456789';
export const AUTH = { Authorization: `Bearer ${TOKEN}` };

export async function harness(opts: Partial<PushOptions> = {}, clock = new ManualClock(Date.UTC(2026, 0, 1)), storage = new MemoryStorage()): Promise<Harness> {
  const push = createPushGateway({ enabled: true, auth: { bearerTokens: [TOKEN] }, storage, clock, ...opts });
  await push.start();
  const srv = await serve((req, res) => push.handle(req, res));
  return {
    push,
    storage,
    clock,
    port: srv.port,
    request: (method, path, body, headers = {}) => rawRequest(srv.port, method, path, body, { ...AUTH, ...headers }),
    async close() {
      await push.stop();
      await srv.close();
    },
  };
}

export interface Point {
  t: number;
  v: number;
  stale: boolean;
}

/** Samples of every series matching name=value pairs, keyed by the series' label string. */
export function dump(storage: MemoryStorage, match: Record<string, string> = {}): Map<string, Point[]> {
  const q = storage.querier(-Infinity, Infinity);
  const out = new Map<string, Point[]>();
  try {
    const matchers = Object.entries(match).map(([n, v]) => Matcher.create('=', n, v));
    for (const s of q.select(matchers)) {
      const pts: Point[] = [];
      const it = s.iterator();
      while (it.next()) {
        const v = it.atV();
        pts.push({ t: it.atT(), v, stale: isStaleNaN(v) });
      }
      out.set(s.labels.toString(), pts);
    }
  } finally {
    q.close();
  }
  return out;
}

/** The newest sample of each matching series that is not stale. */
export function latest(storage: MemoryStorage, match: Record<string, string> = {}): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, pts] of dump(storage, match)) {
    const last = pts[pts.length - 1];
    if (last && !last.stale) out.set(k, last.v);
  }
  return out;
}
