/**
 * Test helpers (not a test file): a real exposition server on 127.0.0.1 port 0, a queue of
 * scrape reports to await, and a dump of what the store holds.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { TEXT_CONTENT_TYPE, type Labels } from '@edgeprom/shared';
import { parseAggregatorConfig } from '@edgeprom/shared/config';
import type { MemoryStorage } from '../storage/memory.js';
import { isStaleNaN } from '../storage/value.js';
import type { ScrapeReport } from './scrape-loop.js';
import type { ScrapeJob } from './types.js';

export interface Reply {
  status?: number;
  body?: string;
  contentType?: string;
  gzip?: boolean;
  /** With gzip: flip bytes in the middle of the compressed body. */
  corrupt?: boolean;
  /** Never answer (timeout tests). */
  hang?: boolean;
}

export interface TestServer {
  address: string;
  /** What the next requests get; a function sees the request. */
  reply: Reply | ((req: http.IncomingMessage) => Reply);
  requests: http.IncomingMessage[];
  /** Connections accepted so far, and those still open. */
  connections: number;
  openConnections(): number;
  close(): Promise<void>;
}

export async function startServer(reply: TestServer['reply']): Promise<TestServer> {
  const sockets = new Set<import('node:net').Socket>();
  const state: TestServer = {
    address: '',
    reply,
    requests: [],
    connections: 0,
    openConnections: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  const server = http.createServer((req, res) => {
    state.requests.push(req);
    const r = typeof state.reply === 'function' ? state.reply(req) : state.reply;
    if (r.hang) return;
    const headers: Record<string, string> = { 'Content-Type': r.contentType ?? TEXT_CONTENT_TYPE };
    let body: Buffer = Buffer.from(r.body ?? '');
    if (r.gzip) {
      body = zlib.gzipSync(body);
      if (r.corrupt) for (let i = 10; i < body.length - 8; i++) body[i] ^= 0x5a;
      headers['Content-Encoding'] = 'gzip';
    }
    res.writeHead(r.status ?? 200, headers);
    res.end(body);
  });
  server.on('connection', (s) => {
    state.connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}

/** Scrape reports as they come; `next()` waits for the next one. */
export class Reports {
  readonly #queue: ScrapeReport[] = [];
  readonly #waiting: ((r: ScrapeReport) => void)[] = [];
  readonly all: ScrapeReport[] = [];

  readonly push = (r: ScrapeReport): void => {
    this.all.push(r);
    const w = this.#waiting.shift();
    if (w) w(r);
    else this.#queue.push(r);
  };

  async next(): Promise<ScrapeReport> {
    const r = this.#queue.shift() ?? (await new Promise<ScrapeReport>((resolve) => this.#waiting.push(resolve)));
    // Let the loop finish its bookkeeping before the test moves the clock again.
    await new Promise((resolve) => setImmediate(resolve));
    return r;
  }
}

/** Every series in the store as `name{labels}` → [t, value or 'stale'][]. */
export function dump(store: MemoryStorage): Map<string, [number, number | 'stale'][]> {
  const out = new Map<string, [number, number | 'stale'][]>();
  const q = store.querier(-Infinity, Infinity);
  for (const s of q.select([])) {
    const it = s.iterator();
    const samples: [number, number | 'stale'][] = [];
    while (it.next()) samples.push([it.atT(), isStaleNaN(it.atV()) ? 'stale' : it.atV()]);
    out.set(s.labels.toString(), samples);
  }
  q.close();
  return out;
}

export function key(l: Labels): string {
  return l.toString();
}

/** A scrape job from YAML lines of its settings (e.g. its HTTP client's), through the config schema. */
export function jobOf(yaml = '', name = 'node'): ScrapeJob {
  const body = yaml
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => `    ${l}`)
    .join('\n');
  return parseAggregatorConfig(`scrape_configs:\n  - job_name: ${name}\n${body}\n`).scrape_configs[0]!;
}
