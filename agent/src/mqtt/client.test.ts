/**
 * The MQTT client's failure handling against a real aedes broker on 127.0.0.1, through a
 * TCP proxy the test controls (testing.ts: it drops bytes, cuts connections and records
 * the packets the client sends), and against a fake broker that sends garbage.
 */
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import mqtt from 'mqtt';
import type mqttPacket from 'mqtt-packet';
import { pino } from 'pino';
import { ManualClock } from '@edgeprom/shared';
import { MqttConnection, type MqttConnectionOptions } from './connection.js';
import { startBroker, startProxy, until, type TestBroker, type TestProxy } from './testing.js';

let broker: TestBroker | undefined;
let proxy: TestProxy | undefined;
const conns: MqttConnection[] = [];
const clients: mqtt.MqttClient[] = [];
const servers: net.Server[] = [];
afterEach(async () => {
  // The proxy first: a connection waiting for PUBACKs that will never come then stops at once.
  await proxy?.close();
  proxy = undefined;
  for (const c of conns.splice(0)) await c.stop(50);
  for (const c of clients.splice(0)) await c.endAsync(true);
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
  await broker?.close();
  broker = undefined;
});

function capture() {
  let text = '';
  const stream = new Writable({
    write(chunk, _e, cb) {
      text += String(chunk);
      cb();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), text: () => text };
}

function connection(url: string, over: Partial<MqttConnectionOptions> = {}): MqttConnection {
  const c = new MqttConnection({ settings: { url, topicPrefix: 'edgeprom/' }, agentId: 'pi-1', clock: new ManualClock(), random: () => 0.5, minBackoffMs: 1000, maxBackoffMs: 1000, ...over });
  conns.push(c);
  return c;
}

/** An independent subscriber (mqtt.js) recording payloads on `topic`. */
async function watch(url: string, topic: string): Promise<string[]> {
  const c = await mqtt.connectAsync(url, { clientId: `watch-${clients.length}`, clean: true, reconnectPeriod: 0 });
  clients.push(c);
  const seen: string[] = [];
  c.on('message', (_t, payload) => seen.push(payload.toString()));
  await c.subscribeAsync(topic, { qos: 1 });
  return seen;
}

const publishes = (p: TestProxy, topic: string) => p.fromClients.filter((x): x is mqttPacket.IPublishPacket => x.cmd === 'publish' && x.topic === topic);
const text = (s: string) => new TextEncoder().encode(s);

describe('MQTT client against aedes', () => {
  it('QoS 1: a publish lost with its connection is resent with DUP after the reconnect, and nothing is lost', async () => {
    broker = await startBroker();
    proxy = await startProxy(broker.port);
    const seen = await watch(broker.url, 'edgeprom/push/pi-1');
    const clock = new ManualClock();
    const conn = connection(proxy.url, { clock });
    await conn.start();
    await until(() => conn.connected, 'connected');
    await conn.publish('edgeprom/push/pi-1', text('one'), { qos: 1 });
    await until(() => seen.length === 1, 'first message delivered');

    // The broker never sees the second publish; then the link dies.
    proxy.flow = 'none';
    const lost = conn.publish('edgeprom/push/pi-1', text('two'), { qos: 1 });
    expect(conn.inflight).toBe(1);
    proxy.cut();
    await expect(lost).rejects.toMatchObject({ code: 'ERR_MQTT_NOT_CONNECTED' });
    expect(conn.connected).toBe(false);

    proxy.flow = 'both';
    await until(() => conn.connects === 2, 'reconnected', { clock, stepMs: 500 });
    await until(() => seen.includes('two') && conn.inflight === 0, 'resent message delivered and acknowledged', { clock, stepMs: 500 });
    expect(seen).toEqual(['one', 'two']);
    const sent = publishes(proxy, 'edgeprom/push/pi-1');
    // 'one' first time; 'two' only once through the proxy: the resend, flagged DUP, same id.
    expect(sent.map((p) => [p.payload.toString(), p.dup, p.qos])).toEqual([
      ['one', false, 1],
      ['two', true, 1],
    ]);
  });

  it('QoS 1: a publish whose PUBACK was lost is resent; the subscriber may see it twice, never zero times', async () => {
    broker = await startBroker();
    proxy = await startProxy(broker.port);
    const seen = await watch(broker.url, 'edgeprom/push/pi-1');
    const clock = new ManualClock();
    const conn = connection(proxy.url, { clock });
    await conn.start();
    await until(() => conn.connected, 'connected');
    proxy.flow = 'to-broker';
    void conn.publish('edgeprom/push/pi-1', text('x'), { qos: 1 }).catch(() => undefined);
    await until(() => seen.length === 1, 'delivered once (its PUBACK dropped)');
    expect(conn.inflight).toBe(1);
    proxy.cut();
    proxy.flow = 'both';
    await until(() => conn.connects === 2 && conn.inflight === 0, 'resent and acknowledged', { clock, stepMs: 500 });
    await until(() => seen.length === 2, 'the duplicate reaches the subscriber (the aggregator dedupes by seq)');
    expect(seen).toEqual(['x', 'x']);
  });

  it('the outgoing queue is bounded: publishes beyond maxInflight are refused, not queued', async () => {
    broker = await startBroker();
    proxy = await startProxy(broker.port);
    const conn = connection(proxy.url, { maxInflight: 2, maxOutgoingBytes: 10_000 });
    await conn.start();
    await until(() => conn.connected, 'connected');
    // One message larger than the byte bound still goes when nothing else is queued.
    await conn.publish('edgeprom/push/pi-1', new Uint8Array(15_000), { qos: 1 });
    proxy.flow = 'to-broker'; // PUBACKs are dropped
    const pending = [conn.publish('edgeprom/push/pi-1', text('a'), { qos: 1 }), conn.publish('edgeprom/push/pi-1', text('b'), { qos: 1 })];
    for (const p of pending) p.catch(() => undefined);
    await expect(conn.publish('edgeprom/push/pi-1', text('c'), { qos: 1 })).rejects.toMatchObject({ code: 'ERR_MQTT_QUEUE_FULL', message: expect.stringMatching(/2 unacknowledged publishes \(max 2\)/) });
    await expect(conn.publish('edgeprom/push/pi-1', new Uint8Array(20_000), { qos: 0 })).rejects.toMatchObject({ code: 'ERR_MQTT_QUEUE_FULL', message: expect.stringMatching(/max 10000/) });
    await expect(conn.publish('edgeprom/push/+', text('d'), { qos: 1 })).rejects.toMatchObject({ code: 'ERR_MQTT_PROTOCOL', message: expect.stringMatching(/wildcard/) });
    expect(conn.inflight).toBe(2);
  });

  it('the last will is published when the connection dies without DISCONNECT, and not after stop()', async () => {
    broker = await startBroker();
    proxy = await startProxy(broker.port);
    const seen = await watch(broker.url, 'edgeprom/presence/pi-1');
    const clock = new ManualClock();
    const conn = connection(proxy.url, { clock, will: { topic: 'edgeprom/presence/pi-1', payload: text('offline') } });
    await conn.start();
    await until(() => conn.connected, 'connected');
    proxy.cut();
    await until(() => seen.includes('offline'), 'will delivered');
    await until(() => !conn.connected, 'connection lost');
    expect(conn.lastError).toMatchObject({ code: 'ERR_MQTT_CLOSED', message: 'the broker closed the connection' });
    const [connect] = proxy.fromClients.filter((p): p is mqttPacket.IConnectPacket => p.cmd === 'connect');
    expect(connect).toMatchObject({ clean: false, clientId: 'edgeprom-pi-1', keepalive: 60, will: { topic: 'edgeprom/presence/pi-1', qos: 1, retain: true } });

    await until(() => conn.connected, 'reconnected', { clock, stepMs: 500 });
    await conn.publish('edgeprom/presence/pi-1', text('online'), { qos: 1, retain: true });
    await conn.stop();
    expect(proxy.fromClients.at(-1)?.cmd).toBe('disconnect');
    expect(conn.connected).toBe(false);
  });

  it('keepalive: a peer that stops answering is detected by PINGREQ timeout, then the client reconnects', async () => {
    broker = await startBroker();
    proxy = await startProxy(broker.port);
    const clock = new ManualClock();
    const { logger, text: log } = capture();
    const conn = connection(proxy.url, { clock, logger, keepaliveSec: 10, pingTimeoutMs: 5000 });
    await conn.start();
    await until(() => conn.connected, 'connected');
    // While the broker answers, pings keep the connection up.
    await until(() => proxy!.fromClients.filter((p) => p.cmd === 'pingreq').length >= 3, 'three pings', { clock, stepMs: 1000 });
    expect(conn.connected).toBe(true);
    expect(conn.connects).toBe(1);

    proxy.flow = 'none'; // sockets stay open, nothing gets through
    await until(() => !conn.connected, 'dead connection detected', { clock, stepMs: 1000 });
    expect(conn.lastError).toMatchObject({ code: 'ERR_MQTT_KEEPALIVE', message: 'no answer from the broker within 5000 ms of a PINGREQ' });
    expect(log()).toContain('mqtt: no answer to PINGREQ; the connection is dead');

    proxy.flow = 'both';
    await until(() => conn.connected, 'reconnected', { clock, stepMs: 1000 });
    expect(conn.connects).toBe(2);
    expect(proxy.accepted).toBe(2);
  });

  it('no CONNACK within connectTimeoutMs ends the attempt and retries', async () => {
    broker = await startBroker();
    proxy = await startProxy(broker.port);
    proxy.flow = 'to-broker';
    const clock = new ManualClock();
    const conn = connection(proxy.url, { clock, connectTimeoutMs: 3000 });
    await conn.start();
    await until(() => proxy!.accepted >= 2, 'a second attempt', { clock, stepMs: 500 });
    expect(conn.lastError).toMatchObject({ code: 'ERR_MQTT_TIMEOUT', message: 'no CONNACK from the broker within 3000 ms' });
    proxy.flow = 'both';
    await until(() => conn.connected, 'connected', { clock, stepMs: 500 });
  });

  it('CONNACK refusal (the aggregator-style authenticate hook) gives a clear error, never logs the password, and retries', async () => {
    broker = await startBroker();
    // Like aggregator/src/mqtt/broker.ts: a refused device gets CONNACK 4.
    let attempts = 0;
    broker.broker.authenticate = (_client, username, password, done) => {
      attempts++;
      if (username === 'pi-1' && password?.toString() === 'right') return done(null, true);
      const err = Object.assign(new Error('bad credentials'), { returnCode: 4 as const });
      done(err, false);
    };
    const clock = new ManualClock();
    const { logger, text: log } = capture();
    const conn = connection(broker.url, { clock, logger, settings: { url: broker.url, username: 'pi-1', password: 'wrong-pw', topicPrefix: 'edgeprom/' } });
    await conn.start();
    await until(() => conn.lastError?.code === 'ERR_MQTT_CONNACK', 'refused');
    expect(conn.lastError!.message).toBe('the broker refused the connection: bad user name or password (CONNACK return code 4; client id edgeprom-pi-1, username pi-1)');
    await until(() => attempts >= 3, 'still retrying', { clock, stepMs: 500 });
    expect(conn.connected).toBe(false);
    expect(conn.connects).toBe(0);
    // One log line per distinct failure, not one per retry.
    expect(log().match(/mqtt: connection refused by the broker/g)?.length).toBe(1);
    expect(log()).toContain('bad user name or password');
    expect(log()).not.toContain('wrong-pw');
  });
});

describe('MQTT client: transports', () => {
  const cert = readFileSync(new URL('./testdata/broker-cert.pem', import.meta.url));
  const key = readFileSync(new URL('./testdata/broker-key.pem', import.meta.url));

  it('mqtts://: verifies the broker certificate (clear error when untrusted), then connects and publishes with the CA', async () => {
    broker = await startBroker();
    const inner = broker.port;
    const server = tls.createServer({ cert, key }, (s) => {
      const up = net.connect(inner, '127.0.0.1');
      s.pipe(up).pipe(s);
      s.on('error', () => up.destroy());
      up.on('error', () => s.destroy());
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `mqtts://localhost:${(server.address() as net.AddressInfo).port}`;
    const seen = await watch(broker.url, 'edgeprom/push/pi-1');

    const untrusted = connection(url);
    await untrusted.start();
    await until(() => untrusted.lastError !== undefined, 'TLS refused');
    expect(untrusted.lastError).toMatchObject({ code: 'ERR_MQTT_SOCKET', message: expect.stringMatching(/SELF_SIGNED|self.signed/i) });
    expect(untrusted.connected).toBe(false);

    const trusted = connection(url, { tlsCa: cert });
    await trusted.start();
    await until(() => trusted.connected, 'connected over TLS');
    await trusted.publish('edgeprom/push/pi-1', text('over tls'), { qos: 1 });
    await until(() => seen.includes('over tls'), 'delivered');
  });

  it('refuses URLs it cannot serve at start, naming the scheme', async () => {
    await expect(connection('ws://127.0.0.1:9001').start()).rejects.toMatchObject({ code: 'ERR_MQTT_URL', message: expect.stringMatching(/scheme "ws" is not supported: the agent has no MQTT-over-WebSocket transport \(use mqtt:\/\/, mqtts:\/\//) });
    await expect(connection('not a url').start()).rejects.toMatchObject({ code: 'ERR_MQTT_URL' });
  });
});

describe('MQTT client against a broker that sends garbage', () => {
  /** Answers each connection with CONNACK (or not) plus the next chunk of bytes, then closes. */
  async function garbageBroker(next: () => { connack: boolean; bytes: Uint8Array }): Promise<{ port: number; connections: () => number }> {
    let n = 0;
    const server = net.createServer((s) => {
      n++;
      s.on('error', () => undefined);
      s.once('data', () => {
        const g = next();
        s.end(Buffer.concat([g.connack ? Buffer.from([0x20, 2, 0, 0]) : Buffer.alloc(0), Buffer.from(g.bytes)]));
      });
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    return { port: (server.address() as net.AddressInfo).port, connections: () => n };
  }

  it('a malformed packet closes the connection with an error naming the packet; the client reconnects', async () => {
    const g = await garbageBroker(() => ({ connack: true, bytes: new Uint8Array([0x36, 3, 0, 1, 0x61]) }));
    const clock = new ManualClock();
    const { logger, text: log } = capture();
    const conn = connection(`mqtt://127.0.0.1:${g.port}`, { clock, logger });
    let messages = 0;
    conn.onMessage(() => messages++);
    await conn.start();
    await until(() => conn.lastError?.code === 'ERR_MQTT_PROTOCOL', 'protocol error');
    expect(conn.lastError!.message).toBe('PUBLISH at byte 4 from the broker: QoS 3 (MQTT-3.3.1-4)');
    expect(log()).toContain('PUBLISH at byte 4 from the broker: QoS 3');
    await until(() => g.connections() >= 3, 'reconnecting', { clock, stepMs: 500 });
    expect(messages).toBe(0);
  });

  it('a packet before the CONNACK is a protocol error', async () => {
    const g = await garbageBroker(() => ({ connack: false, bytes: new Uint8Array([0x30, 3, 0, 1, 0x61, 0x20, 2, 0, 0]) }));
    const conn = connection(`mqtt://127.0.0.1:${g.port}`);
    let messages = 0;
    conn.onMessage(() => messages++);
    await conn.start();
    await until(() => conn.lastError?.code === 'ERR_MQTT_PROTOCOL', 'protocol error');
    expect(conn.lastError!.message).toBe('PUBLISH from the broker before its CONNACK (MQTT-3.2.0-1)');
    expect(conn.connects).toBe(0);
    expect(messages).toBe(0);
  });

  it('random bytes from the broker never crash the client (fuzz)', async () => {
    const inputs = fc.sample(fc.record({ connack: fc.boolean(), bytes: fc.uint8Array({ maxLength: 48 }) }), { numRuns: 40, seed: 5 });
    let i = 0;
    const g = await garbageBroker(() => inputs[i++ % inputs.length]);
    const clock = new ManualClock();
    const conn = connection(`mqtt://127.0.0.1:${g.port}`, { clock });
    conn.subscribe('edgeprom/ack/pi-1');
    conn.onMessage(() => undefined);
    await conn.start();
    await until(() => g.connections() > inputs.length, 'every input served', { clock, stepMs: 1000 });
    // Still retrying, not wedged: every connection ended and led to the next.
    expect(conn.connected).toBe(false);
  });
});
