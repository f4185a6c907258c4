import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { ManualClock } from '@edgeprom/shared';
import { MqttConnection, readPassword, redactUrl } from './connection.js';
import { freePort, startBroker, until, type TestBroker } from './testing.js';
import { fakeTree, type FakeTree } from '../testing/fake-tree.js';

let broker: TestBroker | undefined;
let conn: MqttConnection | undefined;
let tree: FakeTree | undefined;
afterEach(async () => {
  await conn?.stop();
  conn = undefined;
  await broker?.close();
  broker = undefined;
  await tree?.cleanup();
  tree = undefined;
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

describe('MQTT connection', () => {
  it('authenticates with a password file and never logs the password', async () => {
    tree = await fakeTree({ pass: 's3cret-pw\n' });
    broker = await startBroker();
    let seen: string | undefined;
    broker.broker.authenticate = (_c, user, pw, done) => {
      seen = `${user}:${pw?.toString()}`;
      done(null, true);
    };
    const { logger, text } = capture();
    const url = `mqtt://127.0.0.1:${broker.port}`;
    conn = new MqttConnection({ settings: { url, username: 'pi-1', passwordFile: tree.path('pass'), topicPrefix: 'edgeprom/' }, agentId: 'pi-1', logger, clock: new ManualClock() });
    await conn.start();
    await until(() => conn!.connected, 'connected');
    expect(seen).toBe('pi-1:s3cret-pw');
    expect(conn.clientId).toBe('edgeprom-pi-1');
    expect(text()).toContain('mqtt: connected');
    expect(text()).not.toContain('s3cret-pw');
    expect(redactUrl('mqtt://pi-1:url-pw@gw:1883')).toBe('mqtt://pi-1:xxxxx@gw:1883');
    await expect(readPassword({ url, passwordFile: tree.path('missing'), topicPrefix: '' })).rejects.toMatchObject({ code: 'ERR_MQTT_PASSWORD_FILE' });
  });

  it('retries with growing backoff on the injected clock while the broker is down, then connects', async () => {
    const port = await freePort();
    const clock = new (class extends ManualClock {
      readonly delays: number[] = [];
      override setTimeout(fn: () => void, ms: number) {
        this.delays.push(ms);
        return super.setTimeout(fn, ms);
      }
    })();
    // Every attempt also arms its CONNACK timeout (connectTimeoutMs): told apart by its value.
    conn = new MqttConnection({ settings: { url: `mqtt://127.0.0.1:${port}`, topicPrefix: 'edgeprom/' }, agentId: 'pi-1', clock, random: () => 0.5, minBackoffMs: 1000, maxBackoffMs: 4000, connectTimeoutMs: 99_999 });
    await conn.start();
    const retries = () => clock.delays.filter((d) => d !== 99_999);
    // Each refused attempt schedules the next: 1 s, 2 s, 4 s, then 4 s (jitter fixed at 0).
    await until(() => retries().length >= 4, 'four retries', { clock, stepMs: 250 });
    expect(retries().slice(0, 4)).toEqual([1000, 2000, 4000, 4000]);
    expect(clock.delays.filter((d) => d === 99_999).length).toBeGreaterThanOrEqual(4);
    broker = await startBroker(port);
    await until(() => conn!.connected, 'connected once the broker is up', { clock, stepMs: 250 });
    expect(conn.connects).toBe(1);
  });
});
