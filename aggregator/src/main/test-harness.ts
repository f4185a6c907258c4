/**
 * Test helpers (not a test file) for the aggregator as composed by startAggregator: a real
 * server on 127.0.0.1 port 0 (HTTP and embedded MQTT broker) with a config file in a
 * temporary directory, a tiny /metrics target, raw HTTP requests, and polling with a
 * deadline (waits never assert on timing).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseServeFlags } from './flags.js';
import type { Logger } from './logger.js';
import { startAggregator, type Aggregator } from './serve.js';

export const SILENT: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return SILENT;
  },
};

/** A logger that keeps every line, to check what was (not) logged. */
export function recordingLogger(lines: string[]): Logger {
  const rec = (obj: object, msg?: string) => void lines.push(`${msg ?? ''} ${JSON.stringify(obj)}`);
  const l: Logger = { debug: rec, info: rec, warn: rec, error: rec, child: () => l };
  return l;
}

export class TestDir {
  readonly dir = mkdtempSync(path.join(tmpdir(), 'edgeprom-main-'));
  readonly configFile = path.join(this.dir, 'aggregator.yml');
  write(name: string, text: string): string {
    const f = path.join(this.dir, name);
    writeFileSync(f, text);
    return f;
  }
  config(yaml: string): void {
    writeFileSync(this.configFile, yaml);
  }
  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export async function startTestAggregator(d: TestDir, opts: { flags?: string[]; logger?: Logger; storage?: string } = {}): Promise<Aggregator> {
  const flags = parseServeFlags([
    `--config.file=${d.configFile}`,
    `--storage.tsdb.path=${path.join(d.dir, opts.storage ?? 'data')}`,
    '--web.listen-address=127.0.0.1:0',
    '--mqtt.listen-address=127.0.0.1:0',
    ...(opts.flags ?? []),
  ]);
  return startAggregator(flags, { logger: opts.logger ?? SILENT, discoveryUpdateInterval: 50 });
}

export interface Reply {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

export async function request(url: string, method = 'GET', body?: string, headers: Record<string, string> = {}): Promise<Reply> {
  const r = await fetch(url, { method, ...(body !== undefined ? { body } : {}), headers });
  const h: http.IncomingHttpHeaders = {};
  r.headers.forEach((v, k) => (h[k] = v));
  return { status: r.status, body: await r.text(), headers: h };
}

export interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

export async function query(base: string, q: string): Promise<Sample[]> {
  const r = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(q)}`);
  const body = (await r.json()) as { status: string; data?: { result: Sample[] }; error?: string };
  if (body.status !== 'success') throw new Error(`query ${q}: ${body.error ?? r.status}`);
  return body.data!.result;
}

/** Calls f until it returns something other than undefined, or throws after `ms`. */
export async function eventually<T>(what: string, f: () => Promise<T | undefined> | T | undefined, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${ms / 1000}s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A /metrics target on 127.0.0.1 whose body is computed per request. */
export async function metricsTarget(body: () => string): Promise<{ address: string; scrapes: () => number; close(): Promise<void> }> {
  let n = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    n++;
    res.setHeader('Content-Type', 'text/plain; version=0.0.4');
    res.end(body());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    address: `127.0.0.1:${port}`,
    scrapes: () => n,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
