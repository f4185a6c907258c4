import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { encodePresence, decodeMessage } from '@edgeprom/shared/wire';
import { EmbeddedBroker } from './broker.js';
import { connect, Inbox, tryConnect } from './test-util.js';

const devices = [
  { username: 'dev-a', password: Buffer.from('secret-a'), agentId: 'a' },
  { username: 'dev-b', password: Buffer.from('secret-b'), agentId: 'b' },
];
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function startBroker(opts: ConstructorParameters<typeof EmbeddedBroker>[0] = {}): Promise<EmbeddedBroker> {
  const b = new EmbeddedBroker({ listen: '127.0.0.1:0', devices, ...opts });
  await b.start();
  cleanups.push(() => b.stop());
  return b;
}

describe('embedded broker: authentication', () => {
  it('refuses a bad password, an unknown user and anonymous clients by default', async () => {
    const b = await startBroker();
    expect(await tryConnect(b.url, { username: 'dev-a', password: 'wrong' })).toBe(4);
    expect(await tryConnect(b.url, { username: 'nobody', password: 'secret-a' })).toBe(4);
    expect(await tryConnect(b.url, { clientId: 'a' })).toBe(5);
    expect(await tryConnect(b.url, { username: 'dev-a', password: 'secret-a' })).toBe('connected');
    expect(await tryConnect(b.url, b.internalCredentials)).toBe('connected');
  });

  it('lets anonymous clients in only when allowed, loopback or any', async () => {
    const b = await startBroker({ anonymous: 'loopback' });
    expect(await tryConnect(b.url, { clientId: 'a' })).toBe('connected');
    const b2 = await startBroker({ anonymous: 'any' });
    expect(await tryConnect(b2.url, { clientId: 'a' })).toBe('connected');
  });

  it('never logs a password', async () => {
    const lines: string[] = [];
    const log = (o: object, m?: string) => void lines.push(JSON.stringify(o) + (m ?? ''));
    const b = await startBroker({ logger: { info: log, warn: log, error: log } });
    await tryConnect(b.url, { username: 'dev-a', password: 'hunter2-wrong' });
    expect(lines.some((l) => l.includes('connection refused'))).toBe(true);
    expect(lines.join('\n')).not.toContain('hunter2');
  });
});

describe('embedded broker: lifecycle', () => {
  it('fails with ERR_MQTT_LISTEN when the port is taken, and stop() is idempotent', async () => {
    const b = await startBroker();
    const clash = new EmbeddedBroker({ listen: `127.0.0.1:${b.port}` });
    await expect(clash.start()).rejects.toMatchObject({ code: 'ERR_MQTT_LISTEN' });
    await clash.stop();
    await expect(new EmbeddedBroker({ listen: 'nope' }).start()).rejects.toMatchObject({ code: 'ERR_MQTT_LISTEN_ADDRESS' });
    await b.stop();
    await b.stop();
  });
});

