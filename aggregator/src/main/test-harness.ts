/**
 * Test helpers (not a test file) for the aggregator as composed by startAggregator: a real
 * server on 127.0.0.1 port 0 (HTTP and embedded MQTT broker) with a config file in a
 * temporary directory, per-test teardown, a tiny /metrics target, a device pushing over
 * MQTT, raw HTTP requests, and polling with a deadline (waits never assert on timing).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { IClientOptions, MqttClient } from 'mqtt';
import { afterEach } from 'vitest';
import { connect, Inbox } from '../mqtt/test-util.js';
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

/**
 * What one test starts, released after it (constructing this registers an afterEach in the
 * file): the closers in the order added, then the aggregator, then the directory.
 */
export class PerTest {
  readonly closers: (() => Promise<void>)[] = [];
  #dir: TestDir | undefined;
  #agg: Aggregator | undefined;

  constructor() {
    afterEach(() => this.release());
  }

  /** A new temporary directory, removed after the test. */
  dir(): TestDir {
    return (this.#dir = new TestDir());
  }

  /** The aggregator `started` resolves to, stopped after the test. */
  async aggregator(started: Promise<Aggregator>): Promise<Aggregator> {
    return (this.#agg = await started);
  }

  async release(): Promise<void> {
    for (const c of this.closers.splice(0)) await c();
    await this.#agg?.stop();
    this.#agg = undefined;
    this.#dir?.remove();
    this.#dir = undefined;
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

/** A device pushing batches over MQTT as agent `id`, subscribed to its acks. */
export interface PushingDevice {
  readonly client: MqttClient;
  /** Publishes `batch` on the device's push topic (QoS 1) and waits for its ack. */
  push(batch: Uint8Array): Promise<Buffer>;
  close(): Promise<void>;
}

/** Connects to the broker at `mqttUrl` as agent `id`: anonymous from loopback, as local agents connect in the built-in config (`opts`: e.g. a will). */
export async function pushingDevice(mqttUrl: string, id: string, opts: IClientOptions = {}): Promise<PushingDevice> {
  const client = await connect(mqttUrl, { clientId: `edgeprom-${id}`, ...opts });
  const inbox = new Inbox(client);
  const ackTopic = `edgeprom/ack/${id}`;
  await client.subscribeAsync(ackTopic, { qos: 1 });
  return {
    client,
    async push(batch) {
      await client.publishAsync(`edgeprom/push/${id}`, Buffer.from(batch), { qos: 1 });
      return eventually(`${id}: the batch acked`, () => (inbox.pending(ackTopic) > 0 ? inbox.next(ackTopic) : undefined));
    },
    close: async () => void (await client.endAsync(true)),
  };
}
