/**
 * Test helpers: a real aedes broker on 127.0.0.1 (port 0, or a given port to restart on),
 * a stand-in aggregator that decodes batches, dedupes them by seq as wire-format §8
 * prescribes and acks, and `until()` to wait for real I/O while driving a ManualClock.
 */
import * as net from 'node:net';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import mqttPacket from 'mqtt-packet';
import type { ManualClock } from '@edgeprom/shared';
import { decodeMessage, encodeAck, topics as wireTopics, type BatchMessage, type PresenceMessage } from '@edgeprom/shared/wire';

export interface TestBroker {
  broker: Aedes;
  port: number;
  url: string;
  /** Closes the broker and every connection (as a crash would, wills included). */
  close(): Promise<void>;
}

export async function startBroker(port = 0, persistence?: unknown): Promise<TestBroker> {
  const broker = await Aedes.createBroker(persistence ? { persistence } : {});
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    broker.handle(s);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const bound = (server.address() as net.AddressInfo).port;
  return {
    broker,
    port: bound,
    url: `mqtt://127.0.0.1:${bound}`,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      await new Promise<void>((r) => broker.close(() => r()));
    },
  };
}

/** A port that was free a moment ago (for "the broker is down" phases). */
export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

export type ProxyFlow = 'both' | 'to-broker' | 'to-client' | 'none';

/**
 * A TCP proxy on 127.0.0.1 in front of a broker, under the test's control: it can stop
 * forwarding either direction (bytes are dropped, sockets stay open: a dead peer or a
 * half-open link), cut every connection abruptly, and it records the packets clients send
 * (decoded with mqtt-packet, as an independent reader).
 */
export interface TestProxy {
  port: number;
  url: string;
  /** What is forwarded from now on. Default 'both'. */
  flow: ProxyFlow;
  /** Packets sent by clients, in order, across connections. */
  readonly fromClients: mqttPacket.Packet[];
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Destroys every open connection (both sides), as a network failure would. */
  cut(): void;
  close(): Promise<void>;
}