describe('embedded broker: topic ACL', () => {
  it('device A cannot publish to B\'s push topic nor read B\'s acks', async () => {
    const b = await startBroker();
    const internal = await connect(b.url, b.internalCredentials);
    cleanups.push(() => internal.endAsync());
    const seen = new Inbox(internal);
    await internal.subscribeAsync('edgeprom/push/+', { qos: 1 });

    const a = await connect(b.url, { username: 'dev-a', password: 'secret-a', clientId: 'a' });
    cleanups.push(() => a.endAsync(true));
    // SUBACK 0x80: mqtt.js rejects the promise; the client stays connected.
    await expect(a.subscribeAsync('edgeprom/ack/b', { qos: 1 })).rejects.toThrow(/Subscribe error/);
    await expect(a.subscribeAsync('edgeprom/ack/+', { qos: 1 })).rejects.toThrow(/Subscribe error/);
    const own = await a.subscribeAsync('edgeprom/ack/a', { qos: 1 });
    expect(own[0].qos).toBe(1);

    // aedes answers a forbidden publish by closing the connection (MQTT-3.3.5-2 allows it);
    // the message reaches nobody.
    const closed = new Promise<void>((r) => a.once('close', () => r()));
    a.publish('edgeprom/push/b', Buffer.from('forged'), { qos: 0 });
    await closed;
    const a2 = await connect(b.url, { username: 'dev-a', password: 'secret-a', clientId: 'a' });
    cleanups.push(() => a2.endAsync(true));
    const aInbox = new Inbox(a2);
    await a2.subscribeAsync('edgeprom/ack/a', { qos: 1 });
    await a2.publishAsync('edgeprom/push/a', Buffer.from('mine'), { qos: 1 });
    expect((await seen.next('edgeprom/push/a')).toString()).toBe('mine');
    expect(seen.pending('edgeprom/push/b')).toBe(0);

    await internal.publishAsync('edgeprom/ack/b', Buffer.from('for b'), { qos: 1 });
    await internal.publishAsync('edgeprom/ack/a', Buffer.from('for a'), { qos: 1 });
    expect((await aInbox.next('edgeprom/ack/a')).toString()).toBe('for a');
    expect(aInbox.pending('edgeprom/ack/b')).toBe(0);
  });
});

describe('embedded broker: persistence', () => {
  it('keeps retained presence across a broker restart', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edgeprom-broker-'));
    cleanups.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
    const b1 = new EmbeddedBroker({ listen: '127.0.0.1:0', devices, persistenceDir: dir });
    await b1.start();
    const a = await connect(b1.url, { username: 'dev-a', password: 'secret-a', clientId: 'a' });
    const presence = encodePresence({ agent: 'a', boot: 'b1', bootSeq: 1, state: 'online', version: '0.1.0', ts: 1 });
    await a.publishAsync('edgeprom/presence/a', Buffer.from(presence), { qos: 1, retain: true });
    await a.endAsync();
    await b1.stop();

    const b2 = new EmbeddedBroker({ listen: '127.0.0.1:0', devices, persistenceDir: dir });
    await b2.start();
    cleanups.push(() => b2.stop());
    const internal = await connect(b2.url, b2.internalCredentials);
    cleanups.push(() => internal.endAsync());
    const inbox = new Inbox(internal);
    await internal.subscribeAsync('edgeprom/presence/+', { qos: 1 });
    const msg = decodeMessage(await inbox.next('edgeprom/presence/a'));
    expect(msg).toMatchObject({ type: 'presence', agent: 'a', state: 'online' });
  });
});

describe('embedded broker: logs', () => {
  it('logs no client error when a device disconnects cleanly right after its own presence is forwarded back to it', async () => {
    let text = '';
    const stream = new Writable({
      write(chunk, _e, cb) {
        text += String(chunk);
        cb();
      },
    });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edgeprom-broker-'));
    cleanups.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
    // On-disk persistence, as the aggregator runs it: storing the session's copy delays the
    // forward past the device's DISCONNECT.
    const b = await startBroker({ persistenceDir: dir, logger: pino({ level: 'debug' }, stream) });
    for (let i = 0; i < 10; i++) {
      // As the agent stops: subscribed to its own presence (a persistent session), it publishes
      // the retained offline presence, waits for the PUBACK, then sends DISCONNECT.
      const a = await connect(b.url, { username: 'dev-a', password: 'secret-a', clientId: 'a', clean: false });
      await a.subscribeAsync('edgeprom/presence/a', { qos: 1 });
      const offline = encodePresence({ agent: 'a', boot: 'b1', bootSeq: 1, state: 'offline', version: '0.1.0', ts: i });
      await a.publishAsync('edgeprom/presence/a', Buffer.from(offline), { qos: 1, retain: true });
      await a.endAsync();
    }
    await b.stop();
    const lines = text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { level: number; msg: string; err?: string });
    expect(lines.filter((l) => l.level >= 40)).toEqual([]);
  });
});