export async function startProxy(brokerPort: number): Promise<TestProxy> {
  const pairs = new Set<[net.Socket, net.Socket]>();
  const fromClients: mqttPacket.Packet[] = [];
  let accepted = 0;
  let server: net.Server;
  const proxy: TestProxy = {
    port: 0,
    url: '',
    flow: 'both',
    fromClients,
    get accepted() {
      return accepted;
    },
    cut() {
      for (const [a, b] of pairs) {
        a.destroy();
        b.destroy();
      }
      pairs.clear();
    },
    async close() {
      proxy.cut();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  server = net.createServer((client) => {
    accepted++;
    const upstream = net.connect(brokerPort, '127.0.0.1');
    const pair: [net.Socket, net.Socket] = [client, upstream];
    pairs.add(pair);
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    parser.on('packet', (p: mqttPacket.Packet) => fromClients.push(p));
    parser.on('error', () => undefined);
    client.on('data', (d) => {
      if (proxy.flow === 'both' || proxy.flow === 'to-broker') {
        parser.parse(d);
        upstream.write(d);
      }
    });
    upstream.on('data', (d) => {
      if (proxy.flow === 'both' || proxy.flow === 'to-client') client.write(d);
    });
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  proxy.port = (server.address() as net.AddressInfo).port;
  proxy.url = `mqtt://127.0.0.1:${proxy.port}`;
  return proxy;
}

export interface DeliveredSample {
  labels: string;
  t: number;
  /** Value bits as hex: comparing bits keeps NaN payloads apart. */
  bits: string;
}

export interface TestAggregatorOptions {
  url: string;
  prefix?: string;
  clientId?: string;
  /** Return true to not ack this batch (a lost ack). */
  dropAck?: (b: BatchMessage, n: number) => boolean;
}

/** Plays the aggregator's ingest: W per boot, drops seq <= W, acks W (wire-format §8). */
export class TestAggregator {
  readonly client: MqttClient;
  /** Accepted samples per boot by seq, in the order they were accepted. */
  readonly accepted = new Map<string, Map<number, DeliveredSample>>();
  /** Samples dropped as already committed (redeliveries, resends). */
  duplicates = 0;
  /** Duplicates whose timestamp, labels or value differ from the accepted sample (must stay 0). */
  conflicts = 0;
  /** Accepted seqs that were not above the previous accepted one (must stay 0). */
  outOfOrder = 0;
  batches = 0;
  readonly presences: PresenceMessage[] = [];
  readonly #w = new Map<string, number>();
  readonly #opts: TestAggregatorOptions;

  private constructor(opts: TestAggregatorOptions, client: MqttClient) {
    this.#opts = opts;
    this.client = client;
  }

  static async start(opts: TestAggregatorOptions): Promise<TestAggregator> {
    const t = wireTopics(opts.prefix ?? 'edgeprom/');
    const client = mqtt.connect(opts.url, { clientId: opts.clientId ?? 'test-aggregator', clean: false, reconnectPeriod: 50 });
    const agg = new TestAggregator(opts, client);
    client.on('message', (topic, payload) => agg.#onMessage(topic, payload));
    client.on('error', () => undefined);
    client.on('connect', () => client.subscribe([t.pushFilter, t.presenceFilter], { qos: 1 }));
    await new Promise<void>((resolve) => client.once('connect', () => resolve()));
    await new Promise<void>((resolve) => client.subscribe([t.pushFilter, t.presenceFilter], { qos: 1 }, () => resolve()));
    return agg;
  }

  #onMessage(topic: string, payload: Buffer): void {
    const t = wireTopics(this.#opts.prefix ?? 'edgeprom/');
    const m = decodeMessage(payload);
    if (m.type === 'presence') {
      this.presences.push(m);
      return;
    }
    if (m.type !== 'batch') return;
    this.batches++;
    const w = this.#w.get(m.boot) ?? 0;
    const flat: { seq: number; s: DeliveredSample }[] = [];
    for (const s of m.series) {
      const bits = new Uint8Array(s.values.buffer, s.values.byteOffset, s.values.byteLength);
      for (let i = 0; i < s.seqs.length; i++) {
        flat.push({ seq: s.seqs[i], s: { labels: s.labels.key, t: s.timestamps[i], bits: Buffer.from(bits.subarray(i * 8, i * 8 + 8)).toString('hex') } });
      }
    }
    flat.sort((a, b) => a.seq - b.seq);
    let boot = this.accepted.get(m.boot);
    if (!boot) this.accepted.set(m.boot, (boot = new Map()));
    let last = w;
    for (const { seq, s } of flat) {
      if (seq <= w) {
        this.duplicates++;
        const orig = boot.get(seq);
        if (!orig || orig.labels !== s.labels || orig.t !== s.t || orig.bits !== s.bits) this.conflicts++;
        continue;
      }
      if (seq <= last) this.outOfOrder++;
      last = seq;
      boot.set(seq, s);
    }
    const nw = Math.max(w, m.seqTo);
    this.#w.set(m.boot, nw);
    if (this.#opts.dropAck?.(m, this.batches)) return;
    this.client.publish(t.ack(m.agent), Buffer.from(encodeAck({ agent: m.agent, boot: m.boot, seqTo: nw })), { qos: 1 });
  }

  /** Accepted seqs of `boot`, ascending. */
  seqs(boot: string): number[] {
    return [...(this.accepted.get(boot)?.keys() ?? [])].sort((a, b) => a - b);
  }

  async stop(): Promise<void> {
    await this.client.endAsync(true);
  }
}

/**
 * Waits until `cond` holds: each round advances `clock` by `stepMs` (if given) and lets real
 * I/O run. Fails after `rounds` rounds with `what` (a hang, never a timing assertion).
 */
export async function until(cond: () => boolean, what: string, opts: { clock?: ManualClock; stepMs?: number; rounds?: number } = {}): Promise<void> {
  const rounds = opts.rounds ?? 3000;
  for (let i = 0; i < rounds; i++) {
    if (cond()) return;
    if (opts.clock && opts.stepMs) await opts.clock.advance(opts.stepMs);
    await new Promise((r) => setTimeout(r, 2));
  }
  if (!cond()) throw new Error(`gave up waiting for: ${what}`);
}
